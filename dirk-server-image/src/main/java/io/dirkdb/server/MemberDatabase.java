package io.dirkdb.server;

import io.dirkdb.engine.Result;
import io.dirkdb.engine.Session;
import io.dirkdb.sql.Statement;

/**
 * What the server needs from the language and the engine. Production uses
 * {@link EngineDatabase}; tests of the network layer may plug in a small fake.
 */
public interface MemberDatabase extends AutoCloseable {

    /** @throws io.dirkdb.DirkException when the text is not a valid statement */
    Statement parse(String text);

    /** Runs a data, schema or USE statement. @throws io.dirkdb.DirkException with a message for the user */
    Result execute(Session session, Statement statement);

    /** The LSN of the last change applied (0 when none). */
    long lastLsn();

    /** The epoch of the last record in the log (0 when none). */
    default long lastEpoch() {
        return 0;
    }

    /** The history id stamped in the data directory's snapshot and log headers, or null when none is. */
    default String storedHistory() {
        return null;
    }

    /** From now on, new snapshot and log files are stamped with history {@code historyId}. */
    default void recordHistory(String historyId) {}

    /** From now on, writes are accepted, stamped with {@code epoch}. */
    void allowWrites(long epoch);

    /** From now on, writes are refused with {@code reason}; a write already holding the write lock finishes. */
    void refuseWrites(String reason);

    /** True when writes are accepted now (the role allows them and storage has not failed). */
    default boolean writesAllowed() {
        return true;
    }

    /**
     * Why this member's storage failed (a write or fsync error: the log is in an unknown state on disk),
     * or null while it works. A failed member serves nothing until it restarts or is rebuilt by a resync.
     */
    default String storageFailure() {
        return null;
    }

    /** The data's estimated heap, the JVM's heap figures and whether writes are refused for memory; null: unknown. */
    default io.dirkdb.engine.MemoryStatus memory() {
        return null;
    }

    /** Flushes and closes; statements already running finish first. */
    @Override
    void close();
}
