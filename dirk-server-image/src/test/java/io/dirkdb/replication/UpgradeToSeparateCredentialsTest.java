package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.server.Role;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rolling upgrade from the single-password setup: a secondary restarted with three passwords streams from
 * a primary not yet restarted, which knows only the application password, by falling back to it.
 */
class UpgradeToSeparateCredentialsTest extends ReplicaSetFixture {
    private ReplicaSet upgraded;

    @AfterEach
    void stopUpgraded() {
        if (upgraded != null) {
            upgraded.close();
        }
    }

    private boolean streamsTheWholeLog(String id) throws java.io.IOException {
        var beat = upgraded.heartbeat(id);
        return beat.path("streaming").asBoolean() && beat.path("lsn").asLong() == members.heartbeat("m1").path("lsn").asLong();
    }

    @Test
    void upgradedSecondaryStreamsFromAPrimaryStillOnTheSinglePassword() throws Exception {
        members = new ReplicaSet(root.resolve("old"), ReplicationSettings.defaults(ReplicationMode.ASYNC)
                .withPeerPassword("app-pw"));
        ReplicaSet.Node primary = members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));

        upgraded = new ReplicaSet(root.resolve("new"), ReplicationSettings.defaults(ReplicationMode.ASYNC)
                .withPeerPassword("repl-pw").withFallbackPassword("app-pw"));
        upgraded.start("m2", Role.SECONDARY, primary, 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> streamsTheWholeLog("m2"));
    }

    @Test
    void withoutTheFallbackTheRefusedReplicationPasswordIsReported() throws Exception {
        members = new ReplicaSet(root.resolve("old"), ReplicationSettings.defaults(ReplicationMode.ASYNC)
                .withPeerPassword("app-pw"));
        ReplicaSet.Node primary = members.startPrimary("m1");
        upgraded = new ReplicaSet(root.resolve("new"), ReplicationSettings.defaults(ReplicationMode.ASYNC)
                .withPeerPassword("repl-pw"));
        upgraded.start("m2", Role.SECONDARY, primary, 0);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> upgraded.heartbeat("m2").path("replicationError").asText().contains("refused our password"));
        assertThat(upgraded.heartbeat("m2").path("streaming").asBoolean()).isFalse();
    }
}
