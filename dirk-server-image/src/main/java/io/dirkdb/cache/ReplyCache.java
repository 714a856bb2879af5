package io.dirkdb.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Replies of reads, keyed by the client's current database and the exact statement text, kept for
 * a time-to-live and at most {@code maxEntries} of them (least recently used go first).
 *
 * <p>A write drops the entries that read the written table. A read of a view names the view, not
 * its base tables, and the cache does not know the catalog, so it learns which names are base
 * tables from the writes it sees succeed; an entry that reads a name not yet known as a base table
 * (possibly a view) is dropped by every write in its database. A schema change drops everything
 * (it can turn a table into a view, and {@code asehoy ny tahiry} reads no table at all).
 *
 * <p>A read that misses races with writes: its reply may predate a write that finished while it
 * was on the wire. So a miss takes a {@link Ticket} first, and its reply is stored only if no write
 * in that database began or ended since and none is in flight. Thread-safe.
 */
public final class ReplyCache {
    private static final byte[] ERROR_START = "RESULT_MESSAGE\nHadisoana :".getBytes(StandardCharsets.UTF_8);

    /** Taken before a miss goes upstream; {@link #put} refuses the reply if writes happened since. */
    public record Ticket(long schemaGeneration, long databaseGeneration) {}

    private record Key(String database, String text) {}

    private record Entry(Key key, String databaseIndex, Set<String> readTables, byte[] reply, long expiresAtNanos) {}

    /** What the cache knows about one database (names folded to lower case: over-invalidation is safe). */
    private static final class DatabaseState {
        long generation;
        int writesInFlight;
        final Map<String, Set<Key>> keysByTable = new HashMap<>();
        final Set<String> knownBaseTables = new HashSet<>();
    }

    /** Replies larger than this are not kept: {@code maxEntries} of them must fit in memory. */
    public static final int DEFAULT_MAX_ENTRY_BYTES = 1 << 20;

    private final long ttlNanos;
    private final int maxEntries;
    private final int maxEntryBytes;
    private final LongSupplier nanoClock;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<String, DatabaseState> databases = new HashMap<>();
    private long schemaGeneration;
    private int schemaChangesInFlight;

    private final Counter hits;
    private final Counter misses;
    private final Counter evictedLru;
    private final Counter evictedExpired;
    private final Counter evictedInvalidated;
    private final Counter refusedStale;

    public ReplyCache(long ttlMillis, int maxEntries, int maxEntryBytes, MeterRegistry registry) {
        this(ttlMillis, maxEntries, maxEntryBytes, registry, System::nanoTime);
    }

    /** @param nanoClock the time source for expiry, {@link System#nanoTime()} outside tests */
    public ReplyCache(long ttlMillis, int maxEntries, int maxEntryBytes, MeterRegistry registry, LongSupplier nanoClock) {
        if (ttlMillis < 0 || maxEntries < 0 || maxEntryBytes < 0) {
            throw new IllegalArgumentException("ttlMillis, maxEntries and maxEntryBytes must not be negative");
        }
        this.ttlNanos = TimeUnit.MILLISECONDS.toNanos(ttlMillis);
        this.maxEntries = maxEntries;
        this.maxEntryBytes = maxEntryBytes;
        this.nanoClock = nanoClock;
        this.hits = Counter.builder("dirk.cache.hits").description("reads answered from the cache").register(registry);
        this.misses = Counter.builder("dirk.cache.misses").description("reads sent upstream").register(registry);
        this.evictedLru = eviction(registry, "lru");
        this.evictedExpired = eviction(registry, "expired");
        this.evictedInvalidated = eviction(registry, "invalidated");
        this.refusedStale = Counter.builder("dirk.cache.stale.replies.refused")
                .description("replies not stored because a write overlapped their read").register(registry);
        Gauge.builder("dirk.cache.entries", this, ReplyCache::size).description("replies held").register(registry);
    }

    private static Counter eviction(MeterRegistry registry, String reason) {
        return Counter.builder("dirk.cache.evictions").tag("reason", reason)
                .description("entries removed before being read again").register(registry);
    }

    /** True for a reply whose message is an error ({@code Hadisoana : ...}): those are never cached. */
    public static boolean isErrorReply(byte[] reply) {
        if (reply.length < ERROR_START.length) {
            return false;
        }
        for (int i = 0; i < ERROR_START.length; i++) {
            if (reply[i] != ERROR_START[i]) {
                return false;
            }
        }
        return true;
    }

    /** The cached reply of this read, or null (a miss, counted). */
    public synchronized byte[] get(String database, String text) {
        byte[] reply = peek(database, text);
        if (reply == null) {
            misses.increment();
        }
        return reply;
    }

    /**
     * The cached reply of this text, or null; counts a hit but not a miss (the caller counts a
     * miss with {@link #recordMiss()} once it knows the text is a read).
     */
    public synchronized byte[] peek(String database, String text) {
        Key key = new Key(database, text);
        Entry entry = entries.get(key);
        if (entry != null && nanoClock.getAsLong() - entry.expiresAtNanos() >= 0) {
            remove(entry);
            evictedExpired.increment();
            entry = null;
        }
        if (entry == null) {
            return null;
        }
        hits.increment();
        return entry.reply();
    }

