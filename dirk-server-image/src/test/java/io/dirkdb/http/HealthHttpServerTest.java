package io.dirkdb.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HealthHttpServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(HealthHttpServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessFollowsTheRoleCheckAndLivenessStaysUp() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(false);
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        try (HealthHttpServer server = HealthHttpServer.start("127.0.0.1", 0, registry,
                () -> ready.get() ? HealthHttpServer.Readiness.ready("primary, epoch 2")
                        : HealthHttpServer.Readiness.notReady("recovering the log"))) {
            assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> notReady = get(server, "/health/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("recovering the log");

            ready.set(true);
            HttpResponse<String> isReady = get(server, "/health/ready");
            assertThat(isReady.statusCode()).isEqualTo(200);
            assertThat(isReady.body()).contains("primary, epoch 2");
        }
    }

    @Test
    void metricsAreServedInPrometheusFormat() throws Exception {
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        Counter.builder("dirk.statements").tag("kind", "read").register(registry).increment(3);
        try (HealthHttpServer server = HealthHttpServer.start("127.0.0.1", 0, registry,
                () -> HealthHttpServer.Readiness.ready("ok"))) {
            HttpResponse<String> metrics = get(server, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("dirk_statements_total{kind=\"read\"} 3.0");
            assertThat(get(server, "/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void halfSentRequestsNeverHangTheProbes() throws Exception {
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        List<java.net.Socket> slow = new ArrayList<>();
        try (HealthHttpServer server = HealthHttpServer.start("127.0.0.1", 0, registry,
                () -> HealthHttpServer.Readiness.ready("ok"))) {
            for (int i = 0; i < 300; i++) { // more than the server keeps open at once
                java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port());
                socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n".getBytes());
                slow.add(socket);
            }
            HttpClient bounded = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (String path : List.of("/health/live", "/health/ready")) {
                HttpResponse<String> answer = bounded.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
            }
            // The last half-sent request is dropped at its deadline instead of holding anything.
            java.net.Socket last = slow.get(slow.size() - 1);
            last.setSoTimeout(10_000);
            assertThat(last.getInputStream().read()).isEqualTo(-1);
        } finally {
            for (java.net.Socket socket : slow) {
                socket.close();
            }
        }
    }
}
