package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.FailoverRecord;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.testing.ContinuousWriter;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Failover, switchover and rejoin against real DirkDB members: the test plays the kubelet (pods on
 * loopback addresses with real members, resync Jobs run in-process) and a real proxy carries writes.
 * The crash test runs its members as processes and SIGKILLs the primary; the others run members in
 * this JVM (a kill there is a stop of the member's server), which starts a cluster in a fraction of the time.
 * One test stops and starts the Operator SDK's operator itself in the middle of a failover.
 */
@QuarkusTest
class FailoverTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  /** The Operator SDK's operator: stopped and started again to play an operator restart. */
  @Inject
  Operator operator;

  @Test
  void killedPrimaryIsReplacedWithoutLosingAcknowledgedWritesAndRejoinsByResync() throws Exception {
    String ns = "failover-kill";
    // Members in JVMs of their own, on the harness's StatefulSet controller and kubelet: the primary dies by
    // SIGKILL, mid-write, as on a node failure; its node stays down (no restart) until the failover is over.
    try (LiveCluster live = LiveCluster.startManaged(client, ns, NAME, ReplicationMode.SYNC, 2, spec -> {
      spec.getFailover().setHeartbeatIntervalMs(500);
      spec.getFailover().setFailureThreshold(3);
      spec.getFailover().setFailoverDelaySeconds(0);
    }, LiveCluster.MemberRuntime.PROCESS)) {
      live.startProxy();
      try (Writer writer = new Writer(live)) {
        writer.awaitAcks(20);
        long killedAt = System.nanoTime();
        live.holdRestarts(PRIMARY, true);
        live.kill(PRIMARY);
        long gone = System.nanoTime(); // a write sent before the kill may have been answered: count later ones

        // heartbeat 500 ms x threshold 3, then the old primary's lease (2 s + a probe timeout: it could not be
        // fenced), plus the rounds a starved prober does not count (a shared build machine): a bound that says
        // "failed over by detection and the lease", not a speed target
        await().atMost(Duration.ofMillis(9000)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
          assertThat(cluster(ns).getStatus().getCurrentPrimary()).isNotEqualTo(PRIMARY);
          assertThat(role(ns, PRIMARY)).isEqualTo("fenced");
        });
        String promoted = cluster(ns).getStatus().getCurrentPrimary();
        assertThat(promoted).isIn(SECONDARY, SECONDARY_1);
        assertThat(role(ns, promoted)).isEqualTo("primary");
        assertThat(podsSelectedByPrimaryService(ns)).containsExactly(promoted);
        long firstWrite = writer.firstAckAfter(gone, Duration.ofSeconds(10));
        System.out.printf("failover: kill to first write acknowledged through the proxy: %d ms%n",
            Duration.ofNanos(firstWrite - killedAt).toMillis());
        writer.awaitAcks(writer.acked().size() + 20);
        writer.stop();

        Set<Long> stored = ids(live, promoted);
        assertThat(stored).containsAll(writer.acked());

        DirkCluster after = cluster(ns);
        FailoverRecord record = after.getStatus().getLastFailover();
        assertThat(record.getFromPrimary()).isEqualTo(PRIMARY);
        assertThat(record.getToPrimary()).isEqualTo(promoted);
        assertThat(record.getEpoch()).isEqualTo(2L);
        assertThat(record.getCompletedAt()).isNotNull();
        assertThat(record.getReason()).isEqualTo("PrimaryUnreachable");
        assertThat(after.getStatus().condition("FailingOver")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("FailoverCompleted");
        });
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(member(ns, promoted).getEpoch())
            .isEqualTo(2L));
        assertThat(eventReasons(ns)).contains("FailoverStarted", "FailoverCompleted");

        // Its node is back: the kubelet restarts the container in place (a new process on its data directory,
        // the same pod and address); back as a primary of epoch 1, a resync Job rebuilds it, then it is a
        // secondary again. The first Job fails: it is reported and retried after the backoff (1 s in tests).
        live.failNextJobs(1);
        live.holdJobs(true);
        live.holdRestarts(PRIMARY, false);
        // a JVM start on a shared machine, then a heartbeat
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
          DirkCluster c = cluster(ns);
          assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Resyncing);
          assertThat(c.getStatus().condition("Resyncing")).hasValueSatisfying(cond -> {
            assertThat(cond.getStatus()).isEqualTo("True");
            assertThat(cond.getMessage()).contains("demo-resync-p0-1");
          });
          assertThat(role(ns, PRIMARY)).isEqualTo("fenced");
        });
        live.holdJobs(false);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventReasons(ns)).contains("ResyncFailed"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(jobs(ns)).extracting(j -> j.getMetadata().getName())
              .containsExactlyInAnyOrder("demo-resync-p0-1", "demo-resync-p0-2");
          assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
          try (DirkConnection c = live.connect(PRIMARY)) {
            HeartbeatReport heartbeat = HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
            assertThat(heartbeat.role()).isEqualTo("secondary");
            assertThat(heartbeat.diverged()).isFalse();
            assertThat(heartbeat.following()).isEqualTo(live.stableAddress(promoted));
          }
          assertThat(live.contents(PRIMARY)).isEqualTo(live.contents(promoted));
        });
        Job job = client.batch().v1().jobs().inNamespace(ns).withName("demo-resync-p0-2").require();
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
            .containsExactly("resync", "--from", live.stableAddress(promoted), "--to", live.stableAddress(PRIMARY));
        assertThat(job.getMetadata().getOwnerReferences()).extracting(o -> o.getKind()).containsExactly("DirkCluster");
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isPositive();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
          assertThat(eventReasons(ns)).contains("ResyncStarted", "ResyncSucceeded");
          assertThat(cluster(ns).getStatus().condition("Resyncing"))
              .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        });
        assertThat(podsSelectedByPrimaryService(ns)).containsExactly(promoted);
      }
    }
  }

  @Test
  void primaryMissingFewerHeartbeatsThanTheThresholdStaysPrimary() throws Exception {
    String ns = "failover-blip";
    try (LiveCluster live = startManagedCluster(ns, ReplicationMode.ASYNC, 1, spec -> {
      spec.getFailover().setHeartbeatIntervalMs(200);
      spec.getFailover().setFailureThreshold(15);
    })) {
      live.holdRestarts(PRIMARY, true);
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
          .untilAsserted(() -> assertThat(member(ns, PRIMARY).getMissedHeartbeats()).isGreaterThanOrEqualTo(2));
      live.holdRestarts(PRIMARY, false); // the kubelet restarts the container in place
      await().atMost(Duration.ofSeconds(3))
          .untilAsserted(() -> assertThat(member(ns, PRIMARY).getMissedHeartbeats()).isZero());
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().getLastFailover()).isNull();
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
      });
      assertThat(eventReasons(ns)).doesNotContain("FailoverStarted");
    }
  }

  @Test
  void aPrimaryNotReadyThatStillAnswersHeartbeatsIsNotFailedOver() throws Exception {
    String ns = "failover-not-ready";
    try (LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> {})) {
      // A readiness probe failing on a busy node: the kubelet says NotReady, the member still answers.
      Kubelet.setRunning(client, ns, PRIMARY, live.member(PRIMARY).host(), false);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(member(ns, PRIMARY).isReady()).isFalse());
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().getLastFailover()).isNull();
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
      });
      // Silent as well as NotReady: that one is lost (and, unfenced, replaced once its lease ran out).
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(9)).untilAsserted(() ->
          assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY));
    }
  }

  @Test
  void aPrimaryWhosePodIsGoneIsReplacedWithoutWaitingForMissedHeartbeats() throws Exception {
    String ns = "failover-pod-gone";
    try (LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> spec.getFailover().setFailureThreshold(40))) {
      live.kill(PRIMARY);
      client.pods().inNamespace(ns).withName(PRIMARY).delete();
      // 40 misses would take 20 s; a pod that is gone needs none.
      await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(c.getStatus().getLastFailover().getReason()).isEqualTo("PrimaryPodNotReady");
        assertThat(role(ns, SECONDARY)).isEqualTo("primary");
      });
    }
  }

  @Test
  void withNoSafeCandidateNothingIsPromotedAndTheClusterIsDegraded() throws Exception {
    String ns = "failover-blocked";
    try (LiveCluster live = startManagedCluster(ns, ReplicationMode.SYNC, 2, spec -> {})) {
      // Their node is down: the kubelet does not restart them.
      live.holdRestarts(SECONDARY_1, true);
      live.holdRestarts(PRIMARY, true);
      live.kill(SECONDARY_1);
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(eventReasons(ns)).contains("FailoverBlocked");
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Degraded);
        assertThat(c.getStatus().condition("FailingOver")).hasValueSatisfying(cond -> {
          assertThat(cond.getReason()).isEqualTo("FailoverBlocked");
          assertThat(cond.getMessage()).contains(SECONDARY_1).contains("allowDataLoss");
        });
      });
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(cluster(ns).getStatus().getLastFailover()).isNull();
        assertThat(role(ns, SECONDARY)).isEqualTo("secondary");
      });
      try (DirkConnection c = live.connect(SECONDARY)) {
        assertThat(HeartbeatReport.parse(c.execute("dirk heartbeat").messageText()).role()).isEqualTo("secondary");
      }
    }
  }

  @Test
  void anOperatorRestartedBetweenFencingAndPromotionFinishesWithOnePrimary() throws Exception {
    String ns = "failover-resume";
    try (LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> {})) {
      // The operator reaches the candidate through a relay that cuts its promote statement: the
      // failover gets as far as the fence, then stalls as if the operator had died there.
      ControlRelay relay = live.relay(SECONDARY);
      relay.holdPromotions(true);
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() > 0);
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(relay.promotionsCut()).isPositive();
        FailoverRecord record = cluster(ns).getStatus().getLastFailover();
        // The promote was sent (and cut): the record says so, so that no other member gets this epoch.
        assertThat(record.getStep()).isEqualTo("Promoting");
        assertThat(record.getToPrimary()).isEqualTo(SECONDARY);
        assertThat(role(ns, PRIMARY)).isEqualTo("fenced");
      });

      // Passes recur every second while the promotion is refused: after one more cut, stop as a pod deletion
      // would (see OperatorRestart: a plain in-JVM stop inside a pass leaves the SDK unable to resume the cluster).
      int cuts = relay.promotionsCut();
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.promotionsCut() > cuts);
      OperatorRestart.stopLikeAPodDeletion(operator);
      try {
        expireOperatorLease(); // the 15 s that wait would take pass at once
        relay.holdPromotions(false);
        assertThat(role(ns, SECONDARY)).isEqualTo("secondary");
        assertThat(cluster(ns).getStatus().getLastFailover().getCompletedAt()).isNull();
      } finally {
        operator.start(); // whatever happens, the tests after this one need a running operator
      }

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        DirkCluster now = cluster(ns);
        assertThat(now.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(now.getStatus().getLastFailover().getCompletedAt()).isNotNull();
        assertThat(now.getStatus().getLastFailover().getEpoch()).isEqualTo(2L);
        assertThat(now.getStatus().getLastFailover().getFromPrimary()).isEqualTo(PRIMARY);
        assertThat(podsLabelled(ns, "primary")).containsExactly(SECONDARY);
        try (DirkConnection connection = live.connect(SECONDARY)) {
          HeartbeatReport heartbeat = HeartbeatReport.parse(connection.execute("dirk heartbeat").messageText());
          assertThat(heartbeat.role()).isEqualTo("primary");
          assertThat(heartbeat.epoch()).isEqualTo(2L);
        }
      });
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(podsLabelled(ns, "primary")).containsExactly(SECONDARY));
    }
  }

  @Test
  void switchoverWithContinuousWritesLosesNoAcknowledgedWrite() throws Exception {
    String ns = "switchover";
    try (LiveCluster live = startCluster(ns, ReplicationMode.SYNC, 2, spec -> {})) {
      live.startProxy();
      // A target that does not answer is not eligible: the switchover waits, and says why.
      live.kill(SECONDARY_1);
      setTargetPrimary(ns, SECONDARY_1);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().condition("TargetPrimaryEligible")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getMessage()).contains(SECONDARY_1 + " does not answer heartbeats");
        });
        assertThat(eventReasons(ns)).contains("SwitchoverBlocked");
      });
      assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);

      try (Writer writer = new Writer(live)) {
        writer.awaitAcks(20);
        setTargetPrimary(ns, SECONDARY);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
          DirkCluster c = cluster(ns);
          assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
          assertThat(c.getStatus().getLastFailover().getReason()).isEqualTo("Switchover");
          assertThat(c.getStatus().getLastFailover().getCompletedAt()).isNotNull();
          assertThat(role(ns, SECONDARY)).isEqualTo("primary");
          assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
        });
        int before = writer.acked().size();
        writer.awaitAcks(before + 20);
        writer.stop();
        assertThat(ids(live, SECONDARY)).containsAll(writer.acked());
        assertThat(writer.failures()).as("failed writes; the last said: %s", writer.writer.lastError()).isZero();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
          try (DirkConnection c = live.connect(PRIMARY)) {
            HeartbeatReport heartbeat = HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
            assertThat(heartbeat.role()).isEqualTo("secondary");
            assertThat(heartbeat.following()).isEqualTo(live.stableAddress(SECONDARY));
          }
        });
        assertThat(eventReasons(ns)).contains("SwitchoverStarted", "SwitchoverCompleted");
        assertThat(podsSelectedByPrimaryService(ns)).containsExactly(SECONDARY);
      }
    }
  }

  @Test
  void aClusterRecreatedOverRetainedVolumesFindsItsPrimaryByHeartbeatsNotByOrdinal() throws Exception {
    String ns = "recreate-after-failover";
    try (LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> {})) {
      writeRows(live, PRIMARY, 1, 5);
      await().atMost(Duration.ofSeconds(5)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(cluster(ns).getStatus().getLastFailover().getCompletedAt()).isNotNull();
      });
      writeRows(live, SECONDARY, 6, 8);

      // The old primary's volume still says "primary at epoch 1"; the status that knew better is gone.
      live.recreateOverRetainedVolumes(Set.of());
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(podsLabelled(ns, "primary")).containsExactly(SECONDARY);
        assertThat(podsSelectedByPrimaryService(ns)).containsExactly(SECONDARY);
      });
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
        assertThat(live.contents(PRIMARY)).isEqualTo(live.contents(SECONDARY));
      });
      assertThat(ids(live, SECONDARY)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
      assertThat(podsLabelled(ns, "primary")).containsExactly(SECONDARY);
    }
  }

  @Test
  void aPrimaryBackOnAnEmptyVolumeNeverLeadsMembersHoldingData() throws Exception {
    String ns = "recreate-empty-primary";
    try (LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> {})) {
      writeRows(live, PRIMARY, 1, 5);
      await().atMost(Duration.ofSeconds(5)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));

      // The primary's volume is lost: on a fresh one it starts as the configured primary, empty.
      live.recreateOverRetainedVolumes(Set.of(PRIMARY));
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(podsLabelled(ns, "primary")).containsExactly(SECONDARY);
      });
      // Nobody was rebuilt from the empty member: it is the one rebuilt, from the member with the data.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
        assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L, 4L, 5L);
      });
      assertThat(ids(live, SECONDARY)).containsExactly(1L, 2L, 3L, 4L, 5L);
      assertThat(jobs(ns)).allSatisfy(j -> assertThat(j.getMetadata().getLabels())
          .containsEntry("dirkdb.io/member", PRIMARY));
    }
  }

  @Test
  void aClusterWithAFortyCharacterNameHasValidChildNamesFailsOverAndResyncs() throws Exception {
    String ns = "long-name";
    String name = "orders-eu-west-1-production-primary-db01"; // 40 characters
    assertThat(name).hasSize(40);
    try (LiveCluster live = LiveCluster.startManaged(client, ns, name, ReplicationMode.ASYNC, 1,
        FailoverTest::loopbackTiming, LiveCluster.MemberRuntime.IN_PROCESS)) {
      String primary = name + "-primary-0";
      String secondary = name + "-secondary-0";
      writeRows(live, primary, 1, 3);
      await().atMost(Duration.ofSeconds(5)).until(() -> live.contents(secondary).equals(live.contents(primary)));
      live.holdRestarts(primary, true);
      live.kill(primary);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.resources(DirkCluster.class)
          .inNamespace(ns).withName(name).require().getStatus().getCurrentPrimary()).isEqualTo(secondary));
      live.holdRestarts(primary, false); // restarted in place, back as a primary of epoch 1: fenced, rebuilt by a Job
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(role(ns, primary)).isEqualTo("secondary");
        assertThat(live.contents(primary)).isEqualTo(live.contents(secondary));
      });
      List<io.fabric8.kubernetes.api.model.HasMetadata> children = new java.util.ArrayList<>(TestClusters.children(client, ns));
      children.addAll(jobs(ns));
      children.addAll(client.pods().inNamespace(ns).list().getItems());
      assertThat(jobs(ns)).isNotEmpty();
      // Every name is a DNS label (at most 63 characters), as Services, pods' hostnames and Job labels need.
      assertThat(children).allSatisfy(o -> assertThat(o.getMetadata().getName())
          .hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
      // The StatefulSet controller labels its pods controller-revision-hash=<statefulset>-<hash of up to 10>.
      assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems())
          .allSatisfy(sts -> assertThat(sts.getMetadata().getName().length() + 11).isLessThanOrEqualTo(63));
    }
  }

  @Test
  void aSlowPrimaryIsReplacedByTheSecondaryHoldingItsAcknowledgedWritesNotByALaggingOne() throws Exception {
    String ns = "failover-slow-primary";
    try (LiveCluster live = startCluster(ns, ReplicationMode.SYNC, 2, spec -> {})) {
      writeRows(live, PRIMARY, 1, 5);
      // The operator reaches the primary and demo-secondary-1 through relays: the primary's can slow it down,
      // the secondary's records the control statements it gets.
      ControlRelay primaryRelay = live.relay(PRIMARY);
      ControlRelay upToDateRelay = live.relay(SECONDARY_1);
      String primaryName = live.stableName(PRIMARY) + ":" + primaryRelay.port();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        long primaryLsn = heartbeat(live, PRIMARY).lsn();
        for (String secondary : List.of(SECONDARY, SECONDARY_1)) {
          HeartbeatReport h = heartbeat(live, secondary);
          assertThat(h.following()).as("%s follows the primary's name and declared port", secondary)
              .isEqualTo(primaryName);
          assertThat(h.lsn()).isEqualTo(primaryLsn);
        }
      });

      // The primary turns slow: heartbeats miss, a fence takes 1.2 s (within the operator's 2 s), writes go on.
      primaryRelay.delay(Duration.ofMillis(1200), "dirk heartbeat", "dirk fence");
      await().atMost(Duration.ofSeconds(5)).until(() -> member(ns, PRIMARY).getMissedHeartbeats() > 0);
      // demo-secondary-0 loses its stream from the primary (a partition between them) but still answers: from
      // now on it lags. Both secondaries hold the same LSN, so the figures read before the fence tie.
      try (DirkConnection c = live.connectAdmin(SECONDARY)) {
        LiveCluster.check(c.execute("dirk follow 'cut-off." + NAME + "-members." + ns + ".svc' 1"));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster(ns).getStatus().getLastFailover() != null);
      // While the fence is on its way the primary acknowledges more writes, which only demo-secondary-1 holds.
      Set<Long> acked = new java.util.TreeSet<>();
      try (DirkConnection c = live.connect(PRIMARY)) {
        LiveCluster.check(c.execute("ampiasao shop"));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (long id = 100; System.nanoTime() < deadline; id++) {
          if (c.execute("manampia ao@ item (id) sanda (" + id + ")").isError()) {
            break; // fenced
          }
          acked.add(id);
        }
      }
      assertThat(acked).as("writes the slow primary acknowledged before its fence").isNotEmpty();

      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getLastFailover().getCompletedAt()).isNotNull();
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY_1);
      });
      assertThat(ids(live, SECONDARY_1)).containsAll(acked);
      // Detached before the election, promoted naming the cluster's history.
      String history = heartbeat(live, SECONDARY_1).historyId();
      assertThat(history).isNotNull();
      List<String> statements = upToDateRelay.controlStatements();
      assertThat(statements).anySatisfy(st -> assertThat(st).startsWith("dirk fence"));
      assertThat(statements).anySatisfy(st -> assertThat(st).isEqualTo("dirk promote 2 history '" + history + "';"));
      assertThat(statements.indexOf("dirk fence;")).isLessThan(statements.indexOf("dirk promote 2 history '" + history
          + "';"));
      // The lagging one follows the new primary by name and gets the writes it missed.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(heartbeat(live, SECONDARY).following())
            .isEqualTo(live.stableName(SECONDARY_1) + ":" + upToDateRelay.port());
        assertThat(ids(live, SECONDARY)).containsAll(acked);
      });
    }
  }

  @Test
  void aCandidateBehindWhatTheFencedPrimaryAcknowledgedCatchesUpFromItBeforeItsPromotion() throws Exception {
    String ns = "failover-catch-up";
    try (LiveCluster live = startCluster(ns, ReplicationMode.SYNC, 2, spec -> {})) {
      writeRows(live, PRIMARY, 1, 5);
      ControlRelay primaryRelay = live.relay(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        long primaryLsn = heartbeat(live, PRIMARY).lsn();
        for (String secondary : List.of(SECONDARY, SECONDARY_1)) {
          assertThat(heartbeat(live, secondary).following())
              .isEqualTo(live.stableName(PRIMARY) + ":" + primaryRelay.port());
          assertThat(heartbeat(live, secondary).lsn()).isEqualTo(primaryLsn);
        }
      });
      primaryRelay.delay(Duration.ofMillis(1500), "dirk heartbeat", "dirk fence");
      await().atMost(Duration.ofSeconds(5)).until(() -> member(ns, PRIMARY).getMissedHeartbeats() > 0);
      try (DirkConnection c = live.connectAdmin(SECONDARY)) {
        LiveCluster.check(c.execute("dirk follow 'cut-off." + NAME + "-members." + ns + ".svc' 1"));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster(ns).getStatus().getLastFailover() != null);
      // Writes acknowledged with demo-secondary-1's ack while the fence is on its way; then demo-secondary-1
      // dies: the only member left lacks them, and only the fenced old primary still has them.
      Set<Long> acked = new java.util.TreeSet<>();
      try (DirkConnection c = live.connect(PRIMARY)) {
        LiveCluster.check(c.execute("ampiasao shop"));
        long until = System.nanoTime() + Duration.ofMillis(300).toNanos();
        for (long id = 100; System.nanoTime() < until; id++) {
          if (c.execute("manampia ao@ item (id) sanda (" + id + ")").isError()) {
            break;
          }
          acked.add(id);
        }
      }
      live.kill(SECONDARY_1);
      assertThat(acked).isNotEmpty();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getLastFailover().getCompletedAt()).isNotNull();
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
      });
      // A sync primary shows rows once a secondary confirmed them: demo-secondary-1 comes back and follows it.
      live.restartInPlace(SECONDARY_1);
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .untilAsserted(() -> assertThat(ids(live, SECONDARY)).containsAll(acked));
    }
  }

  @Test
  void aPrimaryThatCannotBeFencedStopsAcknowledgingBeforeAnotherIsPromoted() throws Exception {
    String ns = "failover-unfenced";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {},
        LiveCluster.MemberRuntime.IN_PROCESS, LiveCluster.PRIMARY_LEASE)) {
      CutOff cutOff = cutOffPrimaryWhileWriting(live);
      System.out.printf("unfenced primary: cut off %d ms before the promotion was seen; its last acknowledged "
          + "write came %d ms before it%n", cutOff.cutToPromotionMillis(), cutOff.lastAckBeforePromotionMillis());
      assertThat(cutOff.acksAfterPromotion()).as("writes the old primary acknowledged after another member was "
          + "promoted").isZero();
      assertThat(cluster(ns).getStatus().getLastFailover().getFromPrimary()).isEqualTo(PRIMARY);
    }
  }

  /**
   * @param acksAfterPromotion writes the old primary acknowledged after the new primary was seen promoted
   * @param lastAckBeforePromotionMillis how long before the promotion was seen its last write was acknowledged
   */
  record CutOff(long cutToPromotionMillis, long lastAckBeforePromotionMillis, long acksAfterPromotion) {}

  /**
   * Cuts the primary off from the operator only (a relay swallows its heartbeats and fences; its secondary
   * still streams from it, so its lease is renewed) while a client keeps writing to it, and returns when
   * the secondary answers as primary at epoch 2, with what the old primary acknowledged around that.
   */
  static CutOff cutOffPrimaryWhileWriting(LiveCluster live) throws Exception {
    writeRows(live, PRIMARY, 1, 1);
    ControlRelay primaryRelay = live.relay(PRIMARY);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(heartbeat(live, SECONDARY).following())
        .isEqualTo(live.stableName(PRIMARY) + ":" + primaryRelay.port()));
    List<Long> ackedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread writer = new Thread(() -> {
      try (DirkConnection c = live.connect(PRIMARY)) {
        LiveCluster.check(c.execute("ampiasao shop"));
        for (long id = 100; writing.get(); id++) {
          if (!c.execute("manampia ao@ item (id) sanda (" + id + ")").isError()) {
            ackedAt.add(System.nanoTime());
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, "writes-to-the-old-primary");
    try {
      writer.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> ackedAt.size() > 10);
      long cut = System.nanoTime();
      primaryRelay.drop("dirk heartbeat", "dirk fence");
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
        HeartbeatReport h = heartbeat(live, SECONDARY);
        return h.isPrimary() && h.epoch() == 2;
      });
      long promotedSeen = System.nanoTime();
      // Writes still going to the old primary for a while show whether it still acknowledges.
      await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
      long lastAck = ackedAt.stream().mapToLong(Long::longValue).max().orElseThrow();
      return new CutOff(Duration.ofNanos(promotedSeen - cut).toMillis(),
          Duration.ofNanos(promotedSeen - lastAck).toMillis(), ackedAt.stream().filter(at -> at >= promotedSeen).count());
    } finally {
      writing.set(false);
      writer.join(10_000);
    }
  }

  @Test
  void aRefusedResyncJobIsReportedAndTheOperatorGoesOn() throws Exception {
    String ns = "failover-job-refused";
    try (LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> {})) {
      writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(5)).until(() -> live.contents(SECONDARY).equals(live.contents(PRIMARY)));
      Harness.refuse(client, "create", "batch", "jobs", ns, "exceeded quota: jobs=0");
      try {
        live.kill(PRIMARY);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY));
        live.restartPod(PRIMARY); // back as a primary of epoch 1: it needs a resync Job, which the quota refuses
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
          assertThat(eventReasons(ns)).contains("ResyncJobRefused");
          assertThat(cluster(ns).getStatus().condition("Resyncing")).hasValueSatisfying(c -> {
            assertThat(c.getReason()).isEqualTo("ResyncJobRefused");
            assertThat(c.getMessage()).contains(PRIMARY).contains("exceeded quota");
          });
          assertThat(role(ns, PRIMARY)).isEqualTo("fenced");
        });
      } finally {
        Harness.clearFaults(client);
      }
      // Once the quota allows it, the Job is made after the backoff and the member rejoins.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(role(ns, PRIMARY)).isEqualTo("secondary");
        assertThat(live.contents(PRIMARY)).isEqualTo(live.contents(SECONDARY));
      });
    }
  }

  @Test
  void aMemberToldToFollowAPeerByIpFailsTheHarnessCheck() throws Exception {
    String ns = "harness-ip";
    LiveCluster live = startCluster(ns, ReplicationMode.ASYNC, 1, spec -> {});
    try {
      LiveCluster.LiveMember primary = live.member(PRIMARY);
      try (DirkConnection c = live.connectAdmin(SECONDARY)) {
        LiveCluster.check(c.execute("dirk follow '" + primary.host() + "' " + primary.port()));
      }
      live.checkAddressesNow();
      assertThat(live.addressedByIp()).anySatisfy(v -> assertThat(v).contains(SECONDARY).contains(primary.host()));
    } finally {
      org.assertj.core.api.Assertions.assertThatThrownBy(live::close).isInstanceOf(AssertionError.class)
          .hasMessageContaining("by IP");
    }
  }

  /** Writes rows {@code from..to} into shop.item directly on {@code pod}, making the table first if needed. */
  static void writeRows(LiveCluster live, String pod, int from, int to) throws IOException {
    try (DirkConnection c = live.connect(pod)) {
      if (from == 1) {
        LiveCluster.check(c.execute("manamboara tahiry shop"));
        LiveCluster.check(c.execute("ampiasao shop"));
        LiveCluster.check(c.execute("manamboara tabilao item(id ISA(null,null))"));
      } else {
        LiveCluster.check(c.execute("ampiasao shop"));
      }
      for (int id = from; id <= to; id++) {
        LiveCluster.check(c.execute("manampia ao@ item (id) sanda (" + id + ")"));
      }
    }
  }

  // ---- helpers

  private LiveCluster startCluster(String ns, ReplicationMode mode, int secondaries,
      Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust) throws IOException {
    return LiveCluster.start(client, ns, NAME, mode, secondaries, adjust);
  }

  /**
   * A cluster on the harness's StatefulSet controller and kubelet (members in this JVM): a killed member is
   * restarted in place unless its restarts are held, and pods are Ready as /health/ready says.
   */
  private LiveCluster startManagedCluster(String ns, ReplicationMode mode, int secondaries,
      Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust) throws IOException {
    return LiveCluster.startManaged(client, ns, NAME, mode, secondaries, spec -> {
      loopbackTiming(spec);
      adjust.accept(spec);
    }, LiveCluster.MemberRuntime.IN_PROCESS);
  }

  /** Detection tuned for loopback members, as {@link LiveCluster#start} sets it. */
  static void loopbackTiming(io.dirkdb.operator.api.v1alpha1.DirkClusterSpec spec) {
    spec.getFailover().setHeartbeatIntervalMs(500);
    spec.getFailover().setFailureThreshold(3);
    spec.getFailover().setFailoverDelaySeconds(0);
  }

  private void setTargetPrimary(String ns, String target) {
    // The operator writes the status meanwhile, which moves the resourceVersion: read again and retry.
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
      c.getSpec().setTargetPrimary(target);
      return c;
    }));
  }

  private void expireOperatorLease() {
    expireOperatorLease(client);
  }

  /** Dates the operator's Lease a minute back, as if its holder had not renewed it for that long. */
  static void expireOperatorLease(KubernetesClient client) {
    // The edit carries the resourceVersion it read: a renewal by the stopping operator in between
    // answers 409, and the edit is made again on the fresh Lease.
    for (int attempt = 1; ; attempt++) {
      try {
        client.leases().inNamespace("dirk-operator").withName(OperatorLeaderElection.LEASE_NAME).edit(lease -> {
          lease.getSpec().setRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).minusMinutes(1));
          return lease;
        });
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private MemberStatus member(String ns, String pod) {
    return cluster(ns).getStatus().getMembers().stream().filter(m -> m.getName().equals(pod)).findFirst().orElseThrow();
  }

  private String role(String ns, String pod) {
    Pod p = client.pods().inNamespace(ns).withName(pod).get();
    return p == null ? null : p.getMetadata().getLabels().get("dirkdb.io/role");
  }

  private List<String> podsLabelled(String ns, String role) {
    return client.pods().inNamespace(ns).withLabel("dirkdb.io/role", role).list().getItems().stream()
        .map(p -> p.getMetadata().getName()).sorted().toList();
  }

  private List<String> podsSelectedByPrimaryService(String ns) {
    Map<String, String> selector = client.services().inNamespace(ns).withName(NAME + "-primary").require()
        .getSpec().getSelector();
    return client.pods().inNamespace(ns).withLabels(selector).list().getItems().stream()
        .map(p -> p.getMetadata().getName()).sorted().toList();
  }

  private List<Job> jobs(String ns) {
    return client.batch().v1().jobs().inNamespace(ns).list().getItems();
  }

  private List<String> eventReasons(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && NAME.equals(e.getInvolvedObject().getName()))
        .map(Event::getReason).toList();
  }

  static HeartbeatReport heartbeat(LiveCluster live, String pod) throws IOException {
    try (DirkConnection c = live.connect(pod)) {
      return HeartbeatReport.parse(c.execute("dirk heartbeat").messageText());
    }
  }

  private static Set<Long> ids(LiveCluster live, String pod) throws IOException {
    Set<Long> ids = new java.util.TreeSet<>();
    for (List<Object> row : live.contents(pod).getOrDefault("shop.item", List.of())) {
      ids.add(((Number) row.get(0)).longValue());
    }
    return ids;
  }

  /**
   * Writes rows with increasing ids through the proxy (the data plane's {@link ContinuousWriter}), after
   * making the table they go into.
   */
  static final class Writer implements AutoCloseable {
    private final ContinuousWriter writer;

    Writer(LiveCluster live) throws IOException {
      this(live, "item");
    }

    /** Into table {@code table} of database shop (made if it is not there yet). */
    Writer(LiveCluster live, String table) throws IOException {
      try (DirkConnection c = live.connectProxy()) {
        c.execute("manamboara tahiry shop"); // refused when a first writer made it; the next line says if it is there
        LiveCluster.check(c.execute("ampiasao shop"));
        LiveCluster.check(c.execute("manamboara tabilao " + table + "(id ISA(null,null))"));
      }
      writer = new ContinuousWriter("127.0.0.1", live.proxyPort(), live.password(), List.of("ampiasao shop"),
          id -> "manampia ao@ " + table + " (id) sanda (" + id + ")");
    }

    /** Ids of the rows whose write was acknowledged. */
    Set<Long> acked() {
      return writer.acks().stream().map(ContinuousWriter.Ack::number).collect(Collectors.toSet());
    }

    long failures() {
      return writer.failures();
    }

    /** Each error the failed writes got, with how many got it, for an assertion's message. */
    String failureSummary() {
      return writer.failureSummary();
    }

    /** The longest time between two acknowledgements in a row: how long writes stalled. */
    long longestPauseMillis() {
      List<Long> acked = writer.acks().stream().map(ContinuousWriter.Ack::ackedNanos).sorted().toList();
      long longest = 0;
      for (int i = 1; i < acked.size(); i++) {
        longest = Math.max(longest, acked.get(i) - acked.get(i - 1));
      }
      return Duration.ofNanos(longest).toMillis();
    }

    void awaitAcks(int count) {
      await().atMost(Duration.ofSeconds(20)).until(() -> writer.acks().size() >= count);
    }

    /** {@link System#nanoTime()} of the acknowledgement of the first write sent after {@code nanos}. */
    long firstAckAfter(long nanos, Duration patience) {
      // A write sent before the kill may still be acknowledged by the old primary; count only later ones.
      await().atMost(patience).pollInterval(Duration.ofMillis(10))
          .until(() -> writer.firstAckSentAfter(nanos) != null);
      return writer.firstAckSentAfter(nanos).ackedNanos();
    }

    void stop() throws InterruptedException {
      writer.close();
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }
}