    /** Counts a read that was not answered from the cache. */
    public void recordMiss() {
        misses.increment();
    }

    /** Taken before a missed read goes upstream. */
    public synchronized Ticket ticket(String database) {
        return new Ticket(schemaGeneration, state(database).generation);
    }

    /**
     * Stores the reply of a read that missed, unless it is an error, too large, caching is off, or a write or
     * schema change in its database overlapped the read.
     *
     * @return whether it was stored
     */
    public synchronized boolean put(String database, String text, Set<String> readTables, byte[] reply, Ticket ticket) {
        if (maxEntries == 0 || ttlNanos == 0 || reply.length > maxEntryBytes || isErrorReply(reply)) {
            return false;
        }
        DatabaseState state = state(database);
        if (ticket.schemaGeneration() != schemaGeneration || ticket.databaseGeneration() != state.generation
                || state.writesInFlight > 0 || schemaChangesInFlight > 0) {
            refusedStale.increment();
            return false;
        }
        Key key = new Key(database, text);
        Entry previous = entries.get(key);
        if (previous != null) {
            remove(previous);
        }
        Set<String> tables = new HashSet<>();
        for (String table : readTables) {
            tables.add(fold(table));
        }
        Entry entry = new Entry(key, fold(database), Set.copyOf(tables), reply, nanoClock.getAsLong() + ttlNanos);
        entries.put(key, entry);
        for (String table : tables) {
            state.keysByTable.computeIfAbsent(table, t -> new HashSet<>()).add(key);
        }
        while (entries.size() > maxEntries) {
            Iterator<Entry> eldest = entries.values().iterator();
            Entry evicted = eldest.next();
            remove(evicted);
            evictedLru.increment();
        }
        return true;
    }

    /** Call before a write in {@code database} goes upstream: drops what it makes stale and holds off stores. */
    public synchronized void beginWrite(String database, Set<String> writtenTables) {
        DatabaseState state = state(database);
        state.generation++;
        state.writesInFlight++;
        invalidate(state, writtenTables);
    }

    /**
     * Call when the write's reply came back (or the connection failed). A successful write teaches
     * the cache that its tables are base tables, not views.
     */
    public synchronized void endWrite(String database, Set<String> writtenTables, boolean succeeded) {
        DatabaseState state = state(database);
        state.generation++;
        state.writesInFlight = Math.max(0, state.writesInFlight - 1);
        invalidate(state, writtenTables);
        if (succeeded) {
            for (String table : writtenTables) {
                state.knownBaseTables.add(fold(table));
            }
        }
    }

    /** Call before a schema statement goes upstream: drops every entry. */
    public synchronized void beginSchemaChange() {
        schemaGeneration++;
        schemaChangesInFlight++;
        clearAll();
    }

    /** Call when the schema statement's reply came back (or failed). */
    public synchronized void endSchemaChange() {
        schemaGeneration++;
        schemaChangesInFlight = Math.max(0, schemaChangesInFlight - 1);
        clearAll();
        for (DatabaseState state : databases.values()) {
            state.knownBaseTables.clear();
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    public double hitCount() {
        return hits.count();
    }

    public double missCount() {
        return misses.count();
    }

    private void invalidate(DatabaseState state, Set<String> writtenTables) {
        Set<String> written = new HashSet<>();
        for (String table : writtenTables) {
            written.add(fold(table));
        }
        Set<Key> stale = new HashSet<>();
        for (Map.Entry<String, Set<Key>> byTable : state.keysByTable.entrySet()) {
            if (written.contains(byTable.getKey()) || !state.knownBaseTables.contains(byTable.getKey())) {
                stale.addAll(byTable.getValue());
            }
        }
        for (Key key : stale) {
            Entry entry = entries.get(key);
            if (entry != null) {
                remove(entry);
                evictedInvalidated.increment();
            }
        }
    }

    private void clearAll() {
        evictedInvalidated.increment(entries.size());
        entries.clear();
        for (DatabaseState state : databases.values()) {
            state.keysByTable.clear();
        }
    }

    private void remove(Entry entry) {
        entries.remove(entry.key());
        DatabaseState state = databases.get(entry.databaseIndex());
        if (state == null) {
            return;
        }
        for (String table : entry.readTables()) {
            Set<Key> keys = state.keysByTable.get(table);
            if (keys != null) {
                keys.remove(entry.key());
                if (keys.isEmpty()) {
                    state.keysByTable.remove(table);
                }
            }
        }
    }

    private DatabaseState state(String database) {
        return databases.computeIfAbsent(fold(database), d -> new DatabaseState());
    }

    private static String fold(String name) {
        return name == null ? "" : name.toLowerCase(Locale.ROOT);
    }
}
