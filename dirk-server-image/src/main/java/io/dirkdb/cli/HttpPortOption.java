package io.dirkdb.cli;

import io.dirkdb.http.HealthHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** {@code --http-port}: the health and metrics endpoints of a long-running command (server, proxy, cache). */
final class HttpPortOption {

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "port of /health/live, /health/ready and /metrics on the same address (default: none)")
    Integer httpPort;

    /** Starts the endpoints on {@code host} when {@code --http-port} was given; null when it was not. */
    HealthHttpServer startIfGiven(String host, PrometheusMeterRegistry registry,
                                  Supplier<HealthHttpServer.Readiness> readiness) throws IOException {
        return httpPort == null ? null : HealthHttpServer.start(host, httpPort, registry, readiness);
    }

    /** As above, with a liveness check (false: the process needs a restart). */
    HealthHttpServer startIfGiven(String host, PrometheusMeterRegistry registry,
                                  Supplier<HealthHttpServer.Readiness> readiness,
                                  Supplier<HealthHttpServer.Readiness> liveness) throws IOException {
        return httpPort == null ? null : HealthHttpServer.start(host, httpPort, registry, readiness, liveness);
    }

    /** The line a command prints when the endpoints cannot start. */
    String cannotServe(String command, String host, IOException e) {
        return command + ": cannot serve HTTP on " + host + ":" + httpPort + ": " + e.getMessage();
    }
}
