package io.dirkdb.server;

import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.protocol.tls.TlsSettings;
import java.time.Duration;

/**
 * How a member listens.
 *
 * @param credentials the passwords {@code dirk auth} accepts, one per role ({@link Credentials#NONE}: authentication off)
 * @param shutdownGrace how long a stop waits for statements in flight
 * @param authenticationTimeout how long a connection may go without completing a request while it
 *                              has not authenticated (or, without a password, before its first request)
 * @param idleTimeout how long an authenticated connection may go without completing a request;
 *                    zero: no limit. A connection running a statement or streaming is never idle.
 * @param reservedConnections slots past {@code maxConnections} kept for heartbeats, replication and
 *                            control requests ({@code dirk ...}): a statement there is refused
 * @param tls the listener's TLS (only TLS is then accepted), or null for plain TCP
 * @param maxUnauthenticatedPerAddress how many connections from one client address may wait to authenticate on the
 *                                     slots past {@code maxConnections} at once; 0: half the reserved slots (see
 *                                     {@link #unauthenticatedPerAddress()})
 */
public record ServerSettings(String host, int port, Credentials credentials, int maxConnections, int maxRequestBytes,
        Duration shutdownGrace, Duration authenticationTimeout, Duration idleTimeout, int reservedConnections,
        TlsSettings tls, int maxUnauthenticatedPerAddress) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 3948;
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_AUTHENTICATION_TIMEOUT = ConnectionTimeouts.DEFAULT_AUTHENTICATION;
    public static final Duration DEFAULT_IDLE_TIMEOUT = ConnectionTimeouts.DEFAULT_IDLE;
    public static final int DEFAULT_RESERVED_CONNECTIONS = 8;

    public ServerSettings {
        credentials = credentials == null ? Credentials.NONE : credentials;
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max connections must be at least 1");
        }
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("max request bytes must be at least 1");
        }
        new ConnectionTimeouts(authenticationTimeout, idleTimeout); // checks them
        if (reservedConnections < 0) {
            throw new IllegalArgumentException("reserved connections must not be negative");
        }
        if (maxUnauthenticatedPerAddress < 0) {
            throw new IllegalArgumentException("max unauthenticated connections per address must not be negative");
        }
    }

    /** With the default share of one address (half the reserved slots). */
    public ServerSettings(String host, int port, Credentials credentials, int maxConnections, int maxRequestBytes,
            Duration shutdownGrace, Duration authenticationTimeout, Duration idleTimeout, int reservedConnections,
            TlsSettings tls) {
        this(host, port, credentials, maxConnections, maxRequestBytes, shutdownGrace, authenticationTimeout,
                idleTimeout, reservedConnections, tls, 0);
    }

    /** Plain TCP. */
    public ServerSettings(String host, int port, String password, int maxConnections, int maxRequestBytes,
            Duration shutdownGrace, Duration authenticationTimeout, Duration idleTimeout, int reservedConnections) {
        this(host, port, Credentials.single(password), maxConnections, maxRequestBytes, shutdownGrace, authenticationTimeout, idleTimeout,
                reservedConnections, null);
    }

    /** Default timeouts and reserved slots. */
    public ServerSettings(String host, int port, String password, int maxConnections, int maxRequestBytes,
            Duration shutdownGrace) {
        this(host, port, password, maxConnections, maxRequestBytes, shutdownGrace, DEFAULT_AUTHENTICATION_TIMEOUT,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_RESERVED_CONNECTIONS);
    }

    /** Loopback, the given port, no password, default limits. */
    public static ServerSettings loopback(int port) {
        return new ServerSettings(DEFAULT_HOST, port, null, DEFAULT_MAX_CONNECTIONS,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, DEFAULT_SHUTDOWN_GRACE);
    }

    public ConnectionTimeouts timeouts() {
        return new ConnectionTimeouts(authenticationTimeout, idleTimeout);
    }

    public ServerSettings withPassword(String newPassword) {
        return new ServerSettings(host, port, Credentials.single(newPassword), maxConnections, maxRequestBytes, shutdownGrace,
                authenticationTimeout, idleTimeout, reservedConnections, tls, maxUnauthenticatedPerAddress);
    }

    /** The application password (null: authentication off); alone, it grants every role. */
    public String password() {
        return credentials.application();
    }

    public ServerSettings withCredentials(Credentials newCredentials) {
        return new ServerSettings(host, port, newCredentials, maxConnections, maxRequestBytes, shutdownGrace,
                authenticationTimeout, idleTimeout, reservedConnections, tls, maxUnauthenticatedPerAddress);
    }

    public ServerSettings withMaxConnections(int limit) {
        return new ServerSettings(host, port, credentials, limit, maxRequestBytes, shutdownGrace,
                authenticationTimeout, idleTimeout, reservedConnections, tls, maxUnauthenticatedPerAddress);
    }

    public ServerSettings withMaxRequestBytes(int limit) {
        return new ServerSettings(host, port, credentials, maxConnections, limit, shutdownGrace,
                authenticationTimeout, idleTimeout, reservedConnections, tls, maxUnauthenticatedPerAddress);
    }

    public ServerSettings withTimeouts(Duration authentication, Duration idle) {
        return new ServerSettings(host, port, credentials, maxConnections, maxRequestBytes, shutdownGrace,
                authentication, idle, reservedConnections, tls, maxUnauthenticatedPerAddress);
    }

    public ServerSettings withReservedConnections(int reserved) {
        return new ServerSettings(host, port, credentials, maxConnections, maxRequestBytes, shutdownGrace,
                authenticationTimeout, idleTimeout, reserved, tls, maxUnauthenticatedPerAddress);
    }

    /** Accepts only TLS with these settings (null: plain TCP). */
    public ServerSettings withTls(TlsSettings newTls) {
        return new ServerSettings(host, port, credentials, maxConnections, maxRequestBytes, shutdownGrace,
                authenticationTimeout, idleTimeout, reservedConnections, newTls, maxUnauthenticatedPerAddress);
    }

    /** See {@link #unauthenticatedPerAddress()}; 0: the default. */
    public ServerSettings withMaxUnauthenticatedPerAddress(int limit) {
        return new ServerSettings(host, port, credentials, maxConnections, maxRequestBytes, shutdownGrace,
                authenticationTimeout, idleTimeout, reservedConnections, tls, limit);
    }

    /**
     * How many connections from one client address may hold slots past {@code maxConnections} while they wait to
     * authenticate (silent, within their grace): the setting, else half the reserved slots rounded up, at least 1, so a
     * stranger on one address leaves the room past the limit (twice the reserved slots) mostly to the others.
     */
    public int unauthenticatedPerAddress() {
        return maxUnauthenticatedPerAddress > 0 ? maxUnauthenticatedPerAddress
                : Math.max(1, (reservedConnections + 1) / 2);
    }
}
