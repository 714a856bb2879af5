package io.dirkdb.proxy;

import io.dirkdb.DirkException;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.RawReply;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.WriteRefusals;
import io.dirkdb.sql.ControlStatement;
import io.dirkdb.sql.Parser;
import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.Statement;
import io.dirkdb.sql.StatementKind;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One client of the proxy. The parser says what each request is:
 * <ul>
 *   <li>a write or schema change goes to the primary with the highest epoch, waiting up to
 *       {@code --write-wait-ms} for one when there is none;</li>
 *   <li>a read goes round-robin to a serving member, once this session has written only to one
 *       that holds its writes ({@link ReadYourWrites}); if that member fails, once more elsewhere.
 *       A query ({@code alaivo ...}) is known by its first word and not parsed here: the member
 *       parses it, and answers a malformed one with its own error;</li>
 *   <li>{@code ampiasao D} goes to the primary (else a reader) and, once accepted, D is carried to
 *       every member connection this session uses;</li>
 *   <li>a text that does not parse goes to the primary when there is one, so the client sees the
 *       member's own error (the members decide the language, e.g. during a rolling upgrade), and
 *       is answered with the proxy's parse error when there is none;</li>
 *   <li>{@code dirk auth} and {@code dirk heartbeat} are answered by the proxy itself; the member
 *       controls ({@code promote}, {@code fence}, {@code follow}) are refused: they go to a member.</li>
 * </ul>
 */
final class ProxySession implements RelayServer.Session {
    /** The first word of every query ({@code SELECT}). */
    private static final String QUERY_WORD = "alaivo";

    private final RoutingProxy proxy;
    private final ReadYourWrites writes = new ReadYourWrites();
    private String database;
    private boolean authenticated;
    /** Failed {@code dirk auth} attempts of this client, each answered later; the fifth closes the connection. */
    private final io.dirkdb.protocol.FailedAuthentications failedAuthentications = new io.dirkdb.protocol.FailedAuthentications();
    private boolean closeAfterReply;
    /** The client's address (null until told). */
    private java.net.InetAddress clientAddress;

    ProxySession(RoutingProxy proxy) {
        this.proxy = proxy;
        this.authenticated = proxy.settings().password() == null;
    }

    @Override
    public void clientAddress(java.net.InetAddress address) {
        clientAddress = address;
    }

    @Override
    public void close() {
        if (!authenticated && clientAddress != null && failedAuthentications.count() > 0) {
            proxy.addressThrottle().failed(clientAddress); // its first failure, held until now
        }
    }

    @Override
    public boolean closeAfterReply() {
        return closeAfterReply;
    }

    @Override
    public boolean authenticated() {
        return authenticated;
    }

    @Override
    public byte[] answer(Request request) {
        String refusal = request.refusal();
        if (refusal != null) {
            return ReplyWriter.encodeError(refusal);
        }
        String text = ((Request.Text) request).text();
        if (authenticated && startsWithQuery(text)) {
            // Any statement starting so is a query, a read: the member parses it (a malformed one gets its error).
            // Parsing it here too cost two thirds of the proxy's own work per read (JFR, bench lookups).
            proxy.count(RoutingProxy.Traffic.READ);
            return read(text, null);
        }
        Statement statement;
        try {
            statement = Parser.parse(text);
        } catch (DirkException parseError) {
            if (!authenticated) {
                return ReplyWriter.encodeError("authentication required");
            }
            proxy.count(RoutingProxy.Traffic.UNPARSED);
            return forwardUnparsed(text, parseError);
        }
        if (statement instanceof ControlStatement.Auth auth) {
            proxy.count(RoutingProxy.Traffic.CONTROL);
            return authenticate(auth.password());
        }
        if (!authenticated && !(statement instanceof ControlStatement.Heartbeat)) {
            return ReplyWriter.encodeError("authentication required");
        }
        // A switch expression: a new StatementKind does not compile until its routing is decided here.
        return switch (statement.kind()) {
            case CONTROL -> {
                proxy.count(RoutingProxy.Traffic.CONTROL);
                yield control((ControlStatement) statement);
            }
            case USE -> {
                proxy.count(RoutingProxy.Traffic.USE);
                yield use(text, ((SqlStatement.Use) statement).database());
            }
            case READ -> {
                proxy.count(RoutingProxy.Traffic.READ);
                yield read(text, statement);
            }
            case WRITE -> {
                proxy.count(RoutingProxy.Traffic.WRITE);
                yield write(text, statement);
            }
            case SCHEMA -> {
                proxy.count(RoutingProxy.Traffic.SCHEMA);
                yield write(text, statement);
            }
        };
    }

