package io.dirkdb.operator;

import static io.dirkdb.operator.TestClusters.PATIENCE;
import static io.dirkdb.operator.TestClusters.awaitChildren;
import static io.dirkdb.operator.TestClusters.standardChildren;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A spec change changes exactly the children that depend on it, in the right order. */
@QuarkusTest
class ChangesTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void scalingSecondariesChangesOnlyTheSecondariesAndTheConfig() throws Exception {
    String ns = "change-scale";
    Map<String, String> before = startBasicCluster(ns);

    edit(ns, c -> c.getSpec().setSecondaries(3));
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(statefulSet(ns, "demo-secondary").getSpec().getReplicas()).isEqualTo(3);
      assertThat(new ObjectMapper().readTree(configJson(ns)).get("instances")).hasSize(4);
    });
    awaitReconciled(ns);
    assertThat(changedSince(ns, before)).containsExactlyInAnyOrder("StatefulSet/demo-secondary", "ConfigMap/demo-config");

    edit(ns, c -> c.getSpec().setSecondaries(1));
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(statefulSet(ns, "demo-secondary").getSpec().getReplicas()).isEqualTo(1));
    // The removed members' volume claims stay unless the spec asks to delete them.
    assertThat(statefulSet(ns, "demo-secondary").getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled())
        .isEqualTo("Retain");

    edit(ns, c -> c.getSpec().getStorage().setDeleteClaimOnScaleDown(true));
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(statefulSet(ns, "demo-secondary").getSpec()
        .getPersistentVolumeClaimRetentionPolicy().getWhenScaled()).isEqualTo("Delete"));
  }

  @Test
  void imageChangeReachesBothTemplatesAndRestartsNoPodByItself() {
    // The member StatefulSets are OnDelete: the operator replaces pods by role (PlannedOperationsTest),
    // so both templates take the new image at once and the StatefulSet controller restarts nothing.
    String ns = "change-image";
    startBasicCluster(ns);
    edit(ns, c -> c.getSpec().setImage("dirkdb/dirk:0.2.0"));
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(memberImage(ns, "demo-secondary")).isEqualTo("dirkdb/dirk:0.2.0");
      assertThat(memberImage(ns, "demo-primary")).isEqualTo("dirkdb/dirk:0.2.0");
    });
    for (String sts : new String[] {"demo-primary", "demo-secondary"}) {
      assertThat(statefulSet(ns, sts).getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
      assertThat(statefulSet(ns, sts).getSpec().getTemplate().getSpec().getContainers().get(0).getLifecycle()
          .getPreStop().getExec().getCommand()).containsSequence("/usr/local/bin/dirk", "step-down");
    }
  }

  @Test
  void aRotatedPasswordSecretRollsTheMembersAndTheProxyAndStaysAsTheUserWroteIt() {
    // A rotation (docs/reference-operator.md, "Rotating the password"): the old passwords go under previous-*, the new ones under the
    // main keys, in one edit. The pods read passwords at start, so the operator rolls them: the hash of the
    // passwords in the pod templates changes (the members are then replaced by role, the proxy by its own
    // RollingUpdate), and the Secret stays exactly as the user wrote it.
    String ns = "change-password";
    Map<String, String> before = startBasicCluster(ns);
    String hashBefore = credentialsHash(memberTemplateAnnotations(ns, "demo-primary"));
    assertThat(hashBefore).isNotNull();
    var generated = client.secrets().inNamespace(ns).withName("demo-credentials").require();
    Map<String, String> rotated = new TreeMap<>(generated.getData());
    for (String key : java.util.List.of("password", "replication-password", "admin-password")) {
      rotated.put("previous-" + key, generated.getData().get(key));
      rotated.put(key, java.util.Base64.getEncoder().encodeToString(("rotated-" + key).getBytes()));
    }
    Kubelet.retryOnConflict(() -> client.secrets().inNamespace(ns).withName("demo-credentials").edit(s -> {
      s.setData(rotated);
      s.setStringData(null);
      return s;
    }));
    await().atMost(PATIENCE).untilAsserted(() -> {
      String primary = credentialsHash(memberTemplateAnnotations(ns, "demo-primary"));
      assertThat(primary).isNotEqualTo(hashBefore);
      assertThat(credentialsHash(memberTemplateAnnotations(ns, "demo-secondary"))).isEqualTo(primary);
      assertThat(credentialsHash(client.apps().deployments().inNamespace(ns).withName("demo-proxy").require()
          .getSpec().getTemplate().getMetadata().getAnnotations())).isEqualTo(primary);
    });
    awaitReconciled(ns);
    assertThat(changedSince(ns, before)).contains("Secret/demo-credentials", "StatefulSet/demo-primary",
        "StatefulSet/demo-secondary", "Deployment/demo-proxy");
    assertThat(client.secrets().inNamespace(ns).withName("demo-credentials").require().getData()).isEqualTo(rotated);
  }

  private Map<String, String> memberTemplateAnnotations(String ns, String name) {
    return client.apps().statefulSets().inNamespace(ns).withName(name).require().getSpec().getTemplate().getMetadata()
        .getAnnotations();
  }

  private static String credentialsHash(Map<String, String> annotations) {
    return annotations == null ? null : annotations.get("dirkdb.io/credentials-hash");
  }

  @Test
  void aMemberHeapShareReachesTheMembersCommandOnlyOnceSet() {
    String ns = "change-heap-share";
    startBasicCluster(ns);
    assertThat(memberArgs(ns, "demo-primary")).doesNotContain("--max-heap-share");
    edit(ns, c -> c.getSpec().getResources().setMemberMaxHeapShare(0.6));
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(memberArgs(ns, "demo-primary")).containsSubsequence("--max-heap-share", "0.6");
      assertThat(memberArgs(ns, "demo-secondary")).containsSubsequence("--max-heap-share", "0.6");
    });
  }

  @Test
  void theMembersPrimaryLeaseIsThreeHeartbeatIntervalsAndFollowsTheInterval() {
    // The probes renew the lease every interval, each renewal dated at the answer before it: a lease of only
    // two intervals (the member's 2000 ms default with 1000 ms probes) ran out at the slightest delay.
    String ns = "change-lease";
    startBasicCluster(ns);
    assertThat(memberArgs(ns, "demo-primary")).containsSubsequence("--primary-lease-ms", "3000");
    edit(ns, c -> c.getSpec().getFailover().setHeartbeatIntervalMs(2500));
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(memberArgs(ns, "demo-primary")).containsSubsequence("--primary-lease-ms", "7500");
      assertThat(memberArgs(ns, "demo-secondary")).containsSubsequence("--primary-lease-ms", "7500");
    });
    edit(ns, c -> c.getSpec().getFailover().setHeartbeatIntervalMs(200));
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(memberArgs(ns, "demo-primary")).containsSubsequence("--primary-lease-ms", "2000"));
  }

  private List<String> memberArgs(String ns, String statefulSet) {
    return client.apps().statefulSets().inNamespace(ns).withName(statefulSet).require().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getArgs();
  }

  @Test
  void cacheChangeRollsOnlyTheProxy() {
    String ns = "change-cache";
    Map<String, String> before = startBasicCluster(ns);

    edit(ns, c -> c.getSpec().getCache().setTtlMillis(10_000));
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(cacheContainer(ns).getArgs()).contains("10000"));
    awaitReconciled(ns);
    assertThat(changedSince(ns, before)).containsExactly("Deployment/demo-proxy");

    Map<String, String> cached = versions(ns);
    edit(ns, c -> c.getSpec().getCache().setEnabled(false));
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(client.apps().deployments().inNamespace(ns).withName("demo-proxy").require().getSpec().getTemplate()
          .getSpec().getContainers()).extracting(Container::getName).containsExactly("proxy");
      assertThat(client.services().inNamespace(ns).withName("demo-proxy").require().getSpec().getPorts())
          .extracting(ServicePort::getPort).containsExactly(3949);
    });
    awaitReconciled(ns);
    assertThat(changedSince(ns, cached)).containsExactlyInAnyOrder("Deployment/demo-proxy", "Service/demo-proxy");
  }

  @Test
  void aClusterNamingNoImageRunsTheOperatorsDefaultImage() {
    String ns = "change-default-image";
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    cluster.getSpec().setImage(null);
    TestClusters.create(client, ns, cluster);
    awaitChildren(client, ns, standardChildren("demo", true));
    // dirk.operator.default-image, which the chart sets from its dirkImage values (in tests: operator-default).
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(memberImage(ns, "demo-primary")).isEqualTo("dirkdb/dirk:operator-default");
      assertThat(memberImage(ns, "demo-secondary")).isEqualTo("dirkdb/dirk:operator-default");
      assertThat(cacheContainer(ns).getImage()).isEqualTo("dirkdb/dirk:operator-default");
      // dirk.operator.default-image-pull-policy (the chart's dirkImage.pullPolicy; in tests: Never).
      assertThat(statefulSet(ns, "demo-primary").getSpec().getTemplate().getSpec().getContainers().get(0)
          .getImagePullPolicy()).isEqualTo("Never");
    });
  }

  @Test
  void workloadsAreCreatedAfterTheConfigMapAndServiceAccountTheirPodsNeed() {
    String ns = "change-order";
    Map<String, String> versions = startBasicCluster(ns);
    // The API server's resourceVersions grow with every write: a smaller one was written first.
    long config = Long.parseLong(versions.get("ConfigMap/demo-config"));
    long account = Long.parseLong(versions.get("ServiceAccount/demo-dirkdb"));
    for (String workload : new String[] {"StatefulSet/demo-primary", "StatefulSet/demo-secondary",
        "Deployment/demo-proxy"}) {
      assertThat(Long.parseLong(versions.get(workload))).as(workload).isGreaterThan(config).isGreaterThan(account);
    }
  }

  /** Creates examples/basic.yaml in the namespace and returns the resourceVersion of every child. */
  private Map<String, String> startBasicCluster(String ns) {
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    awaitChildren(client, ns, standardChildren("demo", true));
    awaitReconciled(ns);
    return versions(ns);
  }

  /** Waits until the operator has recorded a status for the current generation of the spec. */
  private void awaitReconciled(String ns) {
    await().atMost(PATIENCE).untilAsserted(() -> {
      DirkCluster cluster = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require();
      assertThat(cluster.getStatus()).isNotNull();
      assertThat(cluster.getStatus().getObservedGeneration()).isEqualTo(cluster.getMetadata().getGeneration());
    });
  }

  /** Changes the spec and checks that the API server counted a new generation, which awaitReconciled uses. */
  private void edit(String ns, Consumer<DirkCluster> change) {
    long before = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require().getMetadata()
        .getGeneration();
    // As kubectl edit: the operator may write the status between our read and write; read again then.
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName("demo").edit(c -> {
      change.accept(c);
      return c;
    }));
    assertThat(client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require().getMetadata()
        .getGeneration()).isGreaterThan(before);
  }

  private Map<String, String> versions(String ns) {
    Map<String, String> versions = new TreeMap<>();
    TestClusters.children(client, ns).forEach(o ->
        versions.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
    return versions;
  }

  private Set<String> changedSince(String ns, Map<String, String> before) {
    Map<String, String> now = versions(ns);
    Set<String> changed = new java.util.TreeSet<>();
    now.forEach((key, version) -> {
      if (!version.equals(before.get(key))) {
        changed.add(key);
      }
    });
    before.keySet().stream().filter(k -> !now.containsKey(k)).forEach(changed::add);
    return changed;
  }

  private StatefulSet statefulSet(String ns, String name) {
    return client.apps().statefulSets().inNamespace(ns).withName(name).require();
  }

  private String memberImage(String ns, String name) {
    return statefulSet(ns, name).getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
  }

  private String configJson(String ns) {
    return client.configMaps().inNamespace(ns).withName("demo-config").require().getData().get("config.json");
  }

  private Container cacheContainer(String ns) {
    return client.apps().deployments().inNamespace(ns).withName("demo-proxy").require().getSpec().getTemplate().getSpec()
        .getContainers().stream().filter(c -> c.getName().equals("cache")).findFirst().orElseThrow();
  }
}
