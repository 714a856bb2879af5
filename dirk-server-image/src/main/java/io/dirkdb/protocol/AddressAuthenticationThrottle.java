package io.dirkdb.protocol;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
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
 * addresses than that, or a throttled address flushing its own entry, start afresh. It is counted with its network
 * instead, a /24 (IPv4) or /64 (IPv6), of which as many are kept; past them, with its wider network, a /16 or /48,
 * likewise; past those, with every other such address in one count (a global budget). A spray of addresses then
 * throttles its own networks, not a client elsewhere that never failed.
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
    /** The counts of the networks of addresses that failed while their table was full: /24 or /64, then /16 or /48. */
    private final List<LinkedHashMap<Network, Failures>> networks = List.of(new LinkedHashMap<>(16, 0.75f, true),
            new LinkedHashMap<>(16, 0.75f, true));
    /** The shared count of the addresses that failed while every table was full; null when none is remembered. */
    private Failures overflow;

    public AddressAuthenticationThrottle() {
        this(System::nanoTime, CAPACITY);
    }

    AddressAuthenticationThrottle(LongSupplier clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** Failures of an address (or network): how many since it was last forgotten, when the last was, its next turn. */
    private static final class Failures {
        /** Whom the count is held against, as a refusal names it. */
        final String source;
        int count;
        long lastFailureNanos;
        long nextTurnNanos;

        Failures(String source, long now) {
            this.source = source;
            this.nextTurnNanos = now;
        }
    }

    /** The network of {@code prefixLength} bits an address belongs to. */
    private record Network(InetAddress base, int prefixLength) {
        static Network of(InetAddress address, int level) {
            byte[] bytes = address.getAddress();
            int prefixLength = bytes.length == 4 ? IPV4_PREFIXES[level] : IPV6_PREFIXES[level];
            for (int bit = prefixLength; bit < bytes.length * 8; bit++) {
                bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
            }
            try {
                return new Network(InetAddress.getByAddress(bytes), prefixLength);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException("an address of " + bytes.length + " bytes", e);
            }
        }

        @Override
        public String toString() {
            return base.getHostAddress() + "/" + prefixLength;
        }
    }

    /** The prefix lengths of the networks an address is counted with once the tables before are full. */
    private static final int[] IPV4_PREFIXES = {24, 16};
    private static final int[] IPV6_PREFIXES = {64, 48};

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
            return "authentication failed: too many failed dirk auth attempts from " + failures.source
                    + ", so this attempt was not checked; retry after " + retryMillis + " ms";
        }
    }

    /** Records a failed attempt of {@code address}. */
    public synchronized void failed(InetAddress address) {
        long now = clock.getAsLong();
        Failures failures = addresses.get(address);
        if (failures != null && forgotten(failures, now)) {
            addresses.remove(address);
            failures = null;
        }
        if (failures == null) {
            failures = newEntry(addresses, capacity, address, address.getHostAddress(), now);
        }
        for (int level = 0; failures == null && level < networks.size(); level++) {
            Network network = Network.of(address, level);
            failures = networks.get(level).get(network);
            if (failures != null && forgotten(failures, now)) {
                networks.get(level).remove(network);
                failures = null;
            }
            if (failures == null) {
                failures = newEntry(networks.get(level), capacity, network, network.toString(), now);
            }
        }
        if (failures == null) {
            if (overflow == null || forgotten(overflow, now)) {
                overflow = new Failures("addresses of more networks than this member tracks", now);
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
        if (failures != null && failures == addresses.get(address)) { // a network's count is not a client's to forgive
            failures.count = Math.max(0, failures.count - FORGIVEN_BY_SUCCESS);
        }
    }

    /** Failed attempts held against {@code address} (its own, or its network's, or the count shared past them). */
    public synchronized int failures(InetAddress address) {
        Failures failures = current(address, clock.getAsLong());
        return failures == null ? 0 : failures.count;
    }

    /** How many addresses are remembered. */
    synchronized int size() {
        return addresses.size();
    }

    /** The count held against {@code address}: its own, else its network's, else the shared one, while remembered. */
    private Failures current(InetAddress address, long now) {
        Failures failures = addresses.get(address);
        if (failures != null && forgotten(failures, now)) {
            addresses.remove(address);
            failures = null;
        }
        for (int level = 0; failures == null && level < networks.size(); level++) {
            Network network = Network.of(address, level);
            failures = networks.get(level).get(network);
            if (failures != null && forgotten(failures, now)) {
                networks.get(level).remove(network);
                failures = null;
            }
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

    /** A new entry for {@code key} in {@code table}, or null when it is full even of entries not yet forgotten. */
    private static <K> Failures newEntry(LinkedHashMap<K, Failures> table, int capacity, K key, String source,
            long now) {
        if (table.size() >= capacity) {
            table.values().removeIf(failures -> forgotten(failures, now));
        }
        if (table.size() >= capacity) {
            return null;
        }
        Failures failures = new Failures(source, now);
        table.put(key, failures);
        return failures;
    }
}
