package io.dirkdb.proxy;

import io.dirkdb.DirkException;
import io.dirkdb.engine.Result;
import io.dirkdb.engine.Session;
import io.dirkdb.server.MemberDatabase;
import io.dirkdb.sql.Parser;
import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.Statement;
import io.dirkdb.sql.StatementKind;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for the engine behind a real member server: it answers every read with one row
 * naming the member and the session's database, counts the writes it gets (each adds one to its
 * LSN), and knows the databases given to it. Routing tests need nothing more.
 */
public final class RecordingDatabase implements MemberDatabase {
    /** One statement that reached this member: its kind and the database its session was on. */
    public record Executed(StatementKind kind, String database, Set<String> tables) {}

    private final String memberId;
    private final Set<String> databases;
    private final AtomicLong lsn = new AtomicLong();
    private final List<Executed> executed = new CopyOnWriteArrayList<>();
    /** Why writes are refused now, or null: a test's stand-in for a member's engine refusing writes. */
    private volatile String writeRefusal;
    private final java.util.concurrent.atomic.AtomicInteger refusedWrites = new java.util.concurrent.atomic.AtomicInteger();

    public RecordingDatabase(String memberId, Set<String> databases) {
        this.memberId = memberId;
        this.databases = databases;
    }

    @Override
    public Statement parse(String text) {
        return Parser.parse(text);
    }

    @Override
    public Result execute(Session session, Statement statement) {
        if (statement instanceof SqlStatement.Use use) {
            if (!databases.contains(use.database())) {
                throw new DirkException("tsy misy ny tahiry " + use.database());
            }
            session.useDatabase(use.database());
            return new Result.Message("Ny tahiry : " + use.database() + " dia miasa ankehitriny");
        }
        String refusal = writeRefusal;
        if (refusal != null && statement.kind() == StatementKind.WRITE) {
            refusedWrites.incrementAndGet();
            throw new DirkException(refusal);
        }
        executed.add(new Executed(statement.kind(), session.currentDatabase(),
                statement.kind() == StatementKind.READ ? statement.readTables() : statement.writtenTables()));
        if (statement.readTables().contains("missing")) {
            throw new DirkException("tsy misy ny tabilao missing");
        }
        if (statement.kind() == StatementKind.READ) {
            return new Result.Relation("served", List.of(new Result.Column("member", ""), new Result.Column("tahiry", "")),
                    List.of(List.of(memberId, String.valueOf(session.currentDatabase()))));
        }
        lsn.incrementAndGet();
        return new Result.Message("Tafinditra ny fiovana ny tabilao");
    }

    /**
     * From now on writes are refused with {@code reason} (null: taken again) whatever the member's role, as a
     * fencing member's engine refuses them while its role still says primary (its writes drain).
     */
    public void refuseWritesWith(String reason) {
        writeRefusal = reason;
    }

    /** How many writes this member refused (see {@link #refuseWritesWith}). */
    public int refusedWrites() {
        return refusedWrites.get();
    }

    public List<Executed> executed() {
        return executed;
    }

    public long countOf(StatementKind kind) {
        return executed.stream().filter(e -> e.kind() == kind).count();
    }

    @Override
    public long lastLsn() {
        return lsn.get();
    }

    @Override
    public void allowWrites(long epoch) {}

    @Override
    public void refuseWrites(String reason) {}

    @Override
    public void close() {}
}
