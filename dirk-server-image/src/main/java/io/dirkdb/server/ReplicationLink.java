package io.dirkdb.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.sql.ControlStatement;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * What a member asks of replication (io.dirkdb.replication): follow a primary, ship the log to
 * secondaries, wait for them in sync mode, report in the heartbeat. A member without replication
 * (tests of the network layer, a standalone server without it) uses {@link #NONE}.
 */
public interface ReplicationLink extends AutoCloseable {

    /** The member's role or primary changed (start, promote, fence, follow): start or stop following. */
    void roleChanged(MemberState state);

    /** Adds the replication fields to a heartbeat. */
    void describe(ObjectNode heartbeat);

    /**
     * Called after a client write whose record ends at {@code lsn} is durable on this primary and
     * before it is acknowledged: in sync mode, waits for a secondary to hold it durably.
     *
     * @throws DirkException when the write cannot be acknowledged (no secondary in time)
     */
    void afterWrite(long lsn);

    /**
     * Before a fence, with new writes already refused: waits, at most {@code max}, until every write
     * logged up to {@code logEnd} has been acknowledged or refused, so a planned hand-over fails none.
     */
    default void drainWrites(long logEnd, java.time.Duration max) {}

    /**
     * Called after a read saw the state up to {@code lsn} (durable here) and before its rows are sent:
     * in sync mode a primary waits until a secondary has confirmed that state, so no reply shows a
     * write a failover could lose.
     *
     * @throws DirkException when no secondary confirms it in time (the rows are not sent)
     */
    void beforeReadReply(long lsn);

    /**
     * The highest LSN this member acknowledged to a client as primary (since it started, it counts
     * every record durable at start): a failover must not promote a member behind it.
     */
    long acknowledgedLsn();

    /**
     * Takes over a connection that asked for a binary mode ({@code dirk stream}, {@code dirk snapshot});
     * returns when the peer or this member closes it.
     */
    void serve(ControlStatement statement, Socket socket, InputStream in, OutputStream out) throws IOException;

    /**
     * Answers {@code dirk resync 'host' port [deflate]}: starts rebuilding this member from that one,
     * asking for the snapshot deflated on the wire when {@code deflate}.
     */
    String resync(String host, int port, boolean deflate);

    /** True when replication lets this member serve its role (a secondary streaming and not diverged). */
    boolean ready();

    @Override
    void close();

    /** No replication: nothing is shipped, writes are acknowledged after the local fsync. */
    ReplicationLink NONE = new ReplicationLink() {
        @Override
        public void roleChanged(MemberState state) {}

        @Override
        public void describe(ObjectNode heartbeat) {}

        @Override
        public void afterWrite(long lsn) {}

        @Override
        public void beforeReadReply(long lsn) {}

        @Override
        public long acknowledgedLsn() {
            return -1; // unknown here: the member answers with its log end
        }

        @Override
        public void serve(ControlStatement statement, Socket socket, InputStream in, OutputStream out) {
            throw new DirkException("this member does not ship its log (replication is off)");
        }

        @Override
        public String resync(String host, int port, boolean deflate) {
            throw new DirkException("this member cannot be resynced (replication is off)");
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public void close() {}
    };
}
