package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.storage.FileTrees;
import io.dirkdb.storage.SnapshotFile;
import io.dirkdb.testing.ConfigFiles;
import io.dirkdb.testing.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A secondary in its own JVM (so it can be killed) following an in-process primary. */
class SecondaryProcessTest extends ReplicaSetFixture {
    private ServerProcess secondary;

    @AfterEach
    void stopSecondary() throws Exception {
        if (secondary != null) {
            secondary.close();
        }
    }

    /** m3 stands for the stalling snapshot source the resync tests start on 127.0.0.5 (any port): a member to resync from. */
    private Path secondaryConfig() throws IOException {
        ReplicaSet.Node primary = members.node("m1");
        return ConfigFiles.write(root, """
                {"instances": [
                  {"id": "m1", "role": "MASTER", "host": "%s", "port": %d, "dataDirectory": "%s"},
                  {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": 0, "dataDirectory": "%s"},
                  {"id": "m3", "role": "REPLICA", "host": "127.0.0.5", "port": 0}],
                 "replication": {"type": "FILE", "mode": "async"}}
                """.formatted(primary.host(), primary.port(), primary.directory(), root.resolve("m2")));
    }

    private ServerProcess startSecondary() throws Exception {
        return ServerProcess.start(root.resolve("logs"), "--config", secondaryConfig().toString(), "--id", "m2");
    }

    private void insertRows(int from, int to) throws IOException {
        try (DirkConnection client = members.connect("m1")) {
            ok(client.execute("ampiasao shop"));
            for (int i = from; i < to; i++) {
                ok(client.execute("manampia ao@ item (id, name) sanda (" + i + ", 'item number " + i + "')"));
            }
        }
    }

    private void createShop() throws IOException {
        try (DirkConnection client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute("manamboara tabilao item(id ISA(null,null), name LAHATSORATRA(null,null))"));
        }
    }

    private void awaitSecondaryEqualsPrimary() throws IOException {
        var expected = members.contents("m1");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(members.contents("127.0.0.1", secondary.port())).isEqualTo(expected));
    }

    private JsonNode secondaryHeartbeat() throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", secondary.port())) {
            return ReplicaSet.JSON.readTree(connection.execute("dirk heartbeat").messageText());
        }
    }

    private ResyncTool.Outcome resync(String sourceHost, int sourcePort) throws InterruptedException {
        return new ResyncTool(new ResyncTool.Endpoint(sourceHost, sourcePort),
                new ResyncTool.Endpoint("127.0.0.1", secondary.port()), null, Duration.ofSeconds(30),
                Duration.ofMillis(50), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    /** m1 with 300 rows and a snapshot of them, and the secondary process caught up with it; the snapshot. */
    private SnapshotFile startPrimaryWithSnapshotAndCaughtUpSecondary() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        createShop();
        insertRows(0, 300);
        members.node("m1").database().engine().checkpoint();
        SnapshotFile snapshot = members.node("m1").database().engine().storage().orElseThrow().latestSnapshot().orElseThrow();
        secondary = startSecondary();
        awaitSecondaryEqualsPrimary();
        return snapshot;
    }

    @Test
    void killedSecondaryCatchesUpAfterRestart() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        createShop();
        insertRows(0, 100);
        secondary = startSecondary();
        awaitSecondaryEqualsPrimary();

        secondary.kill();
        insertRows(100, 300);
        secondary = startSecondary();
        awaitSecondaryEqualsPrimary();
        assertThat(secondaryHeartbeat().path("streaming").asBoolean()).isTrue();
    }

    @Test
    void wipedSecondaryIsRebuiltByResync() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        createShop();
        insertRows(0, 200);
        members.node("m1").database().engine().checkpoint();
        insertRows(200, 250);
        secondary = startSecondary();
        awaitSecondaryEqualsPrimary();

        secondary.kill();
        FileTrees.delete(root.resolve("m2"));
        secondary = startSecondary();
        ResyncTool.Outcome outcome = resync(members.node("m1").host(), members.node("m1").port());
        assertThat(outcome.consistent()).as(outcome.message()).isTrue();
        awaitSecondaryEqualsPrimary();
        insertRows(250, 260); // and it goes on following
        awaitSecondaryEqualsPrimary();
    }

    @Test
    void resyncInterruptedByAKilledTargetEndsConsistentWhenRunAgain() throws Exception {
        SnapshotFile snapshot = startPrimaryWithSnapshotAndCaughtUpSecondary();
        byte[] snapshotBytes = Files.readAllBytes(snapshot.path());

        // A source that ships half of the snapshot, then stalls: the target is caught mid-copy.
        try (StallingSnapshotSource stalling = StallingSnapshotSource.start(snapshot, snapshotBytes)) {
            try (DirkConnection target = DirkConnection.open("127.0.0.1", secondary.port())) {
                ok(target.execute("dirk resync '127.0.0.5' " + stalling.port()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                JsonNode resync = secondaryHeartbeat().path("resync");
                return resync.path("phase").asText().equals("copying") && resync.path("bytes").asLong() > 0;
            });
            secondary.kill();
        }
        secondary = startSecondary();
        ResyncTool.Outcome outcome = resync(members.node("m1").host(), members.node("m1").port());
        assertThat(outcome.consistent()).as(outcome.message()).isTrue();
        awaitSecondaryEqualsPrimary();
    }

    @Test
    void resyncWhoseToolWasKilledMidCopyEndsConsistentWhenRunAgainFromAnotherSource() throws Exception {
        SnapshotFile snapshot = startPrimaryWithSnapshotAndCaughtUpSecondary();
        byte[] snapshotBytes = Files.readAllBytes(snapshot.path());

        try (StallingSnapshotSource stalling = StallingSnapshotSource.start(snapshot, snapshotBytes)) {
            Process tool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk", "resync", "--from",
                    "127.0.0.5:" + stalling.port(), "--to", "127.0.0.1:" + secondary.port(), "--poll-ms", "50")
                    .redirectErrorStream(true).start();
            try {
                java.io.BufferedReader lines = new java.io.BufferedReader(
                        new java.io.InputStreamReader(tool.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = lines.readLine()) != null && !line.matches("copied [1-9].*")) {
                    // wait for the copy to be under way
                }
                assertThat(line).as("the tool's progress").isNotNull();
            } finally {
                tool.destroyForcibly().waitFor();
            }
            // Run again, from the real primary: the stalled copy is abandoned for this one.
            ResyncTool.Outcome outcome = resync(members.node("m1").host(), members.node("m1").port());
            assertThat(outcome.consistent()).as(outcome.message()).isTrue();
        }
        awaitSecondaryEqualsPrimary();
        insertRows(300, 310);
        awaitSecondaryEqualsPrimary();
    }
}
