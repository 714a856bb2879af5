package io.dirkdb.bench;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.ReplicationSettings;
import io.dirkdb.replication.Replicator;
import io.dirkdb.replication.ResyncTool;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Replication figures (printed, never asserted): lag of a secondary at a steady write rate in
 * async mode, the compression ratio of the shipped log, and resync speed next to {@code cp -r} of
 * the same data directory. Members run in this process on loopback, on temporary directories.
 */
public final class ReplicationBenchmark {

    /** What to run. */
    public record Settings(int writesPerSecond, int seconds, int writers, int resyncRows) {}

    private final Settings settings;
    private final Path work;
    private final PrintStream out;
    private final List<MemberServer> servers = new ArrayList<>();

    public ReplicationBenchmark(Settings settings, Path work, PrintStream out) {
        this.settings = settings;
        this.work = work;
        this.out = out;
    }

    private record Running(MemberServer server, Replicator replicator, EngineDatabase database, Path directory) {}

    private Running start(String id, String host, Role role, Running primary) throws IOException {
        Path directory = work.resolve(id);
        EngineDatabase database = EngineDatabase.open(directory);
        Member member = Member.start(id, database, directory, role);
        if (primary != null) {
            member.follow(primary.server().address().getHostString(), primary.server().port());
        }
        Replicator replicator = Replicator.attach(member, database.engine(),
                ReplicationSettings.defaults(ReplicationMode.ASYNC), new SimpleMeterRegistry());
        MemberServer server = MemberServer.start(member, new ServerSettings(host, 0, null, 64,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(1)));
        servers.add(server);
        return new Running(server, replicator, database, directory);
    }

    public void run() throws Exception {
        try {
            measureLag();
            measureResync();
        } finally {
            servers.forEach(MemberServer::close);
        }
    }

