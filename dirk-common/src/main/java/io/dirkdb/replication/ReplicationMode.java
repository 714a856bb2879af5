package io.dirkdb.replication;

import java.util.Locale;

/** When the primary acknowledges a write. */
public enum ReplicationMode {
    /** After the primary's own fsync: a failover may lose the last writes. */
    ASYNC,
    /** After at least one secondary has the record durably: a failover loses no acknowledged write. */
    SYNC;

    public static ReplicationMode parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "async" -> ASYNC;
            case "sync" -> SYNC;
            default -> throw new IllegalArgumentException("replication mode must be async or sync, got '" + text + "'");
        };
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
