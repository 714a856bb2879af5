package io.dirkdb.client;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.ReplyReader;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.protocol.tls.SecureSockets;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A connection to a DirkDB server, proxy or cache: sends one statement, reads its whole reply.
 * Not thread-safe: one connection per thread.
 */
public final class DirkConnection implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final OutputStream out;
    private final ReplyReader replies;
    /** Checks that each statement is one request; kept, since a scanner's buffer is worth reusing. */
    private final RequestScanner scanner = new RequestScanner(Integer.MAX_VALUE - 8);
    /** host:port, for error messages. */
    private final String peer;

    private DirkConnection(Socket socket, String peer) throws IOException {
        this.socket = socket;
        this.peer = peer;
        this.out = socket.getOutputStream();
        this.replies = new ReplyReader(socket.getInputStream());
    }

    public static DirkConnection open(String host, int port) throws IOException {
        return open(null, host, port, CONNECT_TIMEOUT_MILLIS);
    }

    /**
     * Connects within {@code timeoutMillis}, which also bounds every wait for a reply (0: no bound),
     * for callers that must tell a slow peer from a lost one (heartbeats, failover steps).
     */
    public static DirkConnection open(String host, int port, int timeoutMillis) throws IOException {
        return open(null, host, port, timeoutMillis);
    }

    /** As {@link #open(String, int, int)}, over TLS with {@code tls} (null: plain TCP). */
    public static DirkConnection open(TlsSettings tls, String host, int port, int timeoutMillis) throws IOException {
        Socket socket = SecureSockets.connect(tls, host, port, timeoutMillis);
        try {
            return new DirkConnection(socket, host + ":" + port);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** As {@link #open(String, int)}, over TLS with {@code tls} (null: plain TCP). */
    public static DirkConnection open(TlsSettings tls, String host, int port) throws IOException {
        return open(tls, host, port, CONNECT_TIMEOUT_MILLIS);
    }

    /**
     * Runs one statement (its closing {@code ;} is added when missing) and returns its reply.
     *
     * @throws DirkException when the text is not exactly one statement (a quote left open, two statements)
     */
    public Reply execute(String statement) throws IOException {
        try {
            out.write(frame(statement, scanner));
            out.flush();
            return replies.read();
        } catch (IOException e) {
            // With TLS 1.3 a refused client certificate shows only now, at the first exchange.
            throw SecureSockets.explainExchangeFailure(socket, e, peer);
        }
    }

    /**
     * The bytes of one request: the statement as given when it already ends with its own
     * {@code ;}, else followed by a newline (ending a trailing comment) and {@code ;}.
     */
    static byte[] frame(String statement) {
        return frame(statement, new RequestScanner(Integer.MAX_VALUE - 8));
    }

    private static final byte[] TERMINATOR = "\n;".getBytes(StandardCharsets.US_ASCII);

    /**
     * As {@link #frame(String)}, with one pass of {@code scanner} (reset here, so a connection reuses one): the
     * scanner is incremental, so feeding the terminator after the statement is scanning the terminated text.
     */
    private static byte[] frame(String statement, RequestScanner scanner) {
        byte[] bytes = statement.getBytes(StandardCharsets.UTF_8);
        scanner.reset();
        int[] requests = {0};
        java.util.function.Consumer<io.dirkdb.protocol.Request> count = request -> requests[0]++;
        scanner.feed(bytes, 0, bytes.length, count);
        if (requests[0] == 1 && (!scanner.hasPartialRequest() || RequestScanner.isBlank(scanner.partialText()))) {
            return bytes;
        }
        if (requests[0] == 0) {
            scanner.feed(TERMINATOR, 0, TERMINATOR.length, count);
            if (requests[0] == 1 && !scanner.hasPartialRequest()) {
                byte[] terminated = java.util.Arrays.copyOf(bytes, bytes.length + TERMINATOR.length);
                System.arraycopy(TERMINATOR, 0, terminated, bytes.length, TERMINATOR.length);
                return terminated;
            }
        }
        throw new DirkException("not one whole statement (a quote left open, or several statements): "
                + (statement.length() > 60 ? statement.substring(0, 60) + "..." : statement));
    }

    /** Sends {@code dirk auth '<password>'}, quoting the password as a DirkDB string. */
    public Reply authenticate(String password) throws IOException {
        return execute("dirk auth " + quote(password));
    }

    /**
     * Authenticates with {@code password}; when it is refused and {@code fallback} is another password, tries
     * that one on the same connection: a member not yet restarted with separate credentials (an upgrade from
     * the single-password setup) knows only the application password, which it takes for every role.
     */
    public Reply authenticate(String password, String fallback) throws IOException {
        return authenticate(password, fallback == null ? java.util.List.of() : java.util.List.of(fallback));
    }

    /**
     * As {@link #authenticate(String, String)}, trying each of {@code fallbacks} in turn: the previous password of
     * a rotation (a member not restarted since), then the application one (an upgrade). The first refusal is
     * returned when every one is refused.
     */
    public Reply authenticate(String password, java.util.List<String> fallbacks) throws IOException {
        Reply reply = authenticate(password);
        for (String fallback : fallbacks) {
            if (!reply.isError()) {
                return reply;
            }
            if (fallback != null && !fallback.equals(password)) {
                Reply next = authenticate(fallback);
                if (!next.isError()) {
                    return next;
                }
            }
        }
        return reply;
    }

    /** A DirkDB string literal: single quotes, with backslashes and quotes escaped. */
    public static String quote(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** Bounds how long a read waits for a reply (0: forever). */
    public void setReadTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
