package io.dirkdb.proxy;

import io.dirkdb.DirkException;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.RawReply;
import io.dirkdb.protocol.ReplyReader;
import io.dirkdb.protocol.tls.SecureSockets;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A connection from the proxy to a member, or from the cache to the proxy: sends a request and
 * reads its reply frames undecoded, to pass them on as they came. It remembers the database its
 * session on the far side uses, so a pool can hand it to a client of another database and switch
 * it first. Not thread-safe: one user at a time.
 *
 * <p>The wait for a reply is bounded by a watchdog that closes an overdue connection, not by a
 * socket timeout: a timed socket read costs a failed read and a poll call on every reply, and this
 * connection is on the path of every request through the proxy and the cache.
 */
public final class UpstreamConnection implements AutoCloseable {
    /** The far side's current database is not known (after a schema change it may have been dropped). */
    private static final String UNKNOWN = new String("<unknown>");

    private final MemberAddress address;
    private final Socket socket;
    private final OutputStream out;
    private final ReplyReader replies;
    private final long replyTimeoutNanos;
    private String database;
    private volatile boolean broken;
    /** When the pool last took it back (System.nanoTime()). */
    volatile long idleSinceNanos = System.nanoTime();
    /** Set while a request waits for its reply: when the watchdog must give up on it. */
    private volatile long replyDueNanos;
    private volatile boolean awaitingReply;
    private volatile boolean timedOut;

    private UpstreamConnection(MemberAddress address, Socket socket, int timeoutMillis) throws IOException {
        this.address = address;
        this.socket = socket;
        this.replyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.out = socket.getOutputStream();
        this.replies = new ReplyReader(socket.getInputStream());
    }

    /**
     * Connects, and authenticates with {@code dirk auth} when {@code password} is not null.
     *
     * @param timeoutMillis bounds the connect and every wait for a reply (0: no bound)
     * @throws IOException when the far side cannot be reached
     * @throws DirkException when it refuses the password
     */
    public static UpstreamConnection open(MemberAddress address, String password, int timeoutMillis) throws IOException {
        return open(null, address, password, timeoutMillis);
    }

    /** As above, over TLS with {@code tls} (null: plain TCP); the handshake is bounded by {@code timeoutMillis}. */
    public static UpstreamConnection open(TlsSettings tls, MemberAddress address, String password, int timeoutMillis)
            throws IOException {
        return open(tls, address, password, List.of(), timeoutMillis);
    }

