package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.testing.ConfigFiles;
import io.dirkdb.testing.ServerProcess;
import io.dirkdb.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two `dirk server` processes replicating over mutual TLS, as the operator runs them. */
class MutualTlsReplicationProcessTest {
    private static final TestCertificates.Authority CA = TestCertificates.authority("members CA");

    @TempDir
    Path root;

    private ServerProcess primary;
    private ServerProcess secondary;

    @AfterEach
    void stop() throws Exception {
        if (secondary != null) {
            secondary.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    /** The flags of a member with its own certificate (for 127.0.0.1, where the test runs it), requiring client ones. */
    private String[] tlsFlags(String id) throws IOException {
        Path secret = CA.issue(id, id + ".demo-members.ns.svc", "127.0.0.1").writeSecret(root.resolve("tls-" + id));
        return new String[] {"--tls-cert", secret.resolve("tls.crt").toString(), "--tls-key",
            secret.resolve("tls.key").toString(), "--tls-ca", secret.resolve("ca.crt").toString(),
            "--tls-client-auth", "required"};
    }

    private static String[] concat(String[] first, String... rest) {
        String[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    private TlsSettings operatorTls() throws IOException {
        Path secret = CA.issue("operator", "dirk-operator").writeSecret(root.resolve("tls-operator"));
        return TlsSettings.client(secret.resolve("ca.crt"), secret.resolve("tls.crt"), secret.resolve("tls.key"));
    }

    private static Reply ok(DirkConnection connection, String statement) throws IOException {
        Reply reply = connection.execute(statement);
        assertThat(reply.isError()).as("%s -> %s", statement, reply.messageText()).isFalse();
        return reply;
    }

    @Test
    void secondaryProcessFollowsPrimaryProcessOverMutualTlsAndAPeerWithoutCertificateIsRefused() throws Exception {
        primary = ServerProcess.start(root.resolve("logs"), concat(tlsFlags("m1"), "--data-dir", root.resolve("m1")
                .toString()));
        Path config = ConfigFiles.write(root, """
                {"instances": [
                  {"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": %d, "dataDirectory": "%s"},
                  {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": 0, "dataDirectory": "%s"}],
                 "replication": {"type": "FILE", "mode": "async"}}
                """.formatted(primary.port(), root.resolve("m1"), root.resolve("m2")));
        secondary = ServerProcess.start(root.resolve("logs"), concat(tlsFlags("m2"), "--config", config.toString(),
                "--id", "m2"));

        TlsSettings client = operatorTls();
        try (DirkConnection connection = DirkConnection.open(client, "127.0.0.1", primary.port(), 10_000)) {
            ok(connection, "manamboara tahiry shop");
            ok(connection, "ampiasao shop");
            ok(connection, "manamboara tabilao item (id ISA(null,null), name LAHATSORATRA(null,null))");
            ok(connection, "manampia ao@ item (id, name) sanda (7, 'shipped over mutual TLS')");
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            try (DirkConnection connection = DirkConnection.open(client, "127.0.0.1", secondary.port(), 5000)) {
                ok(connection, "ampiasao shop");
                Result.Relation rows = (Result.Relation) ok(connection, "alaivo * ao@ item").result();
                assertThat(rows.rows()).containsExactly(List.of(7L, "shipped over mutual TLS"));
            }
        });

        // A would-be peer that trusts the CA but presents no certificate gets nothing, not even a heartbeat.
        Path caFile = CA.writeCertificate(root.resolve("ca.crt"));
        assertThatThrownBy(() -> {
            try (PeerChannel peer = PeerChannel.open(TlsSettings.client(caFile, null, null), "127.0.0.1",
                    primary.port(), null, 5000)) {
                peer.request("dirk heartbeat;");
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("requires a client certificate");
        // Nor does one whose certificate another CA signed.
        Path stranger = TestCertificates.authority("stranger CA").issue("m9", "127.0.0.1")
                .writeSecret(root.resolve("tls-stranger"));
        assertThatThrownBy(() -> {
            try (PeerChannel peer = PeerChannel.open(TlsSettings.client(caFile, stranger.resolve("tls.crt"),
                    stranger.resolve("tls.key")), "127.0.0.1", primary.port(), null, 5000)) {
                peer.request("dirk heartbeat;");
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("requires a client certificate");
    }

    @Test
    void serverWithAKeyThatIsNotItsCertificatesStopsAtStartNamingTheFiles() throws Exception {
        String[] m1 = tlsFlags("m1");
        String[] m2 = tlsFlags("m2");
        m1[3] = m2[3]; // m2's key with m1's certificate
        assertThatThrownBy(() -> ServerProcess.start(root.resolve("logs"), concat(m1, "--data-dir",
                root.resolve("m1").toString())))
                .hasMessageContaining("does not belong to the certificate");
    }
}
