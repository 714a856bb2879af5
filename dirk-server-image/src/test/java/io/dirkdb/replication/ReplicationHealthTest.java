package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.engine.ChangeRecords;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.storage.Storage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Readiness and metrics as `dirk server --http-port` serves them. */
class ReplicationHealthTest extends ReplicaSetFixture {
    private HealthHttpServer http;
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void stopHttp() {
        if (http != null) {
            http.close();
        }
    }

    private HealthHttpServer serve(ReplicaSet.Node node) throws Exception {
        return HealthHttpServer.start("127.0.0.1", 0, node.registry(), node.server()::readiness);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void secondaryIsReadyWhileStreamingAndNotOnceItsPrimaryIsGone() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        http = serve(members.startSecondary("m2", "m1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> get("/health/ready").statusCode() == 200);
        members.stop("m1");
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/health/ready").statusCode() == 503);
    }

    @Test
    void metricsShowShippedBytesAndLag() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        http = serve(members.startPrimary("m1"));
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat("m2").path("lsn").asLong() == 1);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("dirk_server_statements_total{kind=\"schema\"} 1.0")
                .containsPattern("dirk_replication_shipped_bytes_total\\{form=\"compressed\"\\} [1-9]")
                .containsPattern("dirk_replication_shipped_bytes_total\\{form=\"raw\"\\} [1-9]")
                .contains("dirk_replication_lag_lsn")
                .contains("dirk_replication_lag_ms")
                .contains("dirk_replication_compression_ratio");
        ok(members.execute("m1", "dirk fence"));
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void secondaryThatCannotApplyARecordSaysItIsNotStreaming() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node primary = members.startPrimary("m1");
        http = serve(members.startSecondary("m2", "m1"));
        ok(members.execute("m1", "manamboara tahiry d"));
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat("m2").path("lsn").asLong() == 1);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        // A record an older primary accepted: applying it used to kill the follower thread (StackOverflowError)
        // while the heartbeat kept saying "streaming".
        Storage storage = primary.database().engine().storage().orElseThrow();
        storage.awaitDurable(storage.append(primary.database().engine().epoch(), ChangeRecords.nestedView("d", "v", 100_000)));
        await().atMost(Duration.ofSeconds(10)).until(() -> !members.heartbeat("m2").path("streaming").asBoolean());
        assertThat(members.heartbeat("m2").path("replicationError").asText()).contains("log record 2");
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);
    }
}
