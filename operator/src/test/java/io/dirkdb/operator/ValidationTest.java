package io.dirkdb.operator;

import static io.dirkdb.operator.TestClusters.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterRules;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every schema rule is in the generated CRD, and the reconciler reports each cross-field rule it finds broken. */
@QuarkusTest
class ValidationTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void generatedCrdCarriesEveryBoundEnumAndRule() throws Exception {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(java.nio.file.Path.of("target", "kubernetes", "dirkclusters.dirkdb.io-v1.yml")));
    JsonNode version = crd.at("/spec/versions/0");
    JsonNode spec = version.at("/schema/openAPIV3Schema/properties/spec");
    JsonNode props = spec.get("properties");

    assertThat(crd.at("/spec/names/shortNames/0").asText()).isEqualTo("dirk");
    assertThat(crd.at("/spec/group").asText()).isEqualTo("dirkdb.io");
    assertThat(version.get("name").asText()).isEqualTo("v1alpha1");
    assertThat(version.at("/subresources/scale/specReplicasPath").asText()).isEqualTo(".spec.secondaries");
    assertThat(version.at("/subresources/scale/statusReplicasPath").asText()).isEqualTo(".status.secondaries");

    assertBounds(props.get("secondaries"), 0, 15, "1");
    assertBounds(props.at("/proxy/properties/replicas"), 1, 10, "1");
    assertBounds(props.at("/proxy/properties/port"), 1, 65535, "3949");
    assertBounds(props.at("/cache/properties/port"), 1, 65535, "3951");
    assertBounds(props.at("/cache/properties/ttlMillis"), 0, 86400000, "3000");
    assertBounds(props.at("/cache/properties/maxEntries"), 1, 1000000, "200");
    assertBounds(props.at("/failover/properties/heartbeatIntervalMs"), 50, 60000, "1000");
    assertBounds(props.at("/failover/properties/failureThreshold"), 1, 100, "3");
    assertBounds(props.at("/failover/properties/failoverDelaySeconds"), 0, 3600, "2");
    assertThat(texts(props.at("/replication/properties/mode/enum"))).containsExactly("async", "sync");
    assertThat(texts(props.at("/imagePullPolicy/enum"))).containsExactly("Always", "IfNotPresent", "Never");
    assertThat(props.at("/storage/properties/size/pattern").asText()).isNotBlank();
    assertThat(props.at("/auth/properties/secretName/pattern").asText()).isNotBlank();
    assertThat(props.at("/targetPrimary/pattern").asText()).isNotBlank();
    // No schema default: an unset image is the operator's default, which the chart sets (DIRK_DEFAULT_IMAGE).
    assertThat(props.at("/image/default").isMissingNode()).isTrue();
    assertThat(texts(version.at("/schema/openAPIV3Schema/properties/status/properties/phase/enum")))
        .containsExactlyInAnyOrder("Pending", "Creating", "Ready", "Degraded", "FailingOver", "Resyncing", "Hibernated", "Failed");

    List<String> specRules = new ArrayList<>();
    spec.get("x-kubernetes-validations").forEach(r -> specRules.add(r.get("rule").asText() + " => " + r.get("message").asText()));
    assertThat(specRules).containsExactlyInAnyOrder(
        DirkClusterRules.SYNC_NEEDS_SECONDARY + " => " + DirkClusterRules.SYNC_NEEDS_SECONDARY_MESSAGE,
        DirkClusterRules.CACHE_PORT_DIFFERS + " => " + DirkClusterRules.CACHE_PORT_DIFFERS_MESSAGE,
        DirkClusterRules.PORTS_AVOID_HEALTH + " => " + DirkClusterRules.PORTS_AVOID_HEALTH_MESSAGE,
        DirkClusterRules.FAILOVER_DETECTION_BOUNDED + " => " + DirkClusterRules.FAILOVER_DETECTION_BOUNDED_MESSAGE);
    JsonNode storageRule = props.at("/storage/x-kubernetes-validations/0");
    assertThat(storageRule.get("rule").asText()).isEqualTo(DirkClusterRules.STORAGE_FIXED);
    assertThat(storageRule.get("message").asText()).isEqualTo(DirkClusterRules.STORAGE_FIXED_MESSAGE);
    JsonNode rootRule = version.at("/schema/openAPIV3Schema/x-kubernetes-validations/0");
    assertThat(rootRule.get("rule").asText()).isEqualTo(DirkClusterRules.TARGET_PRIMARY_IS_MEMBER);
    assertThat(rootRule.get("message").asText()).isEqualTo(DirkClusterRules.TARGET_PRIMARY_IS_MEMBER_MESSAGE);
  }

  static Stream<Arguments> crossFieldRules() {
    return Stream.of(
        Arguments.of("sync-without-secondary", (Consumer<DirkCluster>) c -> {
          c.getSpec().getReplication().setMode(ReplicationMode.SYNC);
          c.getSpec().setSecondaries(0);
        }, "SyncNeedsSecondary", DirkClusterRules.SYNC_NEEDS_SECONDARY_MESSAGE),
        Arguments.of("cache-on-proxy-port", (Consumer<DirkCluster>) c -> c.getSpec().getCache().setPort(3949),
            "CachePortClash", DirkClusterRules.CACHE_PORT_DIFFERS_MESSAGE),
        Arguments.of("proxy-on-health-port", (Consumer<DirkCluster>) c -> c.getSpec().getProxy().setPort(8080),
            "PortReservedForHealth", DirkClusterRules.PORTS_AVOID_HEALTH_MESSAGE),
        Arguments.of("slow-failure-detection", (Consumer<DirkCluster>) c -> {
          c.getSpec().getFailover().setHeartbeatIntervalMs(30_000);
          c.getSpec().getFailover().setFailureThreshold(3);
        }, "FailoverDetectionTooSlow", DirkClusterRules.FAILOVER_DETECTION_BOUNDED_MESSAGE),
        Arguments.of("target-not-member", (Consumer<DirkCluster>) c -> c.getSpec().setTargetPrimary("demo-secondary-5"),
            "TargetPrimaryNotMember", DirkClusterRules.TARGET_PRIMARY_IS_MEMBER_MESSAGE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("crossFieldRules")
  void brokenCrossFieldRuleBecomesConditionAndWarningWithNoChildren(String name, Consumer<DirkCluster> breakIt,
      String reason, String message) {
    String ns = "invalid-" + name;
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    breakIt.accept(cluster);
    TestClusters.create(client, ns, cluster);

    await().atMost(PATIENCE).untilAsserted(() -> {
      DirkCluster stored = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require();
      assertThat(stored.getStatus()).isNotNull();
      assertThat(stored.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
      assertThat(stored.getStatus().condition("SpecValid")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo(reason);
        assertThat(c.getMessage()).contains(message);
      });
      assertThat(stored.getStatus().condition("Ready")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("InvalidSpec"));
      assertThat(warnings(ns)).anySatisfy(e -> {
        assertThat(e.getReason()).isEqualTo(reason);
        assertThat(e.getMessage()).contains(message);
        assertThat(e.getInvolvedObject().getName()).isEqualTo("demo");
        assertThat(e.getInvolvedObject().getKind()).isEqualTo("DirkCluster");
      });
    });
    assertThat(TestClusters.children(client, ns)).as("no half-made children").isEmpty();
  }

  @Test
  void invalidChangeToARunningClusterLeavesItsChildrenAsTheyWere() {
    String ns = "invalid-change";
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren("demo", true));
    String secondaryVersion = client.apps().statefulSets().inNamespace(ns).withName("demo-secondary").require()
        .getMetadata().getResourceVersion();

    // The operator may write the status between the read and the write of the edit: read again, as kubectl does.
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName("demo").edit(c -> {
      c.getSpec().getReplication().setMode(ReplicationMode.SYNC);
      c.getSpec().setSecondaries(0);
      return c;
    }));
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(
        client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require().getStatus().getPhase())
        .isEqualTo(ClusterPhase.Failed));
    assertThat(client.apps().statefulSets().inNamespace(ns).withName("demo-secondary").require().getMetadata()
        .getResourceVersion()).isEqualTo(secondaryVersion);

    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName("demo").edit(c -> {
      c.getSpec().setSecondaries(2);
      return c;
    }));
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(client.apps().statefulSets().inNamespace(ns).withName("demo-secondary").require().getSpec()
          .getReplicas()).isEqualTo(2);
      assertThat(client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require().getStatus()
          .condition("SpecValid")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    });
  }

  @Test
  void storageChangeOfARunningClusterIsRefusedWithItsReason() {
    String ns = "invalid-storage-change";
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren("demo", true));
    String primaryVersion = client.apps().statefulSets().inNamespace(ns).withName("demo-primary").require()
        .getMetadata().getResourceVersion();

    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName("demo").edit(c -> {
      c.getSpec().getStorage().setSize("2Gi");
      return c;
    }));
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(
        client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require().getStatus()
            .condition("SpecValid")).hasValueSatisfying(c -> {
              assertThat(c.getReason()).isEqualTo("StorageFixed");
              assertThat(c.getMessage()).contains(DirkClusterRules.STORAGE_FIXED_MESSAGE);
            }));
    assertThat(client.apps().statefulSets().inNamespace(ns).withName("demo-primary").require().getMetadata()
        .getResourceVersion()).isEqualTo(primaryVersion);
  }

  private List<Event> warnings(String ns) {
    // The mock keeps both Event kinds in one store: keep core Events about something.
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && "Warning".equals(e.getType()))
        .toList();
  }

  private static void assertBounds(JsonNode field, double min, double max, String defaultValue) {
    assertThat(field.isMissingNode()).as("field present in schema").isFalse();
    assertThat(field.get("minimum").asDouble()).isEqualTo(min);
    assertThat(field.get("maximum").asDouble()).isEqualTo(max);
    assertThat(field.get("default").asText()).isEqualTo(defaultValue);
  }

  private static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(n -> values.add(n.asText()));
    return values;
  }
}
