package io.dirkdb.operator;

import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Planned operations on the harness (members as processes, a 3-member sync cluster, writes through the
 * proxy), printed, not asserted: a graceful deletion of the primary's pod (delete to the first write
 * acknowledged after it, the longest stall, failed writes) and an image upgrade (failed and lost writes).
 * Run with {@code ./mvnw -pl operator -am verify -Pbench -Dtest=PlannedOperationsBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
@QuarkusTest
class PlannedOperationsBenchmarkTest {

  static final int RUNS = 3;

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void gracefulPrimaryDeletionAndImageUpgrade() throws Exception {
    for (int run = 1; run <= RUNS; run++) {
      String ns = "planned-bench-" + run;
      try (LiveCluster live = LiveCluster.startManaged(client, ns, "demo", ReplicationMode.SYNC, 2, spec -> {},
          LiveCluster.MemberRuntime.PROCESS)) {
        live.startProxy();
        try (FailoverTest.Writer writer = new FailoverTest.Writer(live)) {
          writer.awaitAcks(20);
          String primary = cluster(ns).getStatus().getCurrentPrimary();
          long deletedAt = System.nanoTime();
          client.pods().inNamespace(ns).withName(primary).delete();
          await().atMost(Duration.ofSeconds(60)).until(() -> !primary.equals(cluster(ns).getStatus().getCurrentPrimary()));
          long handedOver = System.nanoTime();
          // The first write sent after the hand-over completed was acknowledged by the new primary.
          long firstWrite = writer.firstAckAfter(handedOver, Duration.ofSeconds(20));
          await().atMost(Duration.ofSeconds(90)).until(() -> live.runningMembers().size() == 3
              && cluster(ns).getStatus().getPhase() == ClusterPhase.Ready);
          System.out.printf("run %d graceful deletion of %s: delete to hand-over %d ms, to first write after it %d ms;"
              + " longest pause between acknowledged writes %d ms; failed writes %d%n", run, primary,
              Duration.ofNanos(handedOver - deletedAt).toMillis(), Duration.ofNanos(firstWrite - deletedAt).toMillis(),
              writer.longestPauseMillis(), writer.failures());
        }
        try (FailoverTest.Writer writer = new FailoverTest.Writer(live, "item" + run)) {
          writer.awaitAcks(20);
          long started = System.nanoTime();
          Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName("demo").edit(c -> {
            c.getSpec().setImage("dirkdb/dirk:0.2.0");
            return c;
          }));
          await().atMost(Duration.ofSeconds(300)).until(() -> cluster(ns).getStatus().condition("RollingUpdate")
              .filter(c -> "False".equals(c.getStatus())).isPresent() && live.runningMembers().size() == 3);
          long rolled = System.nanoTime();
          writer.awaitAcks(writer.acked().size() + 20);
          writer.stop();
          Set<Long> missing = new TreeSet<>(writer.acked());
          missing.removeAll(ids(live, "item" + run));
          System.out.printf("run %d image upgrade (3 members, sync, by role): %d ms; acknowledged writes %d, failed %d,"
              + " lost %d; longest pause %d ms%n", run, Duration.ofNanos(rolled - started).toMillis(),
              writer.acked().size(), writer.failures(), missing.size(), writer.longestPauseMillis());
        }
      }
    }
  }

  private DirkCluster cluster(String ns) {
    return client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require();
  }

  /** The ids in table {@code table} on the member that is primary now. */
  private static Set<Long> ids(LiveCluster live, String table) throws IOException {
    for (String pod : live.runningMembers()) {
      try (DirkConnection c = live.connect(pod)) {
        if (!HeartbeatReport.parse(c.execute("dirk heartbeat").messageText()).isPrimary()) {
          continue;
        }
        LiveCluster.check(c.execute("ampiasao shop"));
        Set<Long> ids = new TreeSet<>();
        List<List<Object>> rows = ((Result.Relation) LiveCluster.check(c.execute("alaivo * ao@ " + table)).result()).rows();
        rows.forEach(row -> ids.add(((Number) row.get(0)).longValue()));
        return ids;
      }
    }
    throw new IllegalStateException("no member answers as primary");
  }
}
