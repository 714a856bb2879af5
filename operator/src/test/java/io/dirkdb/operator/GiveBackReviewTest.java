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
 * Review of the give-back to a fenced old primary: its guard is "the failover's record is before Promoting", but a
 * hand-over whose target may hold a late promote, turned into a failover when its old primary went silent, has its
 * step set back to Started. A restarted operator (no memory of the promote it sent) then gives the role back to
 * the old primary while the target is still primary at its epoch with the lease its promote gave it.
 */
@QuarkusTest
class GiveBackReviewTest {

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

  @Inject
  FailoverCoordinator coordinator;

  @Test
  void aGiveBackNeverLetsTheOldPrimaryTakeWritesNextToAHandOverTargetHoldingALatePromote() throws Exception {
    handOverTurnedFailoverThenRestart("review-give-back-late-promote", 1);
  }

  /**
   * The same reset of the step, with a second secondary: before the give-back existed, the restarted operator's
   * election after the fence promoted that one without settling the target holding the late promote.
   */
  @Test
  void aHandOverTurnedFailoverNeverPromotesAnotherSecondaryNextToATargetHoldingALatePromote() throws Exception {
    handOverTurnedFailoverThenRestart("review-late-promote-other-secondary", 2);
  }

  /**
   * A switchover to {@code demo-secondary-0} whose promote arrives after the operator gave up waiting for it (so
   * the target is primary at epoch 2 with a 30 s lease); the old primary goes silent while the abandon waits out
   * that lease, so the hand-over becomes a failover; then the operator restarts with no memory. Whatever it does
   * next, no other member may take writes while the target still holds its lease.
   */
  private void handOverTurnedFailoverThenRestart(String ns, int secondaries) throws Exception {
    Duration lease = Duration.ofSeconds(30);
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, secondaries, spec -> {},
        LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay target = live.relay(SECONDARY);
      ControlRelay old = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0 && old.connections() > 0);
      target.delay(Duration.ofMillis(2500), "dirk promote");
      String[] members = secondaries == 1 ? new String[] {SECONDARY, PRIMARY}
          : new String[] {SECONDARY, PRIMARY, SECONDARY_1};
      try (WritablePrimaries watch = new WritablePrimaries(live, members)) {
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
        // The old primary goes silent while the abandon waits out the target's lease: the hand-over becomes a
        // failover, and its step goes back to Started.
        old.drop("dirk heartbeat");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
          FailoverRecord record = cluster(ns).getStatus().getLastFailover();
          return "PrimaryLostInHandOver".equals(record.getReason());
        });
        OperatorRestart.restartForgettingEverything(operator, client, prober, coordinator);
        old.drop();
        // The scenario holds only if the operator came back while the target's late promote still ran.
        assertThat(live.leaseExpired(SECONDARY)).as("the target's lease ran out before the operator restarted").isFalse();

        // Whatever the operator does, the target must not take writes next to the old primary: wait until the
        // target's promote lease has run out (or it was fenced), then look at what the watch saw.
        await().atMost(lease.plusSeconds(30)).until(() ->
            !heartbeat(live, SECONDARY).isPrimary() || live.leaseExpired(SECONDARY));
        FailoverRecord record = cluster(ns).getStatus().getLastFailover();
        assertThat(watch.rounds()).isPositive();
        assertThat(watch.overlaps()).as("instants at which %s (late promote) and another member took writes "
            + "(record %s/%s@%d %s)", SECONDARY, record.getStep(), record.getToPrimary(), record.getEpoch(),
            record.getReason()).isEmpty();
      }
    }
  }

  /**
   * A failover's candidate takes its promote late (its answer lost) and then falls silent; the next pass's election
   * picks the other secondary. An operator restarted while the silent candidate's promote lease still runs knows
   * nothing of that promote unless the failover's record does: the other secondary must not take writes before the
   * first one's lease has run out.
   */
  @Test
  void anOperatorRestartedDuringACandidateChangeNeverPromotesNextToTheFormerCandidateHoldingALatePromote()
      throws Exception {
    String ns = "review-candidate-change-restart";
    Duration lease = Duration.ofSeconds(20);
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 2, spec -> {},
        LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY))
          && live.contents(SECONDARY_1).equals(live.contents(PRIMARY)));
      ControlRelay first = live.relay(SECONDARY);
      ControlRelay old = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> first.connections() > 0 && old.connections() > 0);
      first.delay(Duration.ofMillis(2500), "dirk promote");
      try (WritablePrimaries watch = new WritablePrimaries(live, SECONDARY, SECONDARY_1)) {
        // The operator stops hearing the primary (lost), though its fence reaches it: no lease to wait out.
        old.drop("dirk heartbeat");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> first
            .controlStatements().stream().anyMatch(s -> s.toLowerCase().startsWith("dirk promote")));
        // Between the operator's timeout (2 s) and the promote's arrival (2.5 s): the promote lands, its answer
        // does not, and the candidate says nothing more to the operator.
        Thread.sleep(2200);
        first.drop("dirk heartbeat", "dirk fence", "dirk follow", "dirk promote", "dirk auth");
        await().atMost(Duration.ofSeconds(10)).until(() -> heartbeat(live, SECONDARY).isPrimary());
        // Restarted once the record names the other secondary (the operator that wrote it may still be waiting
        // out the first one's lease in memory).
        await().atMost(lease.plusSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() ->
            SECONDARY_1.equals(cluster(ns).getStatus().getLastFailover().getToPrimary()));
        OperatorRestart.restartForgettingEverything(operator, client, prober, coordinator);

        await().atMost(lease.plusSeconds(30)).until(() ->
            !heartbeat(live, SECONDARY).isPrimary() || live.leaseExpired(SECONDARY));
        await().atMost(Duration.ofSeconds(30)).until(() -> heartbeat(live, SECONDARY_1).isPrimary());
        FailoverRecord record = cluster(ns).getStatus().getLastFailover();
        assertThat(watch.rounds()).isPositive();
        assertThat(watch.overlaps()).as("instants at which %s (late promote) and %s both took writes (record "
            + "%s/%s@%d)", SECONDARY, SECONDARY_1, record.getStep(), record.getToPrimary(), record.getEpoch()).isEmpty();
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
