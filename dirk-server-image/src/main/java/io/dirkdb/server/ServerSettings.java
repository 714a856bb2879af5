package io.dirkdb.server;

import io.dirkdb.protocol.RequestScanner;
import java.time.Duration;

/**
 * How a member listens.
 *
 * @param password null when authentication is off
 * @param shutdownGrace how long a stop waits for statements in flight
 */
public record ServerSettings(String host, int port, String password, int maxConnections, int maxRequestBytes,
        Duration shutdownGrace) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 3948;
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    public ServerSettings {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max connections must be at least 1");
        }
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("max request bytes must be at least 1");
        }
    }

    /** Loopback, the given port, no password, default limits. */
    public static ServerSettings loopback(int port) {
        return new ServerSettings(DEFAULT_HOST, port, null, DEFAULT_MAX_CONNECTIONS,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, DEFAULT_SHUTDOWN_GRACE);
    }

    public ServerSettings withPassword(String newPassword) {
        return new ServerSettings(host, port, newPassword, maxConnections, maxRequestBytes, shutdownGrace);
    }

    public ServerSettings withMaxConnections(int limit) {
        return new ServerSettings(host, port, password, limit, maxRequestBytes, shutdownGrace);
    }

    public ServerSettings withMaxRequestBytes(int limit) {
        return new ServerSettings(host, port, password, maxConnections, limit, shutdownGrace);
    }
}
