package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on a real data directory: what was acknowledged is there after a restart. */
class EngineStorageTest {
    @TempDir
    Path data;

    private static List<List<Object>> rows(Engine engine, Session session, String query) {
        return ((Result.Relation) engine.execute(session, query)).rows();
    }

    private static void populate(Engine engine) {
        Session session = new Session();
        engine.execute(session, "manamboara tahiry examen2");
        engine.execute(session, "ampiasao examen2");
        engine.execute(session, "manamboara efitra cours_domain(TANISA(\"Archi\",\"Algo\",\"Syst\"))");
        engine.execute(session, "manamboara tabilao ENA(IdEtudiant ISA(null,null), Nom LAHATSORATRA(null,null), c cours_domain, d DATY)");
        engine.execute(session, "manampia ao@ ENA (IdEtudiant,Nom,c,d) sanda (100,'Toto','Algo','2026-11-27'),(200,'Tata',null,null)");
        engine.execute(session, "havaozy ENA ova Nom = 'Tutu' rehefa IdEtudiant = 200");
        engine.execute(session, "manamboara jery grands @ alaivo Nom ao@ ENA #rehefa IdEtudiant > 150");
    }

    private static void assertPopulated(Engine engine) {
        Session session = new Session();
        engine.execute(session, "ampiasao examen2");
        assertThat(rows(engine, session, "alaivo * ao@ ENA")).containsExactly(
                List.of(100L, "Toto", "Algo", LocalDate.of(2026, 11, 27)), Arrays.asList(200L, "Tutu", null, null));
        assertThat(rows(engine, session, "alaivo * ao@ grands")).containsExactly(List.of("Tutu"));
        assertThatThrownBy(() -> engine.execute(session, "manampia ao@ ENA (c) sanda ('Foo')"))
                .isInstanceOf(DirkException.class).hasMessageContaining("TANISA('Archi','Algo','Syst')");
    }

