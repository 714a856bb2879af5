package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import io.dirkdb.storage.LogRecord;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A member's data has a share of the heap: past it, writes that add data are refused, everything else goes on. */
class EngineMemoryLimitTest {
    private static final long HEAP = 1 << 20;

    @TempDir
    Path directory;

    private static Session shop(Engine engine) {
        Session session = new Session();
        engine.execute(session, "manamboara tahiry shop");
        engine.execute(session, "ampiasao shop");
        engine.execute(session, "manamboara tabilao item (id ISA(null,null), name LAHATSORATRA(null,null))");
        return session;
    }

    private static String insert(int id) {
        return "manampia ao@ item (id, name) sanda (" + id + ", 'an item with a name of some length, number " + id + "')";
    }

    private static long count(Engine engine, Session session) {
        return (Long) ((Result.Relation) engine.execute(session, "alaivo count(*) ao@ item")).rows().get(0).get(0);
    }

    /** Inserts rows until one is refused; returns how many went in. */
    private static int fill(Engine engine, Session session, int from) {
        for (int i = from; i < from + 100_000; i++) {
            try {
                engine.execute(session, insert(i));
            } catch (DirkException e) {
                assertThat(e.getMessage()).contains("refuses writes that add data");
                return i - from;
            }
        }
        throw new AssertionError("100000 rows went in without a refusal");
    }

    @Test
    void theDataEstimateGrowsWithInsertsAndComesBackWithDeletes() {
        Engine engine = Engine.inMemory();
        Session session = shop(engine);
        long empty = engine.memory().dataBytes();
        assertThat(empty).isPositive();
        for (int i = 0; i < 100; i++) {
            engine.execute(session, insert(i));
        }
        long full = engine.memory().dataBytes();
        // Each row: its map entry, id, array, a boxed number and a string of about 50 bytes.
        assertThat((full - empty) / 100).isBetween(150L, 400L);
        engine.execute(session, "havaozy item ova name = 'short'");
        assertThat(engine.memory().dataBytes()).isLessThan(full);
        engine.execute(session, "fafao ao@ item");
        assertThat(engine.memory().dataBytes()).isEqualTo(empty);
    }

    @Test
    void pastItsShareAMemberRefusesInsertsButServesReadsDeletesAndDrops() {
        Engine engine = Engine.inMemory();
        engine.limitMemory(MemoryLimit.ofHeap(0.5, HEAP));
        Session session = shop(engine);
        int rows = fill(engine, session, 0);
        assertThat(rows).isPositive();
        assertThat(engine.memory().dataBytes()).isLessThanOrEqualTo(HEAP / 2);
        assertThat(engine.memory().pressure()).contains("refuses writes that add data");
        assertThat(engine.memory().refusedWrites()).isEqualTo(1);
        assertThatThrownBy(() -> engine.execute(session, insert(-1)))
                .hasMessageContaining("its data takes an estimated")
                .hasMessageContaining("past its limit of 50% of its 1024 KiB heap (512 KiB, --max-heap-share 0.5)")
                .hasMessageContaining("Reads, deletes and drops go on. Delete data, or give the member more memory");
        assertThatThrownBy(() -> engine.execute(session, "manamboara tabilao other (id ISA(null,null))"))
                .hasMessageContaining("refuses writes that add data");
        assertThat(count(engine, session)).isEqualTo(rows);
        engine.execute(session, "fafao ao@ item rehefa id < " + rows / 2);
        assertThat(engine.memory().pressure()).isNull();
        assertThat(fill(engine, session, rows)).isPositive();
        engine.execute(session, "ravao ny tabilao item");
        assertThat(engine.memory().pressure()).isNull();
    }

