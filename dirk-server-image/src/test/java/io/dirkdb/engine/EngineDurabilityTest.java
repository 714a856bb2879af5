package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import io.dirkdb.storage.LogRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's half of durability: what it logs and snapshots rebuilds the same state. */
class EngineDurabilityTest {

    private static final List<String> SCRIPT = List.of(
            "manamboara tahiry examen2",
            "ampiasao examen2",
            "manamboara efitra cours_domain(TANISA(\"Archi\",\"Algo\",\"Syst\"))",
            "manamboara tabilao ENA(IdEtudiant ISA(null,null), Nom LAHATSORATRA(null,null), c cours_domain, d DATY, x ISA(null,null))",
            "manampia ao@ ENA sanda (100,'Toto','Algo','2026-11-27', 1.5), (200,'Tata',null,null,-7), (300,'Titi','Syst',null,null)",
            "havaozy ENA ova Nom = 'Tutu' rehefa IdEtudiant = 200",
            "fafao ao@ ENA rehefa IdEtudiant = 300",
            "manamboara jery v @ alaivo Nom ao@ ENA #rehefa IdEtudiant > 150",
            "manamboara tahiry autre",
            "ravao ny tahiry autre");

    private static Engine scripted(RecordingJournal journal) {
        Engine engine = Engine.withJournal(journal);
        Session session = new Session();
        for (String statement : SCRIPT) {
            engine.execute(session, statement);
        }
        return engine;
    }

    private static List<List<Object>> everything(Engine engine) {
        Session session = new Session();
        engine.execute(session, "ampiasao examen2");
        List<List<Object>> all = new java.util.ArrayList<>(((Result.Relation) engine.execute(session, "alaivo * ao@ ENA")).rows());
        all.addAll(((Result.Relation) engine.execute(session, "alaivo * ao@ v")).rows());
        all.addAll(((Result.Relation) engine.execute(session, "asehoy ny tahiry")).rows());
        all.addAll(((Result.Relation) engine.execute(session, "asehoy ny efitra")).rows());
        return all;
    }

    @Test
    void replayingTheLogRebuildsTheSameState() {
        RecordingJournal journal = new RecordingJournal();
        Engine original = scripted(journal);
        assertThat(journal.records).hasSize(SCRIPT.size() - 1); // ampiasao is not logged
        RecordingJournal replicaJournal = new RecordingJournal();
        Engine replica = Engine.withJournal(replicaJournal);
        for (LogRecord record : journal.records) {
            replica.applyReplicated(record);
        }
        assertThat(replicaJournal.records).containsExactlyElementsOf(journal.records);
        assertThat(replica.lastLsn()).isEqualTo(original.lastLsn());
        assertThat(everything(replica)).isEqualTo(everything(original));
        // The rebuilt table accepts new rows with fresh ids and keeps checking types.
        Session session = new Session();
        replica.execute(session, "ampiasao examen2");
        replica.execute(session, "manampia ao@ ENA (IdEtudiant) sanda (400)");
        assertThatThrownBy(() -> replica.execute(session, "manampia ao@ ENA (c) sanda ('Foo')"))
                .hasMessageContaining("TANISA('Archi','Algo','Syst')");
    }

    @Test
    void aSnapshotRebuildsTheSameState() throws IOException {
        RecordingJournal journal = new RecordingJournal();
        Engine original = scripted(journal);
        original.checkpoint();
        assertThat(journal.snapshotLsn).isEqualTo(original.lastLsn());
        Engine restored = Engine.inMemory();
        restored.stateMachine().readSnapshot(new ByteArrayInputStream(journal.snapshot));
        assertThat(everything(restored)).isEqualTo(everything(original));
        Session session = new Session();
        restored.execute(session, "ampiasao examen2");
        restored.execute(session, "manampia ao@ ENA (IdEtudiant) sanda (400)");
        assertThat(((Result.Relation) restored.execute(session, "alaivo count(*) ao@ ENA")).rows()).containsExactly(List.of(3L));
    }

    @Test
    void aStorageFailureFailsTheWriteAndRefusesLaterWrites() {
        RecordingJournal journal = new RecordingJournal();
        Engine engine = scripted(journal);
        Session session = new Session();
        engine.execute(session, "ampiasao examen2");
        journal.failure = new IOException("No space left on device");
        assertThatThrownBy(() -> engine.execute(session, "manampia ao@ ENA (IdEtudiant) sanda (1)"))
                .isInstanceOf(DirkException.class)
                .hasMessage("the write could not be made durable: No space left on device");
        journal.failure = null;
        assertThatThrownBy(() -> engine.execute(session, "manampia ao@ ENA (IdEtudiant) sanda (1)"))
                .hasMessageContaining("restart");
        assertThat(engine.writesAllowed()).isFalse();
        // Memory may be ahead of the disk (other writers' records of the failed group commit): nothing is served.
        assertThat(engine.storageFailure()).contains("No space left on device");
        assertThatThrownBy(() -> engine.execute(session, "alaivo count(*) ao@ ENA"))
                .hasMessageContaining("storage failed").hasMessageContaining("restarts and recovers from its log");
    }

    @Test
    void recordsCarryTheCurrentEpoch() {
        RecordingJournal journal = new RecordingJournal();
        Engine engine = Engine.withJournal(journal);
        Session session = new Session();
        engine.execute(session, "manamboara tahiry a");
        engine.allowWrites(3);
        engine.execute(session, "manamboara tahiry b");
        assertThat(journal.records).extracting(LogRecord::epoch).containsExactly(1L, 3L);
    }

    @Test
    void aCheckpointIsTakenInTheBackgroundOnceTheLogHasGrown() throws IOException {
        RecordingJournal journal = new RecordingJournal();
        journal.checkpointEveryRecords = 5;
        Engine engine = scripted(journal);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> journal.snapshotLsn >= 5);
        Engine restored = Engine.inMemory();
        restored.stateMachine().readSnapshot(new ByteArrayInputStream(journal.snapshot));
        for (LogRecord record : journal.records.subList((int) journal.snapshotLsn, journal.records.size())) {
            restored.applyReplicated(record);
        }
        assertThat(everything(restored)).isEqualTo(everything(engine));
    }

    @Test
    void aReadReturnsRowsOnlyOnceTheWritesTheyShowAreDurable() throws Exception {
        RecordingJournal journal = new RecordingJournal();
        Engine engine = Engine.withJournal(journal);
        Session setup = new Session();
        engine.execute(setup, "manamboara tahiry d");
        engine.execute(setup, "ampiasao d");
        engine.execute(setup, "manamboara tabilao t(id ISA(null,null))");
        journal.holdFsync();
        var writer = java.util.concurrent.CompletableFuture.runAsync(() -> engine.execute(setup, "manampia ao@ t (id) sanda (7)"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> journal.waitingForFsync == 1);
        long[] durableWhenRead = new long[1];
        var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            Session session = new Session();
            engine.execute(session, "ampiasao d");
            Result rows = engine.execute(session, "alaivo * ao@ t");
            durableWhenRead[0] = journal.durableLsn;
            return rows;
        });
        // The reader either waits for the fsync (two waiters) or, as before, returned the row at once.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> reader.isDone() || journal.waitingForFsync == 2);
        journal.releaseFsync();
        writer.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(((Result.Relation) reader.get(5, java.util.concurrent.TimeUnit.SECONDS)).rows()).containsExactly(List.of(7L));
        assertThat(durableWhenRead[0]).as("the row was returned before its write was durable").isEqualTo(3);
    }
}
