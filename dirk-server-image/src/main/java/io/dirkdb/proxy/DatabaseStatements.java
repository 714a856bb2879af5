package io.dirkdb.proxy;

import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.Statement;

/** What the proxy and the cache need to know about statements on databases themselves. */
public final class DatabaseStatements {
    private DatabaseStatements() {}

    /**
     * True for statements whose effect does not depend on the current database: creating,
     * dropping or listing databases. They must run even when the current one is gone.
     */
    public static boolean independentOfCurrentDatabase(Statement statement) {
        if (statement instanceof SqlStatement.CreateDatabase) {
            return true;
        }
        if (statement instanceof SqlStatement.Drop drop) {
            return drop.objectKind() == SqlStatement.ObjectKind.DATABASE;
        }
        if (statement instanceof SqlStatement.Show show) {
            return show.objectKind() == SqlStatement.ObjectKind.DATABASE;
        }
        return false;
    }

    /** True when {@code statement} drops {@code current}, the database a session is on. */
    public static boolean dropsDatabase(Statement statement, String current) {
        return current != null && statement instanceof SqlStatement.Drop drop
                && drop.objectKind() == SqlStatement.ObjectKind.DATABASE && drop.name().equals(current);
    }
}
