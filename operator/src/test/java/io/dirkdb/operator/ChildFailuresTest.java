package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A child the API server refuses (RBAC, a quota, a policy webhook) must not switch failover off. */
@QuarkusTest
class ChildFailuresTest {

  private static final String NAME = "demo";
  private static final String PRIMARY = "demo-primary-0";
  private static final String SECONDARY = "demo-secondary-0";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @AfterEach
  void liftFaults() {
    Harness.clearFaults(client);
  }

  @Test
  void aRefusedChildNeitherStopsFailoverNorGoesUnreported() throws Exception {
    String ns = "child-refused";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.ASYNC, 1, spec -> {})) {
      // The PodDisruptionBudget is gone and a policy now refuses the operator's attempts to make it again.
      Harness.refuse(client, "create", "policy", "poddisruptionbudgets", ns,
          "admission webhook \"pdb-policy.example.com\" denied the request: PodDisruptionBudgets are reserved");
      client.policy().v1().podDisruptionBudget().inNamespace(ns).withName(NAME + "-members").delete();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(cluster(ns).getStatus().condition("ChildrenReconciled")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("ChildNotApplied");
            assertThat(c.getMessage()).contains("PodDisruptionBudget").contains("403")
                .contains("pdb-policy.example.com");
          }));

      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
        DirkCluster c = cluster(ns);
        assertThat(c.getStatus().getCurrentPrimary()).isEqualTo(SECONDARY);
        assertThat(role(ns, SECONDARY)).isEqualTo("primary");
        assertThat(role(ns, PRIMARY)).isEqualTo("fenced");
      });
      assertThat(cluster(ns).getStatus().condition("ChildrenReconciled"))
          .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
      assertThat(warnings(ns)).anySatisfy(e -> {
        assertThat(e.getReason()).isEqualTo("ChildNotApplied");
        assertThat(e.getMessage()).contains("PodDisruptionBudget");
      });

      // Once the policy is lifted the child is made again and the condition clears.
      Harness.clearFaults(client);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(client.policy().v1().podDisruptionBudget().inNamespace(ns).withName(NAME + "-members").get())
            .isNotNull();
        assertThat(cluster(ns).getStatus().condition("ChildrenReconciled"))
            .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      });
    }
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }

  private String role(String ns, String pod) {
    Pod p = client.pods().inNamespace(ns).withName(pod).get();
    return p == null ? null : p.getMetadata().getLabels().get("dirkdb.io/role");
  }

  private List<Event> warnings(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && NAME.equals(e.getInvolvedObject().getName()))
        .filter(e -> "Warning".equals(e.getType())).toList();
  }
}
