package io.dirkdb.heartbeat;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.protocol.Reply;
import java.io.IOException;

/**
 * Asks one member {@code dirk heartbeat;} over a connection kept open between probes (reopened
 * after a failure), each probe bounded by a timeout. The proxy's prober and the local supervisor
 * both probe through this class. Not thread-safe: one probe at a time.
 */
public final class HeartbeatProbe implements AutoCloseable {
    private final MemberAddress member;
    private final int timeoutMillis;
    private final TlsSettings tls;
    /** Given with {@code dirk auth} on each new connection: lease renewals need the administration credential. */
    private final String password;
    private final java.util.List<String> fallbacks;
    private DirkConnection connection;

    /** @param timeoutMillis bounds connecting and waiting for the answer; a slower member counts as missed */
    public HeartbeatProbe(MemberAddress member, int timeoutMillis) {
        this(member, timeoutMillis, null);
    }

    /** As above, over TLS with {@code tls} (null: plain TCP). */
    public HeartbeatProbe(MemberAddress member, int timeoutMillis, TlsSettings tls) {
        this(member, timeoutMillis, tls, null, null);
    }

    /**
     * As above; {@code password} (null: none) is given with {@code dirk auth} when a connection opens (a supervisor
     * renewing leases gives the administration password), {@code fallbacks} in turn when it is refused (a member not
     * restarted since a rotation, or still on the single-password setup).
     */
    public HeartbeatProbe(MemberAddress member, int timeoutMillis, TlsSettings tls, String password,
            java.util.List<String> fallbacks) {
        this.password = password;
        this.fallbacks = fallbacks == null ? java.util.List.of() : java.util.List.copyOf(fallbacks);
        this.tls = tls;
        if (timeoutMillis < 1) {
            throw new IllegalArgumentException("the heartbeat timeout must be at least 1 ms");
        }
        this.member = member;
        this.timeoutMillis = timeoutMillis;
    }

    public MemberAddress member() {
        return member;
    }

    /**
     * Sends one heartbeat and returns the answer.
     *
     * @throws IOException when the member cannot be reached or does not answer in time
     * @throws DirkException when it answers something that is not a heartbeat
     */
    public HeartbeatReport probe() throws IOException {
        return probe(-1);
    }

    /**
     * As {@link #probe()}; with {@code leaseEpoch} of 0 or more, sent by the supervisor to the member it holds
     * for primary at that epoch, the probe also renews that primary's lease ({@code dirk heartbeat lease E;}).
     * The member counts the renewal from its answer to the plain heartbeat sent just before it, so the renewal
     * is sent only when that answer came within one timeout of this call: a caller that noted the time before
     * calling knows the member's lease runs at most that time + timeout + lease. On a new connection the
     * probe makes several exchanges (connect, TLS, {@code dirk auth}, {@code dirk heartbeat}), each allowed a
     * timeout; when they took longer, the probe fails as a missed heartbeat and keeps the connection, on which
     * the next probe renews.
     */
    public HeartbeatReport probe(long leaseEpoch) throws IOException {
        long startedNanos = System.nanoTime();
        if (connection != null) {
            try {
                return probeOnce(leaseEpoch, startedNanos);
            } catch (java.net.SocketTimeoutException e) {
                throw e; // a member too slow to answer is a missed heartbeat, not a reason to wait twice
            } catch (IOException | DirkException e) {
                // The member may have closed the kept connection (its authentication or idle deadline
                // between sparse probes, answered with a last error): ask again, once, on a fresh one.
            }
        }
        return probeOnce(leaseEpoch, startedNanos);
    }

    /** The member answered too late for a renewal to be sent (see {@link #probe(long)}): its connection is sound. */
    private static final class RenewalTooLate extends java.net.SocketTimeoutException {
        RenewalTooLate(String message) {
            super(message);
        }
    }

    private HeartbeatReport probeOnce(long leaseEpoch, long startedNanos) throws IOException {
        boolean passwordRefused = false;
        try {
            if (connection == null) {
                connection = DirkConnection.open(tls, member.host(), member.port(), timeoutMillis);
                if (password != null) {
                    // A refused password (a rotation not yet seen by the member) is no sign of a dead member: a
                    // plain heartbeat needs none. Only the lease renewal is skipped, and the next probe asks again.
                    passwordRefused = connection.authenticate(password, fallbacks).isError();
                }
            }
            if (passwordRefused) {
                leaseEpoch = -1;
            }
            if (leaseEpoch >= 0) {
                // A member counts a renewal from its previous answer on the connection: give it a fresh one every
                // round (on a kept connection the last answer is one period old, and the renewal worth that less).
                Reply fresh = connection.execute("dirk heartbeat;");
                if (fresh.isError()) {
                    throw new DirkException("the heartbeat was refused: " + fresh.errorMessage());
                }
                long tookNanos = System.nanoTime() - startedNanos;
                if (tookNanos > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
                    throw new RenewalTooLate("the heartbeat was answered " + tookNanos / 1_000_000 + " ms after the "
                            + "probe began (timeout " + timeoutMillis + " ms): too late to renew the lease");
                }
            }
            Reply reply = connection.execute(leaseEpoch >= 0 ? "dirk heartbeat lease " + leaseEpoch + ";" : "dirk heartbeat;");
            if (reply.isError()) {
                throw new DirkException("the heartbeat was refused: " + reply.errorMessage());
            }
            String message = reply.messageText();
            if (message == null) {
                throw new DirkException("the heartbeat reply is not a message");
            }
            HeartbeatReport report = HeartbeatReport.parse(message);
            if (passwordRefused) {
                close();
            }
            return report;
        } catch (IOException | RuntimeException e) {
            if (!(e instanceof RenewalTooLate)) {
                close(); // a half-read reply would spoil the next probe: start over on a new connection
            }
            throw e;
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException e) {
                // closing a broken connection: nothing left to do
            }
            connection = null;
        }
    }
}
