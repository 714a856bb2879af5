package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.FailoverRecord;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Planned operations on the harness's controllers ({@link StatefulSetController} and the kubelet of
 * {@link LiveCluster#startManaged}): a deleted primary pod and a rolling update are switchovers, with
 * members as real processes stopped by their preStop hook and SIGTERM, and writes through a real proxy.
 */
@QuarkusTest
class PlannedOperationsTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  Operator operator;

  @Test
  void deletingThePrimaryPodHandsOverWithoutFailedWritesAndItReturnsAsSecondary() throws Exception {
    String ns = "planned-delete";
    try (LiveCluster live = startCluster(ns, spec -> {})) {
      live.startProxy();
      try (FailoverTest.Writer writer = new FailoverTest.Writer(live)) {
        writer.awaitAcks(20);
        long deletedAt = System.nanoTime();
        client.pods().inNamespace(ns).withName(PRIMARY).delete(); // kubectl delete pod: graceful

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
          FailoverRecord record = cluster(ns).getStatus().getLastFailover();
          assertThat(record).isNotNull();
          assertThat(record.getReason()).isEqualTo("PrimaryPodDeleted");
          assertThat(record.getCompletedAt()).isNotNull();
        });
        long handedOver = System.nanoTime();
        String promoted = cluster(ns).getStatus().getCurrentPrimary();
        assertThat(promoted).isIn(SECONDARY, SECONDARY_1);
        assertThat(cluster(ns).getStatus().getLastFailover().getEpoch()).isEqualTo(2L);

        // The pod is stopped (preStop, SIGTERM), removed, made again, and its member starts on its volume;
        // meanwhile it has no member to connect to.
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
          assertThat(live.preStopLog()).anySatisfy(line -> assertThat(line).startsWith(PRIMARY + " step-down")
              .endsWith("-> exit 0"));
          assertThat(live.runningMembers()).contains(PRIMARY);
          assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
          try (DirkConnection c = live.connect(PRIMARY)) {
            HeartbeatReport heartbeat = HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
            assertThat(heartbeat.role()).isEqualTo("secondary");
            assertThat(heartbeat.epoch()).isEqualTo(2L);
            assertThat(heartbeat.diverged()).isFalse();
            // By the new primary's stable name, as the operator repoints members (never by pod IP).
            assertThat(heartbeat.following())
                .isEqualTo(live.stableName(promoted) + ":" + live.member(promoted).port());
          }
        });
        writer.awaitAcks(writer.acked().size() + 20);
        writer.stop();
        long longestPause = writer.longestPauseMillis();
        System.out.printf("graceful primary deletion: delete to hand-over completed %d ms; longest pause between two"
            + " acknowledged writes %d ms; failed writes %d%n", Duration.ofNanos(handedOver - deletedAt).toMillis(),
            longestPause, writer.failures());

        assertThat(writer.failures()).as("writes that failed through the proxy: %s", writer.failureSummary())
            .isZero();
        assertThat(ids(live, promoted)).containsAll(writer.acked());
        // Its log was a prefix of the new primary's: it rejoined by following, not by a resync.
        assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems()).isEmpty();
        assertThat(eventReasons(ns)).contains("SwitchoverStarted", "SwitchoverCompleted")
            .doesNotContain("FailoverStarted");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(live.contents(PRIMARY)).isEqualTo(live.contents(promoted)));
      }
    }
  }

  @Test
  void anImageChangeRollsByRoleWithoutFailedOrLostWrites() throws Exception {
    String ns = "planned-roll";
    try (LiveCluster live = startCluster(ns, spec -> {})) {
      live.startProxy();
      // After a switchover the primary lives in a pod of the secondary StatefulSet: the roll must go by role.
      moveThePrimaryTo(ns, SECONDARY_1);
      try (FailoverTest.Writer writer = new FailoverTest.Writer(live)) {
        writer.awaitAcks(20);
        int stopsBefore = live.preStopLog().size();
        editCluster(ns, c -> c.getSpec().setImage("dirkdb/dirk:0.2.0"));
        awaitRolledOut(ns, live);
        writer.awaitAcks(writer.acked().size() + 20);
        writer.stop();

        List<String> stopped = live.preStopLog().subList(stopsBefore, live.preStopLog().size()).stream()
            .map(line -> line.substring(0, line.indexOf(' '))).toList();
        System.out.printf("image upgrade of a 3-member sync cluster: failed writes %d, lost writes %d, longest pause"
            + " %d ms, pods in the order stopped %s%n", writer.failures(), lost(live, writer).size(),
            writer.longestPauseMillis(), stopped);
        // Secondaries first, one at a time; the primary last, after it handed its role over.
        assertThat(stopped).hasSize(3);
        assertThat(stopped.get(2)).isEqualTo(SECONDARY_1);
        assertThat(stopped.subList(0, 2)).containsExactlyInAnyOrder(PRIMARY, SECONDARY);
        FailoverRecord record = cluster(ns).getStatus().getLastFailover();
        assertThat(record.getReason()).isEqualTo("RollingUpdate");
        assertThat(record.getFromPrimary()).isEqualTo(SECONDARY_1);
        assertThat(writer.failures()).as("writes that failed through the proxy: %s", writer.failureSummary())
            .isZero();
        assertThat(lost(live, writer)).as("acknowledged writes missing from the new primary").isEmpty();
        assertThat(eventReasons(ns)).contains("RollingUpdate", "RollingUpdateCompleted")
            .doesNotContain("FailoverStarted");
      }
    }
  }

  @Test
  void aRollingUpdateWithATargetPrimaryEndsWithTheTargetAsPrimary() throws Exception {
    String ns = "planned-roll-target";
    try (LiveCluster live = startCluster(ns, spec -> spec.setTargetPrimary(SECONDARY_1))) {
      await().atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY_1));
      int stopsBefore = live.preStopLog().size();
      editCluster(ns, c -> c.getSpec().setImage("dirkdb/dirk:0.2.0"));
      awaitRolledOut(ns, live);
      // The roll hands the role away from the outdated target, replaces it, and only then does the
      // target get it back: each pod stopped once, no back-and-forth.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY_1);
        assertThat(cluster(ns).getStatus().getLastFailover().getCompletedAt()).isNotNull();
      });
      assertThat(live.preStopLog().subList(stopsBefore, live.preStopLog().size())).hasSize(3);
      assertThat(eventReasons(ns).stream().filter("SwitchoverStarted"::equals).count())
          .as("switchovers: to the target at creation, away from it in the roll, back to it after").isEqualTo(3);
    }
  }

  @Test
  void anOperatorRestartedInTheMiddleOfARollingUpdateFinishesItWithOnePrimaryAtATimeAndNoFailedWrite()
      throws Exception {
    String ns = "planned-roll-restart";
    try (LiveCluster live = startCluster(ns, spec -> {})) {
      live.startProxy();
      try (FailoverTest.Writer writer = new FailoverTest.Writer(live);
          PrimaryCount primaries = new PrimaryCount(live)) {
        writer.awaitAcks(20);
        int stopsBefore = live.preStopLog().size();
        editCluster(ns, c -> c.getSpec().setImage("dirkdb/dirk:0.2.0"));
        // Stop the operator once the first secondary has been stopped, before its replacement runs: the
        // kubelet holds the start, so the roll waits. The stop leaves the SDK no half-ended pass (see
        // OperatorRestart), as the Lease holder's pod deletion would.
        live.holdPodStarts(true);
        await().atMost(Duration.ofSeconds(60)).until(() -> live.preStopLog().size() > stopsBefore);
        OperatorRestart.stopLikeAPodDeletion(operator);
        try {
          FailoverTest.expireOperatorLease(client);
          // With no operator, nothing else moves: the other outdated pods stay.
          await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
              .until(() -> live.preStopLog().size() == stopsBefore + 1);
          assertThat(cluster(ns).getStatus().condition("RollingUpdate"))
              .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        } finally {
          operator.start();
          live.holdPodStarts(false);
        }
        awaitRolledOut(ns, live);
        assertThat(cluster(ns).getStatus().getLastFailover().getReason()).isEqualTo("RollingUpdate");
        assertThat(cluster(ns).getStatus().getLastFailover().getFromPrimary()).isEqualTo(PRIMARY);
        writer.awaitAcks(writer.acked().size() + 20);
        writer.stop();
        assertThat(writer.failures()).as("writes that failed through the proxy: %s", writer.failureSummary())
            .isZero();
        assertThat(lost(live, writer)).as("acknowledged writes missing on the primary").isEmpty();
        assertThat(primaries.most()).as("members answering primary at once, sampled every 20 ms").isEqualTo(1);
      }
    }
  }

  /** Samples every running member's heartbeat and keeps the most members that answered primary at once. */
  private static final class PrimaryCount implements AutoCloseable {
    private final java.util.concurrent.ScheduledExecutorService sampler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    private final java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();

    PrimaryCount(LiveCluster live) {
      sampler.scheduleWithFixedDelay(() -> {
        int now = 0;
        for (String pod : live.runningMembers()) {
          try (DirkConnection c = live.connect(pod)) {
            if (HeartbeatReport.parse(c.execute("dirk heartbeat").messageText()).isPrimary()) {
              now++;
            }
          } catch (IOException | RuntimeException e) {
            // stopping or not started yet: not a primary
          }
        }
        most.accumulateAndGet(now, Math::max);
      }, 0, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    int most() {
      return most.get();
    }

    @Override
    public void close() {
      sampler.shutdownNow();
    }
  }

  // ---- helpers

  private LiveCluster startCluster(String ns, Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust)
      throws IOException {
    return LiveCluster.startManaged(client, ns, NAME, ReplicationMode.SYNC, 2, adjust,
        LiveCluster.MemberRuntime.PROCESS);
  }

  private void moveThePrimaryTo(String ns, String target) {
    editCluster(ns, c -> c.getSpec().setTargetPrimary(target));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(target);
      assertThat(cluster(ns).getStatus().getLastFailover().getCompletedAt()).isNotNull();
    });
    editCluster(ns, c -> c.getSpec().setTargetPrimary(null));
  }

  /** A spec change as kubectl edit makes it: read again and retry when the operator wrote the status meanwhile. */
  private void editCluster(String ns, Consumer<DirkCluster> change) {
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
      change.accept(c);
      return c;
    }));
  }

  /** Every member pod runs the StatefulSets' current template, is Ready, and the cluster is Ready again. */
  private void awaitRolledOut(String ns, LiveCluster live) {
    await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
      for (String sts : List.of(NAME + "-primary", NAME + "-secondary")) {
        StatefulSet set = client.apps().statefulSets().inNamespace(ns).withName(sts).require();
        assertThat(set.getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
        assertThat(set.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
            .isEqualTo("dirkdb/dirk:0.2.0");
        assertThat(set.getStatus()).as("status of %s", sts).isNotNull();
        assertThat(set.getStatus().getUpdatedReplicas()).isEqualTo(set.getSpec().getReplicas());
        assertThat(set.getStatus().getCurrentRevision()).isEqualTo(set.getStatus().getUpdateRevision());
      }
      DirkCluster c = cluster(ns);
      assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Ready);
      assertThat(c.getStatus().condition("RollingUpdate")).hasValueSatisfying(cond -> {
        assertThat(cond.getStatus()).isEqualTo("False");
        assertThat(cond.getReason()).isEqualTo("RolledOut");
      });
      assertThat(live.runningMembers()).containsExactlyInAnyOrder(PRIMARY, SECONDARY, SECONDARY_1);
    });
  }

  private static Set<Long> lost(LiveCluster live, FailoverTest.Writer writer) throws IOException {
    String primary = live.runningMembers().stream().filter(p -> {
      try (DirkConnection c = live.connect(p)) {
        return HeartbeatReport.parse(c.execute("dirk heartbeat").messageText()).isPrimary();
      } catch (IOException e) {
        return false;
      }
    }).findFirst().orElseThrow();
    Set<Long> missing = new TreeSet<>(writer.acked());
    missing.removeAll(ids(live, primary));
    return missing;
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

  private static Set<Long> ids(LiveCluster live, String pod) throws IOException {
    Set<Long> ids = new TreeSet<>();
    for (List<Object> row : live.contents(pod).getOrDefault("shop.item", new ArrayList<>())) {
      ids.add(((Number) row.get(0)).longValue());
    }
    return ids;
  }
}
