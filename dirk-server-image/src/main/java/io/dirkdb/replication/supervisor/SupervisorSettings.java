package io.dirkdb.replication.supervisor;

import io.dirkdb.replication.ReplicationMode;
import java.time.Duration;
import java.util.Objects;

/**
 * How the local supervisor watches the members; every field is a flag of {@code dirk demo}.
 *
 * @param heartbeatIntervalMillis time between two rounds of heartbeats
 * @param heartbeatTimeoutMillis a member that answers slower than this missed its heartbeat
 * @param failureThreshold heartbeats the primary misses in a row before it counts as lost
 * @param failoverDelay how long a lost primary stays lost before it is replaced
 * @param mode the members' replication mode: decides which secondary may be promoted safely
 * @param allowDataLoss in sync mode, promote even when a silent secondary may hold newer writes
 */
public record SupervisorSettings(long heartbeatIntervalMillis, int heartbeatTimeoutMillis, int failureThreshold,
        Duration failoverDelay, ReplicationMode mode, boolean allowDataLoss) {
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MILLIS = 500;
    public static final int DEFAULT_FAILURE_THRESHOLD = 3;

    public SupervisorSettings {
        Objects.requireNonNull(failoverDelay, "failoverDelay");
        Objects.requireNonNull(mode, "mode");
        if (heartbeatIntervalMillis < 1 || heartbeatTimeoutMillis < 1 || failureThreshold < 1
                || failoverDelay.isNegative()) {
            throw new IllegalArgumentException("supervisor settings out of range: " + this);
        }
    }

    /** Heartbeat every 500 ms, answered within the interval, lost after 3 misses, no delay, no data loss. */
    public static SupervisorSettings defaults(ReplicationMode mode) {
        return new SupervisorSettings(DEFAULT_HEARTBEAT_INTERVAL_MILLIS, (int) DEFAULT_HEARTBEAT_INTERVAL_MILLIS,
                DEFAULT_FAILURE_THRESHOLD, Duration.ZERO, mode, false);
    }

    public SupervisorSettings withHeartbeatIntervalMillis(long millis) {
        return new SupervisorSettings(millis, heartbeatTimeoutMillis, failureThreshold, failoverDelay, mode,
                allowDataLoss);
    }

    public SupervisorSettings withHeartbeatTimeoutMillis(int millis) {
        return new SupervisorSettings(heartbeatIntervalMillis, millis, failureThreshold, failoverDelay, mode,
                allowDataLoss);
    }
}
