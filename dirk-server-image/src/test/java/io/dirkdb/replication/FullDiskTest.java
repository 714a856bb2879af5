package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A data directory on a small tmpfs that fills up: the write that could not be logged is never
 * served, the member says it is neither ready nor live, and a resync rebuilds it once space is back.
 */
class FullDiskTest extends ReplicaSetFixture {
    private final List<Path> mounts = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();
    private HealthHttpServer http;

    @AfterEach
    void unmount() throws Exception {
        if (http != null) {
            http.close();
        }
        if (members != null) {
            members.close();
            members = null;
        }
        for (Path mount : mounts) {
            run("umount", mount.toString());
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return "timed out";
        }
        return process.exitValue() == 0 ? null : output.trim();
    }

    /** Mounts a 1 MiB tmpfs where member {@code id} keeps its data; skips the test where that is impossible. */
    private void smallDisk(String id) throws Exception {
        Path directory = root.resolve(id);
        Files.createDirectories(directory);
        String failure;
        try {
            failure = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", directory.toString());
        } catch (IOException e) {
            failure = e.getMessage();
        }
        Assumptions.assumeTrue(failure == null, "a full disk needs a small tmpfs (mount -t tmpfs, as root): " + failure);
        mounts.add(directory);
    }

    /** Leaves about {@code room} bytes free on member {@code id}'s disk; returns the file taking the rest. */
    private Path fill(String id, long room) throws IOException {
        Path filler = root.resolve(id).resolve("filler");
        long usable = Files.getFileStore(root.resolve(id)).getUsableSpace();
        Files.write(filler, new byte[(int) Math.max(0, usable - room)]);
        return filler;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String row(int id) {
        return "manampia ao@ t (id, s) sanda (" + id + ", '" + "x".repeat(4000) + "')";
    }

    @Test
    void writeThatCouldNotBeLoggedIsNeverServedAndTheMemberAsksForARestart() throws Exception {
        smallDisk("m1");
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node primary = members.startPrimary("m1");
        http = HealthHttpServer.start("127.0.0.1", 0, primary.registry(), primary.server()::readiness,
                primary.server()::liveness);
        ok(members.execute("m1", "manamboara tahiry d"));
        try (var session = members.connect("m1")) {
            ok(session.execute("ampiasao d"));
            ok(session.execute("manamboara tabilao t(id ISA(null,null), s LAHATSORATRA(null,null))"));
            fill("m1", 32 << 10);
            int failed = -1;
            for (int i = 1; i <= 200 && failed < 0; i++) {
                Reply reply = session.execute(row(i));
                if (reply.isError()) {
                    assertThat(reply.errorMessage()).contains("could not be made durable").contains("no space left");
                    failed = i;
                }
            }
            assertThat(failed).as("a write failed on the full disk").isPositive();

            try (var other = members.connect("m1")) {
                Reply read = other.execute("alaivo id ao@ t");
                assertThat(read.errorMessage()).contains("storage failed");
            }
        }
        JsonNode heartbeat = members.heartbeat("m1");
        assertThat(heartbeat.path("ready").asBoolean()).isFalse();
        assertThat(heartbeat.path("storageFailure").asText()).contains("no space left");
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);
        HttpResponse<String> live = get("/health/live");
        assertThat(live.statusCode()).isEqualTo(503);
        assertThat(live.body()).contains("storage failed");
    }

    @Test
    void secondaryWhoseDiskFilledIsRebuiltByAResyncOnceSpaceIsBack() throws Exception {
        smallDisk("m2");
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node primary = members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry d"));
        awaitLsn("m2", 1);
        Path filler = fill("m2", 32 << 10);
        try (var session = members.connect("m1")) {
            ok(session.execute("ampiasao d"));
            ok(session.execute("manamboara tabilao t(id ISA(null,null), s LAHATSORATRA(null,null))"));
            for (int i = 1; i <= 40; i++) {
                ok(session.execute(row(i)));
            }
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> members.heartbeat("m2").path("storageFailure").asText().contains("no space left"));
        assertThat(members.heartbeat("m2").path("ready").asBoolean()).isFalse();

        Files.delete(filler);
        ok(members.execute("m2", "dirk resync '" + primary.host() + "' " + primary.port()));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode heartbeat = members.heartbeat("m2");
            return heartbeat.path("ready").asBoolean() && heartbeat.path("streaming").asBoolean()
                    && heartbeat.path("lsn").asLong() == members.heartbeat("m1").path("lsn").asLong();
        });
        assertThat(members.contents("m2")).isEqualTo(members.contents("m1"));
        ok(members.execute("m1", "manamboara tahiry after"));
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
    }
}
