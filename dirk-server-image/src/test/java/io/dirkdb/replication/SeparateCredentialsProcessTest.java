package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.supervisor.LocalSupervisor;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import io.dirkdb.testing.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming, failover, rejoin and resync with `dirk server` processes whose application, replication and
 * administration passwords all differ: each internal caller gives the credential of its role.
 */
class SeparateCredentialsProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String APPLICATION = "app-secret";
    private static final String REPLICATION = "repl-secret";
    private static final String ADMINISTRATION = "admin-secret";

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

    private static Reply execute(int port, String password, String... statements) throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", port)) {
            Reply auth = connection.authenticate(password);
            if (auth.isError()) {
                return auth;
            }
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

    private static JsonNode heartbeat(int port) throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", port)) {
            return JSON.readTree(connection.execute("dirk heartbeat").messageText()); // needs no credential
        }
    }

    private ServerProcess start(Path config, String id, int port) throws Exception {
        Path secrets = Files.createDirectories(root.resolve("secrets"));
        return ServerProcess.start(root.resolve("logs"), port, "--config", config.toString(), "--id", id,
                "--data-dir", root.resolve(id).toString(), "--primary-lease-ms", "1500",
                "--password-file", Files.writeString(secrets.resolve("application"), APPLICATION).toString(),
                "--replication-password-file", Files.writeString(secrets.resolve("replication"), REPLICATION).toString(),
                "--admin-password-file", Files.writeString(secrets.resolve("administration"), ADMINISTRATION).toString());
    }

    @Test
    void replicationFailoverRejoinAndResyncWorkWithThreeDistinctPasswords() throws Exception {
        int m1Port = freePort();
        int m2Port = freePort();
        Path config = Files.writeString(root.resolve("config.json"), """
                {"configVersion": 1,
                 "instances": [
                   {"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": %d},
                   {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": %d}],
                 "replication": {"mode": "async"}}
                """.formatted(m1Port, m2Port));
        m1 = start(config, "m1", m1Port);
        m2 = start(config, "m2", m2Port);
        assertThat(m1.log()).doesNotContain("only the application password is set");

        // m2 streams from m1 with the replication password.
        await().atMost(Duration.ofSeconds(20)).until(() -> !execute(m1Port, APPLICATION, "manamboara tahiry shop").isError());
        assertThat(execute(m1Port, APPLICATION, "ampiasao shop", "manamboara tabilao t (id ISA(null,null))",
                "manampia ao@ t (id) sanda (1), (2)").isError()).isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> heartbeat(m2Port).path("lsn").asLong() == 3);
        // Neither the application nor the replication password reaches the control plane.
        assertThat(execute(m1Port, APPLICATION, "dirk fence").errorMessage()).contains("needs the administration credential");
        assertThat(execute(m1Port, REPLICATION, "dirk fence").errorMessage()).contains("needs the administration credential");
        assertThat(execute(m2Port, REPLICATION, "ampiasao shop").errorMessage()).contains("needs the application credential");

        List<MemberAddress> members = List.of(new MemberAddress("m1", "127.0.0.1", m1Port),
                new MemberAddress("m2", "127.0.0.1", m2Port));
        SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.ASYNC)
                .withHeartbeatIntervalMillis(200).withHeartbeatTimeoutMillis(1000);
        try (LocalSupervisor supervisor = new LocalSupervisor(members, settings,
                new NetworkMemberControl(1000, 2000, ADMINISTRATION))) {
            supervisor.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> "m1".equals(supervisor.currentPrimary()));

            // Failover: the supervisor promotes m2 with the administration password.
            m1.kill();
            await().atMost(Duration.ofSeconds(30)).until(() -> heartbeat(m2Port).path("role").asText().equals("primary"));
            // The supervisor's lease renewals (administration) keep the lone new primary writable.
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> !execute(m2Port, APPLICATION, "ampiasao shop", "manampia ao@ t (id) sanda (3)").isError());
            // Alone (no secondary acknowledges), it stays writable for longer than its lease only by those renewals.
            await().during(Duration.ofMillis(3500)).atMost(Duration.ofSeconds(10))
                    .until(() -> !heartbeat(m2Port).path("leaseExpired").asBoolean(true));

            // The old primary comes back: fenced and told to follow m2, it streams with the replication password.
            m1 = start(config, "m1", m1Port);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode beat = heartbeat(m1Port);
                return beat.path("role").asText().equals("secondary") && beat.path("streaming").asBoolean()
                        && beat.path("lsn").asLong() == heartbeat(m2Port).path("lsn").asLong();
            });
        }

        // dirk resync with the administration password: m1 copies m2's snapshot with the replication password.
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        ResyncTool.Outcome outcome = new ResyncTool(new ResyncTool.Endpoint("127.0.0.1", m2Port),
                new ResyncTool.Endpoint("127.0.0.1", m1Port), ADMINISTRATION, Duration.ofSeconds(60),
                Duration.ofMillis(50), new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        assertThat(outcome.consistent()).as(outcome.message() + "; " + progress).isTrue();
        assertThat(execute(m1Port, APPLICATION, "ampiasao shop", "alaivo id #ao@ t").frames())
                .isEqualTo(execute(m2Port, APPLICATION, "ampiasao shop", "alaivo id #ao@ t").frames());
        // The same tool with the application password is refused by the target.
        ResyncTool.Outcome refused = new ResyncTool(new ResyncTool.Endpoint("127.0.0.1", m2Port),
                new ResyncTool.Endpoint("127.0.0.1", m1Port), APPLICATION, Duration.ofSeconds(10),
                Duration.ofMillis(50), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertThat(refused.consistent()).isFalse();
        assertThat(refused.message()).contains("dirk resync needs the administration credential");
    }
}
