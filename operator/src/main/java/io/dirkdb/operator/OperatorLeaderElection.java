package io.dirkdb.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Only one operator replica acts at a time: the holder of the Lease {@value #LEASE_NAME}. */
@ApplicationScoped
public class OperatorLeaderElection {

  public static final String LEASE_NAME = "dirk-operator-lease";

  @Produces
  @Singleton
  LeaderElectionConfiguration leaderElection(
      @ConfigProperty(name = "dirk.operator.leader-election.lease-namespace") Optional<String> leaseNamespace,
      @ConfigProperty(name = "dirk.operator.leader-election.exit-on-stop-leading", defaultValue = "true")
      boolean exitOnStopLeading) {
    // A replica that lost the lease exits so Kubernetes restarts it as a clean follower; tests keep the JVM.
    var builder = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME);
    leaseNamespace.filter(ns -> !ns.isBlank()).ifPresent(builder::withLeaseNamespace);
    return exitOnStopLeading ? builder.build() : builder.buildForTest(false);
  }
}
