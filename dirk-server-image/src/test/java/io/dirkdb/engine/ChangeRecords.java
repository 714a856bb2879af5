package io.dirkdb.engine;

/** Payloads of log records the engine itself would refuse to write, for tests of replay and replication. */
public final class ChangeRecords {
    private ChangeRecords() {}

    /** A view nested {@code depth} parentheses deep, as an older version could have logged it. */
    public static byte[] nestedView(String database, String view, int depth) {
        String text = "alaivo * ao@ t #rehefa " + "(".repeat(depth) + "x = 1" + ")".repeat(depth);
        return ChangeCodec.encode(new Change.CreateView(database, view, text), System.currentTimeMillis());
    }
}
