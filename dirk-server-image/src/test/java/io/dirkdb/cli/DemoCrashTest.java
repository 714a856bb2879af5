package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed's scenario, "si le primaire tombe", played on `dirk demo`: every piece is a process a user can kill. */
class DemoCrashTest {
    @TempDir
    Path directory;

    @Test
    void killingThePrimaryProcessFailsOverWhileTheClientKeepsWritingAndTheKilledMemberRejoins() throws Exception {
        Path data = directory.resolve("demo-data");
        try (DemoProcess demo = DemoProcess.start(data, directory.resolve("logs"))) {
            long m1Pid = demo.pidOf("m1");
            assertThat(Stream.of("m1", "proxy", "m2", "cache").map(demo::pidOf).distinct())
                    .as("four processes, none of them the demo's").hasSize(4).doesNotContain(demo.pid());
            List<Long> acknowledged = new ArrayList<>();
            try (DirkConnection client = DirkConnection.open("127.0.0.1", demo.clientPort())) {
                ok(client, "manamboara tahiry demo;");
                ok(client, "ampiasao demo;");
                ok(client, "manamboara tabilao t (id ISA(null, null));");
                for (long id = 1; id <= 5; id++) {
                    ok(client, "manampia ao@ t (id) sanda (" + id + ");");
                    acknowledged.add(id);
                }

                ProcessHandle.of(m1Pid).orElseThrow().destroyForcibly(); // kill -9 of the primary
                // The shell goes on writing: each write waits in the proxy for the new primary, or fails and is
                // tried again by the user; none may be lost once acknowledged.
                long id = 6;
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (acknowledged.size() < 25 && System.nanoTime() < deadline) {
                    Reply reply = client.execute("manampia ao@ t (id) sanda (" + id + ");");
                    if (!reply.isError()) {
                        acknowledged.add(id);
                    }
                    id++;
                }
                assertThat(acknowledged).as("writes acknowledged after the kill").hasSizeGreaterThanOrEqualTo(25);
            }
            // A failover happened (a primary at a later epoch: m2, unless a later failover gave the role back to
            // m1 with every acknowledged write), and the demo started m1 again as a new process, which rejoined.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                try {
                    HeartbeatReport m1 = heartbeat(demo.portOf("m1"));
                    HeartbeatReport m2 = heartbeat(demo.portOf("m2"));
                    HeartbeatReport primary = m2.role().equals("primary") ? m2 : m1;
                    HeartbeatReport secondary = primary == m2 ? m1 : m2;
                    return primary.role().equals("primary") && primary.epoch() > 1
                            && secondary.role().equals("secondary") && secondary.ready();
                } catch (IOException notBack) {
                    return false;
                }
            });
            assertThat(ProcessHandle.of(m1Pid)).as("the killed process").isEmpty();
            assertThat(demo.log()).as("the demo's log").contains("m1 (pid " + m1Pid + ") exited")
                    .contains("m1 started again as pid");
            try (DirkConnection client = DirkConnection.open("127.0.0.1", demo.clientPort())) {
                ok(client, "ampiasao demo;");
                Reply rows = ok(client, "alaivo id #ao@ t;");
                List<Long> ids = ((Result.Relation) rows.result()).rows().stream().map(row -> (Long) row.get(0)).toList();
                assertThat(ids).as("every acknowledged write, once").containsAll(acknowledged).doesNotHaveDuplicates();
            }
            assertThat(demo.terminate()).as("exit code after SIGTERM; log: " + demo.log()).isZero();
        }
    }

    @Test
    void killingTheDemoItselfStopsEveryPiece() throws Exception {
        Path data = directory.resolve("demo-data");
        List<ProcessHandle> pieces = new ArrayList<>();
        try (DemoProcess demo = DemoProcess.start(data, directory.resolve("logs"))) {
            for (String piece : List.of("m1", "proxy", "m2", "cache")) {
                pieces.add(ProcessHandle.of(demo.pidOf(piece)).orElseThrow());
            }
            ProcessHandle.of(demo.pid()).orElseThrow().destroyForcibly(); // kill -9 of the demo: no shutdown hook runs
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> pieces.stream().noneMatch(ProcessHandle::isAlive));
    }

    private static HeartbeatReport heartbeat(int port) throws IOException {
        try (DirkConnection member = DirkConnection.open("127.0.0.1", port, 2000)) {
            return HeartbeatReport.parse(member.execute("dirk heartbeat").messageText());
        }
    }

    private static Reply ok(DirkConnection connection, String statement) throws IOException {
        Reply reply = connection.execute(statement);
        assertThat(reply.isError()).as(statement + " -> " + reply.messageText()).isFalse();
        return reply;
    }
}
