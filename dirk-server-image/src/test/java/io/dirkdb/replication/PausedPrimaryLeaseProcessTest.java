package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.testing.ConfigFiles;
import io.dirkdb.testing.ServerProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary paused (SIGSTOP) for longer than its lease reads, once resumed, acknowledgements its secondary sent
 * while it was paused. They answer frames it sent before the pause: they must not renew its lease, or it would
 * acknowledge writes for up to a lease after it resumes, next to a primary promoted meanwhile.
 */
class PausedPrimaryLeaseProcessTest {
    private static final int LEASE_MILLIS = 1000;

    @TempDir
    Path directory;

    private enum Acking { EVERY_FRAME, HOLD, NONE }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Reply execute(int port, String statement) throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", port, 5_000)) {
            return connection.execute(statement);
        }
    }

    private static boolean leaseExpired(int port) throws IOException {
        JsonNode heartbeat = PeerChannel.JSON.readTree(execute(port, "dirk heartbeat").messageText());
        return heartbeat.path("leaseExpired").asBoolean();
    }

    @Test
    void acknowledgementsReadAfterAPauseLongerThanTheLeaseDoNotRenewIt() throws Exception {
        int port = freePort();
        Path config = ConfigFiles.write(directory, """
                {"configVersion": 1, "instances": [
                  {"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": %d},
                  {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": %d}]}
                """.formatted(port, freePort()));
        try (ServerProcess m1 = ServerProcess.start(directory.resolve("logs"), port, "--config", config.toString(),
                "--id", "m1", "--data-dir", directory.resolve("m1").toString(),
                "--primary-lease-ms", Integer.toString(LEASE_MILLIS))) {
            // m2 never runs: a promotion tells the empty m1 it starts the history.
            // As a supervisor does: an answer on the connection before the promote, which starts the lease from it
            // (a promote that is the first request on its connection starts expired).
            try (DirkConnection supervisor = DirkConnection.open("127.0.0.1", port, 5_000)) {
                assertThat(supervisor.execute("dirk heartbeat").errorMessage()).isNull();
                assertThat(supervisor.execute("dirk promote 2").errorMessage()).isNull();
            }
            assertThat(execute(port, "manamboara tahiry shop").errorMessage()).isNull();

            // The secondary m2 (played by the test) acknowledges every frame, as a follower does.
            AtomicReference<Acking> acking = new AtomicReference<>(Acking.EVERY_FRAME);
            AtomicInteger held = new AtomicInteger();
            AtomicLong lastReceived = new AtomicLong();
            try (PeerChannel stream = PeerChannel.open(null, null, "127.0.0.1", port, null, List.of(), 20_000)) {
                JsonNode hello = stream.requestJson("dirk stream 0 0 0 member 'm2';");
                assertThat(hello.path("streaming").asBoolean()).as("answer: %s", hello).isTrue();
                Thread reader = new Thread(() -> {
                    try (ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(stream.in)) {
                        while (true) {
                            Object frame = frames.next();
                            if (frame instanceof ReplicationFrames.Batch batch && !batch.records().isEmpty()) {
                                lastReceived.set(batch.records().get(batch.records().size() - 1).lsn());
                            }
                            switch (acking.get()) {
                                case EVERY_FRAME -> ReplicationFrames.writeAck(stream.out, lastReceived.get());
                                case HOLD -> held.incrementAndGet();
                                case NONE -> { }
                            }
                        }
                    } catch (IOException e) {
                        // the stream closed
                    }
                }, "m2-acks");
                reader.setDaemon(true);
                reader.start();
                // Its acknowledgements alone keep m1's lease for several leases.
                await().during(Duration.ofMillis(2 * LEASE_MILLIS)).atMost(Duration.ofMillis(4 * LEASE_MILLIS))
                        .until(() -> !leaseExpired(port));

                // The next frame (a keepalive) is received but its acknowledgement is late: m1 pauses first.
                acking.set(Acking.HOLD);
                await().atMost(Duration.ofSeconds(5)).until(() -> held.get() >= 1);
                m1.pause();
                try {
                    try (DirkConnection probe = DirkConnection.open("127.0.0.1", port, 300)) {
                        org.assertj.core.api.Assertions.assertThatThrownBy(() -> probe.execute("dirk heartbeat"))
                                .as("m1 is paused").isInstanceOf(java.net.SocketTimeoutException.class);
                    }
                    Thread.sleep(LEASE_MILLIS + 500); // the fault: a pause longer than the lease
                    acking.set(Acking.NONE); // m2 was detached meanwhile: it acknowledges nothing more
                    for (int i = 0; i < held.get(); i++) {
                        ReplicationFrames.writeAck(stream.out, lastReceived.get()); // sent now, read by m1 on resume
                    }
                    Thread.sleep(LEASE_MILLIS);
                } finally {
                    m1.resume();
                }
                // Those acknowledgements answer frames sent before the pause: they renew nothing, and the first
                // write after the resume is refused (before, the lease ran for another second from their reading).
                Reply write = execute(port, "manamboara tahiry after_pause");
                assertThat(write.errorMessage()).as("a write right after the resume").contains("primary lease expired");
                await().during(Duration.ofMillis(LEASE_MILLIS / 2)).atMost(Duration.ofMillis(LEASE_MILLIS / 2 + 400))
                        .until(() -> leaseExpired(port));
            }
        }
    }
}
