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
 * first write acknowledged through the proxy, over a few runs each; then a primary cut off from the operator
 * only (it cannot be fenced): how long until another member is promoted, and how long before that the old
 * primary acknowledged its last write (the bounded split-brain window). Printed, not asserted.
 * Run with {@code ./mvnw -o -B -pl operator -am verify -Pbench -Dtest=FailoverBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
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
    measureCutOff("defaults", defaults.getHeartbeatIntervalMs(), defaults.getFailureThreshold(),
        defaults.getFailoverDelaySeconds());
    measureCutOff("fast", 500, 3, 0);
  }

  /**
   * The bounded split-brain window: a primary cut off from the operator only (it cannot be fenced, its
   * secondary still renews its lease) while a client writes to it. The operator detaches the secondary and
   * waits out the lease before promoting: the old primary's last acknowledged write comes before the
   * promotion (a positive margin; negative would be a split brain).
   */
  private void measureCutOff(String settings, int intervalMs, int threshold, int delaySeconds) throws Exception {
    List<Long> promotion = new ArrayList<>();
    List<Long> margins = new ArrayList<>();
    // The lease the operator starts members with for this interval (MemberStatefulSets.primaryLeaseMillis).
    Duration lease = Duration.ofMillis(Math.max(2000L, 3L * intervalMs));
    for (int run = 1; run <= RUNS; run++) {
      String ns = "failover-bench-cut-" + settings + "-" + run;
      try (LiveCluster live = LiveCluster.start(client, ns, "demo", ReplicationMode.ASYNC, 1, spec -> {
        spec.getFailover().setHeartbeatIntervalMs(intervalMs);
        spec.getFailover().setFailureThreshold(threshold);
        spec.getFailover().setFailoverDelaySeconds(delaySeconds);
      }, LiveCluster.MemberRuntime.IN_PROCESS, lease)) {
        FailoverTest.CutOff cutOff = FailoverTest.cutOffPrimaryWhileWriting(live);
        promotion.add(cutOff.cutToPromotionMillis());
        margins.add(cutOff.lastAckBeforePromotionMillis());
        System.out.printf("cut-off run %d (%s): promoted %d ms after the cut; the old primary's last acknowledged "
            + "write %d ms before the promotion; %d acknowledged after it%n", run, settings,
            cutOff.cutToPromotionMillis(), cutOff.lastAckBeforePromotionMillis(), cutOff.acksAfterPromotion());
      }
    }
    List<Long> sorted = margins.stream().sorted().toList();
    System.out.printf("unfenced primary over %d runs (%s: heartbeat %d ms x %d, delay %d s, lease %d ms): promotion "
        + "median %d ms after the cut; last acknowledged write before the promotion: min %d ms, median %d ms%n",
        RUNS, settings, intervalMs, threshold, delaySeconds, lease.toMillis(),
        promotion.stream().sorted().toList().get(RUNS / 2), sorted.get(0), sorted.get(sorted.size() / 2));
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
