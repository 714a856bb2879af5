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
 */
public record ReplicationSettings(ReplicationMode mode, Duration syncTimeout, String peerPassword, Duration maxBackoff,
        TlsSettings peerTls, java.util.List<String> fallbackPasswords) {
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
        this(mode, syncTimeout, peerPassword, maxBackoff, null, null);
    }

    public static ReplicationSettings defaults(ReplicationMode mode) {
        return new ReplicationSettings(mode, DEFAULT_SYNC_TIMEOUT, null, DEFAULT_MAX_BACKOFF);
    }

    public ReplicationSettings withSyncTimeout(Duration timeout) {
        return new ReplicationSettings(mode, timeout, peerPassword, maxBackoff, peerTls, fallbackPasswords);
    }

    public ReplicationSettings withPeerPassword(String password) {
        return new ReplicationSettings(mode, syncTimeout, password, maxBackoff, peerTls, fallbackPasswords);
    }

    public ReplicationSettings withMaxBackoff(Duration backoff) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, backoff, peerTls, fallbackPasswords);
    }

    /** Connects to other members with TLS (null: plain TCP). */
    public ReplicationSettings withPeerTls(TlsSettings tls) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, maxBackoff, tls, fallbackPasswords);
    }

    public ReplicationSettings withFallbackPassword(String password) {
        return withFallbackPasswords(password == null ? java.util.List.of() : java.util.List.of(password));
    }

    public ReplicationSettings withFallbackPasswords(java.util.List<String> passwords) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, maxBackoff, peerTls, passwords);
    }
}
