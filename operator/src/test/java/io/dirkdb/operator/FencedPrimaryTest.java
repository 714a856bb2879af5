package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.FailoverRecord;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 11: a primary fenced outside any operation of the operator (someone ran {@code dirk fence;}
 * on it, or it fenced itself on its way out) answers heartbeats, so it was never counted as lost, and the
 * cluster sat with no writable primary for good.
 */
@QuarkusTest
class FencedPrimaryTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  io.dirkdb.operator.failover.ClusterProber prober;

  @Test
  void aPrimaryFencedByHandIsHandedOverWithoutLosingAcknowledgedWrites() throws Exception {
    String ns = "fenced-by-hand";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 2, spec -> {})) {
      live.startProxy();
      try (FailoverTest.Writer writer = new FailoverTest.Writer(live);
          WritablePrimaries watch = new WritablePrimaries(live, PRIMARY, SECONDARY, SECONDARY_1)) {
        writer.awaitAcks(20);
        try (DirkConnection admin = live.connectAdmin(PRIMARY)) {
          assertThat(LiveCluster.check(admin.execute("dirk fence")).messageText()).startsWith("fenced at epoch 1");
        }
        long fencedAt = System.nanoTime();

        // failoverDelaySeconds is 0 in tests: the hand-over starts on the next pass and takes seconds at most.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          DirkCluster c = cluster(ns);
          FailoverRecord record = c.getStatus().getLastFailover();
          assertThat(record).isNotNull();
          assertThat(record.getStep()).as("status: %s", record).isEqualTo("Completed");
          assertThat(record.getReason()).isEqualTo("PrimaryFenced");
          assertThat(record.getFromPrimary()).isEqualTo(PRIMARY);
          assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(record.getToPrimary()).isIn(SECONDARY, SECONDARY_1);
          assertThat(role(ns, record.getToPrimary())).isEqualTo("primary");
          assertThat(eventReasons(ns)).contains("SwitchoverStarted", "SwitchoverCompleted");
        });
        String promoted = cluster(ns).getStatus().getCurrentPrimary();
        long firstWrite = writer.firstAckAfter(fencedAt, Duration.ofSeconds(15));
        System.out.printf("fenced primary: fence to first write acknowledged through the proxy: %d ms%n",
            Duration.ofNanos(firstWrite - fencedAt).toMillis());
        writer.awaitAcks(writer.acked().size() + 20);
        writer.stop();

        // Exactly one member takes writes: the new primary; the old one follows it (its log is a prefix of the
        // new primary's, so no resync), and every acknowledged write is there.
        assertThat(heartbeat(live, promoted).isPrimary()).isTrue();
        assertThat(List.of(PRIMARY, SECONDARY, SECONDARY_1).stream().filter(p -> !p.equals(promoted)))
            .allSatisfy(p -> assertThat(heartbeat(live, p).isPrimary()).as("%s answers primary", p).isFalse());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
          assertThat(heartbeat(live, PRIMARY).role()).isEqualTo("secondary");
          assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
        });
        assertThat(ids(live, promoted)).containsAll(writer.acked());
        assertThat(watch.overlaps()).as("instants at which two members took writes").isEmpty();
      }
    }
  }

  @Test
  void aPrimaryFencedByHandWithNoSecondaryToTakeOverTakesTheRoleBackAtANewEpoch() throws Exception {
    String ns = "fenced-by-hand-alone";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      // Both members' last heartbeats show the rows before the secondary dies (a picture with the primary's LSN
      // from before the writes and the secondary's after reads as a primary back on an empty volume).
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster(ns).getStatus().getMembers())
          .allSatisfy(m -> assertThat(m.getLsn()).isPositive()));
      live.kill(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster(ns).getStatus().getMembers())
          .anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo(SECONDARY);
            assertThat(m.getMissedHeartbeats()).isGreaterThanOrEqualTo(3);
          }));
      try (DirkConnection admin = live.connectAdmin(PRIMARY)) {
        LiveCluster.check(admin.execute("dirk fence"));
      }

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        assertThat(record).isNotNull();
        assertThat(record.getStep()).as("status: %s", record).isEqualTo("Completed");
        assertThat(record.getReason()).isEqualTo("PrimaryFenced");
        assertThat(record.getToPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
      });
      HeartbeatReport back = heartbeat(live, PRIMARY);
      assertThat(back.isPrimary()).isTrue();
      assertThat(back.epoch()).isEqualTo(2L);
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
      assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }
  }

  @Test
  void aFailoverBlockedAfterItFencedThePrimaryGivesTheRoleBackToItOnceItAnswers() throws Exception {
    String ns = "fenced-by-blocked-failover";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay primaryRelay = blockTheFailoverAfterItsFence(live, () -> eventReasons(ns)).primary();

      // Heard again: fenced, holding every write it acknowledged, with nobody else to take over. Left fenced,
      // the cluster would take no writes until the secondary could be detached.
      primaryRelay.drop();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        assertThat(record.getStep()).as("status: %s", record).isEqualTo("Completed");
        assertThat(record.getToPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
        assertThat(eventReasons(ns)).contains("FailoverCandidateChanged", "FailoverCompleted");
      });
      HeartbeatReport back = heartbeat(live, PRIMARY);
      assertThat(back.isPrimary()).isTrue();
      assertThat(back.epoch()).isGreaterThan(1L);
      // Sync: each write waits for the secondary, which follows the primary at its new epoch.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        HeartbeatReport secondary = heartbeat(live, SECONDARY);
        assertThat(secondary.role()).isEqualTo("secondary");
        assertThat(secondary.epoch()).isEqualTo(back.epoch());
      });
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
      assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(ids(live, SECONDARY)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L));
    }
  }

  /**
   * Review of the give-back: its promote reaches the old primary but the answer is lost (the confirming heartbeat
   * is swallowed, as on the slow link that made it look lost). The next pass keys its Attempt on the new epoch,
   * fences the old primary again (now the primary at that epoch), and then sends the same epoch again, which a
   * member refuses for good once it has seen it: nobody takes writes though the old primary holds everything.
   */
  @Test
  void aGiveBackWhosePromoteAnswerIsLostStillEndsWithTheOldPrimaryWritable() throws Exception {
    String ns = "give-back-answer-lost";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay primaryRelay = blockTheFailoverAfterItsFence(live, () -> eventReasons(ns)).primary();

      // The give-back's promote lands; everything after it towards the old primary is lost until healed.
      primaryRelay.cutAfter("dirk promote");
      primaryRelay.drop();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
          .until(() -> heartbeat(live, PRIMARY).isPrimary() && heartbeat(live, PRIMARY).epoch() > 1);
      // The promote's answer went back; what the operator sent next (its confirming heartbeat) is swallowed.
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> primaryRelay.cutChunks() > 0);
      primaryRelay.heal();

      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        HeartbeatReport now = heartbeat(live, PRIMARY);
        assertThat(now.isPrimary()).as("%s answers %s at epoch %d; record %s; statements to it %s", PRIMARY,
            now.role(), now.epoch(), record, primaryRelay.controlStatements()).isTrue();
        assertThat(record.getStep()).as("status: %s", record).isEqualTo("Completed");
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
      });
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
      assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }
  }

  /**
   * Review of the give-back: its promote lands and its confirmation is lost, while the prober does hear the old
   * primary (so it is not given up as lost). The next pass keys its Attempt on the give-back's epoch, so it fences
   * the old primary again (now primary at that epoch) before anything else, then sends the same epoch, which the
   * member refuses for good: after PROMOTE_REFUSAL_LIMIT the old primary is given up, and nobody takes writes.
   */
  @Test
  void aGiveBackPromotedButUnconfirmedIsNotFencedAgainByTheNextPass() throws Exception {
    String ns = "give-back-refenced";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay primaryRelay = live.relay(PRIMARY);
      ControlRelay secondaryRelay = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(5))
          .until(() -> primaryRelay.connections() > 0 && secondaryRelay.connections() > 0);
      secondaryRelay.drop("dirk fence");
      // Lost, and not fenced yet: the failover is blocked without a fence answer, so it cannot give back.
      primaryRelay.drop("dirk heartbeat", "dirk fence");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(eventReasons(ns)).contains("FailoverStarted", "FailoverBlocked"));
      // Heard again by the prober (its fence still lost), so the next passes see it answering.
      primaryRelay.drop("dirk fence");
      io.javaoperatorsdk.operator.processing.event.ResourceID id =
          io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(cluster(ns));
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        var r = prober.results(id).get(PRIMARY);
        return r != null && r.answering() && r.missed() == 0;
      });
      // Now the fence lands and the failover gives the role back; the confirmation of its promote is lost.
      primaryRelay.cutAfter("dirk promote");
      primaryRelay.drop();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
          .until(() -> heartbeat(live, PRIMARY).isPrimary() && heartbeat(live, PRIMARY).epoch() > 1);
      // The promote's answer went back; what the operator sent next (its confirming heartbeat) is swallowed.
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> primaryRelay.cutChunks() > 0);
      primaryRelay.heal();
      long promotedAt = heartbeat(live, PRIMARY).epoch();

      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        HeartbeatReport now = heartbeat(live, PRIMARY);
        assertThat(now.isPrimary()).as("%s (promoted at epoch %d) answers %s at epoch %d; record %s/%s@%d; "
            + "statements to it %s", PRIMARY, promotedAt, now.role(), now.epoch(), record.getStep(),
            record.getToPrimary(), record.getEpoch(), primaryRelay.controlStatements()).isTrue();
        assertThat(record.getStep()).isEqualTo("Completed");
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
      });
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
      assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }
  }

  /** The relays in front of the primary and the secondary of a two-member cluster. */
  record Relays(ControlRelay primary, ControlRelay secondary) {}

  /**
   * Blocks the failover of {@link #PRIMARY} after its fence: relays in front of both members, the secondary never
   * takes its detach (so nobody may be elected once the old primary is fenced), and the operator stops hearing the
   * primary (lost), though its fence still reaches it. Returns once the failover is blocked and the old primary
   * answers fenced, with the relays (the primary's still swallowing heartbeats).
   */
  static Relays blockTheFailoverAfterItsFence(LiveCluster live, java.util.concurrent.Callable<List<String>> events)
      throws IOException {
    ControlRelay primaryRelay = live.relay(PRIMARY);
    ControlRelay secondaryRelay = live.relay(SECONDARY);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> primaryRelay.connections() > 0 && secondaryRelay.connections() > 0);
    secondaryRelay.drop("dirk fence");
    primaryRelay.drop("dirk heartbeat");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(events.call()).contains("FailoverStarted", "FailoverBlocked");
      assertThat(heartbeat(live, PRIMARY).role()).isEqualTo("fenced");
      assertThat(heartbeat(live, SECONDARY).role()).isEqualTo("secondary");
    });
    return new Relays(primaryRelay, secondaryRelay);
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private String role(String ns, String pod) {
    Pod p = client.pods().inNamespace(ns).withName(pod).get();
    return p == null ? null : p.getMetadata().getLabels().get("dirkdb.io/role");
  }

  private List<String> eventReasons(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && NAME.equals(e.getInvolvedObject().getName()))
        .map(Event::getReason).toList();
  }

  private static HeartbeatReport heartbeat(LiveCluster live, String pod) throws IOException {
    try (DirkConnection c = live.connect(pod)) {
      return HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
    }
  }

  private static Set<Long> ids(LiveCluster live, String pod) throws IOException {
    Set<Long> ids = new TreeSet<>();
    for (List<Object> row : live.contents(pod).getOrDefault("shop.item", List.of())) {
      ids.add(((Number) row.get(0)).longValue());
    }
    return ids;
  }
}
