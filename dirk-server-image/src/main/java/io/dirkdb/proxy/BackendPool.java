package io.dirkdb.proxy;

import io.dirkdb.DirkException;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Connections to the members, kept open between statements: at most {@code perMember} in use at
 * once for each member, and as many kept idle. A connection is handed out preferably on the
 * database the client uses, so that no {@code ampiasao} needs to go first.
 */
public final class BackendPool implements AutoCloseable {
    /** Idle pooled connections older than this are closed instead of reused (members' idle timeout is longer). */
    static final long MAX_IDLE_REUSE_NANOS = TimeUnit.MINUTES.toNanos(5);
    /** Idle for less than this, a connection is handed out without asking whether the member closed it. */
    static final long UNSOLICITED_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final class MemberConnections {
        final MemberAddress address;
        final Semaphore inUse;
        final Deque<UpstreamConnection> idle = new ArrayDeque<>();

        MemberConnections(MemberAddress address) {
            this.address = address;
            this.inUse = new Semaphore(perMember);
        }
    }

    private final int perMember;
    private final String password;
    private final List<String> fallbacks;
    private final TlsSettings tls;
    private final int timeoutMillis;
    private final Map<MemberAddress, MemberConnections> byMember = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param password sent with {@code dirk auth} on every new connection, null for none
     * @param timeoutMillis bounds connecting, waiting for a free connection and waiting for a reply
     */
    public BackendPool(List<MemberAddress> members, int perMember, String password, int timeoutMillis) {
        this(members, perMember, password, timeoutMillis, null);
    }

    /** As above, connecting with TLS when {@code tls} is not null. */
    public BackendPool(List<MemberAddress> members, int perMember, String password, int timeoutMillis, TlsSettings tls) {
        this(members, perMember, password, List.of(), timeoutMillis, tls);
    }

    /** As above; {@code fallbacks} are tried in turn when a member refuses {@code password} (a rotation under way). */
    public BackendPool(List<MemberAddress> members, int perMember, String password, List<String> fallbacks,
            int timeoutMillis, TlsSettings tls) {
        this.fallbacks = List.copyOf(fallbacks);
        this.tls = tls;
        if (perMember < 1) {
            throw new IllegalArgumentException("at least one connection per member is needed");
        }
        this.perMember = perMember;
        this.password = password;
        this.timeoutMillis = timeoutMillis;
        replaceMembers(members);
    }

    /** Follows a change of members: a removed member's idle connections are closed, its busy ones on release. */
    /** How connections to the members are made (null: plain TCP); heartbeats use it too. */
    TlsSettings tls() {
        return tls;
    }

    public void replaceMembers(List<MemberAddress> members) {
        for (MemberAddress member : members) {
            byMember.computeIfAbsent(member, MemberConnections::new);
        }
        for (MemberAddress known : List.copyOf(byMember.keySet())) {
            if (!members.contains(known)) {
                MemberConnections removed = byMember.remove(known);
                if (removed != null) {
                    closeIdle(removed);
                }
            }
        }
    }

    /**
     * A connection to {@code member} whose session can be brought to {@code database}: one already
     * on it if idle, else any (the caller switches it), and for a client on no database one on
     * none (a session cannot leave a database, so a fresh one).
     *
     * @throws DirkException when the member cannot be reached or all its connections stay busy
     */
    public UpstreamConnection acquire(MemberAddress member, String database) throws InterruptedException {
        MemberConnections connections = byMember.get(member);
        if (connections == null) {
            throw new DirkException(member + " is no longer a member of the cluster");
        }
        if (!connections.inUse.tryAcquire(timeoutMillis == 0 ? Long.MAX_VALUE : timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new DirkException("all " + perMember + " connections to " + member + " stayed busy for "
                    + timeoutMillis + " ms");
        }
        while (true) {
            UpstreamConnection chosen = null;
            UpstreamConnection unsuitable = null;
            List<UpstreamConnection> stale = new ArrayList<>();
            synchronized (connections) {
                // A member closes connections idle past its --idle-timeout-seconds: never hand one out that old.
                long now = System.nanoTime();
                connections.idle.removeIf(c -> now - c.idleSinceNanos > MAX_IDLE_REUSE_NANOS && stale.add(c));
                for (Iterator<UpstreamConnection> it = connections.idle.iterator(); it.hasNext(); ) {
                    UpstreamConnection candidate = it.next();
                    if (Objects.equals(candidate.database(), database)) {
                        it.remove();
                        chosen = candidate;
                        break;
                    }
                }
                if (chosen == null && database != null && !connections.idle.isEmpty()) {
                    chosen = connections.idle.pollFirst();
                }
                if (chosen == null && database == null && connections.idle.size() >= perMember) {
                    unsuitable = connections.idle.pollLast();
                }
            }
            if (unsuitable != null) {
                unsuitable.close();
            }
            stale.forEach(UpstreamConnection::close);
            if (chosen == null) {
                break;
            }
            // Nor one the member already closed, saying why (its timeout may be shorter than ours). Asked of the
            // one chosen only, outside the lock, and only of one idle long enough for a member's deadline to have
            // passed: the question is a system call (FIONREAD), one in five per request through the proxy.
            if (!mayHaveBeenClosedByMember(chosen) || !chosen.closedByFarSide()) {
                return chosen;
            }
            chosen.close();
        }
        try {
            return UpstreamConnection.open(tls, member, password, fallbacks, timeoutMillis);
        } catch (IOException e) {
            connections.inUse.release();
            throw new DirkException("cannot connect to " + member + ": " + UpstreamConnection.describe(e));
        } catch (RuntimeException e) {
            connections.inUse.release();
            throw e;
        }
    }

    /**
     * False for a connection whose last reply came less than {@link #UNSOLICITED_QUIET_NANOS} ago: a member speaks
     * unasked only when it closes a connection past its idle deadline (whole seconds, at least one) or evicts an
     * unauthenticated one (ours authenticate when opened), so such a connection holds nothing unread.
     */
    private static boolean mayHaveBeenClosedByMember(UpstreamConnection connection) {
        return System.nanoTime() - connection.idleSinceNanos >= UNSOLICITED_QUIET_NANOS;
    }

    /** Gives a connection back after use; a broken one is closed instead of kept. */
    public void release(UpstreamConnection connection) {
        MemberConnections connections = byMember.get(connection.address());
        if (connections == null) {
            connection.close(); // its member left the cluster while it was in use
            return;
        }
        boolean keep = !connection.broken() && !closed;
        if (keep) {
            synchronized (connections) {
                if (connections.idle.size() < perMember) {
                    connection.idleSinceNanos = System.nanoTime();
                    connections.idle.addFirst(connection);
                } else {
                    keep = false;
                }
            }
        }
        if (!keep) {
            connection.close();
        }
        connections.inUse.release();
    }

    /** Closes the idle connections of a member that went down: they would fail on first use. */
    public void closeIdle(MemberAddress member) {
        MemberConnections connections = byMember.get(member);
        if (connections != null) {
            closeIdle(connections);
        }
    }

    private void closeIdle(MemberConnections connections) {
        List<UpstreamConnection> toClose;
        synchronized (connections) {
            toClose = new ArrayList<>(connections.idle);
            connections.idle.clear();
        }
        toClose.forEach(UpstreamConnection::close);
    }

    @Override
    public void close() {
        closed = true;
        for (MemberConnections connections : byMember.values()) {
            closeIdle(connections);
        }
    }
}
