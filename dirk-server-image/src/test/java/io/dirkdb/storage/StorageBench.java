package io.dirkdb.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Prints durable appends per second (1 and 8 threads, ~100-byte records), fsyncs per second, and
 * the recovery time of a 1,000,000-record log. Run from dirk-server-image after test-compile:
 * {@code java -cp target/classes:target/test-classes io.dirkdb.storage.StorageBench [work-dir]}.
 * The work directory must be on the disk being measured (not tmpfs); default target/storage-bench.
 */
public final class StorageBench {
    private static final int RECORD_BYTES = 100;

    private StorageBench() {}

    /** Counts records and payload bytes; keeps nothing. */
    private static final class CountingMachine implements StateMachine {
        final AtomicLong applied = new AtomicLong();

        @Override
        public void apply(LogRecord record) {
            applied.incrementAndGet();
        }

        @Override
        public void writeSnapshot(OutputStream out) {}

        @Override
        public void readSnapshot(InputStream in) {}
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/storage-bench").toAbsolutePath();
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        FileTrees.delete(work);
        bareFsync(work.resolve("bare"), 2_000);
        durableAppends(work.resolve("one-thread"), 1, 5_000);
        durableAppends(work.resolve("eight-threads"), 8, 40_000);
        recovery(work.resolve("recovery"), 1_000_000);
        FileTrees.delete(work);
    }

    /** The floor for one thread: a plain write plus fdatasync per record, without Storage. */
    private static void bareFsync(Path dir, int records) throws IOException {
        Files.createDirectories(dir);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir.resolve("probe"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer record = java.nio.ByteBuffer.allocate(LogSegments.frameBytes(RECORD_BYTES));
            long start = System.nanoTime();
            for (int i = 0; i < records; i++) {
                record.clear();
                channel.write(record);
                channel.force(false);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "baseline: bare write+fdatasync of one record = %.3f ms (%,.0f/s)%n",
                    seconds * 1000 / records, records / seconds);
        }
    }

    private static void durableAppends(Path dir, int threads, int records) throws Exception {
        try (Storage storage = Storage.open(dir, new CountingMachine())) {
            int perThread = records / threads;
            List<Thread> writers = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                Thread writer = new Thread(() -> {
                    byte[] payload = new byte[RECORD_BYTES];
                    try {
                        for (int i = 0; i < perThread; i++) {
                            storage.awaitDurable(storage.append(1, payload));
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                writers.add(writer);
                writer.start();
            }
            for (Thread writer : writers) {
                writer.join();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long total = (long) perThread * threads;
            System.out.printf(Locale.ROOT,
                    "%d thread(s): %,d durable appends in %.2f s = %,.0f appends/s; %,d fsyncs = %,.0f fsyncs/s, %.1f records per fsync%n",
                    threads, total, seconds, total / seconds, storage.syncCount(), storage.syncCount() / seconds,
                    (double) total / storage.syncCount());
        }
    }

    private static void recovery(Path dir, int records) throws IOException {
        try (Storage storage = Storage.open(dir, new CountingMachine())) {
            byte[] payload = new byte[RECORD_BYTES];
            for (int i = 1; i <= records; i++) {
                long lsn = storage.append(1, payload);
                if (i % 10_000 == 0) {
                    storage.awaitDurable(lsn);
                }
            }
        }
        long logBytes;
        try (Stream<Path> files = Files.list(dir.resolve(Storage.WAL_DIR))) {
            logBytes = files.mapToLong(f -> f.toFile().length()).sum();
        }
        CountingMachine machine = new CountingMachine();
        long start = System.nanoTime();
        try (Storage storage = Storage.open(dir, machine)) {
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "recovery: %,d records (%,d MiB of log) replayed in %.2f s = %,.0f records/s%n",
                    machine.applied.get(), logBytes >> 20, seconds, machine.applied.get() / seconds);
            if (storage.lastLsn() != records) {
                throw new IllegalStateException("recovered " + storage.lastLsn() + " records, wrote " + records);
            }
        }
    }
}
