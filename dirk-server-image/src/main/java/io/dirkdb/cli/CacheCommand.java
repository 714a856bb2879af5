package io.dirkdb.cli;

import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.http.HealthHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dirk cache upstreamHost upstreamPort listenPort ttlMillis maxEntries}: the caching proxy. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Runs the caching proxy in front of the proxy.",
                "Repeated reads (same database, same text) are answered from memory within their time-to-live;",
                "everything else is forwarded, and a write drops the cached reads of its table."})
public final class CacheCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "upstreamHost", defaultValue = "127.0.0.1",
            description = "host of the proxy (or member) to forward to (default: ${DEFAULT-VALUE})")
    String upstreamHost;

    @Parameters(index = "1", arity = "0..1", paramLabel = "upstreamPort", defaultValue = "3949",
            description = "its port (default: ${DEFAULT-VALUE})")
    int upstreamPort;

    @Parameters(index = "2", arity = "0..1", paramLabel = "listenPort", defaultValue = "3951",
            description = "port to listen on, 0 for any free port (default: ${DEFAULT-VALUE})")
    int listenPort;

    @Parameters(index = "3", arity = "0..1", paramLabel = "ttlMillis", defaultValue = "3000",
            description = "how long a reply stays cached, 0 to cache nothing (default: ${DEFAULT-VALUE})")
    long ttlMillis;

    @Parameters(index = "4", arity = "0..1", paramLabel = "maxEntries", defaultValue = "200",
            description = "replies kept at most; the least recently used goes first (default: ${DEFAULT-VALUE})")
    int maxEntries;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "port of /health/live, /health/ready and /metrics on the same address (default: none)")
    Integer httpPort;

    @Option(names = "--max-entry-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "replies larger than this are not cached (default: ${DEFAULT-VALUE})")
    int maxEntryBytes;

    @Option(names = "--upstream-timeout-ms", paramLabel = "MILLIS", defaultValue = "60000",
            description = "bound on connecting to the upstream and waiting for one reply (default: ${DEFAULT-VALUE})")
    int upstreamTimeoutMillis;

    @Option(names = "--shutdown-grace-seconds", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE})")
    int shutdownGraceSeconds;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024",
            description = "client connections served at once (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "largest request accepted (default: ${DEFAULT-VALUE})")
    int maxRequestBytes;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CacheSettings settings;
        try {
            settings = new CacheSettings(upstreamHost, upstreamPort, host, listenPort, ttlMillis, maxEntries,
                    maxEntryBytes, maxConnections, maxRequestBytes, upstreamTimeoutMillis);
        } catch (IllegalArgumentException e) {
            err.println("dirk cache: " + e.getMessage());
            err.flush();
            return ServerCommand.EXIT_CONFIG;
        }
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        CachingProxy cache;
        try {
            cache = CachingProxy.start(settings, registry);
        } catch (IOException e) {
            err.println("dirk cache: cannot listen on " + host + ":" + listenPort + ": " + e.getMessage());
            err.flush();
            return ServerCommand.EXIT_FAILURE;
        }
        HealthHttpServer http = null;
        if (httpPort != null) {
            try {
                http = HealthHttpServer.start(host, httpPort, registry, cache::readiness);
            } catch (IOException e) {
                cache.close();
                err.println("dirk cache: cannot serve HTTP on " + host + ":" + httpPort + ": " + e.getMessage());
                err.flush();
                return ServerCommand.EXIT_FAILURE;
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        HealthHttpServer httpServer = http;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (httpServer != null) {
                httpServer.close();
            }
            cache.close(Duration.ofSeconds(Math.max(0, shutdownGraceSeconds)));
            stopped.countDown();
            System.out.flush();
            System.err.flush();
            // A JVM stopped by a signal exits 143; a clean stop on SIGTERM is a success.
            Runtime.getRuntime().halt(0);
        }, "dirk-cache-shutdown"));
        out.println("dirk cache listening on " + host + ":" + cache.port() + ", upstream " + upstreamHost + ":"
                + upstreamPort + ", ttl " + ttlMillis + " ms, at most " + maxEntries + " entries"
                + (http == null ? "" : ", HTTP on port " + http.port()));
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
