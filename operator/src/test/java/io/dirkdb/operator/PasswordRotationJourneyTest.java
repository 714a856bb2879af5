package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.AuthSpec;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.testing.ContinuousWriter;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A user rotates every password of a running 3-member sync cluster as docs/reference-operator.md's "Rotating the password"
 * says, on the strict harness, while an application writes through the proxy without pause: the Secret named by
 * spec.auth.secretName edited in place (previous- keys with the old values, new values in the main keys), the
 * members rolled by role, the proxy Deployment's pods replaced (the application moving to each new proxy pod and
 * to the new password, as it may until step 3), then the previous- keys removed and a second roll. Afterwards only
 * the new passwords open a connection, and a failover (SIGKILL of the primary) works on them.
 */
@QuarkusTest
class PasswordRotationJourneyTest {

  private static final String NAME = "ha";
  private static final String SECRET = "ha-passwords";
  private static final List<String> MEMBERS = List.of("ha-primary-0", "ha-secondary-0", "ha-secondary-1");

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void rotatingEveryPasswordAsTheReadmeSaysFailsNoWriteLosesNoneAndAFailoverAfterwardsWorks() throws Exception {
    String ns = "journey-rotation";
    Map<String, String> first = Map.of("password", "app-first-0123456789", "replication-password",
        "repl-first-0123456789", "admin-password", "admin-first-0123456789");
    Map<String, String> second = Map.of("password", "app-second-0123456789", "replication-password",
        "repl-second-0123456789", "admin-password", "admin-second-0123456789");
    writeSecret(ns, first);
    try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, "ha-sync.yaml",
        ConfigMapVolumes.defaultSyncPeriod(), c -> {
          AuthSpec auth = new AuthSpec();
          auth.setSecretName(SECRET);
          c.getSpec().setAuth(auth);
        })) {
      live.useApplicationPassword(first.get("password"));
      List<ContinuousWriter> writers = new ArrayList<>();
      LiveCluster.ProxyPod proxy = live.startProxyPod("ha-proxy-first");
      createTable(proxy.port(), first.get("password"));
      ContinuousWriter writer = write(proxy.port(), first.get("password"), 0, writers);
      awaitAcks(writers, 20);

      // Step 1: one edit, the old values under previous-*, the new ones in the main keys.
      Map<String, String> rotating = new LinkedHashMap<>(second);
      first.forEach((key, value) -> rotating.put("previous-" + key, value));
      String primaryBefore = cluster(ns).getStatus().getCurrentPrimary();
      int startsBefore = live.memberStarts().size();
      writeSecret(ns, rotating);
      // The proxy Deployment rolls too: its new pod reads both application passwords; the application moves to it
      // and to the new password (a new connection; the old pod's connection is closed between two writes).
      LiveCluster.ProxyPod rotatingProxy = live.startProxyPod("ha-proxy-rotating");
      ContinuousWriter moved = write(rotatingProxy.port(), second.get("password"), 1_000_000, writers);
      writer.close();
      proxy.close();
      // Step 2: wait for the roll.
      List<String> firstRoll = awaitRolled(ns, live, startsBefore);
      assertRolledByRole(firstRoll, primaryBefore, cluster(ns).getStatus().getCurrentPrimary());
      live.useApplicationPassword(second.get("password"));
      awaitAcks(writers, acks(writers) + 20);

      // Step 3: the previous- keys removed; another roll, of the members and of the proxy.
      primaryBefore = cluster(ns).getStatus().getCurrentPrimary();
      startsBefore = live.memberStarts().size();
      writeSecret(ns, second);
      LiveCluster.ProxyPod rotatedProxy = live.startProxyPod("ha-proxy-rotated");
      ContinuousWriter last = write(rotatedProxy.port(), second.get("password"), 2_000_000, writers);
      moved.close();
      rotatingProxy.close();
      List<String> secondRoll = awaitRolled(ns, live, startsBefore);
      assertRolledByRole(secondRoll, primaryBefore, cluster(ns).getStatus().getCurrentPrimary());
      awaitAcks(writers, acks(writers) + 20);
      last.close();

      long failed = writers.stream().mapToLong(ContinuousWriter::failures).sum();
      Set<Long> acked = rowIds(writers);
      String primary = primaryByHeartbeat(live);
      Set<Long> lost = new TreeSet<>(acked);
      lost.removeAll(ids(live, primary));
      System.out.printf("password rotation of a 3-member sync cluster: %d writes acknowledged, %d failed, %d lost; "
          + "rolls %s then %s%n", acked.size(), failed, lost.size(), firstRoll, secondRoll);
      assertThat(failed).as("writes that failed through the proxy during the rotation (last error: %s)",
          writers.stream().map(ContinuousWriter::lastError).filter(e -> e != null).toList()).isZero();
      assertThat(lost).as("acknowledged writes missing from the primary").isEmpty();

      // Only the new passwords open a connection now, on every member.
      for (String member : MEMBERS) {
        for (String old : first.values()) {
          try (DirkConnection c = DirkConnection.open(live.member(member).host(), live.member(member).port())) {
            assertThat(c.authenticate(old).isError()).as("an old password on %s", member).isTrue();
          }
        }
      }

      // A failover after the rotation: SIGKILL of the primary; the operator fences and promotes with the new
      // administration password, members follow with the new replication one; writes resume, none lost.
      ContinuousWriter afterwards = write(rotatedProxy.port(), second.get("password"), 3_000_000, writers);
      awaitAcks(List.of(afterwards), 20);
      live.holdRestarts(primary, true); // its node is down: the kubelet does not bring it back meanwhile
      live.kill(primary);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isNotEqualTo(primary);
        assertThat(c.getStatus().getLastFailover().getFromPrimary()).isEqualTo(primary);
        assertThat(c.getStatus().getLastFailover().getCompletedAt()).isNotNull();
      });
      int before = afterwards.acks().size();
      await().atMost(Duration.ofSeconds(30)).until(() -> afterwards.acks().size() >= before + 20);
      afterwards.close();
      String promoted = cluster(ns).getStatus().getCurrentPrimary();
      Set<Long> afterAcked = rowIds(List.of(afterwards));
      afterAcked.removeAll(ids(live, promoted));
      assertThat(afterAcked).as("writes acknowledged around the failover, missing from the new primary").isEmpty();
      assertThat(ids(live, promoted)).containsAll(acked);
      live.holdRestarts(primary, false);
    }
  }

  /**
   * The mistake a rotation procedure must survive: the new passwords written in one step, without the previous-
   * keys. Rolled members could not reach the others (nor the operator them, with its new administration
   * password): the operator does not roll, keeps using the passwords the members run on, and asks for the
   * previous- keys (condition CredentialsApplied False, Warning Event RotationNeedsPreviousPassword). Writes keep
   * flowing through a proxy on the old password.
   */
  @Test
  void aRotationWrittenInOneStepWithoutThePreviousKeysIsNotRolledKeepsWritesFlowingAndAsksForThePreviousKeys()
      throws Exception {
    String ns = "rotation-one-step";
    Map<String, String> first = Map.of("password", "app-first-0123456789", "replication-password",
        "repl-first-0123456789", "admin-password", "admin-first-0123456789");
    Map<String, String> second = Map.of("password", "app-second-0123456789", "replication-password",
        "repl-second-0123456789", "admin-password", "admin-second-0123456789");
    writeSecret(ns, first);
    try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, "ha-sync.yaml",
        ConfigMapVolumes.defaultSyncPeriod(), c -> {
          AuthSpec a = new AuthSpec();
          a.setSecretName(SECRET);
          c.getSpec().setAuth(a);
        })) {
      live.useApplicationPassword(first.get("password"));
      LiveCluster.ProxyPod oldProxy = live.startProxyPod("ha-proxy-old");
      createTable(oldProxy.port(), first.get("password"));
      List<ContinuousWriter> writers = new ArrayList<>();
      writers.add(new ContinuousWriter("127.0.0.1", oldProxy.port(), first.get("password"), List.of("ampiasao shop"),
          n -> "manampia ao@ item (id) sanda (" + n + ")"));
      awaitAcks(writers, 20);

      int startsBefore = live.memberStarts().size();
      writeSecret(ns, second);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(cluster(ns).getStatus()
          .condition("CredentialsApplied")).hasValueSatisfying(cond -> {
            assertThat(cond.getStatus()).isEqualTo("False");
            assertThat(cond.getReason()).isEqualTo("RotationNeedsPreviousPassword");
            assertThat(cond.getMessage()).contains("previous-password", "previous-admin-password");
          }));
      assertThat(client.v1().events().inNamespace(ns).list().getItems())
          .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("RotationNeedsPreviousPassword"));
      // Well past a lease and a heartbeat timeout: writes still acknowledged, no member restarted.
      int base = acks(writers);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(acks(writers))
          .as("writes acknowledged after a one-step rotation (status %s; last error %s)",
              cluster(ns).getStatus().getConditions(), writers.get(0).lastError())
          .isGreaterThanOrEqualTo(base + 40));
      assertThat(live.memberStarts().subList(startsBefore, live.memberStarts().size())).as("members restarted")
          .isEmpty();
      for (ContinuousWriter w : writers) {
        w.close();
      }
    }
  }

  private void writeSecret(String ns, Map<String, String> values) {
    Map<String, String> data = new LinkedHashMap<>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    if (client.secrets().inNamespace(ns).withName(SECRET).get() == null) {
      client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(SECRET).endMetadata()
          .withData(data).build()).create();
      return;
    }
    // kubectl edit: the whole data replaced (removed keys go), the labels kept.
    Kubelet.retryOnConflict(() -> client.secrets().inNamespace(ns).withName(SECRET)
        .edit(s -> new SecretBuilder(s).withData(data).build()));
  }

  private static void createTable(int port, String password) throws IOException {
    // Ready does not mean writable at once: an empty primary waits for its secondaries' answers.
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
      try (DirkConnection c = DirkConnection.open("127.0.0.1", port)) {
        LiveCluster.check(c.authenticate(password));
        c.execute("manamboara tahiry shop");
        LiveCluster.check(c.execute("ampiasao shop"));
        LiveCluster.check(c.execute("manamboara tabilao item(id ISA(null,null))"));
      }
    });
  }

  /** Where each writer's row ids start: its n-th write inserts row firstId + n. */
  private final Map<ContinuousWriter, Long> firstIds = new java.util.concurrent.ConcurrentHashMap<>();

  /** An application writing through the proxy pod at {@code port}; its row ids start at {@code firstId}. */
  private ContinuousWriter write(int port, String password, long firstId, List<ContinuousWriter> writers) {
    ContinuousWriter writer = new ContinuousWriter("127.0.0.1", port, password, List.of("ampiasao shop"),
        n -> "manampia ao@ item (id) sanda (" + (firstId + n) + ")");
    firstIds.put(writer, firstId);
    writers.add(writer);
    return writer;
  }

  /** The ids of the rows whose insert was acknowledged. */
  private Set<Long> rowIds(List<ContinuousWriter> writers) {
    return writers.stream().flatMap(w -> w.acks().stream().map(a -> firstIds.get(w) + a.number()))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static int acks(List<ContinuousWriter> writers) {
    return writers.stream().mapToInt(w -> w.acks().size()).sum();
  }

  private static void awaitAcks(List<ContinuousWriter> writers, int count) {
    await().atMost(Duration.ofSeconds(30)).until(() -> acks(writers) >= count);
  }

  /**
   * Waits until every member pod was restarted once since {@code startsBefore} and the roll is over (condition
   * RollingUpdate False, the cluster Ready, every member Ready); returns the pods in the order they started.
   */
  private List<String> awaitRolled(String ns, LiveCluster live, int startsBefore) {
    await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
      List<String> starts = live.memberStarts();
      assertThat(starts.subList(startsBefore, starts.size())).containsExactlyInAnyOrderElementsOf(MEMBERS);
      DirkCluster c = cluster(ns);
      assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Ready);
      assertThat(c.getStatus().getReadyMembers()).isEqualTo("3/3");
      assertThat(c.getStatus().condition("RollingUpdate")).hasValueSatisfying(cond ->
          assertThat(cond.getStatus()).isEqualTo("False"));
    });
    List<String> starts = live.memberStarts();
    return List.copyOf(starts.subList(startsBefore, starts.size()));
  }

  /** Secondaries first, the primary last, after a switchover handed its role to another member. */
  private static void assertRolledByRole(List<String> order, String primaryBefore, String primaryAfter) {
    assertThat(order).hasSize(3);
    assertThat(order.get(2)).as("the last pod restarted by the roll %s", order).isEqualTo(primaryBefore);
    assertThat(primaryAfter).as("the primary after the roll").isNotEqualTo(primaryBefore);
  }

  private static String primaryByHeartbeat(LiveCluster live) {
    return live.runningMembers().stream().filter(p -> {
      try (DirkConnection c = live.connect(p)) {
        return HeartbeatReport.parse(c.execute("dirk heartbeat").messageText()).isPrimary();
      } catch (IOException e) {
        return false;
      }
    }).findFirst().orElseThrow();
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private static Set<Long> ids(LiveCluster live, String pod) throws IOException {
    Set<Long> ids = new TreeSet<>();
    for (List<Object> row : live.contents(pod).getOrDefault("shop.item", List.of())) {
      ids.add(((Number) row.get(0)).longValue());
    }
    return ids;
  }
}
