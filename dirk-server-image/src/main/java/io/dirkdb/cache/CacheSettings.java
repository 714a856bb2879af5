package io.dirkdb.cache;

import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.protocol.RequestScanner;

/**
 * How the caching proxy runs: the original's five arguments ({@code upstreamHost upstreamPort
 * listenPort ttlMillis maxEntries}) plus the listen address and the limits.
 *
 * @param upstreamTimeoutMillis bounds connecting to the upstream and waiting for one reply
 * @param timeouts authentication and idle deadlines of client connections
 */
public record CacheSettings(String upstreamHost, int upstreamPort, String host, int port, long ttlMillis,
        int maxEntries, int maxEntryBytes, int maxConnections, int maxRequestBytes, int upstreamTimeoutMillis,
        ConnectionTimeouts timeouts) {
    public static final String DEFAULT_UPSTREAM_HOST = "127.0.0.1";
    public static final int DEFAULT_UPSTREAM_PORT = 3949;
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 3951;
    public static final long DEFAULT_TTL_MILLIS = 3000;
    public static final int DEFAULT_MAX_ENTRIES = 200;
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final int DEFAULT_UPSTREAM_TIMEOUT_MILLIS = 60_000;

    public CacheSettings {
        if (upstreamPort < 1 || upstreamPort > 65535) {
            throw new IllegalArgumentException("upstreamPort: expected a port between 1 and 65535, got " + upstreamPort);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("listenPort: expected a port between 0 and 65535, got " + port);
        }
        if (ttlMillis < 0) {
            throw new IllegalArgumentException("ttlMillis: expected 0 or more, got " + ttlMillis);
        }
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries: expected 0 or more, got " + maxEntries);
        }
        if (maxEntryBytes < 0) {
            throw new IllegalArgumentException("--max-entry-bytes: expected 0 or more, got " + maxEntryBytes);
        }
        if (maxConnections < 1 || maxRequestBytes < 1 || upstreamTimeoutMillis < 0) {
            throw new IllegalArgumentException("cache limits out of range");
        }
        java.util.Objects.requireNonNull(timeouts, "timeouts");
    }

    /** A cache on loopback (any free port) in front of {@code upstreamHost:upstreamPort}. */
    public static CacheSettings loopback(String upstreamHost, int upstreamPort, long ttlMillis, int maxEntries) {
        return new CacheSettings(upstreamHost, upstreamPort, DEFAULT_HOST, 0, ttlMillis, maxEntries,
                ReplyCache.DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_CONNECTIONS, RequestScanner.DEFAULT_MAX_REQUEST_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MILLIS,
                ConnectionTimeouts.DEFAULTS);
    }

    public CacheSettings withMaxConnections(int limit) {
        return new CacheSettings(upstreamHost, upstreamPort, host, port, ttlMillis, maxEntries, maxEntryBytes, limit,
                maxRequestBytes, upstreamTimeoutMillis, timeouts);
    }

    public CacheSettings withTimeouts(ConnectionTimeouts deadlines) {
        return new CacheSettings(upstreamHost, upstreamPort, host, port, ttlMillis, maxEntries, maxEntryBytes,
                maxConnections, maxRequestBytes, upstreamTimeoutMillis, deadlines);
    }
}
