package io.dirkdb.proxy;

import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.RawReply;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What the proxy and the cache cost or save, on loopback in one process: point lookups per second
 * straight to a member, through the proxy, and through the cache (repeated reads, so hits) against
 * the same repeated reads straight to the member. Targets: the proxy keeps at least 85% of the
 * member's rate, cache hits reach at least 3 times the member's rate.
 * Run: {@code java -cp dirk-server-image/target/classes:<deps> io.dirkdb.proxy.ProxyBenchmark [rows lookups connections rounds]}.
 */
public final class ProxyBenchmark {

    /** @param hotKeys distinct ids of the repeated reads (all within the cache's bound) */
    public record Settings(int rows, int lookups, int connections, int hotKeys, int rounds) {
        public static Settings defaults() {
            return new Settings(10_000, 20_000, 4, 100, 3);
        }
    }

    /** Reads by equality on the indexed id: the cheapest read there is. */
    private static final String POINT_LOOKUP = "alaivo v #ao@ look #rehefa id = ";
    /** Reads by equality on a column without an index: the member scans the table. */
    private static final String SCAN = "alaivo id #ao@ look #rehefa v = 'row ";

    /** The figures measured, in reads per second. */
    public record Figures(double direct, double throughProxy, double directRepeated, double cacheHits,
            double directScans, double cachedScans) {
        public double proxyShare() {
            return throughProxy / direct;
        }

        public double cacheSpeedup() {
            return cacheHits / directRepeated;
        }
    }

    private ProxyBenchmark() {}

    public static void main(String[] args) throws Exception {
        Settings defaults = Settings.defaults();
        Settings settings = new Settings(
                args.length > 0 ? Integer.parseInt(args[0]) : defaults.rows(),
                args.length > 1 ? Integer.parseInt(args[1]) : defaults.lookups(),
                args.length > 2 ? Integer.parseInt(args[2]) : defaults.connections(),
                defaults.hotKeys(),
                args.length > 3 ? Integer.parseInt(args[3]) : defaults.rounds());
        run(settings, System.out);
        System.exit(0);
    }

    /** Starts a member (in-memory engine), a proxy and a cache on loopback, measures, prints, stops them. */
    public static Figures run(Settings settings, PrintStream out) throws Exception {
        MemberServer member = MemberServer.start(Member.start("bench", EngineDatabase.inMemory(), null, Role.PRIMARY),
                ServerSettings.loopback(0).withMaxConnections(Math.max(64, 4 * settings.connections())));
        ProxySettings proxySettings = ProxySettings.loopback(List.of(new MemberAddress("bench", "127.0.0.1", member.port())));
        try (RoutingProxy proxy = RoutingProxy.start(proxySettings, new SimpleMeterRegistry());
             CachingProxy cache = CachingProxy.start(CacheSettings.loopback("127.0.0.1", proxyPort(proxy), 600_000,
                     Math.max(200, settings.hotKeys())), new SimpleMeterRegistry())) {
            load(member.port(), settings.rows());
            int memberPort = member.port();
            // Warm up every path (JIT, pools) before measuring.
            int warmUp = Math.max(settings.connections(), settings.lookups() / 10);
            measure(memberPort, POINT_LOOKUP, settings.rows(), warmUp, settings.connections());
            measure(proxy.port(), POINT_LOOKUP, settings.rows(), warmUp, settings.connections());
            measure(cache.port(), POINT_LOOKUP, settings.hotKeys(), warmUp, settings.connections());

            // Other processes share the machine: each figure is the best of a few rounds, interleaved.
            double direct = 0;
            double throughProxy = 0;
            double directRepeated = 0;
            double cacheHits = 0;
            double directScans = 0;
            double cachedScans = 0;
            int scans = Math.max(settings.connections(), settings.lookups() / 20);
            for (int round = 0; round < settings.rounds(); round++) {
                direct = Math.max(direct, measure(memberPort, POINT_LOOKUP, settings.rows(), settings.lookups(),
                        settings.connections()));
                throughProxy = Math.max(throughProxy, measure(proxy.port(), POINT_LOOKUP, settings.rows(),
                        settings.lookups(), settings.connections()));
                directRepeated = Math.max(directRepeated, measure(memberPort, POINT_LOOKUP, settings.hotKeys(),
                        settings.lookups(), settings.connections()));
                cacheHits = Math.max(cacheHits, measure(cache.port(), POINT_LOOKUP, settings.hotKeys(),
                        settings.lookups(), settings.connections()));
                directScans = Math.max(directScans, measure(memberPort, SCAN, settings.hotKeys(), scans,
                        settings.connections()));
                cachedScans = Math.max(cachedScans, measure(cache.port(), SCAN, settings.hotKeys(), scans,
                        settings.connections()));
            }
            Figures figures = new Figures(direct, throughProxy, directRepeated, cacheHits, directScans, cachedScans);
            out.printf(Locale.ROOT, "point lookups on %d rows, %d connections, %d lookups a measure, best of %d rounds%n",
                    settings.rows(), settings.connections(), settings.lookups(), settings.rounds());
            out.printf(Locale.ROOT, "  straight to the member: %.0f/s%n", direct);
            out.printf(Locale.ROOT, "  through the proxy:      %.0f/s = %.0f%% of straight (target >= 85%%)%n",
                    throughProxy, 100 * figures.proxyShare());
            out.printf(Locale.ROOT, "repeated point lookups of %d ids%n", settings.hotKeys());
            out.printf(Locale.ROOT, "  straight to the member: %.0f/s%n", directRepeated);
            out.printf(Locale.ROOT, "  cache hits:             %.0f/s = %.1fx straight (target >= 3x)%n",
                    cacheHits, figures.cacheSpeedup());
            out.printf(Locale.ROOT, "repeated scans (equality on a column without index) for %d values%n",
                    settings.hotKeys());
            out.printf(Locale.ROOT, "  straight to the member: %.0f/s%n", directScans);
            out.printf(Locale.ROOT, "  cache hits:             %.0f/s = %.1fx straight%n", cachedScans,
                    cachedScans / directScans);
            out.printf(Locale.ROOT, "cache hit ratio over the run: %.3f%n",
                    cache.cache().hitCount() / Math.max(1, cache.cache().hitCount() + cache.cache().missCount()));
            return figures;
        } finally {
            member.close();
        }
    }

