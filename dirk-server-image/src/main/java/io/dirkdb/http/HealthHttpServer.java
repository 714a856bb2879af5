package io.dirkdb.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The HTTP side of every role: {@code /health/live}, {@code /health/ready} and Prometheus
 * {@code /metrics}. Kubernetes probes and scrapers use it; the DirkDB port stays for the protocol.
 *
 * <p>It must answer while clients misbehave, or Kubernetes restarts a healthy member and fails
 * over: one thread multiplexes every connection without blocking on any, a request head must
 * arrive whole within {@link #REQUEST_DEADLINE} of the connection (and the answer leave within as
 * long), heads are at most {@link #MAX_HEAD_BYTES}, and past {@link #MAX_CONNECTIONS} open
 * connections the oldest one still sending its request is dropped to make room. One request per
 * connection: every answer closes it.
 */
public final class HealthHttpServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HealthHttpServer.class.getName());

    /** How long a client has to send its request head, and to read the answer. */
    public static final Duration REQUEST_DEADLINE = Duration.ofSeconds(2);
    static final int MAX_HEAD_BYTES = 8 << 10;
    static final int MAX_CONNECTIONS = 128;

    /** A verdict and a line a person can read in the probe's output. */
    public record Readiness(boolean ready, String detail) {
        public static Readiness ready(String detail) {
            return new Readiness(true, detail);
        }

        public static Readiness notReady(String detail) {
            return new Readiness(false, detail);
        }
    }

    private final ServerSocketChannel listener;
    private final Selector selector;
    private final PrometheusMeterRegistry registry;
    private final Supplier<Readiness> readiness;
    private final Supplier<Readiness> liveness;
    private final Thread thread;
    /** Connections in the order they were accepted (oldest first), for deadlines and eviction. */
    private final ArrayDeque<Connection> connections = new ArrayDeque<>();
    private volatile boolean closed;

    private HealthHttpServer(ServerSocketChannel listener, Selector selector, PrometheusMeterRegistry registry,
                             Supplier<Readiness> readiness, Supplier<Readiness> liveness) {
        this.listener = listener;
        this.selector = selector;
        this.registry = registry;
        this.readiness = readiness;
        this.liveness = liveness;
        this.thread = new Thread(this::serve, "dirk-http");
        this.thread.setDaemon(true);
    }

    /** A registry every role records its meters into; pass it to {@link #start}. */
    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** As {@link #start(String, int, PrometheusMeterRegistry, Supplier, Supplier)}, always live. */
    public static HealthHttpServer start(String host, int port, PrometheusMeterRegistry registry,
                                         Supplier<Readiness> readiness) throws IOException {
        return start(host, port, registry, readiness, () -> Readiness.ready("live"));
    }

    /**
     * Starts serving on {@code host:port} (port 0 picks a free one).
     *
     * @param readiness asked on every {@code /health/ready}: whether this process can serve its role now
     * @param liveness  asked on every {@code /health/live}: false only when a restart is the way out (a
     *                  failed storage), so Kubernetes restarts the process
     */
    public static HealthHttpServer start(String host, int port, PrometheusMeterRegistry registry,
                                         Supplier<Readiness> readiness, Supplier<Readiness> liveness)
            throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        Selector selector = null;
        try {
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(new InetSocketAddress(host, port), 64);
            listener.configureBlocking(false);
            selector = Selector.open();
            listener.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            listener.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
        HealthHttpServer server = new HealthHttpServer(listener, selector, registry, readiness, liveness);
        server.thread.start();
        return server;
    }

    public int port() {
        return ((InetSocketAddress) listener.socket().getLocalSocketAddress()).getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** One client: its request head as it arrives, then the answer as it leaves. */
    private static final class Connection {
        final SocketChannel channel;
        final long deadlineNanos;
        final ByteBuffer head = ByteBuffer.allocate(MAX_HEAD_BYTES);
        ByteBuffer answer;
        boolean done;

        Connection(SocketChannel channel, long deadlineNanos) {
            this.channel = channel;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private void serve() {
        while (!closed) {
            try {
                selector.select(250);
                for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else {
                        Connection connection = (Connection) key.attachment();
                        try {
                            if (key.isReadable()) {
                                read(key, connection);
                            } else if (key.isWritable()) {
                                write(connection);
                            }
                        } catch (IOException | RuntimeException e) {
                            close(connection);
                        }
                    }
                }
                dropExpired();
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "health endpoint: {0}", e.toString());
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = listener.accept()) != null) {
            if (connections.size() >= MAX_CONNECTIONS) {
                connections.removeIf(c -> c.done);
                if (connections.size() >= MAX_CONNECTIONS) {
                    evictOldestUnanswered();
                }
            }
            channel.configureBlocking(false);
            Connection connection = new Connection(channel, System.nanoTime() + REQUEST_DEADLINE.toNanos());
            channel.register(selector, SelectionKey.OP_READ, connection);
            connections.addLast(connection);
        }
    }

    private void evictOldestUnanswered() {
        for (Connection connection : connections) {
            if (connection.answer == null) {
                close(connection);
                return;
            }
        }
        close(connections.peekFirst());
    }

    private void read(SelectionKey key, Connection connection) throws IOException {
        int n = connection.channel.read(connection.head);
        if (n < 0) {
            close(connection);
            return;
        }
        String head = new String(connection.head.array(), 0, connection.head.position(), StandardCharsets.ISO_8859_1);
        if (!head.contains("\r\n\r\n") && !head.contains("\n\n")) {
            if (!connection.head.hasRemaining()) {
                connection.answer = answer(431, "text/plain", "request head too large\n", false);
                key.interestOps(SelectionKey.OP_WRITE);
            }
            return;
        }
        connection.answer = respond(head);
        key.interestOps(SelectionKey.OP_WRITE);
        write(connection);
    }

    private void write(Connection connection) throws IOException {
        connection.channel.write(connection.answer);
        if (!connection.answer.hasRemaining()) {
            close(connection);
        }
    }

    private ByteBuffer respond(String head) {
        int lineEnd = head.indexOf('\n');
        String[] line = head.substring(0, lineEnd < 0 ? head.length() : lineEnd).trim().split(" ");
        String method = line[0].toUpperCase(Locale.ROOT);
        String path = line.length > 1 ? line[1] : "/";
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        boolean head0 = method.equals("HEAD");
        return switch (path) {
            case "/health/live" -> verdict(liveness, "live", "not live", head0);
            case "/health", "/health/ready" -> verdict(readiness, "ready", "not ready", head0);
            case "/metrics" -> answer(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape(), head0);
            default -> answer(404, "text/plain", "not found: try /health/live, /health/ready, /metrics\n", head0);
        };
    }

    private static ByteBuffer verdict(Supplier<Readiness> check, String yes, String no, boolean headOnly) {
        Readiness r;
        try {
            r = check.get();
        } catch (RuntimeException e) {
            r = Readiness.notReady("check failed: " + e.getClass().getSimpleName());
        }
        return answer(r.ready() ? 200 : 503, "text/plain", (r.ready() ? yes : no) + ": " + r.detail() + "\n", headOnly);
    }

    private static ByteBuffer answer(int status, String contentType, String body, boolean headOnly) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String reason = switch (status) {
            case 200 -> "OK";
            case 404 -> "Not Found";
            case 431 -> "Request Header Fields Too Large";
            default -> "Service Unavailable";
        };
        String headers = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
        byte[] start = headers.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(start.length + (headOnly ? 0 : bytes.length));
        out.put(start);
        if (!headOnly) {
            out.put(bytes);
        }
        return out.flip();
    }

    /** Closes connections past their deadline: a client that sends or reads too slowly holds nothing. */
    private void dropExpired() {
        long now = System.nanoTime();
        while (!connections.isEmpty()) {
            Connection oldest = connections.peekFirst();
            if (oldest.done) {
                connections.pollFirst();
            } else if (now - oldest.deadlineNanos > 0) {
                close(oldest);
                connections.pollFirst();
            } else {
                // Deadlines grow with acceptance order (a write gets the same deadline): the rest are younger.
                return;
            }
        }
    }

    private void close(Connection connection) {
        if (connection == null || connection.done) {
            return;
        }
        connection.done = true;
        try {
            connection.channel.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Connection connection : connections) {
            close(connection);
        }
        try {
            selector.close();
        } catch (IOException e) {
            // nothing left to release
        }
        try {
            listener.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
