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
