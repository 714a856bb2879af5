package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.client.DirkConnection;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeflatedResyncTest extends ReplicaSetFixture {

    @Test
    void resyncWithTheSnapshotDeflatedOnTheWireEndsConsistentAndShipsFewerBytes() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        StringBuilder insert = new StringBuilder("manampia ao@ t (id, label) sanda ");
        for (int i = 0; i < 2000; i++) {
            insert.append(i == 0 ? "" : ", ").append('(').append(i).append(", 'label-").append(i % 10).append("')");
        }
        try (DirkConnection primary = DirkConnection.open(members.node("m1").host(), members.node("m1").port())) {
            ok(primary.execute("manamboara tahiry shop"));
            ok(primary.execute("ampiasao shop"));
            ok(primary.execute("manamboara tabilao t (id ISA(null,null), label LAHATSORATRA(null,null))"));
            ok(primary.execute(insert.toString()));
            members.node("m1").database().engine().checkpoint();
            ok(primary.execute("manampia ao@ t (id, label) sanda (5000, 'after the snapshot')"));
        }
        members.startSecondary("m2", "m1");

        ResyncTool.Outcome outcome = new ResyncTool(
                new ResyncTool.Endpoint(members.node("m1").host(), members.node("m1").port()),
                new ResyncTool.Endpoint(members.node("m2").host(), members.node("m2").port()), null,
                Duration.ofSeconds(20), Duration.ofMillis(20), new PrintStream(OutputStream.nullOutputStream()), true).run();

        assertThat(outcome.consistent()).as(outcome.message()).isTrue();
        assertThat(members.contents("m2")).isEqualTo(members.contents("m1"));
        assertThat(members.heartbeat("m2").path("resync").path("deflate").asBoolean()).isTrue();
        Replicator primary = members.node("m1").replicator();
        assertThat(primary.shippedCompressedBytes()).isLessThan(primary.shippedRawBytes() / 2);
    }
}
