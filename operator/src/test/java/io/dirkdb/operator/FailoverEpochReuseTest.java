package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 11: a promotion whose answer is lost (the member got it, the operator timed out) followed by
 * that member going silent to the operator. The next pass finds the candidate "not promoted" (no answer),
 * elects again after the fence and, in FailoverCoordinator.electAfterFence, keeps the record's epoch
 * ({@code Math.max(record.getEpoch(), highest + 1)}) for a DIFFERENT member: two members are then primary at
 * the same epoch, which no member, proxy or MemberRoles can tell apart (reelect() bumps the epoch; this path
 * does not).
 */
@QuarkusTest
class FailoverEpochReuseTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void aCandidateChangedAfterAPromoteWasSentNeverGetsTheSameEpoch() throws Exception {
    String ns = "failover-epoch-reuse";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 2, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 5);
      // demo-secondary-0 (the first candidate: same LSN, lowest name) is reached through a relay whose
      // promote arrives after the operator's 2 s control timeout: the member is promoted, the operator never hears.
      ControlRelay first = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> first.connections() > 0);
      first.delay(Duration.ofMillis(2500), "dirk promote");

      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> first.controlStatements()
          .stream().anyMatch(s -> s.toLowerCase().startsWith("dirk promote")));
      // The operator gives up on the promote at 2 s (still hearing the member: no candidate loss), the member gets
      // it at 2.5 s; in between the member is cut off from the operator (not from clients). A deliberate window,
      // not a wait for a condition.
      Thread.sleep(2200);
      first.drop("dirk heartbeat", "dirk fence", "dirk follow", "dirk promote", "dirk auth");
      await().atMost(Duration.ofSeconds(10)).until(() -> heartbeat(live, SECONDARY).isPrimary());
      long firstEpoch = heartbeat(live, SECONDARY).epoch();

      // The operator goes on with demo-secondary-1.
      await().atMost(Duration.ofSeconds(30)).until(() -> heartbeat(live, SECONDARY_1).isPrimary());
      HeartbeatReport second = heartbeat(live, SECONDARY_1);
      DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
      assertThat(second.epoch())
          .as("%s is primary at epoch %d and %s was promoted at epoch %d (status: %s)", SECONDARY, firstEpoch,
              SECONDARY_1, second.epoch(), c.getStatus().getLastFailover())
          .isGreaterThan(firstEpoch);
    }
  }

  @Test
  void aLiveCandidateThatNeverTakesItsPromoteIsGivenUpForAnotherAtAHigherEpoch() throws Exception {
    // The candidate answers every heartbeat but its promote never arrives (cut by its relay): before, the failover
    // sent it again every few seconds for good, the cluster without a primary.
    String ns = "failover-promote-refused";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 2, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 5);
      ControlRelay s0 = live.relay(SECONDARY);
      ControlRelay s1 = live.relay(SECONDARY_1);
      await().atMost(Duration.ofSeconds(10)).until(() -> s0.connections() > 0 && s1.connections() > 0);
      s0.holdPromotions(true);
      s1.holdPromotions(true);

      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(30)).until(() -> s0.promotionsCut() + s1.promotionsCut() > 0);
      boolean firstIsS0 = s0.promotionsCut() > 0;
      String first = firstIsS0 ? SECONDARY : SECONDARY_1;
      String other = firstIsS0 ? SECONDARY_1 : SECONDARY;
      (firstIsS0 ? s1 : s0).holdPromotions(false);
      long firstEpoch = client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require().getStatus()
          .getLastFailover().getEpoch();

      await().atMost(Duration.ofSeconds(60)).until(() -> heartbeat(live, other).isPrimary());
      DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
      assertThat(heartbeat(live, other).epoch()).as("status: %s", c.getStatus().getLastFailover())
          .isGreaterThan(firstEpoch);
      assertThat(heartbeat(live, first).isPrimary()).as("the candidate given up").isFalse();
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        DirkCluster now = client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
        assertThat(now.getStatus().getCurrentPrimary()).isEqualTo(other);
        assertThat(now.getStatus().getLastFailover().getStep()).isEqualTo("Completed");
      });
      try (DirkConnection conn = live.connect(other)) {
        assertThat(conn.execute("ampiasao shop").isError()).isFalse();
        assertThat(conn.execute("manampia ao@ item (id) sanda (100)").isError()).isFalse();
      }
    }
  }

  @Test
  void aCandidateGivenUpInSyncModeDoesNotBlockAnEquallyCompleteMemberForGood() throws Exception {
    // Sync mode, the old primary killed (never fenced): the candidate answers every heartbeat with the same log as
    // the other secondary but never gets its promote. Given up after 10 s, it must not then count as a silent
    // member that "may hold the newest acknowledged writes": its log is known and no longer than the other's.
    String ns = "failover-promote-refused-sync";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 2, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 5);
      ControlRelay s0 = live.relay(SECONDARY);
      ControlRelay s1 = live.relay(SECONDARY_1);
      await().atMost(Duration.ofSeconds(10)).until(() -> s0.connections() > 0 && s1.connections() > 0);
      s0.holdPromotions(true);
      s1.holdPromotions(true);

      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(30)).until(() -> s0.promotionsCut() + s1.promotionsCut() > 0);
      boolean firstIsS0 = s0.promotionsCut() > 0;
      String other = firstIsS0 ? SECONDARY_1 : SECONDARY;
      (firstIsS0 ? s1 : s0).holdPromotions(false);

      await().atMost(Duration.ofSeconds(60)).until(() -> heartbeat(live, other).isPrimary());
      try (DirkConnection conn = live.connect(other)) {
        assertThat(conn.execute("ampiasao shop").isError()).as("the data is there").isFalse();
      }
    }
  }

  @Test
  void aGivenUpCandidateHoldingMoreThanTheOthersIsTriedAgainInSyncMode() throws Exception {
    // Sync mode: demo-secondary-1 is down while the primary acknowledges rows 6 to 10 (demo-secondary-0 holds
    // them), then the primary is lost and demo-secondary-1 comes back behind. demo-secondary-0 is the only member
    // holding the acknowledged rows and is slow to take its promote: given up after 10 s, the failover must still
    // end with it as primary once it takes one, not stay blocked for good with nobody writable.
    String ns = "failover-promote-refused-ahead";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 2, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 5);
      ControlRelay s0 = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> s0.connections() > 0);
      live.holdRestarts(SECONDARY_1, true);
      live.kill(SECONDARY_1);
      FailoverTest.writeRows(live, PRIMARY, 6, 10);
      s0.holdPromotions(true);
      live.holdRestarts(PRIMARY, true);
      live.kill(PRIMARY);
      live.restartInPlace(SECONDARY_1); // back, behind: the primary it followed is gone
      await().atMost(Duration.ofSeconds(30)).until(() -> s0.promotionsCut() > 0);
      // Given up: the record names the member behind.
      await().atMost(Duration.ofSeconds(40)).until(() -> SECONDARY_1.equals(client.resources(DirkCluster.class)
          .inNamespace(ns).withName(NAME).require().getStatus().getLastFailover().getToPrimary()));
      s0.holdPromotions(false);

      await().atMost(Duration.ofSeconds(60)).until(() -> heartbeat(live, SECONDARY).isPrimary());
      assertThat(heartbeat(live, SECONDARY_1).isPrimary()).as("the member behind").isFalse();
      // Every acknowledged row is on the new primary (the member behind then catches up from it: comparing their
      // logs after the promotion says nothing).
      assertThat(live.contents(SECONDARY).getOrDefault("shop.item", List.of()).stream()
          .map(row -> ((Number) row.get(0)).longValue()).sorted().toList())
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    }
  }

  static HeartbeatReport heartbeat(LiveCluster live, String pod) throws IOException {
    try (DirkConnection conn = live.connect(pod)) {
      return HeartbeatReport.parse(conn.execute("dirk heartbeat").messageText());
    }
  }
}
