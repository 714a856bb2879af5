package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A cluster none of whose member pods exists (just created, its pods not scheduled yet) has nothing to probe,
 * label or fail over: the operator looks at it less and less often instead of every second, and a pod that
 * appears is news of its own.
 */
@QuarkusTest
class ClusterWithoutPodsTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void aClusterWithoutPodsIsLookedAtLessAndLessOften() {
    String ns = "no-pods-backoff";
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    cluster.getMetadata().setName("demo");
    TestClusters.create(client, ns, cluster);
    try {
      TestClusters.awaitChildren(client, ns, TestClusters.standardChildren("demo",
          io.dirkdb.operator.dependent.ClusterNaming.generatesSecret(cluster)));
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").get();
        return c.getStatus() != null && c.getStatus().getPhase() == ClusterPhase.Pending;
      });
      Harness.logRequests(client);
      Duration window = Duration.ofSeconds(12);
      List<String> passes;
      try {
        // A window of time is what is measured here: nothing to await but its end.
        await().pollDelay(window).atMost(window.plusSeconds(1)).until(() -> true);
        // Each failover pass reads the stored cluster once (the informer's copy may predate its own writes).
        passes = Harness.loggedRequests(client).stream()
            .filter(r -> r.equals("get dirkdb.io/dirkclusters in " + ns + " name demo")).toList();
      } finally {
        Harness.stopLoggingRequests(client);
      }
      System.out.printf("passes over a cluster without pods in %d s: %d%n", window.toSeconds(), passes.size());
      // Every second would be 12; 1, 2, 4, 8 s apart is at most 4 (one more if a pass fell due on the edge).
      assertThat(passes).as("failover passes over a cluster without pods in %s", window).hasSizeLessThanOrEqualTo(5);
    } finally {
      client.resources(DirkCluster.class).inNamespace(ns).withName("demo").delete();
    }
  }
}
