package io.dirkdb.proxy;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.ConnectionDeadlines;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.protocol.ListeningSocket;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.protocol.tls.SecureSockets;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The network face shared by the proxy and the cache: accepts clients (one thread each, at most
 * {@code maxConnections}), cuts their byte streams into requests and sends each answer in one
 * write and one flush on a TCP_NODELAY socket. Connections past their authentication or idle
 * deadline are told why and closed ({@link ConnectionDeadlines}, as on a member), so idle or
 * half-sent connections never lock new clients out for long.
 */
public final class RelayServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.proxy");

    /** What serves one client connection: answers its requests in order. */
    public interface Session extends AutoCloseable {
        /** The reply frames for one request; a {@link DirkException} thrown here becomes an error reply. */
        byte[] answer(Request request);

        /** False while the client has not given a password this relay asks for (its authentication deadline runs). */
        default boolean authenticated() {
            return true;
        }

        /** Told the client's address before its first request (password guessing is also counted by address). */
        default void clientAddress(java.net.InetAddress address) {
        }

        /** True once the reply just answered is the last one: the connection is then closed (password guessing). */
        default boolean closeAfterReply() {
            return false;
        }

        @Override
        default void close() {}
    }

    private final String name;
    private final ServerSocket serverSocket;
    private final int maxRequestBytes;
    private final Supplier<Session> sessions;
    private final ThreadPoolExecutor connectionThreads;
    private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    /** The listener's TLS, or null for plain TCP. */
    private final TlsSettings tls;
    private volatile boolean closing;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConnectionDeadlines deadlines;

    private RelayServer(String name, ServerSocket serverSocket, int maxConnections, int maxRequestBytes,
            ConnectionTimeouts timeouts, TlsSettings tls, Supplier<Session> sessions) {
        this.name = name;
        this.tls = tls;
        this.deadlines = new ConnectionDeadlines("dirk-" + name + "-reaper", timeouts);
        this.serverSocket = serverSocket;
        this.maxRequestBytes = maxRequestBytes;
        this.sessions = sessions;
        AtomicLong threadNumber = new AtomicLong();
        this.connectionThreads = new ThreadPoolExecutor(0, maxConnections, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), task -> {
                    Thread thread = new Thread(task, "dirk-" + name + "-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.acceptor = new Thread(this::acceptLoop, "dirk-" + name + "-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code host:port} (0: any free port) and starts serving.
     *
     * @param name for thread names and logs: {@code proxy} or {@code cache}
     */
    public static RelayServer start(String name, String host, int port, int maxConnections, int maxRequestBytes,
            Supplier<Session> sessions) throws IOException {
        return start(name, host, port, maxConnections, maxRequestBytes, ConnectionTimeouts.DEFAULTS, sessions);
    }

    /** As above, with the given connection deadlines. */
    public static RelayServer start(String name, String host, int port, int maxConnections, int maxRequestBytes,
            ConnectionTimeouts timeouts, Supplier<Session> sessions) throws IOException {
        return start(name, host, port, maxConnections, maxRequestBytes, timeouts, null, sessions);
    }

    /** As above, accepting only TLS with {@code tls} (null: plain TCP). */
    public static RelayServer start(String name, String host, int port, int maxConnections, int maxRequestBytes,
            ConnectionTimeouts timeouts, TlsSettings tls, Supplier<Session> sessions) throws IOException {
        if (tls != null) {
            tls.check(); // unreadable certificate files stop the start, with their names
        }
        ServerSocket socket = ListeningSocket.bind(host, port);
        RelayServer server = new RelayServer(name, socket, maxConnections, maxRequestBytes, timeouts, tls, sessions);
        server.acceptor.start();
        return server;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverSocket.getLocalSocketAddress();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    private void acceptLoop() {
        while (!closing) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.log(System.Logger.Level.ERROR, name + ": accept failed: " + e.getMessage());
                }
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
                openSockets.add(socket);
                connectionThreads.execute(() -> serve(socket));
            } catch (RejectedExecutionException e) {
                refuse(socket, "too many connections to this " + name + ", try again later");
            } catch (IOException e) {
                closeQuietly(socket);
            }
        }
    }

    private void refuse(Socket socket, String reason) {
        openSockets.remove(socket);
        try (socket) {
            if (tls != null) {
                return; // a handshake here would hold up the accept loop: closed without a word
            }
            socket.getOutputStream().write(ReplyWriter.encodeError(reason));
        } catch (IOException e) {
            // The client is gone already.
        }
    }

    private void serve(Socket raw) {
        try (raw; Session session = sessions.get();
                ConnectionDeadlines.Watch watch = deadlines.watch(raw, session.authenticated(), tls != null);
                // The TLS handshake runs here, under the authentication deadline.
                Socket socket = SecureSockets.accept(tls, raw, watch)) {
            session.clientAddress(raw.getInetAddress());
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            new RequestScanner(maxRequestBytes).readRequests(in, request -> {
                if (closing) {
                    out.write(ReplyWriter.encodeError("the " + name + " is shutting down, connect again"));
                    out.flush();
                    return false;
                }
                inFlight.incrementAndGet();
                watch.requestStarted();
                try {
                    byte[] reply = answer(session, request, socket);
                    watch.replyWriteStarted();
                    try {
                        out.write(reply);
                        out.flush();
                    } finally {
                        watch.replyWriteEnded();
                    }
                } finally {
                    watch.requestAnswered(session.authenticated());
                    if (inFlight.decrementAndGet() == 0 && closing) {
                        synchronized (inFlight) {
                            inFlight.notifyAll();
                        }
                    }
                }
                return !session.closeAfterReply();
            });
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: connection ended: {1}", name, e.toString());
        } finally {
            openSockets.remove(raw);
        }
    }

    private byte[] answer(Session session, Request request, Socket socket) {
        try {
            return session.answer(request);
        } catch (DirkException e) {
            return ReplyWriter.encodeError(e.getMessage());
        } catch (RuntimeException | Error e) {
            String ref = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
            LOG.log(System.Logger.Level.ERROR, name + ": internal error (ref " + ref + ") on a request of "
                    + socket.getRemoteSocketAddress(), e);
            return ReplyWriter.encodeError("internal error, see the " + name + " log (ref " + ref + ")");
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more to do with it.
        }
    }

    /** Stops accepting and closes every client connection at once. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Stops accepting, lets the requests in flight finish (for at most {@code grace}; a new request
     * meanwhile is answered with an error), then closes every client connection.
     */
    public void close(Duration grace) {
        closing = true;
        try {
            serverSocket.close();
        } catch (IOException e) {
            // Already closed.
        }
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (inFlight) {
            while (inFlight.get() > 0 && deadline - System.nanoTime() > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(inFlight, deadline - System.nanoTime());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        openSockets.forEach(RelayServer::closeQuietly);
        deadlines.close();
        connectionThreads.shutdownNow();
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
