package io.dirkdb.testing;

import io.dirkdb.DirkException;
import io.dirkdb.engine.Result;
import io.dirkdb.engine.Session;
import io.dirkdb.server.MemberDatabase;
import io.dirkdb.sql.ControlStatement;
import io.dirkdb.sql.Statement;
import io.dirkdb.sql.StatementKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the parser and engine, to test the network layer on its own. Its language:
 * {@code numbers N} (a relation of N rows), {@code say TEXT} (a message), {@code put TEXT} (a
 * write), {@code use D}, {@code boom} (an internal failure), {@code slow MILLIS} (a slow write),
 * and the {@code dirk ...} control statements.
 */
public final class FakeDatabase implements MemberDatabase {
    public record FakeStatement(StatementKind kind, String verb, String argument) implements Statement {
        @Override
        public Set<String> readTables() {
            return Set.of();
        }

        @Override
        public Set<String> writtenTables() {
            return Set.of();
        }
    }

    private static final Pattern AUTH = Pattern.compile("(?s)dirk\\s+auth\\s+'(.*)'");
    private static final Pattern PROMOTE = Pattern.compile("dirk\\s+promote\\s+(-?\\d+)");
    private static final Pattern FOLLOW = Pattern.compile("dirk\\s+follow\\s+'([^']*)'\\s+(\\d+)");

    /** Plays a member older than {@code dirk fence hold}, which refuses the word. */
    public volatile boolean refusesHeldFences;
    public final List<String> writes = new CopyOnWriteArrayList<>();
    private final AtomicLong lsn = new AtomicLong();
    private volatile String refusal;
    public volatile boolean closed;
    public final AtomicInteger slowStatementsStarted = new AtomicInteger();

    @Override
    public Statement parse(String text) {
        String t = text.replaceAll("--[^\n]*", "").strip();
        if (t.equals("dirk heartbeat")) {
            return new ControlStatement.Heartbeat();
        }
        if (t.equals("dirk fence")) {
            return new ControlStatement.Fence();
        }
        if (t.equals("dirk fence hold")) {
            if (refusesHeldFences) { // what a member older than the word answered (its parser's message)
                throw new DirkException("expected the end of the statement but found 'hold' at position 12");
            }
            return new ControlStatement.Fence(-1, true);
        }
        Matcher m = AUTH.matcher(t);
        if (m.matches()) {
            return new ControlStatement.Auth(m.group(1).replace("''", "'").replace("\\\\", "\\"));
        }
        m = PROMOTE.matcher(t);
        if (m.matches()) {
            return new ControlStatement.Promote(Long.parseLong(m.group(1)));
        }
        m = FOLLOW.matcher(t);
        if (m.matches()) {
            return new ControlStatement.Follow(m.group(1), Integer.parseInt(m.group(2)));
        }
        String[] words = t.split("\\s+", 2);
        String argument = words.length > 1 ? words[1] : "";
        switch (words[0]) {
            case "numbers":
            case "say":
            case "boom":
            case "recurse":
                return new FakeStatement(StatementKind.READ, words[0], argument);
            case "put":
            case "slow":
                return new FakeStatement(StatementKind.WRITE, words[0], argument);
            case "use":
            case "ampiasao":
                return new FakeStatement(StatementKind.USE, "use", argument);
            default:
                throw new DirkException("unknown statement: " + words[0]);
        }
    }

    @Override
    public Result execute(Session session, Statement statement) {
        FakeStatement fake = (FakeStatement) statement;
        switch (fake.verb()) {
            case "numbers": {
                List<List<Object>> rows = new ArrayList<>();
                for (long i = 1; i <= Long.parseLong(fake.argument()); i++) {
                    rows.add(List.of(i));
                }
                return new Result.Relation("etu", List.of(new Result.Column("id", "etu")), rows);
            }
            case "say":
                return new Result.Message(fake.argument());
            case "use":
                session.useDatabase(fake.argument());
                return new Result.Message("Ny tahiry : " + fake.argument() + " dia miasa ankehitriny");
            case "boom":
                throw new IllegalStateException("secret internal detail");
            case "recurse":
                return recurse(0);
            case "slow":
                slowStatementsStarted.incrementAndGet();
                try {
                    Thread.sleep(Long.parseLong(fake.argument()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return write(fake.argument());
            case "put":
                return write(fake.argument());
            default:
                throw new AssertionError(fake);
        }
    }

    private static Result recurse(int depth) {
        return depth < 0 ? null : recurse(depth + 1);
    }

    private synchronized Result write(String what) {
        if (refusal != null) {
            throw new DirkException(refusal);
        }
        writes.add(what);
        lsn.incrementAndGet();
        return new Result.Message("Tafinditra ny fiovana ny tabilao");
    }

    @Override
    public long lastLsn() {
        return lsn.get();
    }

    @Override
    public synchronized void allowWrites(long epoch) {
        refusal = null;
    }

    @Override
    public synchronized void refuseWrites(String reason) {
        refusal = reason;
    }

    @Override
    public void close() {
        closed = true;
    }
}
