package io.dirkdb.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.dirkdb.cli.Dirk;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.TlsSpec;
import io.dirkdb.operator.resync.ResyncJobs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec.tls: the Secret mounted and the TLS flags given to every DirkDB container; nothing of it without. */
class TlsRenderingTest {

  private static DirkCluster cluster(String secretName) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    if (secretName != null) {
      TlsSpec tls = new TlsSpec();
      tls.setSecretName(secretName);
      cluster.getSpec().setTls(tls);
    }
    return cluster;
  }

  private static void acceptedByTheDataPlane(List<String> args) {
    assertThatCode(() -> Dirk.commandLine().parseArgs(args.toArray(String[]::new)))
        .as("dirk %s", String.join(" ", args)).doesNotThrowAnyException();
  }

  @Test
  void membersRequireClientCertificatesFromTheMountedSecretAndTheirHookChecksTheStableName() {
    DirkCluster cluster = cluster("demo-tls");
    PodSpec pod = MemberStatefulSets.build(cluster, "demo-primary", 1, "dirkdb/dirk:test").getSpec().getTemplate()
        .getSpec();
    Container member = pod.getContainers().get(0);
    assertThat(member.getArgs()).containsSequence("--tls-cert", "/etc/dirk/tls/tls.crt", "--tls-key",
        "/etc/dirk/tls/tls.key", "--tls-ca", "/etc/dirk/tls/ca.crt", "--tls-client-auth", "required");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement().satisfies(v -> {
      assertThat(v.getSecret().getSecretName()).isEqualTo("demo-tls");
      assertThat(v.getSecret().getDefaultMode()).isEqualTo(0440);
    });
    assertThat(member.getVolumeMounts()).filteredOn(m -> m.getName().equals("tls")).singleElement().satisfies(m -> {
      assertThat(m.getMountPath()).isEqualTo("/etc/dirk/tls");
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(member.getEnv()).filteredOn(e -> e.getName().equals("DIRK_TLS_SERVER_NAME")).singleElement()
        .satisfies(e -> assertThat(e.getValue()).isEqualTo("$(DIRK_INSTANCE_ID).demo-members.ns.svc"));
    List<String> preStop = member.getLifecycle().getPreStop().getExec().getCommand();
    assertThat(preStop).contains("--tls-ca", "--tls-cert", "--tls-key");
    acceptedByTheDataPlane(member.getArgs());
    acceptedByTheDataPlane(preStop.subList(1, preStop.size()));
  }

  @Test
  void proxyAndCacheServeTlsAndPresentTheCertificateUpstream() {
    DirkCluster cluster = cluster("demo-tls");
    List<String> proxy = ProxyDeploymentDependent.proxyArgs(cluster);
    List<String> cache = ProxyDeploymentDependent.cacheArgs(cluster);
    assertThat(proxy).contains("--tls-cert", "--tls-key", "--upstream-tls-ca", "--upstream-tls-cert",
        "--upstream-tls-key").doesNotContain("--tls-client-auth");
    assertThat(cache).containsSequence("--upstream-tls-server-name", "demo-proxy.ns.svc").contains("--tls-cert");
    acceptedByTheDataPlane(proxy);
    acceptedByTheDataPlane(cache);
  }

  @Test
  void resyncJobMountsTheSecretAndPresentsTheCertificate() {
    DirkCluster cluster = cluster("demo-tls");
    List<String> command = ResyncJobs.command(cluster, new MemberAddress("demo-primary-0",
        "demo-primary-0.demo-members.ns.svc", 3948), new MemberAddress("demo-secondary-0",
        "demo-secondary-0.demo-members.ns.svc", 3948));
    assertThat(command).contains("--tls-ca", "--tls-cert", "--tls-key");
    acceptedByTheDataPlane(command);
    assertThat(PodDefaults.tlsVolumes(cluster)).singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("demo-tls"));
  }

  @Test
  void withoutSpecTlsNothingChanges() {
    DirkCluster cluster = cluster(null);
    PodSpec pod = MemberStatefulSets.build(cluster, "demo-primary", 1, "dirkdb/dirk:test").getSpec().getTemplate()
        .getSpec();
    List<String> every = new ArrayList<>(pod.getContainers().get(0).getArgs());
    every.addAll(pod.getContainers().get(0).getLifecycle().getPreStop().getExec().getCommand());
    every.addAll(ProxyDeploymentDependent.proxyArgs(cluster));
    every.addAll(ProxyDeploymentDependent.cacheArgs(cluster));
    assertThat(every).noneMatch(arg -> arg.contains("tls"));
    assertThat(pod.getVolumes()).noneMatch(v -> v.getSecret() != null);
    assertThat(pod.getContainers().get(0).getEnv()).noneMatch(e -> e.getName().contains("TLS"));
  }
}
