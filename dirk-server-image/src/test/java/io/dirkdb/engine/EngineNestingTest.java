package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A statement the engine accepts must survive replay: restarts never meet a view nested too deeply. */
class EngineNestingTest {
    @TempDir
    Path data;

    private static void prepare(Engine engine, Session session) {
        engine.execute(session, "manamboara tahiry d");
        engine.execute(session, "ampiasao d");
        engine.execute(session, "manamboara tabilao t(x ISA(null,null))");
        engine.execute(session, "manampia ao@ t (x) sanda (1)");
    }

    @Test
    void nestedViewIsRefusedAndTheMemberRestarts() {
        String nested = "(".repeat(100_000) + "x = 1" + ")".repeat(100_000);
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            prepare(engine, session);
            assertThatThrownBy(() -> engine.execute(session, "manamboara jery v @ alaivo * ao@ t #rehefa " + nested))
                    .isInstanceOf(DirkException.class).hasMessageContaining("nested deeper than 200 levels");
            engine.execute(session, "manampia ao@ t (x) sanda (2)");
        }
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            engine.execute(session, "ampiasao d");
            assertThat(((Result.Relation) engine.execute(session, "asehoy jery")).rows()).isEmpty();
            assertThat(((Result.Relation) engine.execute(session, "alaivo x ao@ t")).rows())
                    .containsExactly(List.of(1L), List.of(2L));
        }
    }

    @Test
    void replayOfAnOldTooDeepViewFailsNamingItsLsn() throws Exception {
        long badLsn;
        Engine engine = Engine.open(data);
        try {
            prepare(engine, new Session());
            // Written by hand, as a version without the nesting limit logged it.
            badLsn = engine.storage().orElseThrow().append(engine.epoch(), ChangeRecords.nestedView("d", "v", 100_000));
            engine.storage().orElseThrow().awaitDurable(badLsn);
        } finally {
            engine.closeWithoutCheckpoint();
        }
        assertThatThrownBy(() -> Engine.open(data)).isInstanceOf(DirkException.class)
                .hasMessageContaining("log record " + badLsn + " (epoch 1) cannot be replayed")
                .hasMessageContaining("nested deeper than 200 levels");
    }

    @Test
    void longChainOfAlternativesRuns() {
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            prepare(engine, session);
            StringBuilder where = new StringBuilder("x = 0");
            for (int i = 2; i < 20_000; i++) {
                where.append(" na x = ").append(i);
            }
            engine.execute(session, "manamboara jery v @ alaivo x ao@ t #rehefa " + where);
            assertThat(((Result.Relation) engine.execute(session, "alaivo * ao@ v")).rows()).isEmpty();
        }
    }
}