    /**
     * As above; when the member refuses {@code password}, each of {@code fallbacks} is tried in turn (the previous
     * password of a rotation, for a member not restarted since).
     */
    public static UpstreamConnection open(TlsSettings tls, MemberAddress address, String password,
            List<String> fallbacks, int timeoutMillis) throws IOException {
        Socket socket = SecureSockets.connect(tls, address.host(), address.port(), timeoutMillis);
        try {
            socket.setKeepAlive(true);
            socket.setSoTimeout(0); // replies are awaited under the watchdog, not a socket timeout
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        UpstreamConnection connection;
        try {
            connection = new UpstreamConnection(address, socket, timeoutMillis);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        if (timeoutMillis > 0) {
            ReplyWatchdog.watch(connection);
        }
        try {
            if (password != null) {
                RawReply reply = connection.execute("dirk auth " + quote(password));
                for (String fallback : fallbacks) {
                    if (!reply.isError()) {
                        break;
                    }
                    if (fallback != null && !fallback.equals(password)) {
                        RawReply next = connection.execute("dirk auth " + quote(fallback));
                        reply = next.isError() ? reply : next;
                    }
                }
                if (reply.isError()) {
                    throw new DirkException(address + " refused the password given to the proxy ("
                            + messageOf(reply) + ")");
                }
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    public MemberAddress address() {
        return address;
    }

    /**
     * Sends one request (its text without the closing {@code ;}) and reads the whole reply.
     * The text came out of a request scanner, so it cannot end inside a string or a comment and
     * the {@code ;} added here ends it.
     */
    public RawReply execute(String text) throws IOException {
        replyDueNanos = System.nanoTime() + replyTimeoutNanos;
        awaitingReply = true;
        try {
            out.write((text + ";").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return replies.readRaw();
        } catch (IOException | RuntimeException e) {
            broken = true;
            if (timedOut) {
                throw new SocketTimeoutException("no reply within the timeout");
            }
            throw e;
        } finally {
            awaitingReply = false;
        }
    }

    /** Switches the far side's session to {@code wanted} when it is on another database. */
    public RawReply useDatabase(String wanted) throws IOException {
        if (wanted == null || Objects.equals(wanted, database) && database != UNKNOWN) {
            return null;
        }
        RawReply reply = execute("ampiasao " + wanted);
        database = reply.isError() ? UNKNOWN : wanted;
        return reply;
    }

    /** The database the far side's session uses: null when none was chosen, a marker no name equals when unknown. */
    public String database() {
        return database;
    }

    /** Records the database a USE sent by a client switched to. */
    public void databaseChosen(String name) {
        database = name;
    }

    /** After a schema change the far side's database may be gone: check it before the next statement. */
    public void forgetDatabase() {
        database = UNKNOWN;
    }

    /**
     * True when the far side sent something no request asked for: its reason for closing the
     * connection (an idle or authentication timeout). Such a connection must not be reused.
     */
    public boolean closedByFarSide() {
        try {
            return replies.hasUnreadBytes();
        } catch (IOException e) {
            return true;
        }
    }

    /** True once a send or a read failed: the connection must not be reused. */
    public boolean broken() {
        return broken;
    }

    /** A DirkDB string literal: single quotes, backslashes and quotes escaped. */
    public static String quote(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** The message line of a reply (for errors: {@code Hadisoana : ...}). */
    public static String messageOf(RawReply reply) {
        String text = new String(reply.frames(), StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        return lines.length >= 2 && lines[0].equals("RESULT_MESSAGE") ? lines[1] : lines[lines.length - 2];
    }

    /** A short reason for a client, without a stack trace. */
    public static String describe(IOException e) {
        if (e instanceof java.io.EOFException) {
            return "the connection was closed";
        }
        if (e instanceof java.net.SocketTimeoutException) {
            return "no answer in time";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName()
                : message.toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void close() {
        broken = true;
        ReplyWatchdog.forget(this);
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a socket that failed: nothing left to do.
        }
    }

    /**
     * One daemon thread for all connections with a reply timeout: twenty times a second it closes
     * the ones whose reply is overdue, which ends their blocked read. The bound is thus kept within
     * a tick, which is far below any sensible timeout.
     */
    private static final class ReplyWatchdog {
        private static final long TICK_MILLIS = 50;
        private static final Set<UpstreamConnection> WATCHED = ConcurrentHashMap.newKeySet();

        static {
            Thread thread = new Thread(ReplyWatchdog::run, "dirk-reply-watchdog");
            thread.setDaemon(true);
            thread.start();
        }

        static void watch(UpstreamConnection connection) {
            WATCHED.add(connection);
        }

        static void forget(UpstreamConnection connection) {
            WATCHED.remove(connection);
        }

        private static void run() {
            while (true) {
                try {
                    Thread.sleep(TICK_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (UpstreamConnection connection : WATCHED) {
                    if (connection.awaitingReply && now - connection.replyDueNanos > 0) {
                        connection.timedOut = true;
                        try {
                            connection.close();
                        } catch (RuntimeException e) {
                            // The watchdog must outlive any one connection: without it no reply is bounded.
                            System.getLogger("io.dirkdb.proxy").log(System.Logger.Level.WARNING,
                                    "closing an overdue connection to " + connection.address + " failed", e);
                        }
                    }
                }
            }
        }
    }
}
