package io.dirkdb.cache;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.proxy.RelayServer;
import io.dirkdb.proxy.RelayTls;
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
    private final TlsSettings upstreamTls;

    private CachingProxy(CacheSettings settings, RelayTls tls, MeterRegistry registry) throws IOException {
        this.settings = settings;
        this.upstreamTls = tls.upstream();
        this.upstream = new MemberAddress("upstream", settings.upstreamHost(), settings.upstreamPort());
        this.cache = new ReplyCache(settings.ttlMillis(), settings.maxEntries(), settings.maxEntryBytes(), registry);
        this.upstreamFailures = Counter.builder("dirk.cache.upstream.failures")
                .description("requests that failed because the upstream broke the connection or did not answer")
                .register(registry);
        this.server = RelayServer.start("cache", settings.host(), settings.port(), settings.maxConnections(),
                settings.maxRequestBytes(), settings.timeouts(), tls.listener(), () -> new CacheSession(this));
    }

    /** @param registry where the cache's meters go ({@link HealthHttpServer#newRegistry()} in production) */
    public static CachingProxy start(CacheSettings settings, MeterRegistry registry) throws IOException {
        return new CachingProxy(settings, RelayTls.PLAIN, registry);
    }

    /** As above, with TLS toward clients and/or toward the proxy. */
    public static CachingProxy start(CacheSettings settings, RelayTls tls, MeterRegistry registry) throws IOException {
        return new CachingProxy(settings, tls, registry);
    }

    /** How the cache connects to its upstream (null: plain TCP). */
    TlsSettings upstreamTls() {
        return upstreamTls;
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
