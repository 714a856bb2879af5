package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.failover.ClusterProber;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A DirkCluster deleted and made again under its name is a new cluster: nothing the operator learnt in memory
 * about the old one (a blocked failover, a lost primary's clock, its history) may judge it.
 */
@QuarkusTest
class ClusterRecreationTest {

  static final String NAME = "demo";
  static final String PRIMARY = "demo-primary-0";
  static final String SECONDARY_1 = "demo-secondary-1";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  ClusterProber prober;

  @Test
  void aClusterMadeAgainUnderItsNameIsNotDegradedByTheDeletedOnesBlockedFailover() throws Exception {
    String ns = "recreated-after-blocked";
    try (LiveCluster live = LiveCluster.start(client, ns, NAME, ReplicationMode.SYNC, 2, spec -> {})) {
      // A sync cluster that lost its primary and a secondary: the other secondary may lack acknowledged writes.
      live.kill(SECONDARY_1);
      live.kill(PRIMARY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getPhase()).isEqualTo(ClusterPhase.Degraded);
        assertThat(cluster(ns).getStatus().condition("FailingOver"))
            .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("FailoverBlocked"));
      });
      DirkClusterSpec spec = cluster(ns).getSpec();
      live.deleteWithItsPods();

      // The same name on a new uid, before any of its pods exists: a cluster being created, nothing blocked.
      DirkCluster fresh = new DirkCluster();
      fresh.setMetadata(new ObjectMetaBuilder().withName(NAME).build());
      fresh.setSpec(spec);
      TestClusters.create(client, ns, fresh);
      await().atMost(Duration.ofSeconds(15)).untilAsserted(
          () -> assertThat(cluster(ns).getStatus().getPhase()).isEqualTo(ClusterPhase.Pending));
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(cluster(ns).getStatus().getPhase()).isEqualTo(ClusterPhase.Pending);
        assertThat(cluster(ns).getStatus().condition("FailingOver")).isEmpty();
      });
    }
  }

  @Test
  void aClusterDeletedWhileAPassIsUnderWayIsNoLongerProbed() {
    String ns = "deleted-mid-pass";
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    cluster.getMetadata().setName(NAME);
    TestClusters.create(client, ns, cluster);
    ResourceID id = new ResourceID(NAME, ns);
    try {
      TestClusters.awaitChildren(client, ns, TestClusters.standardChildren(NAME,
          io.dirkdb.operator.dependent.ClusterNaming.generatesSecret(cluster)));
      await().atMost(Duration.ofSeconds(15)).until(() -> prober.watches(id));
      // The next pass applies a new image to the StatefulSets, which the API server answers 3 s late; the
      // cluster is deleted while it waits, and its deletion stops the probes before the pass goes on.
      Harness.logRequests(client);
      Harness.delay(client, "update", "apps", "statefulsets", ns, 3000);
      Harness.delay(client, "patch", "apps", "statefulsets", ns, 3000);
      Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).edit(c -> {
        c.getSpec().setImage("dirkdb/dirk:0.2.0");
        return c;
      }));
      await().atMost(Duration.ofSeconds(10)).until(() -> Harness.loggedRequests(client).stream()
          .anyMatch(r -> r.matches("(update|patch) apps/statefulsets in " + ns + " .*")));
      client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).delete();
      // Once the pass is over, nothing probes the deleted cluster's members (nor renews a lease) for good.
      await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15)).until(() -> !prober.watches(id));
    } finally {
      Harness.clearFaults(client);
      Harness.stopLoggingRequests(client);
      client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).delete();
    }
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName(NAME).require();
  }
}
