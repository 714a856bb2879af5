package io.dirkdb.protocol;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Slows password guessing from one client address across its connections ({@link FailedAuthentications} counts
 * one connection's, and a client reconnecting starts that over). An address gets {@link #FREE_FAILURES} failed
 * {@code dirk auth} attempts (a rotation's stale passwords tried before the right one) before anything is held
 * against it; past them, its attempts are evaluated one at a time, each turn {@link #FIRST_SPACING_MILLIS} ms
 * after the one before and doubling with each further failure up to {@link #MAX_SPACING_MILLIS} ms, whatever the
 * number of connections it opens, and an attempt whose turn is more than {@link #MAX_WAIT_MILLIS} ms away is
 * refused unevaluated (its connection is closed). An address is forgotten {@link #MEMORY_MILLIS} ms after its last
 * failure, and at most {@link #CAPACITY} addresses are kept (the least recently seen one goes first).
 */
public final class AddressAuthenticationThrottle {
    public static final int FREE_FAILURES = 10;
    static final long FIRST_SPACING_MILLIS = 100;
    static final long MAX_SPACING_MILLIS = 3_200;
    public static final long MAX_WAIT_MILLIS = 5_000;
    public static final long MEMORY_MILLIS = 60_000;
    static final int CAPACITY = 4_096;
    public static final int FORGIVEN_BY_SUCCESS = 2;

    private final LongSupplier clock;
    private final Sleeper sleeper;
    private final int capacity;
    /** By address, least recently seen first; guarded by this. */
    private final LinkedHashMap<InetAddress, Failures> addresses = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Failures> eldest) {
            return size() > capacity;
        }
    };

    public AddressAuthenticationThrottle() {
        this(System::nanoTime, TimeUnit.NANOSECONDS::sleep, CAPACITY);
    }

    AddressAuthenticationThrottle(LongSupplier clock, Sleeper sleeper, int capacity) {
        this.clock = clock;
        this.sleeper = sleeper;
        this.capacity = capacity;
    }

    /** Waits a number of nanoseconds (a test's clock moves instead). */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    /** The failures of one address: how many since it was last forgotten, when the last was, its next turn. */
    private static final class Failures {
        int count;
        long lastFailureNanos;
        long nextTurnNanos;
    }

    /**
     * Waits until an attempt of {@code address} may be evaluated.
     *
     * @return null when it may now; else why it is refused unevaluated (the connection is to be closed)
     * @throws InterruptedException when the wait is interrupted (the server is stopping)
     */
    public String awaitTurn(InetAddress address) throws InterruptedException {
        long wait;
        synchronized (this) {
            long now = clock.getAsLong();
            Failures failures = current(address, now);
            if (failures == null || failures.count < FREE_FAILURES) {
                return null;
            }
            long turn = failures.nextTurnNanos - now > 0 ? failures.nextTurnNanos : now; // nanoTime may be negative
            wait = turn - now;
            if (wait > TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_MILLIS)) {
                return "authentication refused: too many failed dirk auth attempts from " + address.getHostAddress()
                        + "; this connection is closed; try again in a minute";
            }
            long spacing = Math.min(MAX_SPACING_MILLIS,
                    FIRST_SPACING_MILLIS << Math.min(failures.count - FREE_FAILURES, 10));
            failures.nextTurnNanos = turn + TimeUnit.MILLISECONDS.toNanos(spacing);
        }
        if (wait > 0) {
            sleeper.sleep(wait);
        }
        return null;
    }

    /** Records a failed attempt of {@code address}. */
    public synchronized void failed(InetAddress address) {
        long now = clock.getAsLong();
        Failures failures = current(address, now);
        if (failures == null) {
            failures = new Failures();
            failures.nextTurnNanos = now;
            addresses.put(address, failures);
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
        if (failures != null) {
            failures.count = Math.max(0, failures.count - FORGIVEN_BY_SUCCESS);
        }
    }

    /** Failed attempts of {@code address} still remembered. */
    public synchronized int failures(InetAddress address) {
        Failures failures = current(address, clock.getAsLong());
        return failures == null ? 0 : failures.count;
    }

    /** How many addresses are remembered. */
    synchronized int size() {
        return addresses.size();
    }

    private Failures current(InetAddress address, long now) {
        Failures failures = addresses.get(address);
        if (failures != null && now - failures.lastFailureNanos > TimeUnit.MILLISECONDS.toNanos(MEMORY_MILLIS)
                && now - failures.nextTurnNanos > 0) {
            addresses.remove(address);
            return null;
        }
        return failures;
    }
}