    @Test
    void reopenAfterCloseKeepsEverything() {
        long lsn;
        try (Engine engine = Engine.open(data)) {
            populate(engine);
            lsn = engine.lastLsn();
        }
        try (Engine engine = Engine.open(data)) {
            assertThat(engine.lastLsn()).isEqualTo(lsn);
            assertPopulated(engine);
            Session session = new Session();
            engine.execute(session, "ampiasao examen2");
            engine.execute(session, "manampia ao@ ENA (IdEtudiant) sanda (300)");
        }
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            engine.execute(session, "ampiasao examen2");
            assertThat(rows(engine, session, "alaivo IdEtudiant ao@ ENA")).containsExactly(List.of(100L), List.of(200L), List.of(300L));
        }
    }

    @Test
    void replayOfTheLogAloneKeepsEverything() {
        Engine first = Engine.open(data);
        populate(first);
        first.closeWithoutCheckpoint();
        try (Engine engine = Engine.open(data)) {
            assertPopulated(engine);
        }
    }

    @Test
    void checkpointThenMoreWritesThenReopenKeepsEverything() throws Exception {
        Engine first = Engine.open(data);
        populate(first);
        first.checkpoint();
        Session session = new Session();
        first.execute(session, "ampiasao examen2");
        first.execute(session, "fafao ao@ ENA rehefa IdEtudiant = 200");
        first.execute(session, "manampia ao@ ENA (IdEtudiant, Nom) sanda (200, 'Tutu')");
        long lsn = first.lastLsn();
        first.closeWithoutCheckpoint();
        try (Engine engine = Engine.open(data)) {
            assertThat(engine.lastLsn()).isEqualTo(lsn);
            assertPopulated(engine);
        }
        try (var files = Files.walk(data)) {
            assertThat(files.anyMatch(p -> p.toString().contains("snapshot"))).isTrue();
        }
    }

    @Test
    void aSnapshotOfManyRowsWithRepeatedTextsAndDatesReadsBackEveryValue() throws Exception {
        // Decoding shares one instance per repeated short text and date: every row must still get its own value.
        List<List<Object>> expected = new java.util.ArrayList<>();
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            engine.execute(session, "manamboara tahiry shop");
            engine.execute(session, "ampiasao shop");
            engine.execute(session, "manamboara tabilao t (id ISA(null,null), label LAHATSORATRA(null,null), d DATY)");
            String[] labels = {"Aa", "BB", "C#", "Fianarantsoa", "Antsirabé", "a label longer than the shared ones are allowed to be, "
                    + "which is decoded on its own", ""};
            StringBuilder insert = new StringBuilder("manampia ao@ t (id, label, d) sanda ");
            for (int i = 0; i < 20_000; i++) {
                String label = i % 97 == 0 ? "row-" + i : labels[i % labels.length];
                LocalDate day = LocalDate.of(2026, 1, 1).plusDays(i % 5000);
                insert.append(i == 0 ? "" : ", ").append('(').append(i).append(", '").append(label).append("', '")
                        .append(day).append("')");
                expected.add(List.of((long) i, label, day));
            }
            engine.execute(session, insert.toString());
            engine.checkpoint();
        }
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            engine.execute(session, "ampiasao shop");
            assertThat(rows(engine, session, "alaivo * ao@ t")).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void epochSurvivesARestart() {
        try (Engine engine = Engine.open(data)) {
            engine.allowWrites(4);
            engine.execute(new Session(), "manamboara tahiry a");
        }
        try (Engine engine = Engine.open(data)) {
            assertThat(engine.epoch()).isEqualTo(4);
        }
    }

    @Test
    void aSecondaryRebuiltFromTheShippedSnapshotHasEverything(@TempDir Path secondaryData) throws Exception {
        try (Engine primary = Engine.open(data); Engine secondary = Engine.open(secondaryData)) {
            populate(primary);
            primary.checkpoint();
            secondary.execute(new Session(), "manamboara tahiry diverged");
            Path snapshot = primary.storage().orElseThrow().latestSnapshot().orElseThrow().path();
            try (var shipped = Files.newInputStream(snapshot)) {
                secondary.installSnapshot(shipped);
            }
            assertThat(secondary.lastLsn()).isEqualTo(primary.lastLsn());
            assertPopulated(secondary);
            assertThat(rows(secondary, new Session(), "asehoy ny tahiry")).containsExactly(List.of("examen2"));
        }
    }

    @Test
    void aShippedSnapshotDamagedInTransitLeavesTheSecondarysDataAsItWas(@TempDir Path secondaryData) throws Exception {
        try (Engine primary = Engine.open(data); Engine secondary = Engine.open(secondaryData)) {
            populate(primary);
            primary.checkpoint();
            populate(secondary);
            long lsn = secondary.lastLsn();
            byte[] shipped = Files.readAllBytes(primary.storage().orElseThrow().latestSnapshot().orElseThrow().path());
            shipped[shipped.length - 8] ^= 0x40; // inside the content: decodes, but fails the checksum

            assertThatThrownBy(() -> secondary.installSnapshot(new java.io.ByteArrayInputStream(shipped)))
                    .isInstanceOf(DirkException.class).hasMessageContaining("checksum");
            assertThatThrownBy(() -> secondary.installSnapshot(new java.io.ByteArrayInputStream(shipped, 0, shipped.length / 2)))
                    .isInstanceOf(DirkException.class).hasMessageContaining("cut short");

            assertThat(secondary.lastLsn()).isEqualTo(lsn);
            assertPopulated(secondary);
        }
    }

    @Test
    void truncateAfterForgetsTheRecordsPastTheForkPoint() {
        try (Engine engine = Engine.open(data)) {
            populate(engine);
            engine.checkpoint();
            long fork = engine.lastLsn();
            Session session = new Session();
            engine.execute(session, "ampiasao examen2");
            engine.execute(session, "fafao ao@ ENA");
            engine.execute(session, "manamboara tahiry later");
            engine.truncateAfter(fork);
            assertThat(engine.lastLsn()).isEqualTo(fork);
            assertPopulated(engine);
            assertThat(rows(engine, session, "asehoy ny tahiry")).containsExactly(List.of("examen2"));
        }
    }

    @Test
    void replicatedRecordsAreLoggedAndSurviveARestart(@TempDir Path secondaryData) throws Exception {
        try (Engine primary = Engine.open(data); Engine secondary = Engine.open(secondaryData)) {
            populate(primary);
            secondary.refuseWrites("this member is a secondary");
            try (var records = primary.storage().orElseThrow().readFrom(1)) {
                while (records.hasNext()) {
                    secondary.applyReplicated(records.next());
                }
            }
            secondary.awaitDurable(secondary.lastLsn());
            assertThat(secondary.lastLsn()).isEqualTo(primary.lastLsn());
        }
        try (Engine secondary = Engine.open(secondaryData)) {
            assertPopulated(secondary);
        }
    }
}