    /**
     * True when the text's first word, after any opening parentheses, is {@code alaivo}: the parser makes every
     * such statement a query, and a query is always a read. Leading comments and the like are left to the parser.
     */
    static boolean startsWithQuery(String text) {
        int start = 0;
        while (start < text.length() && (Character.isWhitespace(text.charAt(start)) || text.charAt(start) == '(')) {
            start++;
        }
        int end = start + QUERY_WORD.length();
        return text.regionMatches(true, start, QUERY_WORD, 0, QUERY_WORD.length())
                && (end == text.length() || !Character.isLetterOrDigit(text.charAt(end)) && text.charAt(end) != '_');
    }

    private byte[] authenticate(String offered) {
        String expected = proxy.settings().password();
        if (expected == null) {
            authenticated = true;
            return ReplyWriter.encodeMessage("authenticated (this proxy needs no password)");
        }
        if (clientAddress != null) {
            String refused = proxy.addressThrottle().checkTurn(clientAddress); // answered at once, unchecked
            if (refused != null) {
                authenticated = false;
                return ReplyWriter.encodeError(refused);
            }
        }
        String previous = proxy.settings().previousPassword();
        // Both compared, each in constant time, so timing tells nothing of which matched.
        boolean current = offered != null && RoutingProxy.sameSecret(offered, expected);
        boolean old = offered != null && previous != null && RoutingProxy.sameSecret(offered, previous);
        if (current | old) {
            if (clientAddress != null) {
                proxy.addressThrottle().succeeded(clientAddress);
            }
            authenticated = true;
            return ReplyWriter.encodeMessage("authenticated");
        }
        authenticated = false;
        // A connection's first failure is charged to its address only if the connection never authenticates (see
        // close): a client trying a rotation's old password, then the new one, is never counted.
        if (clientAddress != null && failedAuthentications.count() > 0) {
            proxy.addressThrottle().failed(clientAddress);
        }
        String closing;
        try {
            closing = failedAuthentications.failed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = "the proxy is shutting down";
        }
        if (closing != null) {
            closeAfterReply = true;
            return ReplyWriter.encodeError(closing);
        }
        return ReplyWriter.encodeError("authentication failed");
    }

    private byte[] control(ControlStatement statement) {
        if (statement instanceof ControlStatement.Heartbeat) {
            return ReplyWriter.encodeMessage(proxy.heartbeat());
        }
        return ReplyWriter.encodeError("dirk promote, fence and follow go to a member directly, not through the proxy");
    }

    private byte[] forwardUnparsed(String text, DirkException parseError) {
        Optional<MemberAddress> primary = proxy.table().writeTarget();
        if (primary.isEmpty()) {
            return ReplyWriter.encodeError(parseError.getMessage());
        }
        return runOn(primary.get(), text, null).frames();
    }

    private byte[] use(String text, String wanted) {
        MemberAddress target = proxy.table().writeTarget().or(() -> proxy.table().readTarget(writes))
                .orElseThrow(() -> new DirkException("no member is available"));
        UpstreamConnection connection = acquire(target, wanted);
        try {
            RawReply reply = send(connection, text);
            if (!reply.isError()) {
                connection.databaseChosen(wanted);
                database = wanted;
            }
            return reply.frames();
        } finally {
            proxy.pool().release(connection);
        }
    }

    private byte[] read(String text, Statement statement) {
        MemberAddress first = proxy.table().readTarget(writes)
                .orElseThrow(() -> new DirkException("no member can serve reads: none answers its heartbeat"));
        try {
            return runOn(first, text, statement).frames();
        } catch (MemberFailure failure) {
            // A read changes nothing: it may run again on another member.
            for (int attempt = 0; attempt < proxy.table().members().size(); attempt++) {
                Optional<MemberAddress> other = proxy.table().readTarget(writes);
                if (other.isPresent() && !other.get().equals(first)) {
                    return runOn(other.get(), text, statement).frames();
                }
            }
            throw failure;
        }
    }

