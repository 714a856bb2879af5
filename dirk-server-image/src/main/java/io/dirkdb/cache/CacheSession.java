package io.dirkdb.cache;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.RawReply;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.Request;
import io.dirkdb.proxy.DatabaseStatements;
import io.dirkdb.proxy.RelayServer;
import io.dirkdb.proxy.UpstreamConnection;
import io.dirkdb.sql.ControlStatement;
import io.dirkdb.sql.Parser;
import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.Statement;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * One client of the cache. Reads are looked up by (current database, exact text); everything else
 * goes upstream, writes and schema changes dropping what they make stale on their way.
 *
 * <p>A cached reply is served only to a session the upstream has already answered a statement
 * (not a heartbeat, which needs no password) without an error: when the upstream requires
 * {@code dirk auth}, a client that has not given it gets nothing from the cache that it could
 * not get upstream.
 *
 * <p>A session that has written in a database gets no cached replies there any more: another
 * client's read, served by a secondary that had not yet received this session's write, may have
 * filled the entry after the write dropped the old one. Its reads go upstream, where the proxy
 * sends them only to members holding its writes; their replies still fill the cache for others.
 */
final class CacheSession implements RelayServer.Session {
    private final CachingProxy owner;
    private final ReplyCache cache;
    private UpstreamConnection upstream;
    private String database;
    private String authenticationText;
    private boolean trusted;
    /** Databases this session has written in: it reads them upstream, see the class comment. */
    private final Set<String> databasesWritten = new HashSet<>();

    CacheSession(CachingProxy owner) {
        this.owner = owner;
        this.cache = owner.cache();
    }

    @Override
    public byte[] answer(Request request) {
        String refusal = request.refusal();
        if (refusal != null) {
            return ReplyWriter.encodeError(refusal);
        }
        String text = ((Request.Text) request).text();
        if (trusted && !databasesWritten.contains(database)) {
            // Only reads are ever stored, so a hit needs no parse: the same text parses the same way.
            byte[] cached = cache.peek(database, text);
            if (cached != null) {
                return cached;
            }
        }
        Statement statement;
        try {
            statement = Parser.parse(text);
        } catch (DirkException e) {
            // The upstream answers with its own error; nothing of it is cached.
            return forward(text).frames();
        }
        // A switch expression: a new StatementKind does not compile until its caching is decided here.
        return switch (statement.kind()) {
            case READ -> read(text, statement.readTables());
            case WRITE -> write(text, statement.writtenTables());
            case SCHEMA -> schemaChange(text, statement);
            case USE -> use(text, ((SqlStatement.Use) statement).database());
            case CONTROL -> control(text, statement);
        };
    }

    private byte[] read(String text, Set<String> readTables) {
        cache.recordMiss();
        ReplyCache.Ticket ticket = cache.ticket(database);
        RawReply reply = forward(text);
        if (!reply.isError()) {
            trusted = true;
            cache.put(database, text, readTables, reply.frames(), ticket);
        }
        return reply.frames();
    }

    private byte[] write(String text, Set<String> writtenTables) {
        String writtenIn = database;
        cache.beginWrite(writtenIn, writtenTables);
        RawReply reply = null;
        try {
            reply = forward(text);
            if (!reply.isError()) {
                trusted = true;
                databasesWritten.add(writtenIn);
            }
            return reply.frames();
        } finally {
            cache.endWrite(writtenIn, writtenTables, reply != null && !reply.isError());
        }
    }

    private byte[] schemaChange(String text, Statement statement) {
        cache.beginSchemaChange();
        try {
            RawReply reply = forward(text);
            trusted |= !reply.isError();
            if (!reply.isError() && DatabaseStatements.dropsDatabase(statement, database)) {
                // The upstream session left the dropped database; so do this session's keys.
                database = null;
            }
            return reply.frames();
        } finally {
            cache.endSchemaChange();
        }
    }

    private byte[] use(String text, String wanted) {
        RawReply reply = forward(text);
        if (!reply.isError()) {
            trusted = true;
            database = wanted;
        }
        return reply.frames();
    }

    private byte[] control(String text, Statement statement) {
        RawReply reply = forward(text);
        if (statement instanceof ControlStatement.Auth) {
            // Remembered to authenticate a new upstream connection after the old one broke.
            authenticationText = reply.isError() ? null : text;
            trusted = !reply.isError();
        }
        return reply.frames();
    }

    /** Sends a request upstream on this client's connection, opening (and restoring) it when needed. */
    private RawReply forward(String text) {
        if (upstream == null || upstream.broken() || upstream.closedByFarSide()) {
            // A connection the upstream closed (e.g. idle past its --idle-timeout-seconds while the
            // cache answered this client) is replaced: the request has not been sent yet.
            if (upstream != null) {
                upstream.close();
            }
            try {
                upstream = reconnect();
            } catch (IOException e) {
                owner.countUpstreamFailure();
                throw new DirkException("cannot reach the upstream " + owner.upstream().host() + ":"
                        + owner.upstream().port() + " (" + UpstreamConnection.describe(e) + ")");
            }
        }
        try {
            return upstream.execute(text);
        } catch (IOException e) {
            owner.countUpstreamFailure();
            if (upstream != null) {
                upstream.close();
            }
            throw new DirkException("the upstream " + owner.upstream().host() + ":" + owner.upstream().port()
                    + " failed during the request (" + UpstreamConnection.describe(e) + "); a write may or may not have been applied");
        }
    }

    /** A new upstream connection on this session's authentication and database. */
    private UpstreamConnection reconnect() throws IOException {
        UpstreamConnection connection = UpstreamConnection.open(owner.upstreamTls(), owner.upstream(), null,
                owner.settings().upstreamTimeoutMillis());
        try {
            if (authenticationText != null) {
                connection.execute(authenticationText);
            }
            if (database != null) {
                RawReply switched = connection.useDatabase(database);
                if (switched != null && switched.isError()) {
                    database = null;
                }
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (upstream != null) {
            upstream.close();
        }
    }
}
