package io.dirkdb.protocol;

import java.io.IOException;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces {@link ConnectionTimeouts} on the connections of one listener: a reaper thread tells each
 * overdue client why in an error reply and closes its socket, so idle or half-sent connections
 * never hold a slot for long. Only quiet time between requests counts: a request being answered,
 * however long it runs, is never overdue.
 */
public final class ConnectionDeadlines implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.protocol");

    private static final long NOT_WRITING = Long.MIN_VALUE;

    private final ConnectionTimeouts timeouts;
    private final Set<Watch> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService reaper;
    /** Writes closing words (a client may never read them), each bounded by a hard close on the reaper. */
    private final java.util.concurrent.ThreadPoolExecutor closingWords;
    /** How long a closing word may take before the socket is closed under it. */
    static final long CLOSING_WORD_MILLIS = 1_000;

    /** @param threadName the reaper thread's name */
    public ConnectionDeadlines(String threadName, ConnectionTimeouts timeouts) {
        this.timeouts = timeouts;
        this.reaper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        long shortest = timeouts.idle().isZero() ? timeouts.authentication().toMillis()
                : Math.min(timeouts.authentication().toMillis(), timeouts.idle().toMillis());
        long period = Math.max(50, Math.min(1000, shortest / 4));
        this.closingWords = new java.util.concurrent.ThreadPoolExecutor(0, 4, 10, TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(256), task -> {
                    Thread thread = new Thread(task, threadName + "-closing");
                    thread.setDaemon(true);
                    return thread;
                });
        reaper.scheduleWithFixedDelay(this::closeOverdue, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts watching a connection just accepted; the caller closes the watch when the connection ends.
     *
     * @param authenticated true where the listener asks no password
     */
    public Watch watch(Socket socket, boolean authenticated) {
        return watch(socket, authenticated, false);
    }

    /**
     * As above; with {@code tls}, the connection has a handshake to finish first (under the
     * authentication deadline) and nothing is written to it until {@link Watch#secured} names the
     * secured socket: an overdue handshake is closed without a word.
     */
    public Watch watch(Socket socket, boolean authenticated, boolean tls) {
        Watch watch = new Watch(socket, authenticated, tls);
        watched.add(watch);
        return watch;
    }

    private void closeOverdue() {
        long now = System.nanoTime();
        for (Watch watch : watched) {
            String reason = watch.overdue(now);
            if (reason != null) {
                watch.expire(reason);
            }
        }
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        closingWords.shutdownNow();
    }

    /** The deadline state of one connection. */
    public final class Watch implements AutoCloseable {
        private final Socket socket;
        /** Where a closing word is written: the socket, the TLS socket over it, or null while a handshake runs. */
        private volatile Socket talking;
        private volatile boolean authenticated;
        private volatile boolean requested;
        /** When its grace started: on accepting it, or once its TLS handshake is done (see {@link #evictable}). */
        private volatile long graceFromNanos = System.nanoTime();
        /** When the last request was answered (or the connection accepted): deadlines count from here. */
        private volatile long lastActivityNanos = System.nanoTime();
        private volatile boolean busy;
        private volatile boolean exempt;
        /** Since when a reply is being written (a client that never reads blocks it), or NOT_WRITING. */
        private volatile long writingSinceNanos = NOT_WRITING;
        /** Run once the closing word is written and before the socket closes (frees the connection's slot). */
        private volatile Runnable beforeClosing = () -> { };

        private Watch(Socket socket, boolean authenticated, boolean tls) {
            this.socket = socket;
            this.talking = tls ? null : socket;
            this.authenticated = authenticated;
        }

        /**
         * What to run when a deadline or an eviction closes the connection, before its socket closes: the
         * server frees the connection's slot here, so a client that saw the close can connect again at
         * once (the reading thread notices the close later and must find the work done).
         */
        public void beforeClosing(Runnable action) {
            beforeClosing = action;
        }

        /** The TLS handshake is done: closing words now go through {@code secured}. */
        public void secured(Socket secured) {
            graceFromNanos = System.nanoTime();
            talking = secured;
        }

        /** A whole request arrived: no deadline runs until it is answered. */
        public void requestStarted() {
            busy = true;
        }

        /** The request was answered; {@code authenticatedNow} is the session's state after it. */
        public void requestAnswered(boolean authenticatedNow) {
            requestAnswered(authenticatedNow, false);
        }

        /**
         * As above; before authentication only a request that {@code renewsUnauthenticated} (a member's
         * heartbeat) restarts the deadline, so refused requests and failed password guesses buy no time.
         */
        public void requestAnswered(boolean authenticatedNow, boolean renewsUnauthenticated) {
            authenticated = authenticatedNow;
            requested = true;
            if (authenticatedNow || renewsUnauthenticated) {
                lastActivityNanos = System.nanoTime();
            }
            busy = false;
        }

        /** A reply is being written: a client that leaves it unread is closed once its deadline passes. */
        public void replyWriteStarted() {
            writingSinceNanos = System.nanoTime();
        }

        /** The reply was written whole. */
        public void replyWriteEnded() {
            writingSinceNanos = NOT_WRITING;
        }

        /** The connection leaves request and answer (a replication stream, with deadlines of its own). */
        public void exempt() {
            exempt = true;
        }

        /**
         * Why this connection is to be closed now, or null: one that has not authenticated (or,
         * without a password, completed its first request) gets the authentication timeout, any
         * other the idle timeout.
         */
        String overdue(long nowNanos) {
            long writingSince = writingSinceNanos;
            if (writingSince != NOT_WRITING && !exempt) {
                // The statement is over, only the unread reply holds the socket and its thread.
                java.time.Duration limit = authenticated ? timeouts.idle() : timeouts.authentication();
                return !limit.isZero() && nowNanos - writingSince > limit.toNanos()
                        ? "reply not read for more than " + limit.toSeconds() + " s; closing the connection" : null;
            }
            if (busy || exempt) {
                return null;
            }
            long quiet = nowNanos - lastActivityNanos;
            if (!authenticated || !requested) {
                return quiet > timeouts.authentication().toNanos()
                        ? "authentication timeout: no " + (authenticated ? "request" : "dirk auth")
                        + " completed within " + timeouts.authentication().toSeconds() + " s; closing the connection"
                        : null;
            }
            long idle = timeouts.idle().toNanos();
            return idle > 0 && quiet > idle
                    ? "idle for more than " + timeouts.idle().toSeconds() + " s; closing the connection" : null;
        }

        /**
         * Whether a newcomer may take this connection's slot: it has not authenticated and either completed a
         * request without authenticating (a stranger's heartbeat) or has had {@code graceNanos} to send its
         * {@code dirk auth} (counted from the end of its TLS handshake, if any). A connection opened a moment ago (a supervisor's or a secondary's, its
         * authentication on its way) is never evicted before it had the chance.
         */
        public boolean evictable(long nowNanos, long graceNanos) {
            // A TLS connection still in its handshake has had no chance to send anything: its grace has not started
            // (the authentication deadline bounds the handshake).
            return !authenticated && (requested
                    || !busy && talking != null && nowNanos - graceFromNanos >= graceNanos);
        }

        /**
         * Whether it has not authenticated and may not be evicted yet (see {@link #evictable}): silent within its
         * grace, in its TLS handshake, or answering its first request. Such a connection holds its slot against every
         * newcomer, so the server bounds how many one client address may have.
         */
        public boolean awaitingAuthentication(long nowNanos, long graceNanos) {
            return !authenticated && !evictable(nowNanos, graceNanos);
        }

        /** Whether a whole request arrived and is being answered. */
        public boolean answering() {
            return busy;
        }

        /** When it last did something that counts (see {@link #requestAnswered(boolean, boolean)}), or was accepted. */
        public long lastActivityNanos() {
            return lastActivityNanos;
        }

        /** Whether the connection has authenticated (or the listener asks no password). */
        public boolean authenticated() {
            return authenticated;
        }

        /** Closes the connection now, telling the client why (as an overdue one is). */
        public void evict(String reason) {
            expire(reason);
        }

        /** Closes the connection now without a word (frees its slot first, as {@link #evict} does). */
        public void closeWithoutAWord() {
            watched.remove(this);
            beforeClosing.run();
            try {
                socket.close();
            } catch (IOException e) {
                // closed already
            }
        }

        /**
         * Frees the slot, then tells the client why and closes the socket. The closing word is written on a thread of
         * its own and the socket is closed after {@link #CLOSING_WORD_MILLIS} ms whatever happens: a client that
         * never reads (its send buffer full) would otherwise block the reaper or the eviction thread for good.
         */
        void expire(String reason) {
            LOG.log(System.Logger.Level.DEBUG, "closing {0}: {1}", socket.getRemoteSocketAddress(), reason);
            watched.remove(this);
            beforeClosing.run();
            Socket talk = talking;
            if (talk == null) {
                closeSocket(); // a TLS write now would join an unfinished handshake
                return;
            }
            try {
                java.util.concurrent.ScheduledFuture<?> hardClose = reaper.schedule(this::closeSocket,
                        CLOSING_WORD_MILLIS, TimeUnit.MILLISECONDS);
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSING_WORD_MILLIS);
                closingWords.execute(() -> {
                    try {
                        // A reply being written goes out whole first (just answered, or blocked: then no word).
                        while (writingSinceNanos != NOT_WRITING) {
                            if (System.nanoTime() - until > 0) {
                                return;
                            }
                            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                        }
                        talk.getOutputStream().write(ReplyWriter.encodeError(reason));
                        talk.getOutputStream().flush();
                    } catch (IOException e) {
                        // the client is gone already, or the hard close came first
                    } finally {
                        closeSocket();
                        hardClose.cancel(false);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                closeSocket(); // stopping, or too many closing words pending: closed without a word
            }
        }

        private void closeSocket() {
            try {
                socket.close();
            } catch (IOException e) {
                // closed already
            }
        }

        /** Stops watching: the connection ended. */
        @Override
        public void close() {
            watched.remove(this);
        }
    }
}
