package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.failover.ClusterProber;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 11: the first passes of an operator that restarted (a new process: no probe results yet,
 * the members' leases not renewed while it was away) must not take a healthy cluster for a broken one.
 */
@QuarkusTest
class OperatorRestartTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  Operator operator;

  @Inject
  ClusterProber prober;

  /**
   * A primary whose readiness probe fails (a busy node) but which answers heartbeats is not lost. A new
   * operator has heard no member yet: its first pass took the primary's NotReady alone for a loss and,
   * with no secondary heard either, reported a blocked failover (sync) or started one (async).
   */
  @Test
  void aNotReadyPrimaryThatAnswersIsNeitherFailedOverNorBlockedAfterAnOperatorRestart() throws Exception {
    String ns = "restart-not-ready";
    // Probes every second (so a probe times out after 1 s): a heartbeat answered late is not a miss.
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 2,
        spec -> spec.getFailover().setHeartbeatIntervalMs(1000))) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      // Heartbeats answered 300 ms late (a real network, TLS, a busy node; well within the 1 s interval): a
      // new operator's first pass runs before the first answers are in, as it would on a cluster.
      List<ControlRelay> relays = List.of(live.relay(PRIMARY), live.relay(SECONDARY), live.relay(SECONDARY_1));
      await().atMost(Duration.ofSeconds(10)).until(() -> relays.stream().allMatch(r -> r.connections() > 0));
      relays.forEach(r -> r.delay(Duration.ofMillis(300), "dirk heartbeat"));
      Kubelet.setRunning(client, ns, PRIMARY, live.member(PRIMARY).host(), false);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(cluster(ns).getStatus().getMembers())
          .anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo(PRIMARY);
            assertThat(m.isReady()).isFalse();
          }));
      Set<String> failingOverReasons = sampleFailingOverReasons(ns, () -> {
        for (Duration away : List.of(Duration.ZERO, Duration.ofSeconds(3))) {
          OperatorRestart.restartAsANewProcess(operator, client, prober, away);
          await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).untilAsserted(() ->
              assertThat(eventReasons(ns)).doesNotContain("FailoverBlocked", "FailoverStarted"));
        }
      });
      assertThat(failingOverReasons).doesNotContain("FailoverBlocked", "FailoverStarted");
      assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
      assertThat(cluster(ns).getStatus().getLastFailover()).isNull();
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
    }
  }

  /**
   * Sync mode, an operator restarted between the election and the promotion of a failover: the resumed
   * pass reads the candidates again before it promotes. It skipped every member its new prober had not
   * heard yet, took them for silent (one of them may hold the newest acknowledged writes) and reported the
   * failover blocked until the next pass.
   */
  @Test
  void aSyncFailoverResumedByARestartedOperatorIsNeverReportedBlocked() throws Exception {
    String ns = "restart-mid-failover";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 2, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      List<ControlRelay> relays = List.of(live.relay(SECONDARY), live.relay(SECONDARY_1));
      relays.forEach(r -> r.holdPromotions(true));
      await().atMost(Duration.ofSeconds(10)).until(() -> relays.stream().allMatch(r -> r.connections() > 0));
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(relays.stream().mapToInt(ControlRelay::promotionsCut).sum()).isPositive();
        assertThat(cluster(ns).getStatus().getLastFailover().getStep()).isEqualTo("Promoting");
      });
      // Heartbeats answered 300 ms late from now on (a real network, TLS): the resumed pass runs before the
      // new prober's first answers are in, as it would on a cluster.
      relays.forEach(r -> r.delay(Duration.ofMillis(300), "dirk heartbeat"));
      Set<String> failingOverReasons = sampleFailingOverReasons(ns, () -> {
        OperatorRestart.stopLikeAPodDeletion(operator);
        try {
          client.resources(DirkCluster.class).inAnyNamespace().list().getItems()
              .forEach(c -> prober.forget(io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(c)));
          FailoverTest.expireOperatorLease(client);
          relays.forEach(r -> r.holdPromotions(false));
        } finally {
          operator.start();
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
            assertThat(cluster(ns).getStatus().getLastFailover().getCompletedAt()).isNotNull());
      });
      assertThat(eventReasons(ns)).doesNotContain("FailoverBlocked");
      assertThat(failingOverReasons).doesNotContain("FailoverBlocked");
      assertThat(cluster(ns).getStatus().getCurrentPrimary()).isIn(SECONDARY, SECONDARY_1);
    }
  }

  /** Runs {@code during} while sampling the FailingOver condition's reason every 20 ms; returns the reasons seen. */
  private Set<String> sampleFailingOverReasons(String ns, ThrowingRunnable during) throws Exception {
    Set<String> reasons = ConcurrentHashMap.newKeySet();
    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
    try {
      watcher.scheduleWithFixedDelay(() -> {
        try {
          cluster(ns).getStatus().condition("FailingOver").map(Condition::getReason).ifPresent(reasons::add);
        } catch (RuntimeException e) {
          // the API server busy: the next sample looks again (a blocked failover also leaves its Event)
        }
      }, 0, 20, TimeUnit.MILLISECONDS);
      during.run();
    } finally {
      watcher.shutdownNow();
    }
    return reasons;
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private List<String> eventReasons(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && NAME.equals(e.getInvolvedObject().getName()))
        .map(Event::getReason).toList();
  }
}
