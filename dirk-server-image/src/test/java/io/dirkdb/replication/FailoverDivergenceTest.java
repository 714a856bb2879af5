package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailoverDivergenceTest extends ReplicaSetFixture {

    private String address(String id) {
        return "'" + members.node(id).host() + "' " + members.node(id).port();
    }

    /** m1 primary, m2 and m3 following it, all three at LSN 1. */
    private void startPrimaryAndTwoSecondariesWithOneRecord() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        members.startSecondary("m3", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        awaitLsn("m2", 1);
        awaitLsn("m3", 1);
    }

    @Test
    void secondaryPastTheForkReportsDivergedAndTheOldPrimaryRefusesIt() throws Exception {
        startPrimaryAndTwoSecondariesWithOneRecord();

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

        // m3 has now seen epoch 2: pointed back at the old primary, it is refused. The old primary does not step
        // down on a stream request (only promote, fence and follow change roles and epochs; an isolated old
        // primary stops acknowledging when its lease runs out, see PrimaryLeaseTest).
        ok(members.execute("m3", "dirk follow " + address("m1")));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(members.heartbeat("m3").path("replicationError").asText()).contains("follow the newer primary"));
        assertThat(members.heartbeat("m3").path("streaming").asBoolean()).isFalse();
        assertThat(members.heartbeat("m3").path("lsn").asLong()).isEqualTo(2);
        assertThat(members.heartbeat("m1").path("epoch").asLong()).isEqualTo(1);
    }

    @Test
    void secondaryNeedingRecordsThePrimaryNoLongerKeepsReportsNeedsResyncUntilResynced() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        ok(members.execute("m1", "manamboara tahiry stock"));
        members.node("m1").database().engine().checkpoint();
        // m2 is rebuilt from m1's snapshot, so its own log starts after LSN 2; then it becomes the primary.
        members.startSecondary("m2", "m1");
        ResyncTool.Outcome rebuilt = resync("m1", "m2");
        assertThat(rebuilt.consistent()).as(rebuilt.message()).isTrue();
        ok(members.execute("m1", "dirk fence"));
        ok(members.execute("m2", "dirk promote 2"));
        ok(members.execute("m2", "manamboara tahiry after"));

        members.startSecondary("m3", "m2"); // empty: it needs LSN 1, which m2 never had in its log
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode beat = members.heartbeat("m3");
            assertThat(beat.path("needsResync").asBoolean()).isTrue();
            assertThat(beat.path("replicationError").asText()).contains("dirk resync");
        });
        ResyncTool.Outcome outcome = resync("m2", "m3");
        assertThat(outcome.consistent()).as(outcome.message()).isTrue();
        assertThat(members.contents("m3")).isEqualTo(members.contents("m2"));
        assertThat(members.heartbeat("m3").path("needsResync").asBoolean()).isFalse();
    }

    @Test
    void promotionDuringAResyncAbandonsItAndTheNewPrimaryKeepsWriting() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        members.node("m1").database().engine().checkpoint();
        var snapshot = members.node("m1").database().engine().storage().orElseThrow().latestSnapshot().orElseThrow();
        members.startSecondary("m2", "m1");
        awaitLsn("m2", 1);
        try (StallingSnapshotSource stalling = StallingSnapshotSource.start(snapshot,
                java.nio.file.Files.readAllBytes(snapshot.path()))) {
            ok(members.execute("m2", "dirk resync '127.0.0.5' " + stalling.port()));
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    members.heartbeat("m2").path("resync").path("phase").asText().equals("copying"));
            ok(members.execute("m2", "dirk promote 2"));
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                JsonNode resync = members.heartbeat("m2").path("resync");
                return resync.path("phase").asText().equals("failed");
            });
        }
        ok(members.execute("m2", "manamboara tahiry written_by_the_new_primary"));
        JsonNode beat = members.heartbeat("m2");
        assertThat(beat.path("role").asText()).isEqualTo("primary");
        assertThat(beat.path("primary").isNull()).isTrue();
        // Its state was not replaced: what it had before the resync began is still there, and its new write too.
        var databases = ((io.dirkdb.engine.Result.Relation) members.execute("m2", "asehoy ny tahiry").result()).rows();
        assertThat(databases).containsExactlyInAnyOrder(java.util.List.of("shop"), java.util.List.of("written_by_the_new_primary"));
    }

    private ResyncTool.Outcome resync(String from, String to) throws InterruptedException {
        return new ResyncTool(new ResyncTool.Endpoint(members.node(from).host(), members.node(from).port()),
                new ResyncTool.Endpoint(members.node(to).host(), members.node(to).port()), null, Duration.ofSeconds(20),
                Duration.ofMillis(20), new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).run();
    }

    @Test
    void promotedSecondaryStopsFollowingAndOthersFollowIt() throws Exception {
        startPrimaryAndTwoSecondariesWithOneRecord();
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
