package io.dirkdb.operator;

import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Speed of the operator against the mock API server; prints figures, asserts nothing.
 * Run with: ./mvnw -pl operator test -Pbench
 * Targets: create-to-every-child median 100 ms or less; 100 clusters with all children within 30 s.
 * The operator's own resident memory (target 150 MiB after 100 clusters) is measured in its own
 * process by {@link OperatorProcessBenchmarkTest}.
 */
@Tag("bench")
@QuarkusTest
class ReconcileBenchmarkTest {

  static final int CHILDREN_PER_CLUSTER = TestClusters.standardChildren("x", true).length;

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void createToEveryChildLatency() {
    int warmup = 5;
    int runs = 40;
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < warmup + runs; i++) {
      String ns = "bench-latency-" + i;
      long start = System.nanoTime();
      TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).pollDelay(Duration.ZERO)
          .until(() -> ownedChildren(ns) == CHILDREN_PER_CLUSTER);
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      if (i >= warmup) {
        millis.add(elapsed);
      }
    }
    Collections.sort(millis);
    System.out.printf("BENCH create-to-every-child (%d runs after %d warm-up): median %d ms, p90 %d ms, max %d ms%n",
        runs, warmup, millis.get(runs / 2), millis.get(runs * 9 / 10), millis.get(runs - 1));
  }

  @Test
  void hundredClustersReconciled() throws Exception {
    int clusters = 100;
    String ns = "bench-scale";
    long start = System.nanoTime();
    for (int i = 0; i < clusters; i++) {
      DirkCluster cluster = TestClusters.example(client, "basic.yaml");
      cluster.getMetadata().setName("c" + i);
      TestClusters.create(client, ns, cluster);
    }
    long created = System.nanoTime();
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
        .until(() -> ownedChildren(ns) == clusters * CHILDREN_PER_CLUSTER);
    long done = System.nanoTime();
    System.gc();
    long heapUsed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    System.out.printf("BENCH %d clusters: created in %d ms, every child present after %d ms from the first create%n",
        clusters, (created - start) / 1_000_000, (done - start) / 1_000_000);
    System.out.printf("BENCH after %d clusters: resident memory %d MiB, heap used after GC %d MiB"
            + " (one JVM: operator, mock API server and test; max heap %d MiB)%n",
        clusters, residentMiB(), heapUsed >> 20, Runtime.getRuntime().maxMemory() >> 20);
  }

  private long ownedChildren(String ns) {
    return TestClusters.children(client, ns).stream()
        .map(HasMetadata::getMetadata)
        .filter(m -> m.getOwnerReferences() != null && !m.getOwnerReferences().isEmpty())
        .count();
  }

  private static long residentMiB() throws Exception {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) >> 10)
        .findFirst().orElse(-1L);
  }
}
