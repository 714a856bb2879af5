package io.dirkdb.protocol;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Slows password guessing from one client address across its connections ({@link FailedAuthentications} counts
 * one connection's, and a client reconnecting starts that over). An address gets {@link #FREE_FAILURES} failed
 * {@code dirk auth} attempts before anything is held against it; past them, its attempts are evaluated one at a
 * time, each turn {@link #FIRST_SPACING_MILLIS} ms after the one before and doubling with each further failure up to
 * {@link #MAX_SPACING_MILLIS} ms, whatever the number of connections it opens. An attempt before its address's turn
 * is refused at once, unevaluated, with the time to retry after (no thread waits holding a connection slot), and
 * moves the turn to a spacing after it: a guesser hammering gets no turn at all. The servers charge a connection's
 * first failure only once the connection ends without authenticating, so a client trying a rotation's old password,
 * then the new one, is never counted. An address is forgotten {@link #MEMORY_MILLIS} ms after its last failure. At
 * most {@link #CAPACITY} addresses are kept: an address that fails while the table is full (and none of its entries
 * has been forgotten) is not given an entry of its own, since evicting one would let a guesser rotating over more
 * addresses than that, or a throttled address flushing its own entry, start afresh; such addresses share one count,
 * throttled as one address (a global budget while the table is full).
 */
public final class AddressAuthenticationThrottle {
    public static final int FREE_FAILURES = 10;
    static final long FIRST_SPACING_MILLIS = 100;
    static final long MAX_SPACING_MILLIS = 3_200;
    public static final long MEMORY_MILLIS = 60_000;
    static final int CAPACITY = 4_096;
    public static final int FORGIVEN_BY_SUCCESS = 2;

    private final LongSupplier clock;
    private final int capacity;
    /** By address, least recently seen first; guarded by this. */
    private final LinkedHashMap<InetAddress, Failures> addresses = new LinkedHashMap<>(16, 0.75f, true);
    /** The shared count of the addresses that failed while the table was full; null when none is remembered. */
    private Failures overflow;

    public AddressAuthenticationThrottle() {
        this(System::nanoTime, CAPACITY);
    }

    AddressAuthenticationThrottle(LongSupplier clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** The failures of one address: how many since it was last forgotten, when the last was, its next turn. */
    private static final class Failures {
        int count;
        long lastFailureNanos;
        long nextTurnNanos;
    }

    /**
     * Whether an attempt of {@code address} may be evaluated now (taking the address's turn if it has to wait turns).
     *
     * @return null when it may; else the refusal to answer, unevaluated (the connection may stay open)
     */
    public String checkTurn(InetAddress address) {
        synchronized (this) {
            long now = clock.getAsLong();
            Failures failures = current(address, now);
            if (failures == null || failures.count < FREE_FAILURES) {
                return null;
            }
            long spacing = TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_SPACING_MILLIS,
                    FIRST_SPACING_MILLIS << Math.min(failures.count - FREE_FAILURES, 10)));
            if (now - failures.nextTurnNanos >= 0) { // nanoTime may be negative
                failures.nextTurnNanos = now + spacing;
                return null;
            }
            // Too early: the turn moves to a spacing after this attempt, so hammering never gets one.
            if (now + spacing - failures.nextTurnNanos > 0) {
                failures.nextTurnNanos = now + spacing;
            }
            long retryMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(failures.nextTurnNanos - now));
            return "authentication failed: too many failed dirk auth attempts from " + address.getHostAddress()
                    + ", so this attempt was not checked; retry after " + retryMillis + " ms";
        }
    }

    /** Records a failed attempt of {@code address}. */
    public synchronized void failed(InetAddress address) {
        long now = clock.getAsLong();
        Failures failures = addresses.get(address) != null ? current(address, now) : null;
        if (failures == null) {
            failures = newEntry(address, now);
        }
        if (failures == null) {
            if (overflow == null || forgotten(overflow, now)) {
                overflow = new Failures();
                overflow.nextTurnNanos = now;
            }
            failures = overflow;
        }
        failures.count++;
        failures.lastFailureNanos = now;
    }

    /**
     * Records a successful attempt of {@code address}: it takes {@link #FORGIVEN_BY_SUCCESS} failures off (a client
     * that tries a rotation's passwords in turn fails that often before it succeeds), so clients with the password
     * reconnecting through a rotation never reach the limit, while a guesser sharing their address gains little.
     */
    public synchronized void succeeded(InetAddress address) {
        Failures failures = current(address, clock.getAsLong());
        if (failures != null && failures != overflow) { // the shared count is not a client's to forgive
            failures.count = Math.max(0, failures.count - FORGIVEN_BY_SUCCESS);
        }
    }

    /** Failed attempts held against {@code address} (its own, or the shared count of addresses without an entry). */
    public synchronized int failures(InetAddress address) {
        Failures failures = current(address, clock.getAsLong());
        return failures == null ? 0 : failures.count;
    }

    /** How many addresses are remembered. */
    synchronized int size() {
        return addresses.size();
    }

    /** The count held against {@code address}: its own entry, else the shared one while it is remembered. */
    private Failures current(InetAddress address, long now) {
        Failures failures = addresses.get(address);
        if (failures != null && forgotten(failures, now)) {
            addresses.remove(address);
            failures = null;
        }
        if (failures != null) {
            return failures;
        }
        if (overflow != null && forgotten(overflow, now)) {
            overflow = null;
        }
        return overflow;
    }

    private static boolean forgotten(Failures failures, long now) {
        return now - failures.lastFailureNanos > TimeUnit.MILLISECONDS.toNanos(MEMORY_MILLIS)
                && now - failures.nextTurnNanos > 0;
    }

    /** A new entry for {@code address}, or null when the table is full even of entries not yet forgotten. */
    private Failures newEntry(InetAddress address, long now) {
        if (addresses.size() >= capacity) {
            addresses.values().removeIf(failures -> forgotten(failures, now));
        }
        if (addresses.size() >= capacity) {
            return null;
        }
        Failures failures = new Failures();
        failures.nextTurnNanos = now;
        addresses.put(address, failures);
        return failures;
    }
}
