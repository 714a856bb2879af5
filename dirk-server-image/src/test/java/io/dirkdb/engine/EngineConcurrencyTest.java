package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EngineConcurrencyTest {

    @Test
    void concurrentInsertsAreNeitherLostNorSeenHalfApplied() throws Exception {
        Engine engine = Engine.inMemory();
        Session setup = new Session();
        engine.execute(setup, "manamboara tahiry c");
        engine.execute(setup, "ampiasao c");
        engine.execute(setup, "manamboara tabilao t (writer ISA(null,null), n ISA(null,null))");
        int writers = 8;
        int perWriter = 500;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    Session session = new Session();
                    engine.execute(session, "ampiasao c");
                    for (int i = 0; i < perWriter; i++) {
                        // Two rows per statement: a reader must always see an even count.
                        engine.execute(session, "manampia ao@ t sanda (" + writer + "," + i + "), (" + writer + "," + i + ")");
                    }
                    return null;
                }));
            }
            Future<Integer> reader = pool.submit(() -> {
                Session session = new Session();
                engine.execute(session, "ampiasao c");
                int oddCounts = 0;
                for (int i = 0; i < 200; i++) {
                    long count = (Long) ((Result.Relation) engine.execute(session, "alaivo count(*) ao@ t")).rows().get(0).get(0);
                    if (count % 2 != 0) {
                        oddCounts++;
                    }
                }
                return oddCounts;
            });
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
            assertThat(reader.get(60, TimeUnit.SECONDS)).isZero();
        } finally {
            pool.shutdownNow();
        }
        Result.Relation perWriterCounts = (Result.Relation) engine.execute(setup,
                "alaivo writer, count(*), count(n) ao@ t #vondrona writer");
        assertThat(perWriterCounts.rows()).hasSize(writers);
        for (List<Object> row : perWriterCounts.rows()) {
            assertThat(row.subList(1, 3)).containsExactly((long) perWriter * 2, (long) perWriter * 2);
        }
        engine.close();
    }
}
