package io.dirkdb.engine;

import io.dirkdb.DirkException;
import io.dirkdb.sql.Expression;
import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.TypeSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a WRITE or SCHEMA statement into the {@link Change} it makes, checking everything
 * first (names, every value of every row against its column's type) without touching the
 * catalog. Runs under the engine's write lock, so the catalog cannot move underneath it.
 */
final class ChangePlanner {

    /** The change to apply (null when the statement changes nothing) and the message to answer. */
    record Plan(Change change, String message) {}

    private final Catalog catalog;
    private final StatementBudget budget;

    ChangePlanner(Catalog catalog, StatementBudget budget) {
        this.catalog = catalog;
        this.budget = budget;
    }

    Plan plan(SqlStatement statement, String currentDatabase) {
        if (statement instanceof SqlStatement.CreateDatabase s) {
            if (catalog.database(s.name()) != null) {
                throw new DirkException(Messages.databaseExists(s.name()));
            }
            return new Plan(new Change.CreateDatabase(s.name()), Messages.created("tahiry", s.name()));
        }
        if (statement instanceof SqlStatement.Drop s && s.objectKind() == SqlStatement.ObjectKind.DATABASE) {
            if (catalog.database(s.name()) == null) {
                throw new DirkException(Messages.databaseMissing(s.name()));
            }
            return new Plan(new Change.DropDatabase(s.name()), Messages.dropped("tahiry", s.name()));
        }
        Database database = currentDatabase(catalog, currentDatabase);
        if (statement instanceof SqlStatement.CreateTable s) {
            requireFreeName(database, s.name());
            List<Table.Column> columns = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (SqlStatement.ColumnDefinition column : s.columns()) {
                if (!names.add(column.name())) {
                    throw new DirkException("column '" + column.name() + "' appears twice in table '" + s.name() + "'");
                }
                columns.add(new Table.Column(column.name(),
                        ColumnTypes.resolve(column.type(), database.domains, database.name)));
            }
            return new Plan(new Change.CreateTable(database.name, s.name(), columns), Messages.created("tabilao", s.name()));
        }
        if (statement instanceof SqlStatement.CreateDomain s) {
            if (database.domains.containsKey(s.name())) {
                throw new DirkException(Messages.nameTaken("domain", s.name(), database.name));
            }
            TypeSpec type = ColumnTypes.resolve(s.type(), database.domains, database.name);
            return new Plan(new Change.CreateDomain(database.name, s.name(), type), Messages.created("efitra", s.name()));
        }
        if (statement instanceof SqlStatement.CreateView s) {
            requireFreeName(database, s.name());
            // Checked over the schema only, so a view over a missing table or column is refused now, not when
            // queried; its query is not run: under the write lock that would stop every writer for its length.
            QueryExecutor.check(database, s.query());
            return new Plan(new Change.CreateView(database.name, s.name(), s.queryText()), Messages.created("jery", s.name()));
        }
        if (statement instanceof SqlStatement.Drop s) {
            return planDrop(database, s);
        }
        if (statement instanceof SqlStatement.Insert s) {
            return planInsert(database, s);
        }
        if (statement instanceof SqlStatement.Update s) {
            return planUpdate(database, s);
        }
        if (statement instanceof SqlStatement.Delete s) {
            return planDelete(database, s);
        }
        throw new IllegalArgumentException("not a change: " + statement);
    }

    static Database currentDatabase(Catalog catalog, String name) {
        if (name == null) {
            throw new DirkException(Messages.NO_DATABASE);
        }
        Database database = catalog.database(name);
        if (database == null) {
            throw new DirkException(Messages.databaseGone(name));
        }
        return database;
    }

    private static void requireFreeName(Database database, String name) {
        if (database.tables.containsKey(name)) {
            throw new DirkException(Messages.nameTaken("table", name, database.name));
        }
        if (database.views.containsKey(name)) {
            throw new DirkException(Messages.nameTaken("view", name, database.name));
        }
    }

    private static Plan planDrop(Database database, SqlStatement.Drop drop) {
        String name = drop.name();
        // A switch expression over the enum: a new ObjectKind does not compile until it is listed here.
        return switch (drop.objectKind()) {
            case TABLE -> {
                if (!database.tables.containsKey(name)) {
                    if (database.views.containsKey(name)) {
                        throw new DirkException(Messages.dropViewAsTable(name));
                    }
                    throw new DirkException(Messages.tableMissing(name, database.name));
                }
                yield new Plan(new Change.DropTable(database.name, name), Messages.dropped("tabilao", name));
            }
            case DOMAIN -> {
                if (!database.domains.containsKey(name)) {
                    throw new DirkException(Messages.domainMissing(name, database.name));
                }
                yield new Plan(new Change.DropDomain(database.name, name), Messages.dropped("efitra", name));
            }
            case VIEW -> {
                if (!database.views.containsKey(name)) {
                    throw new DirkException(Messages.viewMissing(name, database.name));
                }
                yield new Plan(new Change.DropView(database.name, name), Messages.dropped("jery", name));
            }
            case DATABASE -> throw new IllegalArgumentException("a dropped database is planned before its tables: " + drop);
        };
    }

    private static Table writableTable(Database database, String name) {
        Table table = database.tables.get(name);
        if (table == null) {
            if (database.views.containsKey(name)) {
                throw new DirkException(Messages.writeToView(name));
            }
            throw new DirkException(Messages.tableMissing(name, database.name));
        }
        return table;
    }

    private Plan planInsert(Database database, SqlStatement.Insert insert) {
        Table table = writableTable(database, insert.table());
        int[] targets;
        if (insert.columns().isEmpty()) {
            targets = new int[table.columns.size()];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = i;
            }
        } else {
            targets = new int[insert.columns().size()];
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < targets.length; i++) {
                String column = insert.columns().get(i);
                if (!seen.add(column)) {
                    throw new DirkException("column '" + column + "' is listed twice");
                }
                targets[i] = table.columnIndex(column);
                if (targets[i] < 0) {
                    throw new DirkException(Messages.columnMissing(column, table.name));
                }
            }
        }

        List<Object[]> values = new ArrayList<>();
        if (insert.source() != null) {
            QueryExecutor.Rows rows = new QueryExecutor(database, Messages.NO_DATABASE, budget).execute(insert.source());
            if (rows.columns().size() != targets.length) {
                throw new DirkException("the alaivo gives " + rows.columns().size() + " columns but "
                        + targets.length + " are to be filled in table '" + table.name + "'");
            }
            values.addAll(rows.rows());
        } else {
            int rowNumber = 0;
            for (List<Expression> row : insert.rows()) {
                rowNumber++;
                if (row.size() != targets.length) {
                    throw new DirkException("row " + rowNumber + " has " + row.size() + " values but "
                            + targets.length + " columns are to be filled in table '" + table.name + "'");
                }
                Object[] computed = new Object[row.size()];
                for (int i = 0; i < computed.length; i++) {
                    if (row.get(i) instanceof Expression.ColumnRef word) {
                        throw new DirkException("sanda takes values, not names: write text in quotes, e.g. '"
                                + word.display() + "'");
                    }
                    computed[i] = Values.stored(QueryExecutor.compile(row.get(i), List.of(), null).eval(null));
                }
                budget.projectedRow(computed);
                values.add(computed);
            }
        }

        List<Object[]> rows = new ArrayList<>(values.size());
        for (Object[] given : values) {
            Object[] row = new Object[table.columns.size()];
            for (int i = 0; i < targets.length; i++) {
                Table.Column column = table.columns.get(targets[i]);
                row[targets[i]] = ColumnTypes.admit(column.type(), given[i], column.name());
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            return new Plan(null, Messages.TABLE_CHANGED);
        }
        return new Plan(new Change.Insert(database.name, table.name, table.nextRowId, rows), Messages.TABLE_CHANGED);
    }

    private Plan planUpdate(Database database, SqlStatement.Update update) {
        Table table = writableTable(database, update.table());
        List<QueryExecutor.Col> columns = QueryExecutor.tableColumns(table, table.name);
        int[] targets = new int[update.assignments().size()];
        List<QueryExecutor.Compiled> values = new ArrayList<>();
        for (int i = 0; i < targets.length; i++) {
            SqlStatement.Assignment assignment = update.assignments().get(i);
            targets[i] = table.columnIndex(assignment.column());
            if (targets[i] < 0) {
                throw new DirkException(Messages.columnMissing(assignment.column(), table.name));
            }
            values.add(QueryExecutor.compile(assignment.value(), columns, null));
        }
        List<Map.Entry<Long, Object[]>> matching = matching(database, table, update.where(), budget);
        long[] ids = new long[matching.size()];
        List<Object[]> rows = new ArrayList<>(matching.size());
        for (int r = 0; r < ids.length; r++) {
            Object[] old = matching.get(r).getValue();
            Object[] row = old.clone();
            for (int i = 0; i < targets.length; i++) {
                Table.Column column = table.columns.get(targets[i]);
                row[targets[i]] = ColumnTypes.admit(column.type(), Values.stored(values.get(i).eval(old)), column.name());
            }
            ids[r] = matching.get(r).getKey();
            budget.projectedRow(row);
            rows.add(row);
        }
        if (ids.length == 0) {
            return new Plan(null, Messages.TABLE_CHANGED);
        }
        return new Plan(new Change.Update(database.name, table.name, ids, rows), Messages.TABLE_CHANGED);
    }

    private Plan planDelete(Database database, SqlStatement.Delete delete) {
        Table table = writableTable(database, delete.table());
        List<Map.Entry<Long, Object[]>> matching = matching(database, table, delete.where(), budget);
        long[] ids = new long[matching.size()];
        for (int r = 0; r < ids.length; r++) {
            ids[r] = matching.get(r).getKey();
        }
        if (ids.length == 0) {
            return new Plan(null, Messages.TABLE_CHANGED);
        }
        return new Plan(new Change.Delete(database.name, table.name, ids), Messages.TABLE_CHANGED);
    }

    private static List<Map.Entry<Long, Object[]>> matching(Database database, Table table, Expression where,
                                                            StatementBudget budget) {
        QueryExecutor executor = new QueryExecutor(database, Messages.NO_DATABASE, budget);
        java.util.Collection<Map.Entry<Long, Object[]>> candidates = executor.candidates(table, table.name, where);
        if (where == null) {
            return new ArrayList<>(candidates);
        }
        QueryExecutor.Compiled condition =
                QueryExecutor.compile(where, QueryExecutor.tableColumns(table, table.name), null);
        List<Map.Entry<Long, Object[]>> kept = new ArrayList<>();
        for (Map.Entry<Long, Object[]> candidate : candidates) {
            budget.step();
            if (Boolean.TRUE.equals(Values.truth(condition.eval(candidate.getValue())))) {
                budget.row(1);
                kept.add(candidate);
            }
        }
        return kept;
    }
}
