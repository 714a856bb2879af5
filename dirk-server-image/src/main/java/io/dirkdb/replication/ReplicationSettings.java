package io.dirkdb.replication;

import java.time.Duration;

/**
 * How a member replicates.
 *
 * @param mode         when a write is acknowledged (after the primary's fsync, or after a secondary's too)
 * @param syncTimeout  in sync mode, how long a write waits for a secondary before it fails
 * @param peerPassword the password this member gives the member it streams or copies from: the cluster's replication
 *                     password (the application one in a single-password cluster), or null
 * @param maxBackoff   the longest pause between two attempts to reach the primary
 * @param fallbackPassword tried when that member refuses {@code peerPassword}: this member's application password, which a
 *                     member not yet restarted with separate credentials (an upgrade) takes for every role; or null
 */
public record ReplicationSettings(ReplicationMode mode, Duration syncTimeout, String peerPassword, Duration maxBackoff,
                                  String fallbackPassword) {
    public static final Duration DEFAULT_SYNC_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);

    public ReplicationSettings {
        if (syncTimeout.isNegative() || syncTimeout.isZero()) {
            throw new IllegalArgumentException("the sync timeout must be positive");
        }
    }

    public static ReplicationSettings defaults(ReplicationMode mode) {
        return new ReplicationSettings(mode, DEFAULT_SYNC_TIMEOUT, null, DEFAULT_MAX_BACKOFF, null);
    }

    public ReplicationSettings withSyncTimeout(Duration timeout) {
        return new ReplicationSettings(mode, timeout, peerPassword, maxBackoff, fallbackPassword);
    }

    public ReplicationSettings withPeerPassword(String password) {
        return new ReplicationSettings(mode, syncTimeout, password, maxBackoff, fallbackPassword);
    }

    public ReplicationSettings withMaxBackoff(Duration backoff) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, backoff, fallbackPassword);
    }

    public ReplicationSettings withFallbackPassword(String password) {
        return new ReplicationSettings(mode, syncTimeout, peerPassword, maxBackoff, password);
    }
}
