package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Workloads come after what their pods need: no pod may start before the Secret it reads its password from. */
@QuarkusTest
class ChildOrderTest {

  private static final String NAME = "demo";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @AfterEach
  void liftFaults() {
    Harness.clearFaults(client);
  }

  @Test
  void noWorkloadIsCreatedBeforeTheGeneratedSecretExists() {
    String ns = "order-secret";
    Harness.refuse(client, "create", "", "secrets", ns,
        "exceeded quota: secrets-quota, requested: count/secrets=1, used: count/secrets=10, limited: count/secrets=10");
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    // A pass ran to its end: it reports the Secret it could not make.
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
      assertThat(c.getStatus()).isNotNull();
      assertThat(c.getStatus().condition("ChildrenReconciled")).hasValueSatisfying(cond -> {
        assertThat(cond.getStatus()).isEqualTo("False");
        assertThat(cond.getMessage()).contains("Secret").contains("secrets-quota");
      });
    });
    assertThat(client.configMaps().inNamespace(ns).withName(NAME + "-config").get()).isNotNull();
    assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems().stream().map(o -> o.getMetadata().getName()))
        .as("StatefulSets whose pods would start without their Secret").isEmpty();
    assertThat(client.apps().deployments().inNamespace(ns).list().getItems().stream().map(o -> o.getMetadata().getName()))
        .as("the proxy Deployment, whose pods read the same Secret").isEmpty();

    Harness.clearFaults(client);
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren(NAME, true));
    client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).delete();
  }
}
