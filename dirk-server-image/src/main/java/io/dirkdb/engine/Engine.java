package io.dirkdb.engine;

import io.dirkdb.sql.Statement;
import java.nio.file.Path;

/**
 * The database engine of one member: the catalog and its data, kept in memory and
 * made durable through {@link io.dirkdb.storage.Storage}.
 */
public final class Engine implements AutoCloseable {

    /** Opens (recovering if needed) the engine whose files live in {@code dataDirectory}. */
    public static Engine open(Path dataDirectory) {
        throw new UnsupportedOperationException("engine not written yet");
    }

    /** An engine without files, for tests of the language. */
    public static Engine inMemory() {
        throw new UnsupportedOperationException("engine not written yet");
    }

    /**
     * Runs a data or schema statement. A WRITE or SCHEMA statement returns only once its
     * log record is durable; it is atomic (all of it or nothing).
     *
     * @throws io.dirkdb.DirkException with a message for the user
     */
    public Result execute(Session session, Statement statement) {
        throw new UnsupportedOperationException("engine not written yet");
    }

    /** The LSN of the last record applied (0 when none). */
    public long lastLsn() {
        throw new UnsupportedOperationException("engine not written yet");
    }

    /** Flushes the log and stops; statements already running finish first. */
    @Override
    public void close() {}
}
