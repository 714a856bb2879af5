package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.dependent.MemberStatefulSets;
import io.dirkdb.operator.failover.ClusterProber;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Review of the lease-fix branch: members now start with {@code --primary-lease-ms max(2000, 3 x interval)}, but
 * an operator that never heard the old primary's heartbeat (restarted while it was cut off) still waits out the
 * member's default lease, 2000 ms, before promoting past it.
 */
@QuarkusTest
class LeaseFallbackReviewTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";
  static final int INTERVAL_MS = 2000;

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  Operator operator;

  @Inject
  ClusterProber prober;

  /**
   * The primary is cut off from the operator only (its secondary still streams from it and renews its lease), and
   * the operator restarts: the new one never hears the primary, so its heartbeats never say the lease. It must
   * still wait out the lease the pod was started with (6000 ms here) before promoting the secondary.
   */
  @Test
  void anOperatorThatNeverHeardTheOldPrimaryWaitsOutTheLeaseItsPodWasStartedWith() throws Exception {
    String ns = "review-lease-fallback";
    Duration lease = Duration.ofMillis(3L * INTERVAL_MS); // what MemberStatefulSets renders for this interval
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1,
        spec -> spec.getFailover().setHeartbeatIntervalMs(INTERVAL_MS), LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
      assertThat(MemberStatefulSets.primaryLeaseMillis(cluster(ns))).isEqualTo(lease.toMillis());
      assertThat(client.pods().inNamespace(ns).withName(PRIMARY).require().getSpec().getContainers().get(0).getArgs())
          .containsSubsequence("--primary-lease-ms", String.valueOf(lease.toMillis()));
      FailoverTest.writeRows(live, PRIMARY, 1, 1);
      ControlRelay primaryRelay = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(heartbeat(live, SECONDARY).following())
          .isEqualTo(live.stableName(PRIMARY) + ":" + primaryRelay.port()));
      try (WritablePrimaries watch = new WritablePrimaries(live, PRIMARY, SECONDARY)) {
        primaryRelay.drop("dirk heartbeat", "dirk fence");
        OperatorRestart.restartAsANewProcess(operator, client, prober, Duration.ZERO);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
          HeartbeatReport h = heartbeat(live, SECONDARY);
          return h.isPrimary() && h.epoch() == 2;
        });
        // Let the old primary's lease run out whatever happened, so an overlap would be seen in full.
        await().atMost(Duration.ofSeconds(20)).until(() -> !heartbeat(live, PRIMARY).isPrimary()
            || live.leaseExpired(PRIMARY));
        assertThat(watch.rounds()).isPositive();
        assertThat(watch.overlaps()).as("instants at which %s (cut off, %d ms lease renewed by its secondary until "
            + "its detach) and %s (promoted by an operator that never heard %s) both took writes", PRIMARY,
            lease.toMillis(), SECONDARY, PRIMARY).isEmpty();
      }
    }
  }

  /**
   * The primary stops answering heartbeats but still takes its fence (an unplanned failover with no lease wait for
   * it); the candidate takes its promote (epoch 2, a lease of three intervals counted from just before it) and is
   * cut off from the operator at once. The operator promotes the other secondary at epoch 3 after a few control
   * timeouts, about 6 s: with the 2000 ms lease members had before, that outlasted the lost candidate's lease; with
   * 3 x 3000 ms it does not, and both take writes.
   */
  @Test
  void aCandidateLostAfterItsPromoteIsWaitedOutBeforeAnotherIsPromoted() throws Exception {
    String ns = "review-reelect-lease";
    int interval = 3000;
    Duration lease = Duration.ofMillis(3L * interval); // what MemberStatefulSets renders for this interval
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 2, spec -> {
      spec.getFailover().setHeartbeatIntervalMs(interval);
      spec.getFailover().setFailureThreshold(1);
    }, LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY))
          && live.contents(SECONDARY_1).equals(live.contents(PRIMARY)));
      ControlRelay primaryRelay = live.relay(PRIMARY);
      java.util.Map<String, ControlRelay> relays = new java.util.LinkedHashMap<>();
      for (String pod : java.util.List.of(SECONDARY, SECONDARY_1)) {
        ControlRelay relay = live.relay(pod);
        relay.cutAfter("dirk promote"); // the first candidate is cut off right after it took its promote
        relays.put(pod, relay);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> primaryRelay.connections() > 0
          && relays.values().stream().allMatch(r -> r.connections() > 0));
      try (WritablePrimaries watch = new WritablePrimaries(live, SECONDARY, SECONDARY_1)) {
        primaryRelay.drop("dirk heartbeat"); // lost by the loss rule, but it takes its fence
        String[] first = new String[1];
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(5)).until(() -> {
          relays.forEach((pod, relay) -> {
            if (first[0] == null && relay.controlStatements().stream()
                .anyMatch(t -> t.toLowerCase(java.util.Locale.ROOT).startsWith("dirk promote"))) {
              first[0] = pod;
            }
          });
          return first[0] != null;
        });
        String other = first[0].equals(SECONDARY) ? SECONDARY_1 : SECONDARY;
        relays.get(other).cutAfter("no statement is called this"); // the second candidate stays reachable
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
          HeartbeatReport h = heartbeat(live, other);
          return h.isPrimary() && h.epoch() >= 3;
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> !heartbeat(live, first[0]).isPrimary()
            || live.leaseExpired(first[0]));
        assertThat(heartbeat(live, first[0]).epoch()).as("the lost candidate took its promote").isEqualTo(2L);
        assertThat(watch.rounds()).isPositive();
        assertThat(watch.overlaps()).as("instants at which %s (took its promote at epoch 2, then cut off) and %s "
            + "(promoted at epoch 3 in its place) both took writes", first[0], other).isEmpty();
      }
    }
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