    private byte[] write(String text, Statement statement) {
        long waitMillis = proxy.settings().writeWaitMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (true) {
            Optional<MemberAddress> primary;
            try {
                long leftNanos = Math.max(0, deadline - System.nanoTime());
                primary = proxy.table().awaitWriteTarget((leftNanos + 999_999) / 1_000_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DirkException("the proxy is stopping");
            }
            if (primary.isEmpty()) {
                proxy.countWriteWithoutPrimary();
                throw new DirkException("no primary available after " + waitMillis + " ms");
            }
            RawReply reply = runOn(primary.get(), text, statement);
            String refusal = reply.isError() ? UpstreamConnection.messageOf(reply) : null;
            if (refusal != null && WriteRefusals.appliedNothing(refusal) && deadline - System.nanoTime() > 0) {
                if (WriteRefusals.passing(refusal)) {
                    // The primary refused before applying anything, for a while: its lease ran out (the supervisor
                    // or a secondary renews it, or another member is promoted) or, empty, it still waits to hear
                    // its peers. Try again after the next heartbeat, until the wait ends.
                    awaitNextHeartbeat(deadline);
                    continue;
                }
                // Our view was stale (the member stepped down since its last heartbeat): nothing was
                // applied, so look again and send it to the primary there is now.
                proxy.prober().probeAllNow();
                if (proxy.table().writeTarget().equals(primary)) {
                    // Its heartbeat still says primary: a fence refuses writes before its role says fenced
                    // (its logged writes drain meanwhile). Try again after the next heartbeat, until the wait ends.
                    awaitNextHeartbeat(deadline);
                }
                continue;
            }
            if (!reply.isError()) {
                writes.recordWrite(System.nanoTime());
                if (DatabaseStatements.dropsDatabase(statement, database)) {
                    // The member's session left the dropped database; so does this one.
                    database = null;
                }
            }
            return reply.frames();
        }
    }

    /** Waits for the next heartbeat answer the proxy records, at most one heartbeat interval and never past {@code deadline}. */
    private void awaitNextHeartbeat(long deadline) {
        long waitMillis = Math.min(proxy.settings().heartbeatIntervalMillis(),
                TimeUnit.NANOSECONDS.toMillis(Math.max(0, deadline - System.nanoTime())));
        try {
            proxy.table().awaitNextRecord(Math.max(1, waitMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirkException("the proxy is stopping");
        }
    }

    /**
     * Runs a statement on a member, on this session's database (unless the statement concerns
     * databases themselves: creating, dropping or listing one works whatever the current one is).
     *
     * @param statement null for a text not parsed here: a query known by its first word, or a text that did not parse
     */
    private RawReply runOn(MemberAddress member, String text, Statement statement) {
        UpstreamConnection connection = acquire(member, database);
        boolean schema = statement != null && statement.kind() == StatementKind.SCHEMA;
        try {
            if (database != null && !DatabaseStatements.independentOfCurrentDatabase(statement)) {
                RawReply switched = useDatabase(connection);
                if (switched != null && switched.isError()) {
                    return switched;
                }
            }
            RawReply reply = send(connection, text);
            if (schema) {
                connection.forgetDatabase();
            }
            return reply;
        } finally {
            proxy.pool().release(connection);
        }
    }

    private UpstreamConnection acquire(MemberAddress member, String wantedDatabase) {
        try {
            return proxy.pool().acquire(member, wantedDatabase);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirkException("the proxy is stopping");
        } catch (DirkException e) {
            proxy.countMemberFailure();
            throw new MemberFailure(e.getMessage());
        }
    }

    private RawReply useDatabase(UpstreamConnection connection) {
        try {
            return connection.useDatabase(database);
        } catch (IOException e) {
            throw failed(connection, e);
        }
    }

    private RawReply send(UpstreamConnection connection, String text) {
        try {
            return connection.execute(text);
        } catch (IOException e) {
            throw failed(connection, e);
        }
    }

    private MemberFailure failed(UpstreamConnection connection, IOException e) {
        proxy.countMemberFailure();
        // Its other idle connections are likely as dead as this one.
        proxy.pool().closeIdle(connection.address());
        return new MemberFailure("member " + connection.address() + " failed during the request ("
                + UpstreamConnection.describe(e) + "); a write may or may not have been applied");
    }

    /** A member broke the connection or did not answer: the client gets an error naming it. */
    private static final class MemberFailure extends DirkException {
        MemberFailure(String message) {
            super(message);
        }
    }
}
