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
import org.junit.jupiter.api.Test;

/**
 * Review of issue 11: a switchover that cannot reach its promotion must end, with one primary. Its old
 * primary is labelled {@code fenced} as its first step, so a fence that never completes used to leave the
 * cluster with no pod selected by {@code <name>-primary} and the record in progress for good; and a
 * switchover abandoned after its target may have taken the promote gave the old primary that same epoch.
 */
@QuarkusTest
class SwitchoverAbandonTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void aSwitchoverWhoseFenceNeverCompletesIsAbandonedAndThePrimaryServesAgain() throws Exception {
    String ns = "switchover-fence-hangs";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      // The operator reaches the primary through a relay that swallows its fence: the member never gets it,
      // the operator waits for an answer in vain (heartbeats pass: the primary is alive and serving).
      ControlRelay relay = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() > 0);
      relay.drop("dirk fence");
      setTargetPrimary(ns, SECONDARY);

      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        assertThat(record).isNotNull();
        assertThat(record.getStep()).isEqualTo("Abandoned");
        assertThat(record.getCompletedAt()).isNotNull();
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().condition("FailingOver")).hasValueSatisfying(cond -> {
          assertThat(cond.getStatus()).isEqualTo("False");
          assertThat(cond.getReason()).isEqualTo("SwitchoverAbandoned");
        });
        assertThat(c.getStatus().condition("TargetPrimaryEligible")).hasValueSatisfying(cond -> {
          assertThat(cond.getStatus()).isEqualTo("False");
          assertThat(cond.getReason()).isEqualTo("FenceTimedOut");
          assertThat(cond.getMessage()).contains(PRIMARY);
        });
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
        assertThat(eventReasons(ns)).contains("SwitchoverAbandoned");
      });
      assertThat(relay.controlStatements()).anySatisfy(s -> assertThat(s.toLowerCase()).startsWith("dirk fence"));
      // The target was never promoted: one primary, the old one, back at the switchover's epoch (nobody else
      // got it), and it takes writes again.
      assertThat(heartbeat(live, SECONDARY).isPrimary()).isFalse();
      assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
      assertThat(heartbeat(live, PRIMARY).epoch()).isEqualTo(cluster(ns).getStatus().getLastFailover().getEpoch());
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));

      // Not retried on its own (each try would take the primary out of its Service again) ...
      long started = eventReasons(ns).stream().filter("SwitchoverStarted"::equals).count();
      await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).untilAsserted(() -> {
        assertThat(eventReasons(ns).stream().filter("SwitchoverStarted"::equals).count()).isEqualTo(started);
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
      });
      // ... but once the member takes fences again, asking again (a spec change) hands over.
      relay.drop();
      setTargetPrimary(ns, null);
      setTargetPrimary(ns, SECONDARY);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(c.getStatus().getLastFailover().getStep()).isEqualTo("Completed");
        assertThat(role(ns, SECONDARY)).isEqualTo("primary");
        assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
      });
    }
  }

  @Test
  void aSwitchoverAbandonedAfterItsTargetMayHaveTakenThePromoteGivesTheOldPrimaryAHigherEpoch() throws Exception {
    String ns = "switchover-abort-epoch";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      // The target's promote arrives after the operator's 2 s control timeout: the member is promoted, the
      // operator never hears it; then the target is cut off from the operator, which abandons the switchover.
      ControlRelay target = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0);
      target.delay(Duration.ofMillis(2500), "dirk promote");
      setTargetPrimary(ns, SECONDARY);
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> target.controlStatements()
          .stream().anyMatch(s -> s.toLowerCase().startsWith("dirk promote")));
      // Between the operator's timeout (2 s) and the promote's arrival (2.5 s): a deliberate window.
      Thread.sleep(2200);
      target.drop("dirk heartbeat", "dirk fence", "dirk follow", "dirk promote", "dirk auth");
      await().atMost(Duration.ofSeconds(10)).until(() -> heartbeat(live, SECONDARY).isPrimary());
      long targetEpoch = heartbeat(live, SECONDARY).epoch();

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getLastFailover().getStep()).isEqualTo("Abandoned");
        assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
      });
      HeartbeatReport old = heartbeat(live, PRIMARY);
      DirkCluster c = cluster(ns);
      assertThat(old.epoch())
          .as("%s was promoted at epoch %d before the switchover was abandoned; %s is primary again at epoch %d "
              + "(status: %s)", SECONDARY, targetEpoch, PRIMARY, old.epoch(), c.getStatus().getLastFailover())
          .isGreaterThan(targetEpoch);
      assertThat(c.getStatus().getLastFailover().getEpoch()).isEqualTo(old.epoch());
      assertThat(c.getStatus().condition("TargetPrimaryEligible"))
          .hasValueSatisfying(cond -> assertThat(cond.getReason()).isEqualTo("TargetLost"));
      assertThat(role(ns, PRIMARY)).isEqualTo("primary");
    }
  }

  @Test
  void aSwitchoverWhoseFencedOldPrimaryIsLostBecomesAFailoverToAMemberHoldingItsWrites() throws Exception {
    String ns = "switchover-old-primary-lost";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
      Object written = live.contents(PRIMARY);
      // The old primary takes the fence (and answers it), then nothing the operator sends reaches it any more:
      // the switchover's catch-up check cannot read its last LSN, and it cannot be given the role back either.
      ControlRelay relay = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() > 0);
      relay.cutAfter("dirk fence");
      setTargetPrimary(ns, SECONDARY);

      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        assertThat(record).isNotNull();
        assertThat(record.getStep()).as("status: %s", record).isEqualTo("Completed");
        assertThat(record.getReason()).isEqualTo("PrimaryLostInHandOver");
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(role(ns, SECONDARY)).isEqualTo("primary");
        assertThat(role(ns, PRIMARY)).isNotEqualTo("primary");
        assertThat(eventReasons(ns)).contains("SwitchoverStarted", "FailoverStarted", "FailoverCompleted")
            .as("a failover by the lost old primary, not one after a switchover abandoned by its timeout")
            .doesNotContain("SwitchoverAbandoned");
      });
      assertThat(relay.controlStatements()).anySatisfy(s -> assertThat(s.toLowerCase()).startsWith("dirk fence"));
      HeartbeatReport promoted = heartbeat(live, SECONDARY);
      assertThat(promoted.isPrimary()).isTrue();
      assertThat(promoted.epoch()).isEqualTo(cluster(ns).getStatus().getLastFailover().getEpoch());
      // The old primary was fenced, not promoted back: one primary, holding every write, taking new ones.
      assertThat(heartbeat(live, PRIMARY).isPrimary()).isFalse();
      assertThat(live.contents(SECONDARY)).isEqualTo(written);
      FailoverTest.writeRows(live, SECONDARY, 4, 6);
    }
  }

  @Test
  void anAbandoningSwitchoverWhoseOldPrimaryFallsSilentFailsOverFromIt() throws Exception {
    String ns = "switchover-abandoning-old-lost";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
      Object written = live.contents(PRIMARY);
      // The fence never reaches the old primary, so the switchover is abandoned; the promote giving it the
      // role back never reaches it either, and then the operator hears nothing from it at all.
      ControlRelay relay = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() > 0);
      relay.drop("dirk fence", "dirk promote");
      setTargetPrimary(ns, SECONDARY);
      await().atMost(Duration.ofSeconds(40)).until(() -> {
        FailoverRecord record = cluster(ns).getStatus().getLastFailover();
        return record != null && "Abandoning".equals(record.getStep());
      });
      relay.drop("dirk");

      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        assertThat(record.getStep()).as("status: %s", record).isEqualTo("Completed");
        assertThat(record.getReason()).isEqualTo("PrimaryLostInHandOver");
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(role(ns, SECONDARY)).isEqualTo("primary");
        assertThat(role(ns, PRIMARY)).isNotEqualTo("primary");
        assertThat(eventReasons(ns)).contains("FailoverStarted", "FailoverCompleted");
      });
      HeartbeatReport promoted = heartbeat(live, SECONDARY);
      assertThat(promoted.isPrimary()).isTrue();
      assertThat(promoted.epoch()).isEqualTo(cluster(ns).getStatus().getLastFailover().getEpoch());
      assertThat(live.contents(SECONDARY)).isEqualTo(written);
      FailoverTest.writeRows(live, SECONDARY, 4, 6);
    }
  }

  @Test
  void aSwitchoverWhoseLiveTargetNeverTakesThePromoteIsAbandonedWithOneWritablePrimary() throws Exception {
    String ns = "switchover-promote-ignored";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
      // The target answers heartbeats, fences and follows, but its promote never reaches it (a member that
      // ignores it, as the operator sees it): the switchover must not wait for it without bound.
      ControlRelay target = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0);
      target.drop("dirk promote");
      setTargetPrimary(ns, SECONDARY);

      // The switchover timeout is 16 s in tests; a promote attempt takes up to the 2 s control timeout.
      await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        FailoverRecord record = c.getStatus().getLastFailover();
        assertThat(record).isNotNull();
        assertThat(record.getStep()).as("status: %s", record).isEqualTo("Abandoned");
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().condition("FailingOver")).hasValueSatisfying(cond -> {
          assertThat(cond.getStatus()).isEqualTo("False");
          assertThat(cond.getReason()).isEqualTo("SwitchoverAbandoned");
        });
        assertThat(c.getStatus().condition("TargetPrimaryEligible")).hasValueSatisfying(cond -> {
          assertThat(cond.getStatus()).isEqualTo("False");
          assertThat(cond.getReason()).isEqualTo("PromotionTimedOut");
          assertThat(cond.getMessage()).contains(SECONDARY);
        });
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
        assertThat(eventReasons(ns)).contains("SwitchoverAbandoned");
      });
      assertThat(target.controlStatements()).anySatisfy(s -> assertThat(s.toLowerCase()).startsWith("dirk promote 2"));
      // One primary: the old one, at an epoch above the one the target may have taken, and it takes writes.
      assertThat(heartbeat(live, SECONDARY).isPrimary()).isFalse();
      HeartbeatReport old = heartbeat(live, PRIMARY);
      assertThat(old.isPrimary()).isTrue();
      assertThat(old.epoch()).isEqualTo(cluster(ns).getStatus().getLastFailover().getEpoch()).isGreaterThan(2L);
      FailoverTest.writeRows(live, PRIMARY, 4, 6);
      await().atMost(Duration.ofSeconds(10)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
    }
  }

  @Test
  void aSwitchoverAbandonedAfterItsTargetTookThePromoteNeverLeavesTwoWritablePrimaries() throws Exception {
    String ns = "switchover-abandon-one-writable";
    // Members with a primary lease longer than the operator takes to abandon (promote attempts of 2 s each, then
    // failureThreshold misses), so an overlap would show: the target's promote arrives after the operator gave
    // up on it, then the operator hears nothing more from the target and abandons.
    Duration lease = Duration.ofSeconds(15);
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {},
        LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay target = live.relay(SECONDARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0);
      target.delay(Duration.ofMillis(2500), "dirk promote");
      try (WritablePrimaries watch = new WritablePrimaries(live, SECONDARY, PRIMARY)) {
        setTargetPrimary(ns, SECONDARY);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> target
            .controlStatements().stream().anyMatch(s -> s.toLowerCase().startsWith("dirk promote")));
        // Between the operator's timeout (2 s) and the promote's arrival (2.5 s): a deliberate window.
        Thread.sleep(2200);
        target.drop("dirk heartbeat", "dirk fence", "dirk follow", "dirk promote", "dirk auth");
        await().atMost(Duration.ofSeconds(10)).until(() -> heartbeat(live, SECONDARY).isPrimary());
        long targetEpoch = heartbeat(live, SECONDARY).epoch();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(cluster(ns).getStatus().getLastFailover().getStep()).isEqualTo("Abandoned");
          assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
        });
        assertThat(heartbeat(live, PRIMARY).epoch()).isGreaterThan(targetEpoch);
        // The old primary takes writes again once the operator renews its lease.
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
            .untilAsserted(() -> FailoverTest.writeRows(live, PRIMARY, 4, 4));
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(1)).until(() -> true);
        assertThat(watch.rounds()).isPositive();
        assertThat(watch.overlaps()).as("instants at which %s (promoted at epoch %d, cut off from the operator) and "
            + "%s (given the role back) both took writes", SECONDARY, targetEpoch, PRIMARY).isEmpty();
      }
    }
  }

  /**
   * Review 11d: the give-back promote reaches the old primary but its answer does not come back in time, and the
   * member is fenced before the operator looks again. That epoch is spent (the member has seen it): before, the
   * operator sent the same promote again every pass, refused for good, and the cluster stayed in Abandoning with
   * no writable primary. Now it records a higher epoch and gives the role back at that one.
   */
  @Test
  void anAbandoningSwitchoverWhoseGiveBackWasTakenThenFencedGivesTheRoleBackAtAHigherEpoch() throws Exception {
    String ns = "switchover-give-back-fenced";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      ControlRelay target = live.relay(SECONDARY);
      ControlRelay old = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).until(() -> target.connections() > 0 && old.connections() > 0);
      target.drop("dirk promote");
      // The give-back promote arrives after the operator's 2 s control timeout: taken, its answer lost.
      old.delay(Duration.ofMillis(2500), "dirk promote");
      setTargetPrimary(ns, SECONDARY);
      await().atMost(Duration.ofSeconds(20)).until(() -> !heartbeat(live, PRIMARY).isPrimary());
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
          .until(() -> heartbeat(live, PRIMARY).isPrimary());
      // Fenced at once (by hand, or a preStop), before the operator's next look (1 s after it gave up).
      try (DirkConnection admin = live.connectAdmin(PRIMARY)) {
        LiveCluster.check(admin.execute("dirk fence"));
      }
      long giveBack = heartbeat(live, PRIMARY).epoch();
      old.delay(Duration.ZERO);

      // Should the operator look before the fence lands, it records Abandoned at the give-back epoch and the
      // fenced primary is then handed over (PrimaryFenced) to a target that still drops promotes, which ends
      // Abandoned again at a higher epoch after the switchover timeout: the same outcome, later.
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getLastFailover().getStep()).isEqualTo("Abandoned");
        HeartbeatReport primary = heartbeat(live, PRIMARY);
        assertThat(primary.isPrimary()).as("heartbeat of %s: %s", PRIMARY, primary).isTrue();
        assertThat(primary.epoch()).isGreaterThan(giveBack)
            .isEqualTo(cluster(ns).getStatus().getLastFailover().getEpoch());
      });
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
          .untilAsserted(() -> FailoverTest.writeRows(live, PRIMARY, 4, 6));
    }
  }

  // ---- helpers

  private void setTargetPrimary(String ns, String target) {
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
      c.getSpec().setTargetPrimary(target);
      return c;
    }));
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
}
