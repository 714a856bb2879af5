package io.dirkdb.server;

import io.dirkdb.sql.ControlStatement;
import io.dirkdb.sql.Statement;

/**
 * What a credential given with {@code dirk auth} lets a connection do. A plain {@code dirk heartbeat} and
 * {@code dirk auth} need none (probes and logging in); everything else needs one of these:
 * <pre>
 *   application     SQL statements
 *   replication     dirk stream, dirk snapshot (what a following secondary and a resync read)
 *   administration  everything: SQL, dirk stream, dirk snapshot, dirk promote, dirk fence, dirk follow,
 *                   dirk resync, dirk heartbeat lease E (renews a primary's write lease)
 * </pre>
 */
public enum AccessRole {
    APPLICATION("application"),
    REPLICATION("replication"),
    ADMINISTRATION("administration");

    private final String wireName;

    AccessRole(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** True for the requests every connection may send, authenticated or not. */
    public static boolean open(Statement statement) {
        return statement instanceof ControlStatement.Auth
                || statement instanceof ControlStatement.Heartbeat heartbeat && heartbeat.leaseEpoch() < 0;
    }

    /** Whether a connection holding this role may run {@code statement}. */
    public boolean permits(Statement statement) {
        if (open(statement) || this == ADMINISTRATION) {
            return true;
        }
        return this == neededFor(statement);
    }

    /** The narrowest role that may run {@code statement} (administration may run them all). */
    public static AccessRole neededFor(Statement statement) {
        if (!(statement instanceof ControlStatement)) {
            return APPLICATION;
        }
        if (statement instanceof ControlStatement.Stream || statement instanceof ControlStatement.Snapshot) {
            return REPLICATION;
        }
        return ADMINISTRATION;
    }

    /** The refusal a connection gets for {@code statement}: it names the credential the request needs. */
    public static String refusal(Statement statement, AccessRole held) {
        AccessRole needed = neededFor(statement);
        String what = statement instanceof ControlStatement control ? requestName(control) + " needs" : "a statement needs";
        String sentence = what + " the " + needed.wireName + " credential";
        return held == null ? "authentication required: " + sentence
                : sentence + " (this connection holds the " + held.wireName + " one)";
    }

    /** {@code dirk fence}, {@code dirk heartbeat lease}, ...: how the docs and errors name a control request. */
    static String requestName(ControlStatement statement) {
        if (statement instanceof ControlStatement.Heartbeat heartbeat) {
            return heartbeat.leaseEpoch() >= 0 ? "dirk heartbeat lease" : "dirk heartbeat";
        }
        String simple = statement.getClass().getSimpleName();
        return "dirk " + simple.toLowerCase(java.util.Locale.ROOT);
    }
}
