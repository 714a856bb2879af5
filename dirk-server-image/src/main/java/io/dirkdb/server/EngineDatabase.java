package io.dirkdb.server;

import io.dirkdb.engine.Engine;
import io.dirkdb.engine.Result;
import io.dirkdb.engine.Session;
import io.dirkdb.sql.Parser;
import io.dirkdb.sql.Statement;
import java.nio.file.Path;

/** The real thing: the DirkDB parser and the durable engine of a data directory. */
public final class EngineDatabase implements MemberDatabase {
    private final Engine engine;

    private EngineDatabase(Engine engine) {
        this.engine = engine;
    }

    /** Opens (recovering if needed) the engine of {@code dataDirectory}. */
    public static EngineDatabase open(Path dataDirectory) {
        return new EngineDatabase(Engine.open(dataDirectory));
    }

    /** The same with log segments of {@code segmentBytes} (tests that need many segments). */
    public static EngineDatabase open(Path dataDirectory, long segmentBytes) {
        return new EngineDatabase(Engine.open(dataDirectory, segmentBytes));
    }

    /** An engine without files (tests, benchmarks of the network layer). */
    public static EngineDatabase inMemory() {
        return new EngineDatabase(Engine.inMemory());
    }

    /** The engine itself, for replication (applying shipped records, installing snapshots). */
    public Engine engine() {
        return engine;
    }

    @Override
    public Statement parse(String text) {
        return Parser.parse(text);
    }

    @Override
    public Result execute(Session session, Statement statement) {
        return engine.execute(session, statement);
    }

    @Override
    public long lastLsn() {
        return engine.lastLsn();
    }

    @Override
    public long lastEpoch() {
        return engine.storage().map(storage -> storage.lastEpoch()).orElse(0L);
    }

    @Override
    public String storedHistory() {
        return engine.storage().map(storage -> storage.historyId()).orElse(null);
    }

    @Override
    public void recordHistory(String historyId) {
        engine.storage().ifPresent(storage -> storage.recordHistory(historyId));
    }

    @Override
    public void allowWrites(long epoch) {
        engine.allowWrites(epoch);
    }

    @Override
    public void refuseWrites(String reason) {
        engine.refuseWrites(reason);
    }

    @Override
    public boolean writesAllowed() {
        return engine.writesAllowed();
    }

    @Override
    public String storageFailure() {
        return engine.storageFailure();
    }

    @Override
    public io.dirkdb.engine.MemoryStatus memory() {
        return engine.memory();
    }

    @Override
    public void close() {
        engine.close();
    }
}
