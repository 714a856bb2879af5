package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A secondary whose stream got going and then broke reconnects at once, however often that happened before: each
 * fence and promotion of its primary closes its stream. Before, a stream ending with an error (as every stream
 * closed by the primary does) counted as an attempt that never streamed, so each hand-over doubled the pause
 * before the next reconnect, up to the longest backoff (5 s by default; 60 s here, to make it plain): after a few
 * switchovers a sync primary's writes waited seconds for a secondary that was only pausing.
 */
class ReconnectBackoffTest extends ReplicaSetFixture {

    @Test
    void aSecondaryReconnectsAtOnceAfterEachOfManyHandOvers() throws java.io.IOException {
        members = new ReplicaSet(root, new ReplicationSettings(ReplicationMode.ASYNC,
                ReplicationSettings.DEFAULT_SYNC_TIMEOUT, null, Duration.ofSeconds(60)));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
        for (long epoch = 2; epoch <= 9; epoch++) {
            // Two breaks of m2's stream: the fence closes it (m2 streams again from the fenced m1), the promotion too.
            members.node("m1").member().fence();
            members.node("m1").member().promote(epoch);
            ok(members.execute("m1", "manamboara tahiry shop" + epoch));
            long end = members.heartbeat("m1").path("lsn").asLong();
            // Awaited for 5 s: with the old doubling, the pause after the n-th break was 100 ms * 2^n (6.4 s by the 6th).
            awaitLsn("m2", end);
            assertThat(members.heartbeat("m2").path("epoch").asLong()).as("m2 follows m1's epoch").isEqualTo(epoch);
        }
    }
}