    private static int proxyPort(RoutingProxy proxy) throws InterruptedException {
        // The first heartbeat tells the proxy who the primary is.
        proxy.table().awaitWriteTarget(10_000);
        return proxy.port();
    }

    private static void load(int port, int rows) throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", port)) {
            check(connection.execute("manamboara tahiry bench"));
            check(connection.execute("ampiasao bench"));
            check(connection.execute("manamboara tabilao look (id ISA(null,null), v LAHATSORATRA(null,null))"));
            for (int start = 0; start < rows; start += 1000) {
                StringBuilder insert = new StringBuilder("manampia ao@ look (id, v) sanda ");
                for (int id = start; id < Math.min(rows, start + 1000); id++) {
                    insert.append(id == start ? "" : ", ").append('(').append(id).append(", 'row ").append(id).append("')");
                }
                check(connection.execute(insert.toString()));
            }
        }
    }

    /**
     * Reads of keys drawn from {@code 0..keys-1}, on {@code connections} connections; lookups
     * per second. The client reads replies undecoded, so that its own work weighs little in the figure.
     */
    private static double measure(int port, String query, int keys, int lookups, int connections) throws Exception {
        int perConnection = Math.max(1, lookups / connections);
        ExecutorService threads = Executors.newFixedThreadPool(connections);
        MemberAddress target = new MemberAddress("measured", "127.0.0.1", port);
        List<UpstreamConnection> opened = new ArrayList<>();
        try {
            for (int c = 0; c < connections; c++) {
                UpstreamConnection connection = UpstreamConnection.open(target, null, 60_000);
                opened.add(connection);
                check(connection.execute("ampiasao bench"));
            }
            long started = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                UpstreamConnection connection = opened.get(c);
                SplittableRandom random = new SplittableRandom(c);
                done.add(threads.submit(() -> {
                    for (int i = 0; i < perConnection; i++) {
                        int key = random.nextInt(keys);
                        check(connection.execute(query == SCAN ? query + key + "'" : query + key));
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return perConnection * (double) connections / seconds;
        } finally {
            opened.forEach(UpstreamConnection::close);
            threads.shutdownNow();
        }
    }

    private static void check(RawReply reply) {
        if (reply.isError()) {
            throw new IllegalStateException("the benchmark got an error: " + UpstreamConnection.messageOf(reply));
        }
    }

    private static Reply check(Reply reply) {
        if (reply.isError()) {
            throw new IllegalStateException("the benchmark got an error: " + reply.messageText());
        }
        return reply;
    }
}
