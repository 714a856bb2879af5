package io.dirkdb.server;

import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.AddressAuthenticationThrottle;
import io.dirkdb.protocol.ConnectionDeadlines;
import io.dirkdb.protocol.ListeningSocket;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.tls.SecureSockets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The network face of a member: accepts clients (one thread each, at most
 * {@code maxConnections}), and stops cleanly: no new connection, statements in flight finish,
 * then the database is closed.
 */
public final class MemberServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.server");

    private final Member member;
    private final ServerSettings settings;
    private final ServerSocket serverSocket;
    private final ExecutorService connectionThreads;
    private final ExecutorService rejectionThread;
    /** Closes evicted strangers: on a thread of its own, so an eviction never waits behind slow refusals. */
    private final ExecutorService evictionThread;
    private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
    /** The connections on reserved slots (past maxConnections), with their deadlines (which know who authenticated). */
    private final Map<Socket, ConnectionDeadlines.Watch> reservedSlots = new ConcurrentHashMap<>();
    /** The connections on regular slots (up to maxConnections), with their deadlines. */
    private final Map<Socket, ConnectionDeadlines.Watch> regularSlots = new ConcurrentHashMap<>();
    /** Held while a slot changes hands (the accept loop admitting, a connection taking a regular slot). */
    private final Object slotTable = new Object();
    /** Closes connections past their authentication or idle deadline. */
    private final ConnectionDeadlines deadlines;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final InFlightStatements inFlight = new InFlightStatements();
    /** Password guessing from one address, across its connections. */
    private final AddressAuthenticationThrottle addressThrottle = new AddressAuthenticationThrottle();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread acceptor;
    private final ServerMetrics metrics;
    private boolean closing; // guarded by this

    private MemberServer(Member member, ServerSettings settings, ServerSocket serverSocket, MeterRegistry registry,
            int refusalQueueCapacity) {
        this.member = member;
        this.metrics = new ServerMetrics(registry, member, activeConnections);
        this.settings = settings;
        this.serverSocket = serverSocket;
        AtomicLong threadNumber = new AtomicLong();
        // Three times the reserved slots: the reserved ones, as many newcomers admitted while strangers' grace runs
        // (admitPastTheReservedSlots), and strangers evicted from them, which keep their thread until they have ended.
        this.connectionThreads = new ThreadPoolExecutor(0, settings.maxConnections() + 3 * settings.reservedConnections(),
                60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), task -> {
                    Thread thread = new Thread(task, "dirk-connection-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.rejectionThread = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(refusalQueueCapacity), task -> {
                    Thread thread = new Thread(task, "dirk-reject");
                    thread.setDaemon(true);
                    return thread;
                }, (task, pool) -> {
                    if (task instanceof Refusal refusal) {
                        closeQuietly(refusal.socket()); // the queue is full: closed without a word, never leaked
                    }
                });
        this.evictionThread = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(Math.max(16, 4 * settings.reservedConnections())), task -> {
                    Thread thread = new Thread(task, "dirk-evict");
                    thread.setDaemon(true);
                    return thread;
                }, (task, pool) -> {
                    if (task instanceof Eviction eviction) {
                        eviction.stranger().closeWithoutAWord(); // the queue is full: its slot is freed all the same
                    }
                });
        this.acceptor = new Thread(this::acceptLoop, "dirk-accept");
        this.deadlines = new ConnectionDeadlines("dirk-reaper", settings.timeouts());
    }

    /** Binds {@code settings.host():settings.port()} (port 0: any free port) and starts accepting. */
    public static MemberServer start(Member member, ServerSettings settings) throws IOException {
        return start(member, settings, new SimpleMeterRegistry());
    }

    /** As {@link #start(Member, ServerSettings)}, recording the member's meters in {@code registry}. */
    public static MemberServer start(Member member, ServerSettings settings, MeterRegistry registry) throws IOException {
        return start(member, settings, registry, 1024);
    }

    /** As above, with at most {@code refusalQueueCapacity} refusals waiting for the one thread that answers them. */
    static MemberServer start(Member member, ServerSettings settings, MeterRegistry registry, int refusalQueueCapacity)
            throws IOException {
        if (settings.tls() != null) {
            settings.tls().check(); // unreadable certificate files stop the start, with their names
        }
        ServerSocket socket = ListeningSocket.bind(settings.host(), settings.port());
        MemberServer server = new MemberServer(member, settings, socket, registry, refusalQueueCapacity);
        server.acceptor.start();
        return server;
    }

    /** The address actually bound (its port is the real one when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverSocket.getLocalSocketAddress();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    public Member member() {
        return member;
    }

    /** For {@code /health/ready}: ready while accepting statements. */
    public HealthHttpServer.Readiness readiness() {
        MemberState state = member.state();
        String waiting = member.bootstrapWait();
        String detail = member.id() + " " + state.role().wireName() + " at epoch " + state.epoch() + ", LSN "
                + member.database().lastLsn() + ", history " + (state.historyId() == null ? "none yet" : state.historyId())
                + ", " + activeConnections.get() + " connections" + (waiting == null ? "" : "; " + waiting);
        String failure = member.database().storageFailure();
        if (failure != null) {
            return HealthHttpServer.Readiness.notReady("storage failed: " + failure);
        }
        if (!member.isReady()) {
            return HealthHttpServer.Readiness.notReady("stopping: " + detail);
        }
        // A primary must accept writes; a secondary must stream from its primary without having diverged.
        return member.servesRole() ? HealthHttpServer.Readiness.ready(detail)
                : HealthHttpServer.Readiness.notReady("not serving its role: " + detail);
    }

    /**
     * For {@code /health/live}: not live once storage failed (a write or fsync of the log), since
     * PostgreSQL's rule applies: stop and recover from the log on restart instead of retrying.
     */
    public HealthHttpServer.Readiness liveness() {
        String failure = member.database().storageFailure();
        return failure == null ? HealthHttpServer.Readiness.ready(member.id() + " is running")
                : HealthHttpServer.Readiness.notReady("storage failed, restart to recover from the log: " + failure);
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    private void acceptLoop() {
        while (!serverSocket.isClosed()) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!serverSocket.isClosed()) {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: {0}", e.toString());
                    pauseAfterAcceptFailure(); // e.g. out of file descriptors: do not spin
                }
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
            } catch (SocketException e) {
                closeQuietly(socket);
                continue;
            }
            ConnectionDeadlines.Watch watch = deadlines.watch(socket, !settings.credentials().required(),
                    settings.tls() != null);
            boolean reservedSlot;
            synchronized (slotTable) {
                int open = activeConnections.incrementAndGet();
                // The regular slots held decide, not the open connections: an operator's long-lived connection on a
                // reserved slot must not shrink the applications' share.
                boolean regularFree = regularSlots.size() < settings.maxConnections();
                if (!regularFree && open > settings.maxConnections() + settings.reservedConnections()
                        && !admitPastTheReservedSlots(open)
                        && !takeSlotPastAnAddressShare(socket.getInetAddress(), open)) {
                    activeConnections.decrementAndGet();
                    watch.close();
                    metrics.refusedConnection();
                    rejectionThread.execute(new Refusal(socket));
                    continue;
                }
                // Past the limit, a connection may still carry heartbeats, replication and control requests:
                // idle or slow clients never lock the operator and the secondaries out.
                reservedSlot = !regularFree;
                (reservedSlot ? reservedSlots : regularSlots).put(socket, watch);
            }
            openSockets.add(socket);
            AtomicBoolean released = new AtomicBoolean();
            Runnable ended = () -> {
                if (released.compareAndSet(false, true)) { // once: by the deadline's close or the thread's end
                    reservedSlots.remove(socket);
                    regularSlots.remove(socket);
                    openSockets.remove(socket);
                    watch.close();
                    activeConnections.decrementAndGet();
                }
            };
            watch.beforeClosing(ended);
            try {
                connectionThreads.execute(() -> serve(socket, reservedSlot, watch, ended));
            } catch (RuntimeException e) { // rejected: the pool is shut down
                ended.run();
                closeQuietly(socket);
            }
        }
    }

    /**
     * On the connection's thread: the TLS handshake (if any, under the authentication deadline, so a
     * slow or silent handshake cannot hold the slot), then the session.
     */
    private void serve(Socket socket, boolean reservedSlot, ConnectionDeadlines.Watch watch, Runnable ended) {
        Socket secured;
        try {
            secured = SecureSockets.accept(settings.tls(), socket, watch);
        } catch (IOException | RuntimeException e) {
            // A bare TCP check (connect, close) is no news; a refused handshake or plain-text client is.
            LOG.log(e instanceof java.io.EOFException ? System.Logger.Level.DEBUG : System.Logger.Level.INFO,
                    "TLS refused {0}: {1}", socket.getRemoteSocketAddress(), e.getMessage());
            ended.run();
            return;
        }
        new ClientConnection(secured, member, settings, inFlight, metrics, reservedSlot, watch, ended,
                () -> takeRegularSlotFromAStranger(socket, watch), addressThrottle).run();
    }

    /**
     * Every slot is taken: when the member asks a password, a connection past the limit that has not authenticated
     * (anyone may send a plain heartbeat) gives its slot up to the newcomer, so strangers cannot lock out the
     * supervisor, the secondaries and the operator the reserved slots are kept for. The most idle stranger goes
     * first; a connection that has sent nothing yet keeps its slot for {@link #evictionGraceNanos()}, so strangers
     * arriving continuously cannot evict a member's connection before its {@code dirk auth} arrives. While such a
     * connection's grace runs, the newcomer is admitted all the same, up to as many again as there are reserved
     * slots: a stranger reopening its silent connections within the grace would otherwise hold the reserved slots
     * for good.
     *
     * @return true when the newcomer may stay (an evicted connection is counted until its socket closes)
     */
    private boolean admitPastTheReservedSlots(int open) {
        int reserved = settings.reservedConnections();
        if (!settings.credentials().required() || open > settings.maxConnections() + 3 * reserved) {
            // No password, or as many evicted strangers still ending as there are reserved slots: refuse.
            return false;
        }
        long now = System.nanoTime();
        long grace = evictionGraceNanos();
        Map.Entry<Socket, ConnectionDeadlines.Watch> stranger = mostIdleStranger(reservedSlots, now, grace);
        if (stranger != null && reservedSlots.remove(stranger.getKey(), stranger.getValue())) {
            evict(stranger.getValue(), "this unauthenticated connection held a slot kept for authenticated members "
                    + "and operators, and gives it up to a newcomer");
            return true;
        }
        if (open > settings.maxConnections() + 2 * reserved) {
            return false;
        }
        // A connection in its grace may be a member's about to authenticate, or a stranger's that never will.
        return reservedSlots.values().stream().anyMatch(held -> !held.authenticated() && !held.evictable(now, grace));
    }

    /**
     * The room past the regular slots is full of connections in their grace: when the member asks a password, a
     * newcomer whose address waits to authenticate on fewer than {@link ServerSettings#unauthenticatedPerAddress()}
     * of those slots takes the slot of the oldest silent connection of the address past that share by the most. A
     * stranger reopening silent connections within the grace from one address fills the reserved slots and the room
     * admitted past them otherwise, and the supervisor, the secondaries and the probers coming from other addresses
     * are refused. An address within its share is never evicted in its grace, and neither is any connection while
     * no one from another address needs the room (a client behind the same address as a stranger competes with it
     * as before, see {@link #admitPastTheReservedSlots}).
     *
     * @return true when the newcomer may stay
     */
    private boolean takeSlotPastAnAddressShare(InetAddress address, int open) {
        if (!settings.credentials().required()
                || open > settings.maxConnections() + 3 * settings.reservedConnections()) {
            return false;
        }
        long now = System.nanoTime();
        long grace = evictionGraceNanos();
        Map<InetAddress, List<Map.Entry<Socket, ConnectionDeadlines.Watch>>> waiting = new HashMap<>();
        for (Map.Entry<Socket, ConnectionDeadlines.Watch> held : reservedSlots.entrySet()) {
            if (held.getValue().awaitingAuthentication(now, grace)) {
                waiting.computeIfAbsent(held.getKey().getInetAddress(), any -> new ArrayList<>()).add(held);
            }
        }
        int share = settings.unauthenticatedPerAddress();
        if (waiting.getOrDefault(address, List.of()).size() >= share) {
            return false; // the newcomer's own address holds its share: it waits its turn
        }
        List<Map.Entry<Socket, ConnectionDeadlines.Watch>> mostPast = null;
        for (List<Map.Entry<Socket, ConnectionDeadlines.Watch>> ofOneAddress : waiting.values()) {
            if (ofOneAddress.size() > share && (mostPast == null || ofOneAddress.size() > mostPast.size())) {
                mostPast = ofOneAddress;
            }
        }
        if (mostPast == null) {
            return false;
        }
        Map.Entry<Socket, ConnectionDeadlines.Watch> oldest = null;
        for (Map.Entry<Socket, ConnectionDeadlines.Watch> held : mostPast) {
            if (!held.getValue().answering() && (oldest == null
                    || held.getValue().lastActivityNanos() - oldest.getValue().lastActivityNanos() < 0)) {
                oldest = held;
            }
        }
        if (oldest == null || !reservedSlots.remove(oldest.getKey(), oldest.getValue())) {
            return false;
        }
        evict(oldest.getValue(), "this connection from " + oldest.getKey().getInetAddress().getHostAddress()
                + " sent nothing yet, one of more than " + share + " from one address waiting to authenticate past the "
                + "limit, and gives its slot up to a newcomer from another address");
        return true;
    }

    /**
     * An authenticated connection on a reserved slot sends a statement: it takes a free regular slot, else the regular slot of the most idle
     * connection that has not authenticated after its grace (a stranger pinging plain heartbeats holds a regular
     * slot otherwise for as long as it pings), which is closed.
     *
     * @return true when the connection now holds a regular slot
     */
    private boolean takeRegularSlotFromAStranger(Socket socket, ConnectionDeadlines.Watch watch) {
        synchronized (slotTable) {
            if (regularSlots.size() < settings.maxConnections() && reservedSlots.remove(socket, watch)) {
                regularSlots.put(socket, watch); // a regular slot is free: no one need be evicted
                return true;
            }
            if (!settings.credentials().required()) {
                return false;
            }
            Map.Entry<Socket, ConnectionDeadlines.Watch> stranger = mostIdleStranger(regularSlots, System.nanoTime(),
                    evictionGraceNanos());
            if (stranger == null || !reservedSlots.remove(socket, watch)) {
                return false;
            }
            if (!regularSlots.remove(stranger.getKey(), stranger.getValue())) {
                reservedSlots.put(socket, watch);
                return false;
            }
            regularSlots.put(socket, watch);
            evict(stranger.getValue(), "this unauthenticated connection held a slot an authenticated client needs, "
                    + "and gives it up");
        }
        return true;
    }

    /** The most idle connection of {@code slots} that may be evicted (see {@link ConnectionDeadlines.Watch#evictable}), or null. */
    private static Map.Entry<Socket, ConnectionDeadlines.Watch> mostIdleStranger(
            Map<Socket, ConnectionDeadlines.Watch> slots, long now, long grace) {
        Map.Entry<Socket, ConnectionDeadlines.Watch> mostIdle = null;
        for (Map.Entry<Socket, ConnectionDeadlines.Watch> held : slots.entrySet()) {
            if (held.getValue().evictable(now, grace) && (mostIdle == null
                    || held.getValue().lastActivityNanos() - mostIdle.getValue().lastActivityNanos() < 0)) {
                mostIdle = held;
            }
        }
        return mostIdle;
    }

    /** Closes a stranger that gave up its slot, telling it why, on the eviction thread (it may read nothing). */
    private void evict(ConnectionDeadlines.Watch stranger, String why) {
        evictionThread.execute(new Eviction(stranger, "too many connections (limit " + settings.maxConnections()
                + "); " + why + "; closing the connection"));
    }

    /** An evicted connection to close on the eviction thread; closed without a word when its queue is full. */
    private record Eviction(ConnectionDeadlines.Watch stranger, String reason) implements Runnable {
        @Override
        public void run() {
            stranger.evict(reason);
        }
    }

    /** How long a connection that has sent nothing keeps a reserved slot: a quarter of the authentication deadline, at most 1 s. */
    private long evictionGraceNanos() {
        return Math.min(TimeUnit.SECONDS.toNanos(1), settings.timeouts().authentication().toNanos() / 4);
    }

    private static void pauseAfterAcceptFailure() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A connection past the limit, to refuse on the rejection thread. */
    private final class Refusal implements Runnable {
        private final Socket socket;

        Refusal(Socket socket) {
            this.socket = socket;
        }

        Socket socket() {
            return socket;
        }

        @Override
        public void run() {
            refuse(socket);
        }
    }

    /**
     * Answers a connection past the limit, then closes it once the client has read the answer. With TLS it is
     * closed at once, without a word: a handshake would hold the one rejection thread for as long as the client
     * drips it (each byte restarts a read timeout), and every refusal and eviction after it would wait.
     */
    private void refuse(Socket socket) {
        if (settings.tls() != null) {
            LOG.log(System.Logger.Level.DEBUG, "closing {0} without a TLS handshake: too many connections (limit {1})",
                    socket.getRemoteSocketAddress(), settings.maxConnections());
            closeQuietly(socket);
            return;
        }
        try (socket) {
            socket.getOutputStream().write(ReplyWriter.encodeError(
                    "too many connections (limit " + settings.maxConnections() + ")"));
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            // Closing with unread request bytes would reset the connection and could destroy the
            // answer before the client reads it: drain briefly first.
            socket.setSoTimeout(200);
            InputStream in = socket.getInputStream();
            byte[] sink = new byte[4096];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < deadline && in.read(sink) >= 0) {
                // discard
            }
        } catch (SocketTimeoutException e) {
            // The client keeps its side open; the answer is out, close ours.
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "refusing a connection failed: {0}", e.toString());
        }
    }

    /**
     * Stops: no new connection or statement, statements in flight finish (up to the grace
     * period) and send their replies, connections close, then the database is closed.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        member.markNotReady();
        closeQuietly(serverSocket);
        try {
            if (!inFlight.closeAndAwait(settings.shutdownGrace())) {
                LOG.log(System.Logger.Level.WARNING, "statements still running after {0}; stopping anyway",
                        settings.shutdownGrace());
            }
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Socket socket : openSockets) {
            closeQuietly(socket);
        }
        connectionThreads.shutdown();
        rejectionThread.shutdownNow();
        evictionThread.shutdownNow();
        deadlines.close();
        try {
            connectionThreads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            member.close();
            LOG.log(System.Logger.Level.INFO, "member {0} stopped", member.id());
        } finally {
            stopped.countDown();
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed or broken: nothing to do
        }
    }
}
