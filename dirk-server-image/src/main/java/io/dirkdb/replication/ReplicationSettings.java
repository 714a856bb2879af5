package io.dirkdb.replication;

import io.dirkdb.protocol.tls.TlsSettings;
import java.time.Duration;

/**
 * How a member replicates.
 *
 * @param mode         when a write is acknowledged (after the primary's fsync, or after a secondary's too)
 * @param syncTimeout  in sync mode, how long a write waits for a secondary before it fails
 * @param peerPassword the password this member gives the member it streams or copies from: the cluster's replication
 *                     password (the application one in a single-password cluster), or null
 * @param maxBackoff   the longest pause between two attempts to reach the primary
 * @param peerTls      TLS toward other members (this member's certificate presented for mutual TLS), or null
 * @param fallbackPasswords tried in turn when that member refuses {@code peerPassword}: the previous replication password
 *                     of a rotation (a member not restarted since), then this member's application password, which a
 *                     member not yet restarted with separate credentials (an upgrade) takes for every role; maybe empty
 * @param sourceAddress the local address this member streams from (the one it listens on, when that is one address),
 *                     or null (the system picks): a primary takes a stream naming a member only from that member's
 *                     configured address
 */
public record ReplicationSettings(ReplicationMode mode, Duration syncTimeout, String peerPassword, Duration maxBackoff,
        TlsSettings peerTls, java.util.List<String> fallbackPasswords, java.net.InetAddress sourceAddress) {
    public static final Duration DEFAULT_SYNC_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);

    public ReplicationSettings {
        if (syncTimeout.isNegative() || syncTimeout.isZero()) {
            throw new IllegalArgumentException("the sync timeout must be positive");
        }
        fallbackPasswords = fallbackPasswords == null ? java.util.List.of() : java.util.List.copyOf(fallbackPasswords);
    }

    /** Plain TCP toward other members. */
    public ReplicationSettings(ReplicationMode mode, Duration syncTimeout, String peerPassword, Duration maxBackoff) {
        this(mode, syncTimeout, peerPassword, maxBackoff, null, null, null);
    }

    public static ReplicationSettings defaults(ReplicationMode mode) {
        return new ReplicationSettings(mode, DEFAULT_SYNC_TIMEOUT, null, DEFAULT_MAX_BACKOFF);
    }

    public ReplicationSettings withSyncTimeout(Duration timeout) {
        return new ReplicationSettings(mode, timeout, peerPassword, maxBackoff, peerTls, fallbackPasswords, sourceAddress);
    }

    public ReplicationSettings withPeerPassword(String password) {
        return new ReplicationSettings(mode, syncTimeout, password, maxBackoff, peerTls, fallbackPasswords, sourceAddress);
    }

    public ReplicationSettings withMaxBackoff(Duration backoff) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, backoff, peerTls, fallbackPasswords, sourceAddress);
    }

    /** Connects to other members with TLS (null: plain TCP). */
    public ReplicationSettings withPeerTls(TlsSettings tls) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, maxBackoff, tls, fallbackPasswords, sourceAddress);
    }

    public ReplicationSettings withFallbackPassword(String password) {
        return withFallbackPasswords(password == null ? java.util.List.of() : java.util.List.of(password));
    }

    public ReplicationSettings withFallbackPasswords(java.util.List<String> passwords) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, maxBackoff, peerTls, passwords, sourceAddress);
    }

    /**
     * Streams from the address {@code listenHost} names when it is one specific address (null, a wildcard or a name
     * that does not resolve to exactly one address: the system picks).
     */
    public ReplicationSettings withSourceHost(String listenHost) {
        java.net.InetAddress source = null;
        if (listenHost != null && !listenHost.isBlank()) {
            try {
                java.net.InetAddress[] all = java.net.InetAddress.getAllByName(listenHost.strip());
                source = all.length == 1 && !all[0].isAnyLocalAddress() ? all[0] : null;
            } catch (java.net.UnknownHostException e) {
                source = null;
            }
        }
        return new ReplicationSettings(mode, syncTimeout, peerPassword, maxBackoff, peerTls, fallbackPasswords, source);
    }
}