    @Test
    void aHeapStillNearlyFullAfterAFullCollectionRefusesWritesUntilDataIsFreed() {
        FullCollections.Last[] last = {FullCollections.Last.NONE};
        Engine engine = Engine.inMemory();
        engine.limitMemory(MemoryLimit.of(0.5, 64L << 20, () -> last[0]));
        Session session = shop(engine);
        engine.execute(session, insert(1));
        last[0] = new FullCollections.Last(40L << 20, 1); // past the share but not halfway to the whole heap
        engine.execute(session, insert(2));
        last[0] = new FullCollections.Last(50L << 20, 2);
        assertThatThrownBy(() -> engine.execute(session, insert(3)))
                .hasMessageContaining("its heap still held 50 MiB after the last full garbage collection, past 48 MiB "
                        + "(halfway between its limit of 50% of its 64 MiB heap (32 MiB, --max-heap-share 0.5) and the whole heap)");
        assertThat(engine.memory().pressure()).contains("after the last full garbage collection");
        assertThat(engine.memory().heapUsedAfterGc()).isEqualTo(50L << 20);
        // Freeing data makes that figure stale: no collection has run since, yet writes go on.
        engine.execute(session, "fafao ao@ item rehefa id = 1");
        assertThat(engine.memory().pressure()).isNull();
        engine.execute(session, insert(4));
        last[0] = new FullCollections.Last(50L << 20, 3);
        assertThatThrownBy(() -> engine.execute(session, insert(5))).hasMessageContaining("after the last full garbage");
    }

    @Test
    void aMemberRestartedOverItsLimitRecoversEveryRowThenRefusesWrites() {
        long dataBytes;
        try (Engine engine = Engine.open(directory)) {
            Session session = shop(engine);
            for (int i = 0; i < 2000; i++) {
                engine.execute(session, insert(i));
            }
            dataBytes = engine.memory().dataBytes();
        }
        // Its heap shrank (or its share was lowered): recovery replays every record, the refusal comes after.
        try (Engine engine = Engine.open(directory)) {
            assertThat(engine.memory().dataBytes()).isEqualTo(dataBytes);
            engine.limitMemory(MemoryLimit.ofHeap(0.5, dataBytes));
            Session session = new Session();
            engine.execute(session, "ampiasao shop");
            assertThat(count(engine, session)).isEqualTo(2000);
            assertThat(engine.memory().pressure()).contains("refuses writes that add data");
            assertThatThrownBy(() -> engine.execute(session, insert(5000))).hasMessageContaining("refuses writes that add data");
            engine.execute(session, "fafao ao@ item rehefa id >= 100");
            assertThat(count(engine, session)).isEqualTo(100);
            engine.execute(session, insert(5000));
        }
    }

    @Test
    void aSecondaryRefusesARecordPastItsLimitWholeAndAppliesItOnceItHasRoom() {
        RecordingJournal primaryLog = new RecordingJournal();
        Engine primary = Engine.withJournal(primaryLog);
        Session session = shop(primary);
        for (int i = 0; i < 50; i++) {
            primary.execute(session, insert(i));
        }
        Engine secondary = Engine.withJournal(new RecordingJournal());
        long schema = 3; // the database, the table and the first rows fit
        List<LogRecord> records = primaryLog.records;
        for (int i = 0; i < schema; i++) {
            secondary.applyReplicated(records.get(i));
        }
        long halfway = secondary.memory().dataBytes() + 1;
        // Halfway between the share and the whole heap is where a secondary stops: 0.5 -> 0.75.
        secondary.limitMemory(MemoryLimit.ofHeap(0.5, halfway * 4 / 3 + 1));
        LogRecord next = records.get((int) schema);
        assertThatThrownBy(() -> secondary.applyReplicated(next))
                .hasMessageContaining("this secondary stopped following before log record " + next.lsn())
                .hasMessageContaining("it keeps every record it has");
        assertThat(secondary.lastLsn()).isEqualTo(schema);
        assertThat(secondary.memory().pressure()).contains("stopped following");
        secondary.limitMemory(MemoryLimit.ofHeap(0.5, 1L << 30));
        for (int i = (int) schema; i < records.size(); i++) {
            secondary.applyReplicated(records.get(i));
        }
        assertThat(secondary.lastLsn()).isEqualTo(primary.lastLsn());
        assertThat(secondary.memory().pressure()).isNull();
        Session read = new Session();
        secondary.execute(read, "ampiasao shop");
        assertThat(count(secondary, read)).isEqualTo(50);
    }
}
