package io.dirkdb.replication.supervisor;

import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.testing.ContinuousWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Prints the failover gap: from the SIGKILL of the primary member's process to the first write sent
 * after it that the proxy acknowledges, with the local supervisor at heartbeat 500 ms and threshold
 * 3 (the defaults), median and max over 5 runs. After {@code ./mvnw -o -q -pl dirk-server-image -am install -DskipTests}
 * (dirk-common into ~/.m2, the tests compiled) and, in dirk-server-image,
 * {@code ../mvnw -q -o dependency:build-classpath -Dmdep.outputFile=target/cp.txt}, run from dirk-server-image:
 * {@code java -cp target/classes:target/test-classes:$(cat target/cp.txt) io.dirkdb.replication.supervisor.FailoverBenchmark [runs] [work-dir]}.
 */
public final class FailoverBenchmark {
    private FailoverBenchmark() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path work = Path.of(args.length > 1 ? args[1] : "target/failover-bench");
        SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.SYNC);
        System.out.printf(Locale.ROOT, "failover gap: SIGKILL of the primary -> first acknowledged write through the "
                + "proxy (3 members, heartbeat %d ms, timeout %d ms, threshold %d, %s)%n", settings.heartbeatIntervalMillis(),
                settings.heartbeatTimeoutMillis(), settings.failureThreshold(), settings.mode().wireName());
        List<Long> gaps = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            Path directory = Files.createDirectories(work).resolve("run-" + run + "-" + System.nanoTime());
            long gapMillis = oneRun(directory, settings);
            gaps.add(gapMillis);
            System.out.printf(Locale.ROOT, "  run %d: %d ms%n", run, gapMillis);
        }
        List<Long> sorted = new ArrayList<>(gaps);
        Collections.sort(sorted);
        long median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        System.out.printf(Locale.ROOT, "failover gap over %d runs: median %d ms, max %d ms (target: 3000 ms or less)%n",
                runs, median, sorted.get(sorted.size() - 1));
        System.exit(0);
    }

    private static long oneRun(Path directory, SupervisorSettings settings) throws Exception {
        try (FailoverRig rig = FailoverRig.start(directory, 3, settings)) {
            awaitTrue(() -> "m1".equals(rig.supervisor.currentPrimary()) && rig.proxy.table().writeTarget().isPresent(),
                    20_000);
            try (ContinuousWriter writer = new ContinuousWriter("127.0.0.1", rig.proxy.port(), List.of(),
                    n -> "manamboara tahiry w" + n)) {
                awaitTrue(() -> writer.acks().size() >= 20, 20_000);
                // A few idle heartbeats so the kill lands at a random point of the heartbeat cycle.
                Thread.sleep((long) (Math.random() * settings.heartbeatIntervalMillis()));
                long killedAt = System.nanoTime();
                rig.process("m1").kill();
                awaitTrue(() -> writer.firstAckSentAfter(killedAt) != null, 60_000);
                ContinuousWriter.Ack first = writer.firstAckSentAfter(killedAt);
                return TimeUnit.NANOSECONDS.toMillis(first.ackedNanos() - killedAt);
            }
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("timed out after " + timeoutMillis + " ms");
            }
            Thread.sleep(5);
        }
    }
}
