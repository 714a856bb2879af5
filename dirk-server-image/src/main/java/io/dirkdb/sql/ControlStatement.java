package io.dirkdb.sql;

import java.util.Set;

/**
 * Requests that control a member rather than query data. They all start with the
 * word {@code dirk}, which is not a DirkDB keyword, so no user statement collides:
 * <pre>
 *   dirk heartbeat;                 -- role, epoch, last LSN as one JSON message
 *   dirk heartbeat lease 4;         -- the same, from the supervisor that holds this member for primary at epoch 4:
 *                                   --   renews its primary lease
 *   dirk auth 'password';           -- authenticate this connection
 *   dirk promote 7 [history 'id'];  -- become primary with epoch 7 (must exceed any seen, by at most 1,000,000)
 *   dirk fence;                     -- step down: refuse writes until promoted again
 *   dirk fence epoch 9;             -- the same, and take epoch 9 as seen: a promote to epoch 9 or below is refused
 *   dirk fence [epoch 9] hold;      -- the same, a held fence (the user's, hibernation's): no hand-over will end it, so
 *                                   --   dirk step-down does not wait for one; its heartbeat says "fenceHeld":true
 *   dirk follow 'host' 3948 [history 'id']; -- become a secondary streaming from that primary
 *   dirk stream 120 3 4 [history 'id'] [member 'm2'] [protocol 1]; -- (secondaries) stream the log after LSN 120,
 *                                   --   whose epoch is 3; the caller has seen epoch 4, holds that history, is instance
 *                                   --   m2 of the configuration and reads stream protocol 1; the connection turns binary
 *   dirk snapshot [deflate];        -- (resync) ship the latest snapshot, deflated if asked; the connection turns binary
 *   dirk resync 'host' 3948 [deflate]; -- rebuild this member from that member's snapshot and log, then follow it
 * </pre>
 * The binary modes are described in docs/replication-protocol.md. Who may send which (a plain heartbeat and
 * {@code dirk auth}: anyone; stream and snapshot: the replication credential; the rest, the lease renewal
 * included: the administration credential) is {@code io.dirkdb.server.AccessRole}.
 */
public sealed interface ControlStatement extends Statement {

    @Override
    default StatementKind kind() {
        return StatementKind.CONTROL;
    }

    @Override
    default Set<String> readTables() {
        return Set.of();
    }

    @Override
    default Set<String> writtenTables() {
        return Set.of();
    }

    /** @param leaseEpoch the epoch at which the supervisor holds this member for primary (renews its lease), or -1 */
    record Heartbeat(long leaseEpoch) implements ControlStatement {
        public Heartbeat() {
            this(-1);
        }
    }

    record Auth(String password) implements ControlStatement {}

    /** @param historyId the history the caller holds the member to belong to, or null when not said */
    record Promote(long epoch, String historyId) implements ControlStatement {
        public Promote(long epoch) {
            this(epoch, null);
        }
    }

    /**
     * @param epoch an epoch the member takes as seen (a later promote must exceed it), or -1
     * @param hold  a held fence (the user's or hibernation's), not a hand-over's: until a promote or a follow ends it,
     *              the member's heartbeat says so and {@code dirk step-down} lets it stop at once
     */
    record Fence(long epoch, boolean hold) implements ControlStatement {
        public Fence() {
            this(-1);
        }

        public Fence(long epoch) {
            this(epoch, false);
        }
    }

    /** @param historyId the history the caller holds the member to belong to, or null when not said */
    record Follow(String host, int port, String historyId) implements ControlStatement {
        public Follow(String host, int port) {
            this(host, port, null);
        }
    }

    /**
     * A secondary asks for the log after {@code fromLsn}.
     *
     * @param epochAtFromLsn the epoch of the secondary's record {@code fromLsn} (0 when it holds none): the primary
     *                       checks its own record there has the same one
     * @param knownEpoch     the highest epoch the secondary has seen; a member of a lower epoch refuses to serve it
     * @param historyId      the secondary's history, or null when it has none yet (empty, or data of an old format)
     * @param protocol       the newest stream protocol version the secondary reads ({@code protocol N}; 1 when left
     *                       out): the serving member answers with the version it will speak, never a newer one
     */
    record Stream(long fromLsn, long epochAtFromLsn, long knownEpoch, String historyId, String memberId, int protocol)
            implements ControlStatement {
        public Stream(long fromLsn, long epochAtFromLsn, long knownEpoch) {
            this(fromLsn, epochAtFromLsn, knownEpoch, null, null);
        }

        public Stream(long fromLsn, long epochAtFromLsn, long knownEpoch, String historyId) {
            this(fromLsn, epochAtFromLsn, knownEpoch, historyId, null);
        }

        public Stream(long fromLsn, long epochAtFromLsn, long knownEpoch, String historyId, String memberId) {
            this(fromLsn, epochAtFromLsn, knownEpoch, historyId, memberId, 1);
        }
    }

    /** Ships the latest snapshot (a member being rebuilt asks for it), deflated on the wire if asked. */
    record Snapshot(boolean deflate) implements ControlStatement {
        public Snapshot() {
            this(false);
        }
    }

    /**
     * Rebuilds this member from another member's latest snapshot and the log after it, then follows
     * that member; {@code deflate} asks for the snapshot deflated on the wire (for slow links).
     */
    record Resync(String host, int port, boolean deflate) implements ControlStatement {
        public Resync(String host, int port) {
            this(host, port, false);
        }
    }
}