    private void measureLag() throws Exception {
        Running primary = start("lag-primary", "127.0.0.2", Role.PRIMARY, null);
        Running secondary = start("lag-secondary", "127.0.0.3", Role.SECONDARY, primary);
        try (DirkConnection setup = connect(primary)) {
            check(setup.execute("manamboara tahiry shop"));
            check(setup.execute("ampiasao shop"));
            check(setup.execute("manamboara tabilao orders (id ISA(null,null), customer LAHATSORATRA(null,null), "
                    + "product LAHATSORATRA(null,null), quantity ISA(null,null), day DATY)"));
        }
        int total = settings.writesPerSecond() * settings.seconds();
        int writers = settings.writers();
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) * writers / settings.writesPerSecond();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        long started = System.nanoTime();
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    int written = 0;
                    try (DirkConnection connection = connect(primary)) {
                        check(connection.execute("ampiasao shop"));
                        long next = System.nanoTime();
                        for (int i = writer; i < total; i += writers) {
                            long wait = next - System.nanoTime();
                            if (wait > 0) {
                                TimeUnit.NANOSECONDS.sleep(wait);
                            }
                            next += intervalNanos;
                            check(connection.execute(String.format(Locale.ROOT,
                                    "manampia ao@ orders (id, customer, product, quantity, day) sanda "
                                            + "(%d, 'customer-%04d', 'product-%03d', %d, '2026-11-%02d')",
                                    i, i % 977, i % 131, 1 + i % 9, 1 + i % 28)));
                            written++;
                        }
                    }
                    return written;
                }));
            }
            for (Future<Integer> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long endLsn = primary.database().lastLsn();
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (secondary.database().lastLsn() < endLsn && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        Thread.sleep(100); // the last acknowledgement travels back
        var latency = primary.replicator().ackLatency().takeSnapshot();
        double p50 = 0;
        double p99 = 0;
        for (ValueAtPercentile value : latency.percentileValues()) {
            if (value.percentile() == 0.5) {
                p50 = value.value(TimeUnit.MILLISECONDS);
            } else if (value.percentile() == 0.99) {
                p99 = value.value(TimeUnit.MILLISECONDS);
            }
        }
        out.printf(Locale.ROOT, "replication lag (async, %d writes at %.0f writes/s, %d connections, primary LSN %d):%n",
                total, total / seconds, writers, endLsn);
        out.printf(Locale.ROOT, "  commit on primary -> durable on secondary: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d commits sampled)%n",
                p50, p99, latency.max(TimeUnit.MILLISECONDS), latency.count());
        long raw = primary.replicator().shippedRawBytes();
        long compressed = primary.replicator().shippedCompressedBytes();
        out.printf(Locale.ROOT, "  log shipped: %,d bytes raw, %,d bytes compressed (deflate), ratio %.2f%n", raw, compressed,
                compressed == 0 ? 0.0 : (double) raw / compressed);
    }

    private void measureResync() throws Exception {
        Running primary = start("resync-primary", "127.0.0.4", Role.PRIMARY, null);
        try (DirkConnection setup = connect(primary)) {
            check(setup.execute("manamboara tahiry shop"));
            check(setup.execute("ampiasao shop"));
            check(setup.execute("manamboara tabilao orders (id ISA(null,null), customer LAHATSORATRA(null,null), "
                    + "product LAHATSORATRA(null,null), quantity ISA(null,null), day DATY)"));
            int perStatement = 1000;
            for (int first = 0; first < settings.resyncRows(); first += perStatement) {
                StringBuilder insert = new StringBuilder("manampia ao@ orders (id, customer, product, quantity, day) sanda ");
                for (int i = first; i < Math.min(first + perStatement, settings.resyncRows()); i++) {
                    if (i > first) {
                        insert.append(", ");
                    }
                    insert.append(String.format(Locale.ROOT, "(%d, 'customer-%04d', 'product-%03d', %d, '2026-11-%02d')",
                            i, i % 977, i % 131, 1 + i % 9, 1 + i % 28));
                }
                check(setup.execute(insert.toString()));
            }
        }
        primary.database().engine().checkpoint();
        long snapshotBytes = primary.database().engine().storage().orElseThrow().latestSnapshot().orElseThrow().size();
        long directoryBytes = sizeOf(primary.directory());

        Path copy = work.resolve("cp-copy");
        long copyStarted = System.nanoTime();
        Process cp = new ProcessBuilder("cp", "-r", primary.directory().toString(), copy.toString())
                .redirectErrorStream(true).start();
        cp.getInputStream().readAllBytes();
        if (cp.waitFor() != 0) {
            throw new IOException("cp -r failed");
        }
        double copySeconds = (System.nanoTime() - copyStarted) / 1e9;
        // The same copy made durable, as a resync's is: a fairer yardstick than the page-cache copy.
        Path durableCopy = work.resolve("cp-durable-copy");
        long durableStarted = System.nanoTime();
        Process cpDurable = new ProcessBuilder("cp", "-r", primary.directory().toString(), durableCopy.toString())
                .redirectErrorStream(true).start();
        cpDurable.getInputStream().readAllBytes();
        if (cpDurable.waitFor() != 0) {
            throw new IOException("cp -r failed");
        }
        forceAll(durableCopy);
        double durableCopySeconds = (System.nanoTime() - durableStarted) / 1e9;

        double resyncSeconds = timeResync(primary, start("resync-target", "127.0.0.5", Role.SECONDARY, null), false);
        double deflatedSeconds = timeResync(primary, start("resync-target-deflate", "127.0.0.6", Role.SECONDARY, null), true);
        out.printf(Locale.ROOT, "resync (%,d rows; snapshot %.1f MB, data directory %.1f MB):%n", settings.resyncRows(),
                snapshotBytes / 1e6, directoryBytes / 1e6);
        out.printf(Locale.ROOT, "  dirk resync (snapshot over loopback, checksum, fsync, load, catch up): %.2f s, %.1f MB/s%n",
                resyncSeconds, snapshotBytes / 1e6 / resyncSeconds);
        out.printf(Locale.ROOT, "  dirk resync --deflate (the same, snapshot deflated on the wire):     %.2f s, %.1f MB/s%n",
                deflatedSeconds, snapshotBytes / 1e6 / deflatedSeconds);
        out.printf(Locale.ROOT, "  cp -r of the data directory (page cache, no fsync):                  %.2f s, %.1f MB/s%n",
                copySeconds, directoryBytes / 1e6 / copySeconds);
        out.printf(Locale.ROOT, "  cp -r of the data directory, then fsync of every file:               %.2f s, %.1f MB/s%n",
                durableCopySeconds, directoryBytes / 1e6 / durableCopySeconds);
        out.printf(Locale.ROOT, "  resync speed: %.0f%% of cp -r, %.0f%% of cp -r + fsync%n",
                100 * (snapshotBytes / resyncSeconds) / (directoryBytes / copySeconds),
                100 * (snapshotBytes / resyncSeconds) / (directoryBytes / durableCopySeconds));
    }

    /** Seconds from starting {@code dirk resync} of an empty member to its reporting consistent and streaming. */
    private static double timeResync(Running source, Running target, boolean deflate) throws InterruptedException {
        long started = System.nanoTime();
        ResyncTool.Outcome outcome = new ResyncTool(
                new ResyncTool.Endpoint(source.server().address().getHostString(), source.server().port()),
                new ResyncTool.Endpoint(target.server().address().getHostString(), target.server().port()), null,
                Duration.ofMinutes(10), Duration.ofMillis(20),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), deflate).run();
        double seconds = (System.nanoTime() - started) / 1e9;
        if (!outcome.consistent()) {
            throw new DirkException("resync failed: " + outcome.message());
        }
        return seconds;
    }

    private static void forceAll(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.toList()) {
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                        java.nio.file.StandardOpenOption.READ)) {
                    channel.force(true);
                }
            }
        }
    }

    private static long sizeOf(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
    }

    private static DirkConnection connect(Running member) throws IOException {
        return DirkConnection.open(member.server().address().getHostString(), member.server().port());
    }

    private static void check(Reply reply) {
        if (reply.isError()) {
            throw new DirkException(reply.errorMessage());
        }
    }
}
