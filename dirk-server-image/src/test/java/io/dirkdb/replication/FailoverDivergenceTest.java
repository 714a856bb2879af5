package io.dirkdb.replication;

import static io.dirkdb.replication.LogShippingTest.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FailoverDivergenceTest {
    @TempDir
    Path root;

    private ReplicaSet members;

    @AfterEach
    void stop() {
        if (members != null) {
            members.close();
        }
    }

    private void awaitLsn(String id, long lsn) {
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat(id).path("lsn").asLong() == lsn);
    }

    private String address(String id) {
        return "'" + members.node(id).host() + "' " + members.node(id).port();
    }

    @Test
    void oldPrimaryStepsDownAndSecondaryPastTheForkReportsDiverged() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        members.startSecondary("m3", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        awaitLsn("m2", 1);
        awaitLsn("m3", 1);

        // m2 loses its primary; m1 goes on writing, and m3 gets those records: m3 is past the fork.
        ok(members.execute("m2", "dirk follow '127.0.0.99' 9"));
        ok(members.execute("m1", "manamboara tahiry lost"));
        awaitLsn("m3", 2);

        ok(members.execute("m2", "dirk promote 2"));
        ok(members.execute("m2", "manamboara tahiry after_failover"));
        ok(members.execute("m2", "manamboara tahiry more"));

        ok(members.execute("m3", "dirk follow " + address("m2")));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode beat = members.heartbeat("m3");
            assertThat(beat.path("diverged").asBoolean()).isTrue();
            assertThat(beat.path("streaming").asBoolean()).isFalse();
        });
        // It applied nothing of the new primary's history.
        assertThat(members.heartbeat("m3").path("lsn").asLong()).isEqualTo(2);

        // m3 has now seen epoch 2: pointed back at the old primary, it makes it step down.
        ok(members.execute("m3", "dirk follow " + address("m1")));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(members.heartbeat("m1").path("role").asText()).isEqualTo("fenced"));
        assertThat(members.execute("m1", "manamboara tahiry split_brain").errorMessage()).contains("fenced");
        assertThat(members.heartbeat("m3").path("streaming").asBoolean()).isFalse();
    }

    @Test
    void promotedSecondaryStopsFollowingAndOthersFollowIt() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        members.startSecondary("m3", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        awaitLsn("m2", 1);
        awaitLsn("m3", 1);
        members.stop("m1");
        ok(members.execute("m2", "dirk promote 2"));
        ok(members.execute("m3", "dirk follow " + address("m2")));
        ok(members.execute("m2", "manamboara tahiry after_failover"));
        awaitLsn("m3", 2);
        JsonNode beat = members.heartbeat("m3");
        assertThat(beat.path("streaming").asBoolean()).isTrue();
        assertThat(beat.path("diverged").asBoolean()).isFalse();
        assertThat(members.heartbeat("m2").path("streaming").asBoolean()).isFalse();
        assertThat(members.heartbeat("m2").path("epoch").asLong()).isEqualTo(2);
    }
}
