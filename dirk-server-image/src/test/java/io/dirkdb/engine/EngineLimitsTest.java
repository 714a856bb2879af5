package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits a statement meets with a clear error, while the member goes on serving. */
class EngineLimitsTest {
    @TempDir
    Path data;

    private static List<List<Object>> rows(Engine engine, Session session, String query) {
        return ((Result.Relation) engine.execute(session, query)).rows();
    }

    @Test
    void changeLargerThanALogRecordIsRefusedAndWritesGoOn() {
        try (Engine engine = Engine.open(data)) {
            // Only the log record's own limit here: the statement byte limit would stop the select first.
            engine.limitStatements(new StatementLimits(StatementLimits.DEFAULT_MAX_ROWS, Long.MAX_VALUE,
                    StatementLimits.DEFAULT_MAX_TIME));
            Session session = new Session();
            engine.execute(session, "manamboara tahiry d");
            engine.execute(session, "ampiasao d");
            engine.execute(session, "manamboara tabilao t(s LAHATSORATRA(null,null))");
            engine.execute(session, "manampia ao@ t (s) sanda ('" + "x".repeat(1 << 20) + "')");
            for (int i = 0; i < 6; i++) {
                engine.execute(session, "manampia ao@ t alaivo s ao@ t"); // 64 rows of 1 MiB at the end
            }
            long before = engine.lastLsn();
            assertThatThrownBy(() -> engine.execute(session, "manampia ao@ t alaivo s ao@ t"))
                    .isInstanceOf(DirkException.class).hasMessageContaining("statement exceeded 67108864 bytes");
            assertThat(engine.lastLsn()).isEqualTo(before);
            assertThat(engine.writesAllowed()).isTrue();
            engine.execute(session, "manampia ao@ t (s) sanda ('small')");
            assertThat(rows(engine, session, "alaivo count(*) ao@ t")).containsExactly(List.of(65L));
        }
    }

    /** Two tables of 131,072 rows each (doubled by INSERT ... SELECT). */
    private static Session twoBigTables(Engine engine) {
        Session session = new Session();
        engine.execute(session, "manamboara tahiry d");
        engine.execute(session, "ampiasao d");
        for (String table : List.of("a", "b")) {
            engine.execute(session, "manamboara tabilao " + table + "(x ISA(null,null))");
            engine.execute(session, "manampia ao@ " + table + " (x) sanda (1)");
            for (int i = 0; i < 17; i++) {
                engine.execute(session, "manampia ao@ " + table + " alaivo x + 1 ao@ " + table);
            }
        }
        assertThat(rows(engine, session, "alaivo count(*) ao@ a")).containsExactly(List.of(131_072L));
        return session;
    }

    @Test
    void joinOfTwoBigTablesFailsCleanlyAndTheMemberGoesOn() {
        try (Engine engine = Engine.inMemory()) {
            Session session = twoBigTables(engine);
            assertThatThrownBy(() -> engine.execute(session, "alaivo count(*) ao@ a #tonona@ b"))
                    .isInstanceOf(DirkException.class).hasMessageStartingWith("statement exceeded 1000000 rows");
            assertThatThrownBy(() -> engine.execute(session, "manampia ao@ a alaivo a.x ao@ a #tonona@ b"))
                    .isInstanceOf(DirkException.class).hasMessageStartingWith("statement exceeded 1000000 rows");
            assertThat(rows(engine, session, "alaivo count(*) ao@ a")).containsExactly(List.of(131_072L));
            engine.execute(session, "manampia ao@ a (x) sanda (0)");
        }
    }

    @Test
    void bytesAndTimeAreBoundedToo() {
        try (Engine engine = Engine.inMemory()) {
            Session session = twoBigTables(engine);
            engine.limitStatements(new StatementLimits(Long.MAX_VALUE, 1 << 20, StatementLimits.DEFAULT_MAX_TIME));
            assertThatThrownBy(() -> engine.execute(session, "alaivo x ao@ a"))
                    .isInstanceOf(DirkException.class).hasMessageStartingWith("statement exceeded 1048576 bytes");
            engine.limitStatements(new StatementLimits(Long.MAX_VALUE, Long.MAX_VALUE, java.time.Duration.ofMillis(300)));
            // No pair matches, so no row is built: only the clock stops this one.
            assertThatThrownBy(() -> engine.execute(session, "alaivo count(*) ao@ a #tonona@ b #ka a.x < b.x - 1000000"))
                    .isInstanceOf(DirkException.class).hasMessageStartingWith("statement exceeded 300 ms");
            engine.limitStatements(StatementLimits.DEFAULTS);
            assertThat(rows(engine, session, "alaivo count(*) ao@ b #rehefa x = 1")).containsExactly(List.of(1L));
        }
    }

    @Test
    void creatingAViewChecksItsQueryWithoutRunningIt() {
        try (Engine engine = Engine.inMemory()) {
            Session session = twoBigTables(engine);
            engine.limitStatements(new StatementLimits(10, Long.MAX_VALUE, StatementLimits.DEFAULT_MAX_TIME));
            // Running it would build 17 billion rows under the write lock; checking it reads none.
            engine.execute(session, "manamboara jery pairs @ alaivo a.x, b.x antso y ao@ a #tonona@ b");
            assertThatThrownBy(() -> engine.execute(session, "manamboara jery bad @ alaivo nope ao@ a"))
                    .isInstanceOf(DirkException.class).hasMessageContaining("nope");
            assertThatThrownBy(() -> engine.execute(session, "manamboara jery bad @ alaivo * ao@ missing"))
                    .isInstanceOf(DirkException.class).hasMessageContaining("missing");
            assertThatThrownBy(() -> engine.execute(session, "alaivo * ao@ pairs"))
                    .isInstanceOf(DirkException.class).hasMessageStartingWith("statement exceeded 10 rows");
        }
    }
}
