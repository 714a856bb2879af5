package io.dirkdb.operator;

import static io.dirkdb.operator.TestClusters.PATIENCE;
import static io.dirkdb.operator.TestClusters.awaitChildren;
import static io.dirkdb.operator.TestClusters.standardChildren;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pod, StatefulSet and Deployment status, set by the test playing the kubelet, drive the DirkCluster status. */
@QuarkusTest
class StatusTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void readyPodsWhoseMembersNeverAnsweredAreNotLabelledPrimary() throws Exception {
    String ns = "status-unknown-role";
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    awaitChildren(client, ns, standardChildren("demo", true));
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(phase(ns)).isEqualTo(ClusterPhase.Pending));

    // Pods without a DirkDB member behind them: Ready as the kubelet says, but no heartbeat ever answers.
    Kubelet kubelet = new Kubelet(client, ns);
    kubelet.startPods("demo-primary", false);
    kubelet.startPods("demo-secondary", false);
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(phase(ns)).isEqualTo(ClusterPhase.Creating);
      assertThat(cluster(ns).getStatus().getReadyMembers()).isEqualTo("0/2");
    });

    kubelet.setReady("demo-primary-0", true);
    kubelet.setReady("demo-secondary-0", true);
    kubelet.finishRollout("demo-primary");
    kubelet.finishRollout("demo-secondary");
    kubelet.proxyReady("demo-proxy");
    await().atMost(PATIENCE).untilAsserted(() -> {
      DirkCluster c = cluster(ns);
      assertThat(c.getStatus().getReadyMembers()).isEqualTo("2/2");
      assertThat(c.getStatus().condition("Ready")).hasValueSatisfying(cond -> {
        assertThat(cond.getStatus()).isEqualTo("False");
        assertThat(cond.getReason()).isEqualTo("PrimaryUnknown");
      });
    });
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
      DirkCluster c = cluster(ns);
      assertThat(c.getStatus().getCurrentPrimary()).isNull();
      assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Creating);
      // The ordinal says nothing: -primary-0 is not labelled, so the primary Service selects no pod.
      assertThat(client.pods().inNamespace(ns).withName("demo-primary-0").require().getMetadata().getLabels())
          .doesNotContainKey("dirkdb.io/role");
      assertThat(client.pods().inNamespace(ns).withLabels(client.services().inNamespace(ns).withName("demo-primary")
          .require().getSpec().getSelector()).list().getItems()).isEmpty();
    });
  }

  @Test
  void membersAnsweringHeartbeatsMakeTheClusterReadyWithRightPrinterColumns() throws Exception {
    String ns = "status-ready";
    try (LiveCluster live = LiveCluster.start(client, ns, "demo", ReplicationMode.ASYNC, 1, spec -> {})) {
      DirkCluster ready = cluster(ns);
      assertThat(ready.getStatus().getCurrentPrimary()).isEqualTo("demo-primary-0");
      assertThat(ready.getStatus().getReadyMembers()).isEqualTo("2/2");
      assertThat(ready.getStatus().getSecondaries()).isEqualTo(1);
      assertThat(ready.getStatus().getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
      assertThat(ready.getStatus().getMembers())
          .extracting(MemberStatus::getName, MemberStatus::getRole, MemberStatus::isReady)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("demo-primary-0", "primary", true),
              org.assertj.core.groups.Tuple.tuple("demo-secondary-0", "secondary", true));
      assertThat(ready.getStatus().condition("Ready")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("AllReady");
        assertThat(c.getLastTransitionTime()).isNotBlank();
      });
      assertThat(ready.getStatus().condition("SpecValid")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      assertThat(client.pods().inNamespace(ns).withName("demo-secondary-0").require().getMetadata().getLabels())
          .containsEntry("dirkdb.io/role", "secondary");
      // The merge patch of the role label left the pod status the kubelet wrote alone.
      assertThat(client.pods().inNamespace(ns).withName("demo-primary-0").require().getStatus().getPodIP())
          .isEqualTo(live.member("demo-primary-0").host());

      assertThat(printerColumns(ready)).containsExactly(
          Map.entry("Phase", "Ready"), Map.entry("Primary", "demo-primary-0"), Map.entry("Ready", "2/2"),
          Map.entry("Age", ready.getMetadata().getCreationTimestamp()));

      new Kubelet(client, ns).setReady("demo-secondary-0", false);
      await().atMost(PATIENCE).untilAsserted(() -> {
        DirkCluster degraded = cluster(ns);
        assertThat(degraded.getStatus().getPhase()).isEqualTo(ClusterPhase.Degraded);
        assertThat(degraded.getStatus().getReadyMembers()).isEqualTo("1/2");
        assertThat(degraded.getStatus().condition("Ready")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("MembersNotReady");
        });
      });
    }
  }

  @Test
  void aPodThatAlreadyHasARoleKeepsIt() {
    String ns = "status-keep-role";
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    awaitChildren(client, ns, standardChildren("demo", true));
    Kubelet kubelet = new Kubelet(client, ns);
    kubelet.startPods("demo-secondary", true, Map.of("dirkdb.io/role", "fenced"));
    kubelet.startPods("demo-primary", true);
    // No heartbeat answers: the fenced label stays, and the primary's role is unknown, so it has none.
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(cluster(ns).getStatus().getMembers())
        .extracting(MemberStatus::getRole).containsExactly(null, "fenced"));
  }

  @Test
  void aMemberRefusingWritesForLackOfMemoryIsAConditionAndAWarningEvent() throws Exception {
    String ns = "status-memory";
    try (LiveCluster live = LiveCluster.start(client, ns, "demo", ReplicationMode.ASYNC, 1, spec -> {})) {
      try (var connection = live.connect("demo-primary-0")) {
        LiveCluster.check(connection.execute("manamboara tahiry shop"));
      }
      // The heartbeats' figures reach status.members[].
      await().atMost(PATIENCE).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getMembers()).allSatisfy(m -> {
          assertThat(m.getDataBytes()).as(m.getName()).isPositive();
          assertThat(m.getHeapMaxBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
          assertThat(m.getHeapLimitBytes()).isEqualTo((long) (0.8 * Runtime.getRuntime().maxMemory()));
          assertThat(m.getMemoryError()).isNull();
        });
        assertThat(c.getStatus().condition("MemoryPressure")).hasValueSatisfying(cond -> {
          assertThat(cond.getStatus()).isEqualTo("False");
          assertThat(cond.getReason()).isEqualTo("WithinLimits");
        });
      });

      // A share of the heap too small for any more data: writes that add data are refused, reads go on.
      live.limitMemory("demo-primary-0", 1e-9);
      try (var connection = live.connect("demo-primary-0")) {
        assertThat(connection.execute("manamboara tahiry other").errorMessage())
            .contains("this member refuses writes that add data");
        LiveCluster.check(connection.execute("asehoy ny tahiry"));
      }
      await().atMost(PATIENCE).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        MemberStatus primary = c.getStatus().getMembers().get(0);
        assertThat(primary.getName()).isEqualTo("demo-primary-0");
        assertThat(primary.getMemoryError()).contains("refuses writes that add data");
        assertThat(c.getStatus().condition("MemoryPressure")).hasValueSatisfying(cond -> {
          assertThat(cond.getStatus()).isEqualTo("True");
          assertThat(cond.getReason()).isEqualTo("WritesRefused");
          assertThat(cond.getMessage()).startsWith("demo-primary-0: this member refuses writes that add data");
        });
        assertThat(warnings(ns, "MemoryPressure")).singleElement().satisfies(message -> assertThat(message)
            .contains("member demo-primary-0 refuses writes that add data").contains("spec.resources.members"));
      });
      // Not a reason to fail over or to call the cluster not ready.
      assertThat(cluster(ns).getStatus().getCurrentPrimary()).isEqualTo("demo-primary-0");
      assertThat(cluster(ns).getStatus().getPhase()).isEqualTo(ClusterPhase.Ready);

      // Given room again, the next write goes in and the condition clears, without another Event.
      live.limitMemory("demo-primary-0", 0.8);
      try (var connection = live.connect("demo-primary-0")) {
        LiveCluster.check(connection.execute("manamboara tahiry other"));
      }
      await().atMost(PATIENCE).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getMembers().get(0).getMemoryError()).isNull();
        assertThat(c.getStatus().condition("MemoryPressure")).hasValueSatisfying(
            cond -> assertThat(cond.getStatus()).isEqualTo("False"));
      });
      assertThat(warnings(ns, "MemoryPressure")).hasSize(1);
    }
  }

  private java.util.List<String> warnings(String ns, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && "demo".equals(e.getInvolvedObject().getName()))
        .filter(e -> "Warning".equals(e.getType()) && reason.equals(e.getReason()))
        .map(io.fabric8.kubernetes.api.model.Event::getMessage).toList();
  }

  /** Evaluates each printer column of the CRD the API server holds against the stored DirkCluster. */
  private Map<String, String> printerColumns(DirkCluster cluster) {
    JsonNode tree = new ObjectMapper().valueToTree(client.getKubernetesSerialization().convertValue(cluster, Map.class));
    Map<String, String> values = new LinkedHashMap<>();
    for (CustomResourceColumnDefinition column : client.apiextensions().v1().customResourceDefinitions()
        .withName("dirkclusters.dirkdb.io").require().getSpec().getVersions().get(0).getAdditionalPrinterColumns()) {
      JsonNode node = tree.at(column.getJsonPath().replace('.', '/'));
      values.put(column.getName(), node.isMissingNode() ? null : node.asText());
    }
    return values;
  }

  private ClusterPhase phase(String ns) {
    DirkCluster cluster = cluster(ns);
    return cluster.getStatus() == null ? null : cluster.getStatus().getPhase();
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require();
  }
}
