package io.dirkdb.sql;

import java.util.Set;

/**
 * Requests that control a member rather than query data. They all start with the
 * word {@code dirk}, which is not a DirkDB keyword, so no user statement collides:
 * <pre>
 *   dirk heartbeat;                 -- role, epoch, last LSN as one JSON message
 *   dirk auth 'password';           -- authenticate this connection
 *   dirk promote 7;                 -- become primary with epoch 7 (must exceed any seen)
 *   dirk fence;                     -- step down: refuse writes until promoted again
 *   dirk follow 'host' 3948;        -- become a secondary streaming from that primary
 * </pre>
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

    record Heartbeat() implements ControlStatement {}

    record Auth(String password) implements ControlStatement {}

    record Promote(long epoch) implements ControlStatement {}

    record Fence() implements ControlStatement {}

    record Follow(String host, int port) implements ControlStatement {}
}
