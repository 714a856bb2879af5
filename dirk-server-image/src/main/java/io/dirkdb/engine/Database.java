package io.dirkdb.engine;

import io.dirkdb.sql.Query;
import io.dirkdb.sql.TypeSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/** One database of the catalog: its tables, domains and views, by name (names are case-sensitive). */
final class Database {
    /** A view keeps its query as written (for snapshots and the log) and as parsed (to run it). */
    record View(String name, String queryText, Query query) {}

    final String name;
    final Map<String, Table> tables = new LinkedHashMap<>();
    final Map<String, TypeSpec> domains = new LinkedHashMap<>();
    final Map<String, View> views = new LinkedHashMap<>();

    Database(String name) {
        this.name = name;
    }
}
