package io.dirkdb.replication;

import io.dirkdb.backup.Archiver;
import io.dirkdb.backup.BaseBackup;
import io.dirkdb.backup.DirectoryRepository;
import io.dirkdb.backup.Manifest;
import io.dirkdb.backup.MemberAccess;
import io.dirkdb.backup.Repository;
import io.dirkdb.backup.Restore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Backup and restore throughput next to {@code cp -r} of the data directory, and the archive lag under 1,000 writes/s.
 * Prints figures, asserts nothing: {@code ./mvnw -o -B -pl dirk-server-image -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=BackupBenchmark -Ddirk.bench=true}
 * (rows: -Ddirk.bench.rows=N, default 300,000).
 */
class BackupBenchmark extends ReplicaSetFixture {

    @Test
    void backupRestoreAndArchiveFigures() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("dirk.bench"), "a benchmark: run with -Ddirk.bench=true");
        int rows = Integer.getInteger("dirk.bench.rows", 300_000);
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        try (var client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute("manamboara tabilao orders(id ISA(null,null), customer LAHATSORATRA(null,null), total ISA(null,null))"));
            StringBuilder batch = new StringBuilder();
            for (int i = 1; i <= rows; i++) {
                batch.append(batch.length() == 0 ? "manampia ao@ orders (id, customer, total) sanda " : ", ")
                        .append('(').append(i).append(", 'customer-").append(i % 5000).append("', ").append(i % 997).append(')');
                if (i % 1000 == 0 || i == rows) {
                    ok(client.execute(batch.toString()));
                    batch.setLength(0);
                }
            }
        }
        members.node("m1").database().engine().checkpoint();
        MemberAccess access = new MemberAccess(List.of(new ResyncTool.Endpoint(members.node("m1").host(),
                members.node("m1").port())), null, List.of(), null);
        Path dataDir = members.node("m1").directory();
        long dataBytes = size(dataDir);

        Repository repo = new DirectoryRepository(root.resolve("repo"));
        long start = System.nanoTime();
        Manifest manifest = new BaseBackup(access, repo).take();
        double backupSeconds = (System.nanoTime() - start) / 1e9;

        start = System.nanoTime();
        new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("restored"), null);
        double restoreSeconds = (System.nanoTime() - start) / 1e9;

        start = System.nanoTime();
        Process cp = new ProcessBuilder("cp", "-r", dataDir.toString(), root.resolve("copy").toString()).inheritIO().start();
        cp.waitFor();
        double copySeconds = (System.nanoTime() - start) / 1e9;

        System.out.printf(Locale.ROOT, "[dirk bench backup] %,d rows, data directory %,d bytes, backup %,d bytes%n", rows,
                dataBytes, manifest.bytes());
        System.out.printf(Locale.ROOT, "[dirk bench backup] base backup (snapshot + log, fsynced, SHA-256): %.2f s, %.1f MB/s%n",
                backupSeconds, manifest.bytes() / backupSeconds / 1e6);
        System.out.printf(Locale.ROOT, "[dirk bench backup] restore (verify, decode, log, fsync, checkpoint): %.2f s, %.1f MB/s%n",
                restoreSeconds, manifest.bytes() / restoreSeconds / 1e6);
        System.out.printf(Locale.ROOT, "[dirk bench backup] cp -r of the data directory (page cache, no fsync): %.2f s, %.1f MB/s%n",
                copySeconds, dataBytes / copySeconds / 1e6);

        for (double flushSeconds : new double[] {1, 5}) {
            archiveLag(access, root.resolve("archive-" + flushSeconds), flushSeconds);
        }
    }

    /** Writes at 1,000/s over 8 connections for 15 s while archiving; lag = durable on the primary to stored. */
    private void archiveLag(MemberAccess access, Path repoDir, double flushSeconds) throws Exception {
        Repository repo = new DirectoryRepository(repoDir);
        new BaseBackup(access, repo).take();
        Archiver archiver = new Archiver(access, repo, Duration.ofMillis((long) (flushSeconds * 1000)), 16 << 20,
                new SimpleMeterRegistry());
        Thread archiving = new Thread(archiver::run, "bench-archiver");
        archiving.start();
        var engine = members.node("m1").database().engine();
        AtomicBoolean writing = new AtomicBoolean(true);
        ConcurrentLinkedDeque<long[]> samples = new ConcurrentLinkedDeque<>();
        List<Long> lagsMillis = Collections.synchronizedList(new ArrayList<>());
        Thread sampler = new Thread(() -> {
            while (writing.get() || !samples.isEmpty()) {
                long now = System.nanoTime();
                long lsn = engine.lastLsn();
                if (samples.isEmpty() || samples.peekLast()[0] != lsn) {
                    samples.add(new long[] {lsn, now});
                }
                long archived = archiver.archivedLsn();
                while (!samples.isEmpty() && samples.peekFirst()[0] <= archived) {
                    lagsMillis.add((now - samples.pollFirst()[1]) / 1_000_000);
                }
                try {
                    Thread.sleep(5); // a sampling period, not a wait for a condition
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        long seconds = 15;
        long total = seconds * 1000;
        List<Thread> writers = new ArrayList<>();
        long begin = System.nanoTime();
        long[] written = new long[8];
        for (int w = 0; w < 8; w++) {
            int id = w;
            Thread writer = new Thread(() -> {
                try (var client = members.connect("m1")) {
                    ok(client.execute("ampiasao shop"));
                    for (long n = id; n < total; n += 8) {
                        long due = begin + n * 1_000_000L; // 1,000 per second across the writers
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        ok(client.execute("manampia ao@ orders (id, customer, total) sanda (" + (10_000_000 + n)
                                + ", 'lag', 1)"));
                        written[id]++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            writers.add(writer);
        }
        for (Thread writer : writers) {
            writer.join();
        }
        double elapsed = (System.nanoTime() - begin) / 1e9;
        long end = engine.lastLsn();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (archiver.archivedLsn() < end && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        writing.set(false);
        sampler.join(70_000);
        archiver.stop();
        archiving.join(30_000);
        List<Long> sorted = new ArrayList<>(lagsMillis);
        Collections.sort(sorted);
        long count = 0;
        for (long w : written) {
            count += w;
        }
        System.out.printf(Locale.ROOT, "[dirk bench backup] archive lag, --flush-seconds %.0f, %,d writes at %.0f/s: "
                        + "p50 %d ms, p99 %d ms, max %d ms (%d samples)%n", flushSeconds, count, count / elapsed,
                percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1),
                sorted.size());
    }

    private static long percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }

    private static long size(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
