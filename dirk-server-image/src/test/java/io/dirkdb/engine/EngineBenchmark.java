package io.dirkdb.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Prints in-process figures of the engine alone (no network, no fsync): statement overhead
 * for inserts and point lookups, and snapshot size and timings for a million rows. Run with
 * {@code java -cp dirk-common/target/classes:dirk-server-image/target/classes:dirk-server-image/target/test-classes io.dirkdb.engine.EngineBenchmark}
 * after {@code ./mvnw -o -q -pl dirk-server-image -am test-compile} (the engine's result model is in dirk-common).
 * With a directory argument it also measures durable single-row inserts (fsync, group commit)
 * in a fresh data directory there.
 */
public final class EngineBenchmark {
    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            durableInserts(java.nio.file.Path.of(args[0]));
        }
        Engine engine = Engine.inMemory();
        Session session = new Session();
        engine.execute(session, "manamboara tahiry bench");
        engine.execute(session, "ampiasao bench");
        engine.execute(session, "manamboara tabilao t (id ISA(null,null), name LAHATSORATRA(null,50), score ISA(0,null))");

        for (int threads : new int[] {1, 8}) {
            int perThread = 100_000 / threads;
            long start = System.nanoTime();
            run(threads, t -> {
                Session s = new Session();
                engine.execute(s, "ampiasao bench");
                for (int i = 0; i < perThread; i++) {
                    long id = (long) t * 1_000_000 + i;
                    engine.execute(s, "manampia ao@ t (id, name, score) sanda (" + id + ", 'name" + id + "', " + (i % 100) + ")");
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("single-row inserts, %d thread(s): %.0f/s (engine only, no fsync)%n", threads, perThread * threads / seconds);
        }

        int lookups = 200_000;
        long start = System.nanoTime();
        run(4, t -> {
            Session s = new Session();
            engine.execute(s, "ampiasao bench");
            for (int i = 0; i < lookups / 4; i++) {
                long id = ThreadLocalRandom.current().nextInt(50_000);
                engine.execute(s, "alaivo * ao@ t rehefa id = " + id);
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("point lookups on %d rows, 4 threads: %.0f/s%n", 200_000, lookups / seconds);

        StringBuilder batch = new StringBuilder();
        for (int b = 0; b < 800; b++) {
            batch.setLength(0);
            batch.append("manampia ao@ t sanda ");
            for (int i = 0; i < 1000; i++) {
                long id = 10_000_000L + b * 1000L + i;
                batch.append(i == 0 ? "" : ",").append('(').append(id).append(",'name").append(id).append("',").append(i % 100).append(')');
            }
            engine.execute(session, batch.toString());
        }
        ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
        start = System.nanoTime();
        engine.stateMachine().writeSnapshot(snapshot);
        double writeSeconds = (System.nanoTime() - start) / 1e9;
        byte[] bytes = snapshot.toByteArray();
        Engine restored = Engine.inMemory();
        start = System.nanoTime();
        restored.stateMachine().readSnapshot(new ByteArrayInputStream(bytes));
        double readSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("snapshot of 1,000,000 rows: %.1f MiB, written in %.2f s, loaded in %.2f s%n",
                bytes.length / 1048576.0, writeSeconds, readSeconds);
        engine.close();
    }

    private static void durableInserts(java.nio.file.Path directory) throws Exception {
        java.nio.file.Path data = java.nio.file.Files.createTempDirectory(directory, "engine-bench");
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            engine.execute(session, "manamboara tahiry bench");
            engine.execute(session, "ampiasao bench");
            engine.execute(session, "manamboara tabilao t (id ISA(null,null), name LAHATSORATRA(null,50))");
            for (int threads : new int[] {1, 8}) {
                int perThread = threads == 1 ? 5_000 : 2_500;
                long start = System.nanoTime();
                run(threads, t -> {
                    Session s = new Session();
                    engine.execute(s, "ampiasao bench");
                    for (int i = 0; i < perThread; i++) {
                        long id = (long) threads * 10_000_000 + (long) t * 1_000_000 + i;
                        engine.execute(s, "manampia ao@ t (id, name) sanda (" + id + ", 'name" + id + "')");
                    }
                });
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("durable single-row inserts, %d thread(s): %.0f/s%n", threads, perThread * threads / seconds);
            }
            long start = System.nanoTime();
            engine.checkpoint();
            System.out.printf("checkpoint of 25,000 rows: %.2f s%n", (System.nanoTime() - start) / 1e9);
        }
    }

    interface Work {
        void run(int thread) throws Exception;
    }

    private static void run(int threads, Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                work.run(thread);
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        pool.shutdown();
    }
}
