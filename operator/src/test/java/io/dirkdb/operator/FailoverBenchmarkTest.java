package io.dirkdb.operator;

import io.dirkdb.operator.api.v1alpha1.FailoverSpec;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Failover time with the defaults a real cluster gets (heartbeat 1000 ms, threshold 3, delay 2 s) and
 * with the loopback tests' fast settings (500 ms, 3, no delay): from the kill of the primary to the
 * first write acknowledged through the proxy, over a few runs each. Printed, not asserted.
 * Run with {@code ./mvnw -pl operator -am test -Pbench -Dtest=FailoverBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
@QuarkusTest
class FailoverBenchmarkTest {

  static final int RUNS = 3;

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void failoverTimeWithDefaultsAndFastSettings() throws Exception {
    FailoverSpec defaults = new FailoverSpec();
    measure("defaults", defaults.getHeartbeatIntervalMs(), defaults.getFailureThreshold(),
        defaults.getFailoverDelaySeconds());
    measure("fast", 500, 3, 0);
  }

  private void measure(String settings, int intervalMs, int threshold, int delaySeconds) throws Exception {
    List<Long> millis = new ArrayList<>();
    for (int run = 1; run <= RUNS; run++) {
      String ns = "failover-bench-" + settings + "-" + run;
      try (LiveCluster live = LiveCluster.start(client, ns, "demo", ReplicationMode.ASYNC, 1, spec -> {
        spec.getFailover().setHeartbeatIntervalMs(intervalMs);
        spec.getFailover().setFailureThreshold(threshold);
        spec.getFailover().setFailoverDelaySeconds(delaySeconds);
      })) {
        live.startProxy();
        try (FailoverTest.Writer writer = new FailoverTest.Writer(live)) {
          writer.awaitAcks(20);
          long killedAt = System.nanoTime();
          live.kill("demo-primary-0");
          long gone = System.nanoTime(); // the stop lets statements in flight finish: count writes sent after it
          long firstWrite = writer.firstAckAfter(gone, Duration.ofSeconds(30));
          long took = Duration.ofNanos(firstWrite - killedAt).toMillis();
          millis.add(took);
          System.out.printf("failover run %d (%s): kill to first acknowledged write through the proxy: %d ms%n", run,
              settings, took);
        }
      }
    }
    List<Long> sorted = millis.stream().sorted().toList();
    System.out.printf("failover time over %d runs (%s: heartbeat %d ms x %d, delay %d s): median %d ms, max %d ms%n",
        RUNS, settings, intervalMs, threshold, delaySeconds, sorted.get(sorted.size() / 2),
        sorted.get(sorted.size() - 1));
  }
}
