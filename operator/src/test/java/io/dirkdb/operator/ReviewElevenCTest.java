package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.AuthSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.dependent.PodDefaults;
import io.dirkdb.testing.ContinuousWriter;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Hostile review (issue 11) of the branches o-fail (abandoned switchovers, first heartbeats after a restart) and
 * o-sec (watched Secrets). Each test states a promise a production operator must keep and that the merged code
 * breaks.
 */
@QuarkusTest
class ReviewElevenCTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  /**
   * README: "An old primary that stops answering during a switchover (its pod gone, or silent for
   * failureThreshold heartbeats) is not handed over any more: the rest is a failover." Once the record says
   * {@code Abandoning}, resume() only ever tries to promote the old primary back: when that primary dies (the
   * very member whose fence did not complete), the cluster stays with its only pod labelled {@code fenced}, no
   * primary, and a healthy secondary that is never promoted.
   */
  @Test
  void anAbandoningSwitchoverWhoseOldPrimaryDiesFailsOverInsteadOfWaitingForItForever() throws Exception {
    String ns = "review-c-abandoning-dead-end";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10))
          .until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
      // The old primary answers heartbeats but neither its fence nor its promote back gets through: the
      // switchover is abandoned (FenceTimedOut) and stays at step Abandoning while the promote back fails.
      ControlRelay relay = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() > 0);
      relay.drop("dirk fence", "dirk promote");
      setTargetPrimary(ns, SECONDARY);
      await().atMost(Duration.ofSeconds(60)).until(() -> "Abandoning".equals(step(ns)));

      // Then the old primary dies for good (its node is down).
      live.holdRestarts(PRIMARY, true);
      live.kill(PRIMARY);

      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary())
            .as("current primary %s s after the old primary died; lastFailover=%s, roles: %s=%s %s=%s",
                60, c.getStatus().getLastFailover(), PRIMARY, role(ns, PRIMARY), SECONDARY, role(ns, SECONDARY))
            .isEqualTo(SECONDARY);
        assertThat(heartbeat(live, SECONDARY).isPrimary()).isTrue();
        assertThat(role(ns, SECONDARY)).isEqualTo("primary");
      });
      FailoverTest.writeRows(live, SECONDARY, 4, 6);
    }
  }

  /**
   * "A switchover that cannot reach the target's promotion is abandoned" within
   * dirk.operator.switchover.timeout-seconds: the bound covers the fence and the catch-up, not the promote
   * itself. A target that answers heartbeats (so it is never "lost") but never takes its promote (refused: a
   * password it does not know yet after a one-step rotation, a full disk; or unanswered) keeps the record at
   * step Promoting for good: the old primary stays labelled fenced and fenced, no pod is selected by
   * demo-primary, and writes wait at the proxy with no end.
   */
  @Test
  void aSwitchoverWhoseTargetNeverTakesItsPromoteIsAbandonedWithinTheBound() throws Exception {
    String ns = "review-c-promote-never-taken";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay target = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0);
      target.drop("dirk promote");
      setTargetPrimary(ns, SECONDARY);
      await().atMost(Duration.ofSeconds(20)).until(() -> "Promoting".equals(step(ns)));

      // 20 s is the test profile's bound; twice that and more is plenty.
      await().atMost(Duration.ofSeconds(50)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getLastFailover().getStep())
            .as("lastFailover %s; roles: %s=%s %s=%s", c.getStatus().getLastFailover(), PRIMARY, role(ns, PRIMARY),
                SECONDARY, role(ns, SECONDARY))
            .isEqualTo("Abandoned");
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
        assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
      });
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
    }
  }

  /**
   * A user's Secret replaced by delete and create (`kubectl replace --force`, a GitOps or sealed-secrets tool)
   * is missing for a moment. The watch makes the operator see that moment: its pass computes the credentials
   * hash of a missing Secret (null), strips the annotation from every pod template and so starts a roll of
   * every member and proxy towards pods that cannot start (their Secret is gone), then another roll back once
   * it is recreated with the same passwords. A missing Secret must leave the templates as they were.
   */
  @Test
  void aUsersSecretMissingForAMomentLeavesThePodTemplatesAsTheyWere() {
    String ns = "review-c-secret-recreated";
    Map<String, String> passwords = Map.of("password", "app", "replication-password", "repl",
        "admin-password", "adm");
    putSecret(ns, "app-passwords", passwords);
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    AuthSpec auth = new AuthSpec();
    auth.setSecretName("app-passwords");
    cluster.getSpec().setAuth(auth);
    TestClusters.create(client, ns, cluster);
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren(NAME, false));
    await().atMost(Duration.ofSeconds(20)).until(() -> credentialsHashes(ns).stream().noneMatch("none"::equals));
    List<String> before = credentialsHashes(ns);

    client.secrets().inNamespace(ns).withName("app-passwords").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.secrets().inNamespace(ns).withName("app-passwords")
        .get() == null);
    // One pass while it is missing (a spec change, so the test needs no timing of the watch).
    var edited = new java.util.concurrent.atomic.AtomicReference<DirkCluster>();
    Kubelet.retryOnConflict(() -> edited.set(client.resources(DirkCluster.class).inNamespace(ns).withName(NAME)
        .edit(c -> {
          c.getSpec().getProxy().setReplicas(c.getSpec().getProxy().getReplicas() + 1);
          return c;
        })));
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      DirkCluster c = cluster(ns);
      return c.getStatus() != null
          && edited.get().getMetadata().getGeneration().equals(c.getStatus().getObservedGeneration());
    });
    assertThat(credentialsHashes(ns))
        .as("credentials hash of the primary, secondary and proxy templates while their Secret is missing")
        .isEqualTo(before);
    putSecret(ns, "app-passwords", passwords);
  }


  /**
   * README, "Rotating the password": step 1 puts the old values under the previous- keys. A user who writes the
   * new passwords in one step, without the previous- keys (the mistake a rotation procedure must survive), gets
   * no warning and no refusal: the Secret's watch rolls the members at once. The operator itself switches to the
   * new administration password although no member knows it yet (its fallbacks are only previous-admin-password
   * and the application password): its lease renewals and every control statement are refused by the members not
   * yet restarted, and a restarted secondary cannot stream from the old primary with its new replication
   * password. The cluster must keep a primary that acknowledges writes (with the old password through the old
   * proxy, or the new one through a new proxy), whatever the operator then does with the roll.
   */
  @Test
  void aRotationWrittenInOneStepWithoutThePreviousKeysKeepsAWritablePrimary() throws Exception {
    String ns = "review-c-one-step-rotation";
    String secret = "ha-passwords";
    Map<String, String> first = Map.of("password", "app-first-0123456789", "replication-password",
        "repl-first-0123456789", "admin-password", "admin-first-0123456789");
    Map<String, String> second = Map.of("password", "app-second-0123456789", "replication-password",
        "repl-second-0123456789", "admin-password", "admin-second-0123456789");
    putSecret(ns, secret, first);
    try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, "ha-sync.yaml",
        ConfigMapVolumes.defaultSyncPeriod(), c -> {
          AuthSpec a = new AuthSpec();
          a.setSecretName(secret);
          c.getSpec().setAuth(a);
        })) {
      live.useApplicationPassword(first.get("password"));
      LiveCluster.ProxyPod oldProxy = live.startProxyPod("ha-proxy-old");
      createTable(oldProxy.port(), first.get("password"));
      List<ContinuousWriter> writers = new java.util.ArrayList<>();
      writers.add(new ContinuousWriter("127.0.0.1", oldProxy.port(), first.get("password"), List.of("ampiasao shop"),
          n -> "manampia ao@ item (id) sanda (" + n + ")"));
      await().atMost(Duration.ofSeconds(30)).until(() -> acks(writers) >= 20);

      int startsBefore = live.memberStarts().size();
      var data = new LinkedHashMap<String, String>();
      second.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
      Kubelet.retryOnConflict(() -> client.secrets().inNamespace(ns).withName(secret)
          .edit(s -> new SecretBuilder(s).withData(data).build()));
      LiveCluster.ProxyPod newProxy = live.startProxyPod("ha-proxy-new");
      writers.add(new ContinuousWriter("127.0.0.1", newProxy.port(), second.get("password"),
          List.of("ampiasao shop"), n -> "manampia ao@ item (id) sanda (" + (1_000_000 + n) + ")"));
      try {
        // The roll has restarted a member on the new passwords (if the operator rolls at all).
        await().atMost(Duration.ofSeconds(60)).until(() -> live.memberStarts().size() > startsBefore + 1);
      } catch (org.awaitility.core.ConditionTimeoutException notRolled) {
        // No roll: acceptable, the old passwords still serve.
      }
      int base = acks(writers);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(acks(writers))
          .as("writes acknowledged through either proxy after a one-step rotation (restarted %s; status %s; last "
              + "errors %s)", live.memberStarts().subList(startsBefore, live.memberStarts().size()),
              cluster(ns, "ha").getStatus().getConditions(),
              writers.stream().map(ContinuousWriter::lastError).toList())
          .isGreaterThanOrEqualTo(base + 20));
      for (ContinuousWriter w : writers) {
        w.close();
      }
    }
  }

  private static int acks(List<ContinuousWriter> writers) {
    return writers.stream().mapToInt(w -> w.acks().size()).sum();
  }

  private static void createTable(int port, String password) {
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
      try (DirkConnection c = DirkConnection.open("127.0.0.1", port)) {
        LiveCluster.check(c.authenticate(password));
        c.execute("manamboara tahiry shop");
        LiveCluster.check(c.execute("ampiasao shop"));
        LiveCluster.check(c.execute("manamboara tabilao item(id ISA(null,null))"));
      }
    });
  }

  private DirkCluster cluster(String ns, String name) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(name).require();
  }

  // ---- helpers

  private void putSecret(String ns, String name, Map<String, String> values) {
    var data = new LinkedHashMap<String, String>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
        .withData(data).build()).create();
  }

  private List<String> credentialsHashes(String ns) {
    var primary = client.apps().statefulSets().inNamespace(ns).withName(NAME + "-primary").get();
    var secondary = client.apps().statefulSets().inNamespace(ns).withName(NAME + "-secondary").get();
    var proxy = client.apps().deployments().inNamespace(ns).withName(NAME + "-proxy").get();
    return List.of(hash(primary == null ? null : primary.getSpec().getTemplate().getMetadata()),
        hash(secondary == null ? null : secondary.getSpec().getTemplate().getMetadata()),
        hash(proxy == null ? null : proxy.getSpec().getTemplate().getMetadata()));
  }

  private static String hash(ObjectMeta template) {
    return Optional.ofNullable(template).map(ObjectMeta::getAnnotations)
        .map(a -> a.get(PodDefaults.CREDENTIALS_HASH_ANNOTATION)).orElse("none");
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

  private String step(String ns) {
    DirkCluster c = cluster(ns);
    return c.getStatus() == null || c.getStatus().getLastFailover() == null ? null
        : c.getStatus().getLastFailover().getStep();
  }

  private String role(String ns, String pod) {
    Pod p = client.pods().inNamespace(ns).withName(pod).get();
    return p == null ? null : p.getMetadata().getLabels().get("dirkdb.io/role");
  }

  private static HeartbeatReport heartbeat(LiveCluster live, String pod) throws IOException {
    try (DirkConnection c = live.connect(pod)) {
      return HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
    }
  }
}
