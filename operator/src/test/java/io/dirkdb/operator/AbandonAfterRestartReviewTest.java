package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.FailoverRecord;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.failover.FailoverCoordinator;
import io.dirkdb.operator.failover.ClusterProber;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Review 11d: the abandon path's safety rests on in-memory state (the lease length learnt from primaries'
 * heartbeats, when the last promote was sent). {@link OperatorRestart} keeps the FailoverCoordinator bean,
 * so no existing test loses that state; here the restart also forgets it, as a new process would.
 */
@QuarkusTest
class AbandonAfterRestartReviewTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  Operator operator;

  @Inject
  ClusterProber prober;

  @Inject
  FailoverCoordinator coordinator;

  /**
   * A restarted operator in {@code Abandoning} learns the lease from heartbeats, but only a primary reports
   * {@code leaseMs}: the old primary is fenced, the target is cut off, so it waits the 2000 ms default while
   * the target's late promote holds the members' real (here 15 s) lease.
   */
  @Test
  void anOperatorRestartedWhileAbandoningWaitsOutTheTargetsWholeLease() throws Exception {
    String ns = "review-abandon-restart";
    Duration lease = Duration.ofSeconds(15);
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {},
        LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay target = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0);
      target.delay(Duration.ofMillis(2500), "dirk promote");
      try (WritablePrimaries watch = new WritablePrimaries(live, SECONDARY, PRIMARY)) {
        setTargetPrimary(ns, SECONDARY);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> target
            .controlStatements().stream().anyMatch(s -> s.toLowerCase().startsWith("dirk promote")));
        // Between the operator's timeout (2 s) and the promote's arrival (2.5 s), as SwitchoverAbandonTest does.
        Thread.sleep(2200);
        target.drop("dirk heartbeat", "dirk fence", "dirk follow", "dirk promote", "dirk auth");
        await().atMost(Duration.ofSeconds(10)).until(() -> heartbeat(live, SECONDARY).isPrimary());
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
          FailoverRecord record = cluster(ns).getStatus().getLastFailover();
          return record != null && "Abandoning".equals(record.getStep());
        });
        // The operator's pod is replaced: a new process, with none of the old one's memory.
        OperatorRestart.restartForgettingEverything(operator, client, prober, coordinator);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(cluster(ns).getStatus().getLastFailover().getStep()).isEqualTo("Abandoned");
          assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
        });
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
            .untilAsserted(() -> FailoverTest.writeRows(live, PRIMARY, 4, 4));
        // Let the target's lease run out whatever happened, so an overlap would be seen in full.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          return !heartbeat(live, SECONDARY).isPrimary() || live.leaseExpired(SECONDARY);
        });
        assertThat(watch.rounds()).isPositive();
        assertThat(watch.overlaps()).as("instants at which %s (late promote, 15 s lease) and %s (given the role "
            + "back by a restarted operator) both took writes", SECONDARY, PRIMARY).isEmpty();
      }
    }
  }

  private void setTargetPrimary(String ns, String target) {
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
      c.getSpec().setTargetPrimary(target);
      return c;
    }));
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private static HeartbeatReport heartbeat(LiveCluster live, String pod) throws IOException {
    try (DirkConnection c = live.connect(pod)) {
      return HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
    }
  }
}
