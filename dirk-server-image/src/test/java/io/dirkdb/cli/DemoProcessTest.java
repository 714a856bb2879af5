package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `dirk demo --no-shell` as a user runs it: in its own process, stopped by SIGTERM. */
class DemoProcessTest {
    @TempDir
    Path directory;

    private static Reply ok(DirkConnection connection, String statement) throws IOException {
        Reply reply = connection.execute(statement);
        assertThat(reply.isError()).as(statement + " -> " + reply.messageText()).isFalse();
        return reply;
    }

    @Test
    void demoServesStatementsOnItsClientPortAndKeepsThemAfterSigterm() throws Exception {
        Path data = directory.resolve("demo-data");
        try (DemoProcess demo = DemoProcess.start(data, directory.resolve("logs"))) {
            assertThat(demo.output()).anyMatch(line -> line.equals("dirk demo: data in " + data));
            assertThat(demo.output()).anyMatch(line -> line.contains("m1 (primary, epoch 1)"));
            // m2 as it is once it follows m1, not as it was the moment it listened (epoch 0).
            assertThat(demo.output()).anyMatch(line -> line.contains("m2 (secondary, epoch 1)"));
            try (DirkConnection client = DirkConnection.open("127.0.0.1", demo.clientPort())) {
                ok(client, "manamboara tahiry demo;");
                ok(client, "ampiasao demo;");
                ok(client, "manamboara tabilao t (id ISA(null, null), name LAHATSORATRA(0, 20));");
                ok(client, "manampia ao@ t (id, name) sanda (1, 'voalohany'), (2, 'faharoa');");
                Reply rows = ok(client, "alaivo * #ao@ t;");
                assertThat(((Result.Relation) rows.result()).rows()).hasSize(2);
            }
            int m2Port = demo.output().stream().filter(line -> line.strip().startsWith("m2 ("))
                    .map(line -> line.replaceAll("^.*?127\\.0\\.0\\.1:(\\d+).*", "$1")).map(Integer::parseInt)
                    .findFirst().orElseThrow();
            int m1Port = demo.output().stream().filter(line -> line.strip().startsWith("m1 ("))
                    .map(line -> line.replaceAll("^.*?127\\.0\\.0\\.1:(\\d+).*", "$1")).map(Integer::parseInt)
                    .findFirst().orElseThrow();
            // The members are closed: each role has its own generated password, kept in the data directory.
            Path credentials = data.resolve(DemoCluster.CREDENTIALS_DIRECTORY);
            String application = Files.readString(credentials.resolve("application")).strip();
            String administration = Files.readString(credentials.resolve("administration")).strip();
            assertThat(Files.readString(credentials.resolve("replication")).strip())
                    .isNotIn(application, administration).isNotBlank();
            try (DirkConnection m1 = DirkConnection.open("127.0.0.1", m1Port)) {
                assertThat(m1.execute("ampiasao demo;").errorMessage()).isEqualTo("authentication required");
                ok(m1, "dirk auth '" + application + "';");
                assertThat(m1.execute("dirk fence;").errorMessage())
                        .isEqualTo("dirk fence needs the administration credential (this connection holds the application one)");
                assertThat(m1.execute("dirk follow '10.0.0.1' 3948;").errorMessage()).contains("administration credential");
                ok(m1, "dirk auth '" + administration + "';");
                assertThat(m1.execute("dirk follow '10.0.0.1' 3948;").errorMessage())
                        .contains("not a member of this cluster's configuration");
            }
            try (DirkConnection m2 = DirkConnection.open("127.0.0.1", m2Port)) {
                ok(m2, "dirk auth '" + application + "';");
                ok(m2, "ampiasao demo;");
                Reply replicated = ok(m2, "alaivo id #ao@ t;");
                assertThat(((Result.Relation) replicated.result()).rows()).as("sync replication: on m2 once acknowledged")
                        .hasSize(2);
            }
            assertThat(demo.terminate()).as("exit code after SIGTERM; log: " + demo.log()).isZero();
        }
        assertThat(data.resolve(DemoCluster.CONFIG_FILE)).exists();
        assertThat(Files.readString(data.resolve(DemoCluster.CONFIG_FILE))).contains("\"MASTER\"", "\"REPLICA\"");

        try (DemoProcess again = DemoProcess.start(data, directory.resolve("logs"));
                DirkConnection client = DirkConnection.open("127.0.0.1", again.clientPort())) {
            ok(client, "ampiasao demo;");
            Reply rows = ok(client, "alaivo id #ao@ t;");
            assertThat(((Result.Relation) rows.result()).rows()).containsExactlyInAnyOrder(List.of(1L), List.of(2L));
            assertThat(again.terminate()).isZero();
        }
    }
}
