package io.dirkdb.engine;

import io.dirkdb.sql.TypeSpec;
import java.util.List;

/**
 * The logical effect of one statement, computed and validated before anything is changed.
 * It is what the write-ahead log records ({@link ChangeCodec}), what recovery and replicas
 * replay, and what the engine applies to memory: applying never fails for a validated change.
 */
sealed interface Change {
    record CreateDatabase(String database) implements Change {}

    record DropDatabase(String database) implements Change {}

    record CreateTable(String database, String table, List<Table.Column> columns) implements Change {}

    record DropTable(String database, String table) implements Change {}

    record CreateDomain(String database, String domain, TypeSpec type) implements Change {}

    record DropDomain(String database, String domain) implements Change {}

    record CreateView(String database, String view, String queryText) implements Change {}

    record DropView(String database, String view) implements Change {}

    /** Rows get the ids {@code firstRowId}, {@code firstRowId + 1}, ... in order. */
    record Insert(String database, String table, long firstRowId, List<Object[]> rows) implements Change {}

    /** Each listed row id gets the whole new row at the same index. */
    record Update(String database, String table, long[] rowIds, List<Object[]> rows) implements Change {}

    record Delete(String database, String table, long[] rowIds) implements Change {}
}
