package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a user does, on the strict harness: the operator under the chart's RBAC ({@link RbacGate}), pods
 * made by the {@link StatefulSetController}, members as {@code dirk server} processes reading the
 * config.json their pods mount, which follows the ConfigMap only at the kubelet's next sync
 * ({@link ConfigMapVolumes}), and clients going through a real proxy that rereads its own config.json.
 */
@QuarkusTest
class JourneysTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void aRunningPodSeesAChangedConfigMapOnlyAtTheKubeletsNextSync(@TempDir Path root) throws Exception {
    String ns = "journey-configmap-sync";
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("c").endMetadata()
        .addToData("config.json", "one").build()).create();
    // A sync period longer than the test: the kubelet's pass comes only when the test says.
    try (ConfigMapVolumes volumes = new ConfigMapVolumes(client, ns, "c", "config.json", root, Duration.ofHours(1),
        text -> text)) {
      volumes.mount("running");
      client.configMaps().inNamespace(ns).withName("c").edit(c -> new ConfigMapBuilder(c).addToData("config.json", "two")
          .build());
      volumes.mount("started-after");
      assertThat(volumes.seen("started-after")).as("a pod that starts mounts the ConfigMap as it is").isEqualTo("two");
      assertThat(volumes.seen("running")).as("a running pod, before the kubelet's next sync").isEqualTo("one");
      volumes.syncNow();
      assertThat(volumes.seen("running")).isEqualTo("two");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"basic.yaml", "ha-sync.yaml"})
  void anExampleAppliedFromItsFileBecomesReadyAndTakesWritesThroughTheProxy(String example) throws Exception {
    String ns = "journey-" + example.replace(".yaml", "");
    try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, example,
        ConfigMapVolumes.defaultSyncPeriod())) {
      DirkCluster cluster = cluster(ns, live);
      String name = cluster.getMetadata().getName();
      live.startProxy();
      try (DirkConnection c = live.connectProxy()) {
        LiveCluster.check(c.execute("manamboara tahiry shop"));
        LiveCluster.check(c.execute("ampiasao shop"));
        LiveCluster.check(c.execute("manamboara tabilao item(id ISA(null,null))"));
        for (int id = 1; id <= 10; id++) {
          LiveCluster.check(c.execute("manampia ao@ item (id) sanda (" + id + ")"));
        }
      }
      List<String> members = new ArrayList<>(live.runningMembers());
      assertThat(members).hasSize(cluster.getSpec().getSecondaries() + 1);
      await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
        for (String member : members) {
          assertThat(ids(live, member)).as("rows on %s", member).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
      });
      assertThat(cluster(ns, live).getStatus().getCurrentPrimary()).isEqualTo(name + "-primary-0");
      assertThat(live.startFailures()).isEmpty();
      assertNoRbacRefusals(ns);
    }
  }

  @Test
  void scalingOneToThreeToOneSecondaryKeepsWritesWorkingAndStatusAndConfigFollow() throws Exception {
    String ns = "journey-scale";
    try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, "basic.yaml",
        ConfigMapVolumes.defaultSyncPeriod())) {
      live.startProxy();
      try (FailoverTest.Writer writer = new FailoverTest.Writer(live)) {
        writer.awaitAcks(20);

        editCluster(ns, c -> c.getSpec().setSecondaries(3));
        awaitMembers(ns, live, "demo-primary-0", "demo-secondary-0", "demo-secondary-1", "demo-secondary-2");
        writer.awaitAcks(writer.acked().size() + 20);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
          Set<Long> onPrimary = ids(live, "demo-primary-0");
          assertThat(ids(live, "demo-secondary-1")).containsAll(onPrimary.stream().limit(20).toList());
          assertThat(ids(live, "demo-secondary-2")).containsAll(onPrimary.stream().limit(20).toList());
        });

        editCluster(ns, c -> c.getSpec().setSecondaries(1));
        awaitMembers(ns, live, "demo-primary-0", "demo-secondary-0");
        writer.awaitAcks(writer.acked().size() + 20);
        writer.stop();

        assertThat(writer.failures()).as("writes that failed through the proxy while scaling").isZero();
        assertThat(ids(live, "demo-primary-0")).containsAll(writer.acked());
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
            assertThat(ids(live, "demo-secondary-0")).containsAll(writer.acked()));
      }
      // Members joined on empty volumes by following, left gracefully; none was started twice or rebuilt.
      assertThat(live.startFailures()).isEmpty();
      assertThat(live.memberStarts()).containsExactlyInAnyOrder("demo-primary-0", "demo-secondary-0",
          "demo-secondary-1", "demo-secondary-2");
      assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems()).isEmpty();
      assertThat(cluster(ns, live).getStatus().getCurrentPrimary()).isEqualTo("demo-primary-0");
      assertNoRbacRefusals(ns);
    }
  }

  @Test
  void aClusterDeletedAndRecreatedOverItsVolumesKeepsItsDataWithOnePrimaryChosenByLsn() throws Exception {
    String ns = "journey-recreate";
    try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, "basic.yaml",
        ConfigMapVolumes.defaultSyncPeriod())) {
      writeRows(live, "demo-primary-0", 1, 5, true);
      // A switchover first, so the primary is not the member the config.json calls MASTER.
      editCluster(ns, c -> c.getSpec().setTargetPrimary("demo-secondary-0"));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(cluster(ns, live).getStatus().getCurrentPrimary()).isEqualTo("demo-secondary-0");
        assertThat(cluster(ns, live).getStatus().getLastFailover().getCompletedAt()).isNotNull();
      });
      writeRows(live, "demo-secondary-0", 6, 8, false);

      // Deleted, the primary's pod waits for a hand-over that does not come (its preStop hook) and fences itself.
      live.deleteKeepingVolumes();
      TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
      awaitMembers(ns, live, "demo-primary-0", "demo-secondary-0");
      // No member answers primary now: the operator promotes the one with the highest LSN, whatever the
      // config.json calls MASTER, at a new epoch; the other follows it with the same rows.
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
        List<String> primaries = primariesByHeartbeat(live);
        assertThat(primaries).hasSize(1);
        DirkCluster c = cluster(ns, live);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(primaries.get(0));
        assertThat(c.getStatus().getLastFailover().getEpoch()).isGreaterThan(2L);
        assertThat(client.pods().inNamespace(ns).withLabel("dirkdb.io/role", "primary").list().getItems())
            .extracting(p -> p.getMetadata().getName()).containsExactlyElementsOf(primaries);
        for (String member : List.of("demo-primary-0", "demo-secondary-0")) {
          assertThat(ids(live, member)).as("rows on %s", member).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        }
      });
      String primary = cluster(ns, live).getStatus().getCurrentPrimary();
      writeRows(live, primary, 9, 9, false);
      assertThat(live.startFailures()).isEmpty();
      assertNoRbacRefusals(ns);
    }
  }

  private static List<String> primariesByHeartbeat(LiveCluster live) {
    List<String> primaries = new ArrayList<>();
    for (String pod : live.runningMembers()) {
      try (DirkConnection c = live.connect(pod)) {
        if (io.dirkdb.heartbeat.HeartbeatReport.parse(c.execute("dirk heartbeat").messageText()).isPrimary()) {
          primaries.add(pod);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return primaries;
  }

  /** Writes rows {@code from..to} into shop.item directly on {@code pod}, making the table first if asked. */
  private static void writeRows(LiveCluster live, String pod, int from, int to, boolean create) throws IOException {
    if (create) {
      // Ready does not mean writable: an empty primary refuses writes until its secondaries have answered
      // ("empty primary: waiting for ..."). The database's creation is the first write, refused whole until then.
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
        try (DirkConnection c = live.connect(pod)) {
          LiveCluster.check(c.execute("manamboara tahiry shop"));
        }
      });
    }
    try (DirkConnection c = live.connect(pod)) {
      if (create) {
        LiveCluster.check(c.execute("ampiasao shop"));
        LiveCluster.check(c.execute("manamboara tabilao item(id ISA(null,null))"));
      } else {
        LiveCluster.check(c.execute("ampiasao shop"));
      }
      for (int id = from; id <= to; id++) {
        LiveCluster.check(c.execute("manampia ao@ item (id) sanda (" + id + ")"));
      }
    }
  }

  /** The members run, the status lists them, ready, and config.json lists them in the ConfigMap and in the proxy's pod. */
  private void awaitMembers(String ns, LiveCluster live, String... pods) {
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(live.runningMembers()).containsExactlyInAnyOrder(pods);
      DirkCluster c = cluster(ns, live);
      assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Ready);
      assertThat(c.getStatus().getReadyMembers()).isEqualTo(pods.length + "/" + pods.length);
      assertThat(c.getStatus().getSecondaries()).isEqualTo(pods.length - 1);
      assertThat(c.getStatus().getMembers()).extracting(MemberStatus::getName).containsExactlyInAnyOrder(pods);
      assertThat(c.getStatus().getMembers()).allSatisfy(m -> assertThat(m.getEpoch()).isNotNull());
      String config = client.configMaps().inNamespace(ns).withName("demo-config").require().getData().get("config.json");
      assertThat(instances(config)).containsExactlyInAnyOrder(pods);
      if (live.proxyMountedConfig() != null) {
        assertThat(instances(live.proxyMountedConfig())).containsExactlyInAnyOrder(pods);
      }
    });
  }

  private static List<String> instances(String configJson) throws IOException {
    List<String> ids = new ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(configJson).path("instances")
        .forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }

  private void assertNoRbacRefusals(String ns) {
    Harness.RbacState rbac = Harness.rbac(client);
    if (rbac.enforced()) {
      assertThat(rbac.refusals()).noneMatch(r -> r.contains(ns));
    } else {
      System.out.println("[RBAC not enforced] " + rbac.reason());
    }
  }

  private DirkCluster cluster(String ns, LiveCluster live) {
    return client.resources(DirkCluster.class).inNamespace(ns).list().getItems().get(0);
  }

  private void editCluster(String ns, Consumer<DirkCluster> change) {
    String name = client.resources(DirkCluster.class).inNamespace(ns).list().getItems().get(0).getMetadata().getName();
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(name).edit(c -> {
      change.accept(c);
      return c;
    }));
  }

  private static Set<Long> ids(LiveCluster live, String pod) throws IOException {
    Set<Long> ids = new TreeSet<>();
    for (List<Object> row : live.contents(pod).getOrDefault("shop.item", List.of())) {
      ids.add(((Number) row.get(0)).longValue());
    }
    return ids;
  }
}
