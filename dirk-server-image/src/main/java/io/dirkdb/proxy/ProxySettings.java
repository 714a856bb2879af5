package io.dirkdb.proxy;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.protocol.RequestScanner;
import java.util.List;

/**
 * How the routing proxy runs; every field is a flag of {@code dirk proxy}.
 *
 * @param password given to members with {@code dirk auth} and required from clients; null for none
 * @param writeWaitMillis how long a write waits for a primary when there is none
 * @param backendTimeoutMillis bounds connecting to a member, waiting for a pooled connection and for a reply
 * @param maxReadLagLsn a secondary further behind the primary than this many log records gets no reads
 * @param timeouts authentication and idle deadlines of client connections
 * @param previousPassword during a rotation, the previous application password: accepted from clients as the current
 *                         one, and tried toward a member that refuses the current one (not restarted since); or null
 */
public record ProxySettings(String host, int port, List<MemberAddress> members, String password,
        long writeWaitMillis, long heartbeatIntervalMillis, int connectionsPerMember, int backendTimeoutMillis,
        long maxReadLagLsn, int maxConnections, int maxRequestBytes, ConnectionTimeouts timeouts, String previousPassword) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 3949;
    public static final long DEFAULT_WRITE_WAIT_MILLIS = 10_000;
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MILLIS = 500;
    public static final int DEFAULT_CONNECTIONS_PER_MEMBER = 64;
    public static final int DEFAULT_BACKEND_TIMEOUT_MILLIS = 60_000;
    public static final long DEFAULT_MAX_READ_LAG_LSN = 1000;
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    /** Outside a rotation. */
    public ProxySettings(String host, int port, List<MemberAddress> members, String password, long writeWaitMillis,
            long heartbeatIntervalMillis, int connectionsPerMember, int backendTimeoutMillis, long maxReadLagLsn,
            int maxConnections, int maxRequestBytes, ConnectionTimeouts timeouts) {
        this(host, port, members, password, writeWaitMillis, heartbeatIntervalMillis, connectionsPerMember,
                backendTimeoutMillis, maxReadLagLsn, maxConnections, maxRequestBytes, timeouts, null);
    }

    public ProxySettings {
        members = List.copyOf(members);
        java.util.Objects.requireNonNull(timeouts, "timeouts");
        if (members.isEmpty()) {
            throw new IllegalArgumentException("the proxy needs at least one member");
        }
        if (writeWaitMillis < 0 || heartbeatIntervalMillis < 1 || connectionsPerMember < 1 || backendTimeoutMillis < 0
                || maxReadLagLsn < 0 || maxConnections < 1 || maxRequestBytes < 1) {
            throw new IllegalArgumentException("proxy settings out of range: " + this);
        }
    }

    /** Loopback on any free port, no password, every other setting at its default. */
    public static ProxySettings loopback(List<MemberAddress> members) {
        return new ProxySettings(DEFAULT_HOST, 0, members, null, DEFAULT_WRITE_WAIT_MILLIS,
                DEFAULT_HEARTBEAT_INTERVAL_MILLIS, DEFAULT_CONNECTIONS_PER_MEMBER, DEFAULT_BACKEND_TIMEOUT_MILLIS,
                DEFAULT_MAX_READ_LAG_LSN, DEFAULT_MAX_CONNECTIONS, RequestScanner.DEFAULT_MAX_REQUEST_BYTES,
                ConnectionTimeouts.DEFAULTS);
    }

    public ProxySettings withWriteWaitMillis(long millis) {
        return new ProxySettings(host, port, members, password, millis, heartbeatIntervalMillis, connectionsPerMember,
                backendTimeoutMillis, maxReadLagLsn, maxConnections, maxRequestBytes, timeouts, previousPassword);
    }

    public ProxySettings withHeartbeatIntervalMillis(long millis) {
        return new ProxySettings(host, port, members, password, writeWaitMillis, millis, connectionsPerMember,
                backendTimeoutMillis, maxReadLagLsn, maxConnections, maxRequestBytes, timeouts, previousPassword);
    }

    public ProxySettings withBackendTimeoutMillis(int millis) {
        return new ProxySettings(host, port, members, password, writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, millis, maxReadLagLsn, maxConnections, maxRequestBytes, timeouts, previousPassword);
    }

    public ProxySettings withPassword(String secret) {
        return new ProxySettings(host, port, members, secret, writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, backendTimeoutMillis, maxReadLagLsn, maxConnections, maxRequestBytes, timeouts, previousPassword);
    }

    public ProxySettings withPreviousPassword(String secret) {
        return new ProxySettings(host, port, members, password, writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, backendTimeoutMillis, maxReadLagLsn, maxConnections, maxRequestBytes, timeouts,
                secret);
    }

    public ProxySettings withMaxConnections(int limit) {
        return new ProxySettings(host, port, members, password, writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, backendTimeoutMillis, maxReadLagLsn, limit, maxRequestBytes, timeouts, previousPassword);
    }

    public ProxySettings withTimeouts(ConnectionTimeouts deadlines) {
        return new ProxySettings(host, port, members, password, writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, backendTimeoutMillis, maxReadLagLsn, maxConnections, maxRequestBytes, deadlines, previousPassword);
    }

    @Override
    public String toString() {
        // Never print the password.
        return "ProxySettings[host=" + host + ", port=" + port + ", members=" + members + ", password="
                + (password == null ? "none" : "set") + ", writeWaitMillis=" + writeWaitMillis
                + ", heartbeatIntervalMillis=" + heartbeatIntervalMillis + ", connectionsPerMember="
                + connectionsPerMember + ", backendTimeoutMillis=" + backendTimeoutMillis + ", maxReadLagLsn="
                + maxReadLagLsn + ", maxConnections=" + maxConnections + ", maxRequestBytes=" + maxRequestBytes
                + ", timeouts=" + timeouts + "]";
    }
}
