package io.dirkdb.engine;

/** Payloads of log records the engine itself would refuse to write, for tests of replay and replication. */
public final class ChangeRecords {
    private ChangeRecords() {}

    /** The payload of {@code manamboara tahiry name}, as a primary logs it. */
    public static byte[] createDatabase(String name) {
        return ChangeCodec.encode(new Change.CreateDatabase(name), System.currentTimeMillis());
    }

    /** A view nested {@code depth} parentheses deep, as an older version could have logged it. */
    public static byte[] nestedView(String database, String view, int depth) {
        String text = "alaivo * ao@ t #rehefa " + "(".repeat(depth) + "x = 1" + ")".repeat(depth);
        return ChangeCodec.encode(new Change.CreateView(database, view, text), System.currentTimeMillis());
    }
}
