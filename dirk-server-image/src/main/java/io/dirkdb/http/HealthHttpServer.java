package io.dirkdb.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP side of every role: {@code /health/live}, {@code /health/ready} and Prometheus
 * {@code /metrics}. Kubernetes probes and scrapers use it; the DirkDB port stays for the protocol.
 */
public final class HealthHttpServer implements AutoCloseable {

    /** A readiness verdict and a line a person can read in the probe's output. */
    public record Readiness(boolean ready, String detail) {
        public static Readiness ready(String detail) {
            return new Readiness(true, detail);
        }

        public static Readiness notReady(String detail) {
            return new Readiness(false, detail);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;

    private HealthHttpServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
    }

    /** A registry every role records its meters into; pass it to {@link #start}. */
    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /**
     * Starts serving on {@code host:port} (port 0 picks a free one).
     *
     * @param readiness asked on every {@code /health/ready}: whether this process can serve its role now
     */
    public static HealthHttpServer start(String host, int port, PrometheusMeterRegistry registry,
                                         Supplier<Readiness> readiness) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "dirk-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health/live", ex -> respond(ex, 200, "text/plain", "live\n"));
        server.createContext("/health/ready", ex -> {
            Readiness r;
            try {
                r = readiness.get();
            } catch (RuntimeException e) {
                r = Readiness.notReady("readiness check failed: " + e.getClass().getSimpleName());
            }
            respond(ex, r.ready() ? 200 : 503, "text/plain", (r.ready() ? "ready" : "not ready") + ": " + r.detail() + "\n");
        });
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/", ex -> respond(ex, 404, "text/plain", "not found: try /health/live, /health/ready, /metrics\n"));
        server.start();
        return new HealthHttpServer(server, executor, registry);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
