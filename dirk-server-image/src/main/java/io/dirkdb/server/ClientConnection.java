package io.dirkdb.server;

import io.dirkdb.DirkException;
import io.dirkdb.engine.Result;
import io.dirkdb.engine.Session;
import io.dirkdb.protocol.AddressAuthenticationThrottle;
import io.dirkdb.protocol.ConnectionDeadlines;
import io.dirkdb.protocol.FailedAuthentications;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.sql.ControlStatement;
import io.dirkdb.sql.Statement;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;

/** One client connection: reads requests, runs them in order, answers each with one write. */
final class ClientConnection implements Runnable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.server");

    private final Socket socket;
    private final Member member;
    private final ServerSettings settings;
    private final InFlightStatements inFlight;
    private final ServerMetrics metrics;
    private final Runnable onClose;
    private final Session session = new Session();
    /** Accepted past --max-connections: only heartbeats, replication and control requests. */
    private boolean reservedSlot;
    /** Takes, for this connection on a reserved slot, the regular slot of a stranger: true when it did. */
    private final java.util.function.BooleanSupplier takeRegularSlot;
    /** The authentication and idle deadlines, enforced by the server's reaper. */
    private final ConnectionDeadlines.Watch deadlines;
    /** What the connection's {@code dirk auth} granted; null before (every role when authentication is off). */
    private volatile AccessRole role;
    /** The request being answered is a heartbeat: the one request that renews an unauthenticated deadline. */
    private volatile boolean heartbeat;
    /**
     * When this connection's last reply was sent (0: none yet). A lease renewal read now was sent after it:
     * the lease counts from there, so a renewal queued while this member was paused extends nothing.
     */
    private long lastAnswerNanos;
    /** Failed {@code dirk auth} attempts on this connection, each answered later than the one before. */
    private final FailedAuthentications failedAuthentications = new FailedAuthentications();
    /** Failed {@code dirk auth} attempts by client address, across the member's connections. */
    private final AddressAuthenticationThrottle addressThrottle;

    ClientConnection(Socket socket, Member member, ServerSettings settings, InFlightStatements inFlight,
            ServerMetrics metrics, boolean reservedSlot, ConnectionDeadlines.Watch deadlines, Runnable onClose,
            java.util.function.BooleanSupplier takeRegularSlot, AddressAuthenticationThrottle addressThrottle) {
        this.addressThrottle = addressThrottle;
        this.reservedSlot = reservedSlot;
        this.takeRegularSlot = takeRegularSlot;
        this.deadlines = deadlines;
        this.metrics = metrics;
        this.socket = socket;
        this.member = member;
        this.settings = settings;
        this.inFlight = inFlight;
        this.onClose = onClose;
        this.role = settings.credentials().required() ? null : AccessRole.ADMINISTRATION;
    }

    @Override
    public void run() {
        try (socket) {
            InputStream in = socket.getInputStream();
            ReplyWriter out = new ReplyWriter(socket.getOutputStream());
            new RequestScanner(settings.maxRequestBytes()).readRequests(in, request -> {
                deadlines.requestStarted();
                ControlStatement binaryMode = binaryModeRequest(request);
                if (binaryMode != null) {
                    // The connection now belongs to replication until either side closes it (its own deadlines).
                    deadlines.exempt();
                    member.replication().serve(binaryMode, socket, in, socket.getOutputStream());
                    return false;
                }
                try {
                    return answer(request, out);
                } finally {
                    deadlines.requestAnswered(role != null, heartbeat);
                    heartbeat = false;
                }
            });
        } catch (IOException e) {
            // The client went away or the server is stopping: nothing to answer.
            LOG.log(System.Logger.Level.DEBUG, "connection ended: {0}", e.toString());
        } finally {
            if (role == null && failedAuthentications.count() > 0) {
                addressThrottle.failed(socket.getInetAddress()); // its first failure, held until now
            }
            onClose.run();
        }
    }

    /**
     * The request if it switches the connection to a binary mode ({@code dirk stream}, {@code dirk
     * snapshot}) and the connection holds a role that may ask it; null for every other request (a refused
     * one is answered as usual, with the refusal). Only requests starting with the control word are parsed
     * here, so ordinary statements are parsed once.
     */
    private ControlStatement binaryModeRequest(Request request) {
        AccessRole held = role;
        if (held == null || !(request instanceof Request.Text text) || !startsWithControlWord(text.text())) {
            return null;
        }
        try {
            Statement statement = member.database().parse(text.text());
            return (statement instanceof ControlStatement.Stream || statement instanceof ControlStatement.Snapshot)
                    && held.permits(statement) ? (ControlStatement) statement : null;
        } catch (DirkException e) {
            return null; // answered as usual, with the parser's message
        }
    }

    private static boolean startsWithControlWord(String text) {
        int i = 0;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return text.regionMatches(true, i, "dirk", 0, 4);
    }

    /** Runs one request and sends its reply. @return false when the server is stopping */
    private boolean answer(Request request, ReplyWriter out) throws IOException {
        if (!inFlight.enter()) {
            out.sendError("the server is shutting down");
            return false;
        }
        try {
            byte[] reply;
            try {
                reply = ReplyWriter.encode(run(request));
            } catch (ClosingRefusal e) {
                metrics.error();
                out.sendFrames(ReplyWriter.encodeError(e.getMessage()));
                // A statement on a reserved slot (the client reconnects later), or too many failed passwords.
                return false;
            } catch (DirkException e) {
                metrics.error();
                reply = ReplyWriter.encodeError(e.getMessage());
            } catch (StackOverflowError e) {
                metrics.error();
                // Recursion is bounded by the request size only; the stack unwound, the member is fine.
                LOG.log(System.Logger.Level.WARNING, "a request nested too deeply overflowed the stack");
                reply = ReplyWriter.encodeError("the statement is nested too deeply");
            } catch (RuntimeException | Error e) {
                metrics.error();
                String ref = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
                LOG.log(System.Logger.Level.ERROR, "internal error (ref " + ref + ") on a request of "
                        + socket.getRemoteSocketAddress(), e);
                reply = ReplyWriter.encodeError("internal error, see the server log (ref " + ref + ")");
            }
            // Stamped before the reply goes out: the next request is sent after the client read it, so this
            // stamp is no later than that request's sending, however long writing the reply takes.
            lastAnswerNanos = System.nanoTime();
            deadlines.replyWriteStarted();
            try {
                out.sendFrames(reply);
            } finally {
                deadlines.replyWriteEnded();
            }
            return true;
        } finally {
            inFlight.exit();
        }
    }

    private Result run(Request request) {
        String refusal = request.refusal();
        if (refusal != null) {
            throw new DirkException(refusal);
        }
        String text = ((Request.Text) request).text();
        Statement statement;
        try {
            statement = member.database().parse(text);
        } catch (DirkException e) {
            if (role == null) {
                throw new DirkException("authentication required");
            }
            throw e;
        }
        if (reservedSlot && !(statement instanceof ControlStatement) && role != null && takeRegularSlot.getAsBoolean()) {
            reservedSlot = false; // an authenticated client's statement, on a regular slot a stranger held
        }
        if (reservedSlot && !(statement instanceof ControlStatement)) {
            throw new ClosingRefusal("too many connections (limit " + settings.maxConnections()
                    + "); this connection holds a slot kept for heartbeats, replication and control requests");
        }
        heartbeat = statement instanceof ControlStatement.Heartbeat && AccessRole.open(statement);
        if (statement instanceof ControlStatement.Auth auth) {
            return new Result.Message(authenticate(auth.password()));
        }
        AccessRole held = role;
        if (held == null && !AccessRole.open(statement)) {
            // Unauthenticated SQL keeps the short answer clients know; a control request says what it needs.
            throw new DirkException(statement instanceof ControlStatement
                    ? AccessRole.refusal(statement, null) : "authentication required");
        }
        if (held != null && !held.permits(statement)) {
            throw new DirkException(AccessRole.refusal(statement, held));
        }
        metrics.statement(statement.kind());
        if (statement instanceof ControlStatement control) {
            return member.control(control, lastAnswerNanos);
        }
        if (statement.kind().changesData()) {
            member.checkWritable();
        }
        long writtenBefore = session.lastWriteLsn();
        Result result = member.database().execute(session, statement);
        if (session.lastWriteLsn() != writtenBefore) {
            // The record is durable here; sync mode also waits for a secondary before acknowledging.
            member.replication().afterWrite(session.lastWriteLsn());
            // An isolated primary must not acknowledge once another may have been promoted.
            member.checkLeaseBeforeAcknowledging(session.lastWriteLsn());
        } else if (!statement.kind().changesData()) {
            // The rows are durable here; sync mode also waits until a secondary holds what they show.
            member.replication().beforeReadReply(session.lastReadLsn());
        }
        return result;
    }

    /** A refusal after which the connection is closed. */
    private static final class ClosingRefusal extends DirkException {
        ClosingRefusal(String message) {
            super(message);
        }
    }

    private String authenticate(String offered) {
        Credentials credentials = settings.credentials();
        if (!credentials.required()) {
            role = AccessRole.ADMINISTRATION;
            return "authenticated (this member needs no password)";
        }
        java.net.InetAddress from = socket.getInetAddress();
        String refused = addressThrottle.checkTurn(from);
        if (refused != null) {
            // Answered at once: a connection never waits its address's turn holding a slot. It may stay open.
            LOG.log(System.Logger.Level.DEBUG, "{0}: dirk auth not checked ({1} failed attempts from its address)",
                    socket.getRemoteSocketAddress(), addressThrottle.failures(from));
            role = null;
            throw new DirkException(refused);
        }
        AccessRole granted = credentials.grant(offered);
        role = granted;
        if (granted == null) {
            // A connection's first failure is charged to its address only if the connection never authenticates
            // (see run): a client trying a rotation's old password, then the new one, is never counted.
            if (failedAuthentications.count() > 0) {
                addressThrottle.failed(from);
            }
            String closing;
            try {
                closing = failedAuthentications.failed();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClosingRefusal("the server is shutting down");
            }
            if (closing != null) {
                LOG.log(System.Logger.Level.WARNING, "closing the connection of {0} after {1} failed dirk auth attempts",
                        socket.getRemoteSocketAddress(), failedAuthentications.count());
                throw new ClosingRefusal(closing);
            }
            throw new DirkException("authentication failed");
        }
        addressThrottle.succeeded(from);
        // The single-password setup answers as it always did; with roles, the answer names the one granted.
        return credentials.singlePassword() ? "authenticated" : "authenticated as " + granted.wireName();
    }
}
