package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The test API server refuses the operator what the chart does not grant, as a real one would. Every
 * test class is then checked by {@link NoOperatorRefusals}: the operator never met such a refusal.
 */
@QuarkusTest
class OperatorRbacTest {

  private static final String NS = "rbac-probe";

  @Inject
  @ClusterAdmin
  KubernetesClient admin;

  /** The operator's identity (its token), marked as a probe so the refusals below are not counted as its own. */
  private KubernetesClient asOperator;

  @BeforeEach
  void operatorIdentity() {
    Harness.RbacState rbac = Harness.rbac(admin);
    Assumptions.assumeTrue(rbac.enforced(), () -> "chart RBAC not enforced: " + rbac.reason());
    asOperator = new KubernetesClientBuilder().withConfig(new ConfigBuilder(admin.getConfiguration())
        .withOauthToken(RbacGate.OPERATOR_TOKEN).withCustomHeaders(Map.of(RbacGate.PROBE_HEADER, "true")).build())
        .build();
  }

  @AfterEach
  void close() {
    if (asOperator != null) {
      asOperator.close();
    }
  }

  @Test
  void aVerbTheChartDoesNotGrantIsForbiddenWithAKubernetesStatus() {
    admin.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("probe")
        .endMetadata().addToData("k", "v").build()).create();
    assertThat(asOperator.configMaps().inNamespace(NS).withName("probe").get()).isNotNull();

    var secret = admin.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("probe")
        .endMetadata().addToStringData("k", "v").build()).create();
    // Secrets may be updated (a missing credentials key is added by PUT) and patched (the watch label), never deleted.
    KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, () ->
        asOperator.secrets().inNamespace(NS).withName(secret.getMetadata().getName()).delete());
    assertThat(refused.getCode()).isEqualTo(403);
    assertThat(refused.getStatus().getReason()).isEqualTo("Forbidden");
    assertThat(refused.getStatus().getMessage()).isEqualTo("secrets \"probe\" is forbidden: User "
        + "\"system:serviceaccount:dirk-operator:dirk-operator\" cannot delete resource \"secrets\" in API group \"\" "
        + "in the namespace \"rbac-probe\"");
  }

  @Test
  void statusIsWrittenByPatchNotByUpdate() {
    DirkCluster cluster = TestClusters.example(admin, "basic.yaml");
    cluster.getMetadata().setName("status-verbs");
    DirkCluster created = TestClusters.create(admin, NS, cluster);

    KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, () ->
        asOperator.resource(created).updateStatus());
    assertThat(refused.getCode()).as("PUT of dirkclusters/status").isEqualTo(403);
    assertThat(refused.getStatus().getMessage()).contains("cannot update resource \"dirkclusters/status\"");
  }

  @Test
  void leasesAreGrantedOnlyInTheLeaseNamespace() {
    assertThat(asOperator.leases().inNamespace(ChartRbac.NAMESPACE).withName("dirk-operator-lease").get()).isNotNull();
    KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, () ->
        asOperator.leases().inNamespace(NS).withName("dirk-operator-lease").get());
    assertThat(refused.getCode()).isEqualTo(403);
  }
}
