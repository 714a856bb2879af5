package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.sql.Parser;
import io.dirkdb.sql.Query;
import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.Statement;
import io.dirkdb.storage.LogReader;
import io.dirkdb.storage.LogRecord;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java 17 has no exhaustive pattern switch over a sealed type, so the engine dispatches statements and changes with
 * {@code instanceof} chains. These tests enumerate the permitted subtypes: a new statement or change fails here until
 * it has a sample that goes through the parser, the engine, the log and recovery (docs/DEVELOPING.md, "A statement").
 */
class SealedHierarchiesTest {
    @TempDir
    Path directory;

    /** One statement text per kind of SQL statement, in an order that runs; each also exercises what it needs. */
    private static final Map<Class<?>, String> STATEMENTS = new LinkedHashMap<>();

    static {
        STATEMENTS.put(SqlStatement.CreateDatabase.class, "manamboara tahiry sealed");
        STATEMENTS.put(SqlStatement.Use.class, "ampiasao sealed");
        STATEMENTS.put(SqlStatement.CreateDomain.class, "manamboara efitra lesona(TANISA(\"a\",\"b\"))");
        STATEMENTS.put(SqlStatement.CreateTable.class, "manamboara tabilao t (id ISA(null, null), l lesona)");
        STATEMENTS.put(SqlStatement.Insert.class, "manampia ao@ t (id, l) sanda (1, 'a'), (2, 'b'), (3, null)");
        STATEMENTS.put(SqlStatement.Update.class, "havaozy t ova l = 'b' #rehefa id = 1");
        STATEMENTS.put(SqlStatement.Delete.class, "fafao ao@ t rehefa id = 3");
        STATEMENTS.put(SqlStatement.CreateView.class, "manamboara jery v @ alaivo id ao@ t #rehefa l = 'b'");
        STATEMENTS.put(Query.class, "alaivo * ao@ v");
        STATEMENTS.put(SqlStatement.Show.class, "asehoy ny tabilao");
        STATEMENTS.put(SqlStatement.Drop.class, "ravao ny jery v");
    }

    @Test
    void everyKindOfSqlStatementHasASampleThatParsesToIt() {
        assertThat(STATEMENTS.keySet()).as("a sample for every type SqlStatement permits")
                .containsExactlyInAnyOrderElementsOf(Arrays.asList(SqlStatement.class.getPermittedSubclasses()));
        for (Map.Entry<Class<?>, String> sample : STATEMENTS.entrySet()) {
            Statement parsed = Parser.parse(sample.getValue());
            assertThat(parsed).as(sample.getValue()).isInstanceOf(sample.getKey());
        }
    }

    @Test
    void everyStatementAndEveryObjectKindRunsAndEveryKindOfChangeSurvivesTheLogAndRecovery() throws Exception {
        Set<Class<?>> logged = new LinkedHashSet<>();
        try (Engine engine = Engine.open(directory)) {
            Session session = new Session();
            for (String statement : STATEMENTS.values()) {
                engine.execute(session, statement); // a statement the engine cannot dispatch throws here
            }
            for (SqlStatement.ObjectKind kind : SqlStatement.ObjectKind.values()) {
                assertThat(engine.execute(session, "asehoy ny " + kind.word)).as("asehoy ny " + kind.word)
                        .isInstanceOf(Result.Relation.class);
            }
            engine.execute(session, "ravao ny tabilao t");
            engine.execute(session, "ravao ny efitra lesona");
            engine.execute(session, "ravao ny tahiry sealed");
            engine.execute(session, "manamboara tahiry kept");
            try (LogReader log = engine.storage().orElseThrow().readFrom(1)) {
                while (log.hasNext()) {
                    LogRecord record = log.next();
                    logged.add(ChangeCodec.decode(record.payload()).getClass());
                }
            }
        }
        assertThat(logged).as("the statements above log every kind of change the engine knows")
                .containsExactlyInAnyOrderElementsOf(Arrays.asList(Change.class.getPermittedSubclasses()));
        try (Engine reopened = Engine.open(directory)) {
            Result databases = reopened.execute(new Session(), "asehoy ny tahiry");
            assertThat(((Result.Relation) databases).rows()).as("recovery replayed every change")
                    .containsExactly(List.of("kept"));
        }
    }
}
