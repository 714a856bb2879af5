package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.storage.FileTrees;
import io.dirkdb.testing.ServerProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproduction with real `dirk server` processes and a config.json: the primary's data
 * directory is wiped and it restarts empty, as MASTER, while its secondary holds the data.
 */
class WipedPrimaryProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    private ServerProcess m1;
    private ServerProcess m2;

    @AfterEach
    void stop() throws InterruptedException {
        for (ServerProcess process : new ServerProcess[] {m1, m2}) {
            if (process != null) {
                process.close();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static Reply execute(ServerProcess member, String... statements) throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", member.port())) {
            Reply reply = null;
            for (String statement : statements) {
                reply = connection.execute(statement);
                if (reply.isError()) {
                    return reply;
                }
            }
            return reply;
        }
    }

    private static JsonNode heartbeat(ServerProcess member) throws IOException {
        return JSON.readTree(execute(member, "dirk heartbeat").messageText());
    }

    private ServerProcess start(Path config, String id, int port) throws Exception {
        return ServerProcess.start(root.resolve("logs"), port, "--config", config.toString(), "--id", id, "--data-dir",
                root.resolve(id).toString());
    }

    @Test
    void wipedPrimaryRestartsFencedInsteadOfStartingAnotherHistory() throws Exception {
        int m1Port = freePort();
        int m2Port = freePort();
        Path config = root.resolve("config.json");
        Files.writeString(config, """
                {"configVersion": 1,
                 "instances": [
                   {"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": %d},
                   {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": %d}],
                 "replication": {"mode": "async"}}
                """.formatted(m1Port, m2Port));
        m1 = start(config, "m1", m1Port);
        m2 = start(config, "m2", m2Port);
        // m1 starts the history once m2 answered empty; m2's acks keep m1's lease.
        await().atMost(Duration.ofSeconds(20)).until(() -> !execute(m1, "manamboara tahiry shop").isError());
        assertThat(execute(m1, "ampiasao shop", "manamboara tabilao t (id ISA(null,null))",
                "manampia ao@ t (id) sanda (1), (2), (3)").isError()).isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> heartbeat(m2).path("lsn").asLong() == 3);
        String history = heartbeat(m2).path("historyId").asText();
        assertThat(history).isEqualTo(heartbeat(m1).path("historyId").asText());

        m1.kill();
        FileTrees.delete(root.resolve("m1"));
        m1 = start(config, "m1", m1Port);

        await().atMost(Duration.ofSeconds(20)).until(() -> heartbeat(m1).path("role").asText().equals("fenced"));
        assertThat(heartbeat(m1).path("bootstrap").asText()).contains("m2").contains("holds data of history " + history);
        assertThat(execute(m1, "manamboara tahiry other").errorMessage()).contains("holds data");
        JsonNode secondary = heartbeat(m2);
        assertThat(secondary.path("lsn").asLong()).isEqualTo(3);
        assertThat(secondary.path("diverged").asBoolean()).isFalse();
        assertThat(secondary.path("historyId").asText()).isEqualTo(history);
    }
}
