package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SyncModeTest extends ReplicaSetFixture {

    @Test
    void everyAcknowledgedWriteIsAlreadyOnTheSecondary() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofSeconds(5)));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        try (DirkConnection client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute("manamboara tabilao item(id ISA(null,null))"));
            for (int i = 1; i <= 50; i++) {
                ok(client.execute("manampia ao@ item (id) sanda (" + i + ")"));
                // Acknowledged: the secondary holds it durably already, no waiting allowed here.
                assertThat(members.heartbeat("m2").path("lsn").asLong()).isGreaterThanOrEqualTo(2 + i);
            }
        }
        assertThat(members.heartbeat("m1").path("replicationMode").asText()).isEqualTo("sync");
    }

    @Test
    void writeFailsClearlyWhenNoSecondaryConfirmsInTime() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(300)));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        members.stop("m2");
        Reply reply = members.execute("m1", "manamboara tahiry unconfirmed");
        assertThat(reply.errorMessage()).contains("no secondary confirmed it within 300 ms").contains("not acknowledged");
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).isEqualTo(1);

        members.restart("m2");
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat("m2").path("lsn").asLong() == 2);
        ok(members.execute("m1", "manamboara tahiry confirmed"));
        assertThat(members.heartbeat("m2").path("lsn").asLong()).isEqualTo(3);
    }
}
