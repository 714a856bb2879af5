package io.dirkdb.engine;

import io.dirkdb.sql.Parser;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every database of a member. Changed only through {@link #apply}, under the engine's write lock. */
final class Catalog {
    final Map<String, Database> databases = new LinkedHashMap<>();

    Database database(String name) {
        return databases.get(name);
    }

    /**
     * The estimated heap of every database: rows, built indexes and schema objects. It sums the tables'
     * own counts (kept up to date by each change), so it costs one step per table, never a walk of rows.
     */
    long dataBytes() {
        long bytes = 0;
        for (Database database : databases.values()) {
            bytes += DataSizes.SCHEMA_OBJECT * (1L + database.domains.size() + database.views.size());
            for (Table table : database.tables.values()) {
                bytes += table.estimatedBytes();
            }
        }
        return bytes;
    }

    /**
     * How much a validated {@code change} would add to {@link #dataBytes()}: positive for rows and schema objects
     * added or grown, zero or negative for deletes, drops and updates that shrink rows.
     */
    long growth(Change change) {
        if (change instanceof Change.Insert c) {
            return requireTable(c.database(), c.table()).growthOfInsert(c.rows());
        } else if (change instanceof Change.Update c) {
            return requireTable(c.database(), c.table()).growthOfUpdate(c.rowIds(), c.rows());
        } else if (change instanceof Change.CreateDatabase || change instanceof Change.CreateTable
                || change instanceof Change.CreateDomain || change instanceof Change.CreateView) {
            return DataSizes.SCHEMA_OBJECT;
        }
        return 0;
    }

    void apply(Change change) {
        if (change instanceof Change.CreateDatabase c) {
            databases.put(c.database(), new Database(c.database()));
        } else if (change instanceof Change.DropDatabase c) {
            databases.remove(c.database());
        } else if (change instanceof Change.CreateTable c) {
            require(c.database()).tables.put(c.table(), new Table(c.table(), c.columns()));
        } else if (change instanceof Change.DropTable c) {
            require(c.database()).tables.remove(c.table());
        } else if (change instanceof Change.CreateDomain c) {
            require(c.database()).domains.put(c.domain(), c.type());
        } else if (change instanceof Change.DropDomain c) {
            require(c.database()).domains.remove(c.domain());
        } else if (change instanceof Change.CreateView c) {
            require(c.database()).views.put(c.view(),
                    new Database.View(c.view(), c.queryText(), Parser.parseQuery(c.queryText())));
        } else if (change instanceof Change.DropView c) {
            require(c.database()).views.remove(c.view());
        } else if (change instanceof Change.Insert c) {
            Table table = requireTable(c.database(), c.table());
            long rowId = c.firstRowId();
            for (Object[] row : c.rows()) {
                table.insert(rowId++, row);
            }
        } else if (change instanceof Change.Update c) {
            Table table = requireTable(c.database(), c.table());
            for (int i = 0; i < c.rowIds().length; i++) {
                table.update(c.rowIds()[i], c.rows().get(i));
            }
        } else if (change instanceof Change.Delete c) {
            Table table = requireTable(c.database(), c.table());
            for (long rowId : c.rowIds()) {
                table.delete(rowId);
            }
        } else {
            throw new IllegalArgumentException("unknown change " + change);
        }
    }

    private Database require(String name) {
        Database database = databases.get(name);
        if (database == null) {
            throw new IllegalStateException("change for missing database " + name);
        }
        return database;
    }

    private Table requireTable(String database, String name) {
        Table table = require(database).tables.get(name);
        if (table == null) {
            throw new IllegalStateException("change for missing table " + database + "." + name);
        }
        return table;
    }
}
