package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.failover.StatusPatch;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * The failover steps' status writes: a patch (the verb the chart grants) that replaces the status whole,
 * as the PUT did, and still refuses a write from a stale read.
 */
@QuarkusTest
class StatusWritesTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void aStatusPatchFromAStaleReadIsRefusedWithAConflict() {
    String ns = "status-writes";
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    cluster.getMetadata().setName("locked");
    // A spec the operator refuses: it writes the status once and leaves the cluster alone.
    cluster.getSpec().setSecondaries(-1);
    TestClusters.create(client, ns, cluster);
    DirkCluster read = org.awaitility.Awaitility.await().atMost(TestClusters.PATIENCE).until(() ->
        client.resources(DirkCluster.class).inNamespace(ns).withName("locked").get(), c -> c.getStatus() != null);

    // Another writer changes the status after our read.
    DirkCluster other = client.resources(DirkCluster.class).inNamespace(ns).withName("locked").get();
    DirkCluster written = StatusPatch.write(client, withPhase(other, ClusterPhase.Degraded));
    assertThat(written.getMetadata().getResourceVersion()).isNotEqualTo(read.getMetadata().getResourceVersion());
    assertThat(written.getStatus().getPhase()).isEqualTo(ClusterPhase.Degraded);
    assertThat(written.getStatus().getConditions()).as("replaced whole, never merged into")
        .isEqualTo(other.getStatus().getConditions());

    KubernetesClientException conflict = catchThrowableOfType(KubernetesClientException.class,
        () -> StatusPatch.write(client, withPhase(read, ClusterPhase.FailingOver)));
    assertThat(conflict).as("a write from the stale read").isNotNull();
    assertThat(conflict.getCode()).isEqualTo(409);
  }

  private static DirkCluster withPhase(DirkCluster cluster, ClusterPhase phase) {
    if (cluster.getStatus() == null) {
      cluster.setStatus(new DirkClusterStatus());
    }
    cluster.getStatus().setPhase(phase);
    return cluster;
  }
}
