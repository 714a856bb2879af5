package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.proxy.RelayTls;
import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.http.HealthHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    HttpPortOption http;

    @Option(names = "--max-entry-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "replies larger than this are not cached (default: ${DEFAULT-VALUE})")
    int maxEntryBytes;

    @Option(names = "--upstream-timeout-ms", paramLabel = "MILLIS", defaultValue = "60000",
            description = "bound on connecting to the upstream and waiting for one reply (default: ${DEFAULT-VALUE})")
    int upstreamTimeoutMillis;

    @Mixin
    RelayOptions limits;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CacheSettings settings;
        RelayTls tls;
        try {
            tls = limits.tls("dirk cache");
            settings = new CacheSettings(upstreamHost, upstreamPort, host, listenPort, ttlMillis, maxEntries,
                    maxEntryBytes, limits.maxConnections, limits.maxRequestBytes, upstreamTimeoutMillis,
                    limits.timeouts());
        } catch (IllegalArgumentException | DirkException e) {
            return ExitCodes.fail(err, "dirk cache: " + e.getMessage(), ExitCodes.CONFIG);
        }
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        CachingProxy cache;
        try {
            cache = CachingProxy.start(settings, tls, registry);
        } catch (IOException e) {
            return ExitCodes.fail(err, "dirk cache: cannot listen on " + host + ":" + listenPort + ": " + e.getMessage(),
                    ExitCodes.FAILURE);
        }
        HealthHttpServer httpServer;
        try {
            httpServer = http.startIfGiven(host, registry, cache::readiness);
        } catch (IOException e) {
            cache.close();
            return ExitCodes.fail(err, http.cannotServe("dirk cache", host, e), ExitCodes.FAILURE);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Shutdown.onSignal("dirk-cache-shutdown", () -> {
            if (httpServer != null) {
                httpServer.close();
            }
            cache.close(limits.shutdownGrace());
            stopped.countDown();
            return ExitCodes.OK;
        });
        out.println("dirk cache listening on " + host + ":" + cache.port() + ", upstream " + upstreamHost + ":"
                + upstreamPort + ", ttl " + ttlMillis + " ms, at most " + maxEntries + " entries"
                + (httpServer == null ? "" : ", HTTP on port " + httpServer.port()));
        out.flush();
        return Shutdown.runUntil(stopped::await);
    }
}
