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
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The annotations {@code kubectl dirk} sets (and a person can set with {@code kubectl annotate}): paused
 * reconciliation, user fences, hibernation, a resync request; each against live members.
 */
@QuarkusTest
class UserAnnotationsTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY = "demo-secondary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  io.javaoperatorsdk.operator.Operator operator;

  @Inject
  io.dirkdb.operator.failover.ClusterProber prober;

  @Inject
  io.dirkdb.operator.failover.FailoverCoordinator coordinator;

  @Test
  void aPausedClusterIgnoresASpecChangeAndAPrimaryKillUntilResumed() throws Exception {
    String ns = "annotations-paused";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      annotate(ns, "dirkdb.io/reconciliation", "paused");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster(ns).getStatus()
          .condition("ReconciliationPaused")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));
      assertThat(eventReasons(ns)).contains("ReconciliationPaused");
      int proxyReplicas = proxyReplicas(ns);
      Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
        c.getSpec().getProxy().setReplicas(proxyReplicas + 1);
        return c;
      }));
      live.kill(PRIMARY);

      // Past detection (3 x 500 ms, no delay) several times over: no failover, no child changed.
      await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(c.getStatus().getLastFailover()).isNull();
        assertThat(proxyReplicas(ns)).isEqualTo(proxyReplicas);
      });
      assertThat(heartbeat(live, SECONDARY).role()).isEqualTo("secondary");

      annotate(ns, "dirkdb.io/reconciliation", null);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(c.getStatus().condition("ReconciliationPaused"))
            .hasValueSatisfying(cond -> assertThat(cond.getStatus()).isEqualTo("False"));
        assertThat(proxyReplicas(ns)).isEqualTo(proxyReplicas + 1);
      });
      assertThat(eventReasons(ns)).contains("ReconciliationResumed");
    }
  }

  @Test
  void aUserFencedPrimaryIsNeitherFailedOverNorUnfencedAndUnfencingBringsWritesBack() throws Exception {
    String ns = "annotations-fenced-primary";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 5);
      long epoch = heartbeat(live, PRIMARY).epoch();
      annotate(ns, "dirkdb.io/fenced-members", "[\"" + PRIMARY + "\"]");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(heartbeat(live, PRIMARY).role()).isEqualTo("fenced");
        assertThat(cluster(ns).getStatus().condition("FencedByUser")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("True");
          assertThat(c.getMessage()).contains(PRIMARY).contains("no failover");
        });
      });

      // A hand-fenced primary is handed over at once (failoverDelaySeconds 0): a user's fence is not.
      await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).untilAsserted(() -> {
        assertThat(heartbeat(live, PRIMARY).role()).isEqualTo("fenced");
        assertThat(heartbeat(live, SECONDARY).isPrimary()).isFalse();
        assertThat(cluster(ns).getStatus().getLastFailover()).isNull();
        assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
      });
      try (DirkConnection c = live.connect(PRIMARY)) {
        LiveCluster.check(c.execute("ampiasao shop"));
        assertThat(c.execute("manampia ao@ item (id) sanda (99)").isError()).as("a write on the fenced primary")
            .isTrue();
      }

      annotate(ns, "dirkdb.io/fenced-members", null);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        HeartbeatReport back = heartbeat(live, PRIMARY);
        assertThat(back.isPrimary()).isTrue();
        assertThat(back.epoch()).isGreaterThan(epoch);
        FailoverRecord record = cluster(ns).getStatus().getLastFailover();
        assertThat(record.getToPrimary()).isEqualTo(PRIMARY);
        assertThat(record.getStep()).isEqualTo("Completed");
        assertThat(role(ns, PRIMARY)).isEqualTo("primary");
      });
      FailoverTest.writeRows(live, PRIMARY, 6, 8);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ids(live, SECONDARY))
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L));
      assertThat(eventReasons(ns)).contains("MembersFenced", "MembersUnfenced");
    }
  }

  @Test
  void aUserFencedSecondaryIsNeverPromotedWhenThePrimaryDies() throws Exception {
    String ns = "annotations-fenced-secondary";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 2, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster(ns).getStatus().getMembers())
          .allSatisfy(m -> assertThat(m.getLsn()).isEqualTo(heartbeat(live, PRIMARY).lsn())));
      annotate(ns, "dirkdb.io/fenced-members", "[\"" + SECONDARY + "\"]");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(heartbeat(live, SECONDARY).role()).isEqualTo("fenced");
        assertThat(role(ns, SECONDARY)).isEqualTo("fenced");
      });

      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(SECONDARY_1);
        assertThat(heartbeat(live, SECONDARY_1).isPrimary()).isTrue();
      });
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(heartbeat(live, SECONDARY).role()).isEqualTo("fenced");
        assertThat(role(ns, SECONDARY)).isEqualTo("fenced");
      });

      annotate(ns, "dirkdb.io/fenced-members", null);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        HeartbeatReport follower = heartbeat(live, SECONDARY);
        assertThat(follower.role()).isEqualTo("secondary");
        assertThat(follower.following()).isEqualTo(live.stableAddress(SECONDARY_1));
      });
      assertThat(ids(live, SECONDARY)).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aSwitchoverToAUserFencedMemberSaysItIsFencedAndWhatToDoInsteadOfThatItIsNoMember() throws Exception {
    String ns = "annotations-fenced-target";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      annotate(ns, "dirkdb.io/fenced-members", "[\"" + SECONDARY + "\"]");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(role(ns, SECONDARY)).isEqualTo("fenced"));

      Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
        c.getSpec().setTargetPrimary(SECONDARY);
        return c;
      }));

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(cluster(ns).getStatus()
          .condition(io.dirkdb.operator.api.v1alpha1.ConditionType.TargetPrimaryEligible)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getMessage()).contains(SECONDARY + " is fenced by the user", "kubectl dirk unfence " + NAME + " "
                + SECONDARY).doesNotContain("not a member");
          }));
      assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
      assertThat(heartbeat(live, PRIMARY).isPrimary()).as("the primary keeps its role").isTrue();
    }
  }

  @Test
  void hibernationStopsEveryPodKeepingTheDataAndWakesWithTheSamePrimaryAndRows() throws Exception {
    String ns = "annotations-hibernate";
    try (LiveCluster live = LiveCluster.startManaged(client, ns, NAME, ReplicationMode.ASYNC, 1,
        FailoverTest::loopbackTiming, LiveCluster.MemberRuntime.IN_PROCESS)) {
      FailoverTest.writeRows(live, PRIMARY, 1, 4);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ids(live, SECONDARY)).hasSize(4));

      annotate(ns, "dirkdb.io/hibernation", "on");
      // Hibernation's fence is a held one: the members' preStop hook (dirk step-down) waits for no hand-over (its
      // --handover-seconds is 30 s), so every pod is gone well before that.
      await().atMost(Duration.ofSeconds(25)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Hibernated);
        assertThat(memberPods(ns)).isEmpty();
        assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems())
            .allSatisfy(s -> assertThat(s.getSpec().getReplicas()).isZero());
        assertThat(proxyReplicas(ns)).isZero();
        assertThat(c.getStatus().condition("Hibernated")).hasValueSatisfying(h -> assertThat(h.getMessage())
            .contains("every pod is stopped"));
      });
      assertThat(live.preStopOutput()).anySatisfy(line -> assertThat(line).startsWith(PRIMARY + ": ")
          .contains("fenced at epoch 1 by a held fence", "it may stop"));
      assertThat(live.preStopOutput()).noneSatisfy(line -> assertThat(line).contains("still fenced after"));
      // No failover while every member is gone.
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getLastFailover()).isNull();
        assertThat(cluster(ns).getStatus().getPhase()).isEqualTo(ClusterPhase.Hibernated);
      });

      annotate(ns, "dirkdb.io/hibernation", "off");
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Ready);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(PRIMARY);
        assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
      });
      assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L, 4L);
      FailoverTest.writeRows(live, PRIMARY, 5, 5);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ids(live, SECONDARY))
          .containsExactly(1L, 2L, 3L, 4L, 5L));
      assertThat(eventReasons(ns)).contains("Hibernating", "HibernationEnded");
    }
  }

  @Test
  void theResyncAnnotationRunsOneJobOfTheMemberThenGoesAway() throws Exception {
    String ns = "annotations-resync";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      annotate(ns, "dirkdb.io/resync", SECONDARY);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(cluster(ns).getMetadata().getAnnotations()).doesNotContainKey("dirkdb.io/resync");
        assertThat(live.jobLog()).singleElement().asString().startsWith("demo-resync-s0-1 ").endsWith("-> exit 0");
        assertThat(heartbeat(live, SECONDARY).role()).isEqualTo("secondary");
      });
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(jobs(ns))
          .extracting(j -> j.getMetadata().getName()).containsExactly("demo-resync-s0-1"));
      assertThat(ids(live, SECONDARY)).containsExactly(1L, 2L, 3L);
      assertThat(eventReasons(ns)).contains("ResyncRequested");

      annotate(ns, "dirkdb.io/resync", PRIMARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(cluster(ns).getMetadata().getAnnotations()).doesNotContainKey("dirkdb.io/resync");
        assertThat(eventReasons(ns)).contains("ResyncRequestRefused");
      });
      assertThat(jobs(ns)).hasSize(1);
    }
  }

  @Test
  void aResyncRequestForAUserFencedMemberIsRefusedAndTheMemberStaysFencedWithItsData() throws Exception {
    String ns = "annotations-resync-fenced";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      FailoverTest.writeRows(live, PRIMARY, 1, 3);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ids(live, SECONDARY)).hasSize(3));
      annotate(ns, "dirkdb.io/fenced-members", "[\"" + SECONDARY + "\"]");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(heartbeat(live, SECONDARY).role())
          .isEqualTo("fenced"));

      // A person fenced it, e.g. to look at its data: a resync would wipe it and make it follow the primary.
      annotate(ns, "dirkdb.io/resync", SECONDARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(cluster(ns).getMetadata().getAnnotations()).doesNotContainKey("dirkdb.io/resync");
        assertThat(eventReasons(ns)).contains("ResyncRequestRefused");
      });
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(jobs(ns)).isEmpty();
        assertThat(live.jobLog()).isEmpty();
        assertThat(heartbeat(live, SECONDARY).role()).isEqualTo("fenced");
      });
    }
  }

  @Test
  void aPrimaryUnfencedWhileTheOperatorForgotItsFencesTakesItsRoleBackWithFailoverDisabled() throws Exception {
    String ns = "annotations-unfence-after-restart";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1,
        spec -> spec.getFailover().setEnabled(false))) {
      FailoverTest.writeRows(live, PRIMARY, 1, 2);
      long epoch = heartbeat(live, PRIMARY).epoch();
      annotate(ns, "dirkdb.io/fenced-members", "[\"" + PRIMARY + "\"]");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(heartbeat(live, PRIMARY).role()).isEqualTo("fenced");
        assertThat(role(ns, PRIMARY)).isEqualTo("fenced");
      });

      // What an operator restart loses: the fences it held in memory; the annotation is removed meanwhile.
      io.dirkdb.operator.failover.UserFences.forget(io.javaoperatorsdk.operator.processing.event.ResourceID
          .fromResource(cluster(ns)));
      annotate(ns, "dirkdb.io/fenced-members", null);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        HeartbeatReport back = heartbeat(live, PRIMARY);
        assertThat(back.isPrimary()).as("the unfenced primary takes writes again").isTrue();
        assertThat(back.epoch()).isGreaterThan(epoch);
        assertThat(heartbeat(live, SECONDARY).isPrimary()).isFalse();
      });
      FailoverTest.writeRows(live, PRIMARY, 3, 3);
    }
  }

  @Test
  void aPausedClusterKeepsItsPrimaryWritableAcrossAnOperatorRestart() throws Exception {
    String ns = "annotations-paused-restart";
    // No secondary: only the operator's probes renew the primary's lease (2 s here).
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 0, spec -> {},
        LiveCluster.MemberRuntime.IN_PROCESS, Duration.ofSeconds(2))) {
      FailoverTest.writeRows(live, PRIMARY, 1, 2);
      annotate(ns, "dirkdb.io/reconciliation", "paused");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster(ns).getStatus()
          .condition("ReconciliationPaused")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));

      OperatorRestart.restartForgettingEverything(operator, client, prober, coordinator);
      // Several leases long: pausing the operator must not stop the primary acknowledging writes.
      await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(live.leaseExpired(PRIMARY)).as("the paused cluster's primary lease ran out").isFalse();
        assertThat(heartbeat(live, PRIMARY).isPrimary()).isTrue();
      });
      FailoverTest.writeRows(live, PRIMARY, 3, 3);
      assertThat(ids(live, PRIMARY)).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aHibernationAnnotationWithAnUnknownValueIsSaidInTheStatusAndAnEventAndChangesNothing() throws Exception {
    String ns = "annotations-hibernate-typo";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      annotate(ns, "dirkdb.io/hibernation", "true");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().condition("Hibernated")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("InvalidValue");
          assertThat(c.getMessage()).contains("\"true\"").contains("\"on\"");
        });
        assertThat(eventReasons(ns)).contains("HibernationValueInvalid");
      });
      assertThat(cluster(ns).getStatus().getPhase()).isEqualTo(ClusterPhase.Ready);
      assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems())
          .allSatisfy(s -> assertThat(s.getSpec().getReplicas()).isPositive());
    }
  }

  // ---- helpers

  private void annotate(String ns, String key, String value) {
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
      if (value == null) {
        if (c.getMetadata().getAnnotations() != null) {
          c.getMetadata().getAnnotations().remove(key);
        }
      } else {
        if (c.getMetadata().getAnnotations() == null) {
          c.getMetadata().setAnnotations(new java.util.HashMap<>());
        }
        c.getMetadata().getAnnotations().put(key, value);
      }
      return c;
    }));
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private int proxyReplicas(String ns) {
    return client.apps().deployments().inNamespace(ns).withName(NAME + "-proxy").require().getSpec().getReplicas();
  }

  private List<Pod> memberPods(String ns) {
    return client.pods().inNamespace(ns).withLabel("app.kubernetes.io/component", "member").list().getItems();
  }

  private String role(String ns, String pod) {
    return client.pods().inNamespace(ns).withName(pod).require().getMetadata().getLabels().get("dirkdb.io/role");
  }

  private List<Job> jobs(String ns) {
    return client.batch().v1().jobs().inNamespace(ns).list().getItems();
  }

  private List<String> eventReasons(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && NAME.equals(e.getInvolvedObject().getName()))
        .map(Event::getReason).filter(Objects::nonNull).toList();
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
