package io.dirkdb.cache;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.proxy.RelayServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;

/**
 * The caching proxy ({@code dirk cache}): sits in front of the routing proxy, answers repeated
 * reads from its {@link ReplyCache} and forwards everything else, each client over a connection
 * of its own to the upstream (so the upstream keeps that client's database and authentication).
 */
public final class CachingProxy implements AutoCloseable {
    private final CacheSettings settings;
    private final MemberAddress upstream;
    private final ReplyCache cache;
    private final Counter upstreamFailures;
    private final RelayServer server;

    private CachingProxy(CacheSettings settings, MeterRegistry registry) throws IOException {
        this.settings = settings;
        this.upstream = new MemberAddress("upstream", settings.upstreamHost(), settings.upstreamPort());
        this.cache = new ReplyCache(settings.ttlMillis(), settings.maxEntries(), settings.maxEntryBytes(), registry);
        this.upstreamFailures = Counter.builder("dirk.cache.upstream.failures")
                .description("requests that failed because the upstream broke the connection or did not answer")
                .register(registry);
        this.server = RelayServer.start("cache", settings.host(), settings.port(), settings.maxConnections(),
                settings.maxRequestBytes(), settings.timeouts(), () -> new CacheSession(this));
    }

    /** @param registry where the cache's meters go ({@link HealthHttpServer#newRegistry()} in production) */
    public static CachingProxy start(CacheSettings settings, MeterRegistry registry) throws IOException {
        return new CachingProxy(settings, registry);
    }

    public int port() {
        return server.port();
    }

    public ReplyCache cache() {
        return cache;
    }

    CacheSettings settings() {
        return settings;
    }

    MemberAddress upstream() {
        return upstream;
    }

    void countUpstreamFailure() {
        upstreamFailures.increment();
    }

    /** The cache itself is always able to serve; whether the upstream is, each request tells. */
    public HealthHttpServer.Readiness readiness() {
        return HealthHttpServer.Readiness.ready(cache.size() + " replies cached, upstream " + upstream.host() + ":"
                + upstream.port());
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /** Stops serving, letting the requests in flight finish for at most {@code grace}. */
    public void close(Duration grace) {
        server.close(grace);
    }
}
