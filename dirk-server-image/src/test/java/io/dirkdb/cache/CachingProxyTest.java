package io.dirkdb.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.proxy.LoopbackCluster;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RecordingDatabase;
import io.dirkdb.proxy.RoutingProxy;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.testing.IdleClients;
import io.dirkdb.testing.RawClient;
import java.net.InetSocketAddress;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cache in front of a real member server (which speaks the same protocol as the proxy). */
class CachingProxyTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private LoopbackCluster cluster;
    private CachingProxy cache;
    private final List<DirkConnection> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (DirkConnection client : clients) {
            client.close();
        }
        if (cache != null) {
            cache.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private DirkConnection cacheInFront(long ttlMillis, int maxEntries) throws IOException {
        cluster = LoopbackCluster.start(1, null, "shop");
        MemberAddress member = cluster.address("m1");
        cache = CachingProxy.start(CacheSettings.loopback(member.host(), member.port(), ttlMillis, maxEntries), registry);
        return client();
    }

    private DirkConnection client() throws IOException {
        DirkConnection client = DirkConnection.open("127.0.0.1", cache.port());
        client.setReadTimeoutMillis(30_000);
        clients.add(client);
        return client;
    }

    private RecordingDatabase upstream() {
        return cluster.database("m1");
    }

    private long upstreamReadsOf(String table) {
        return upstream().executed().stream().filter(e -> e.tables().equals(Set.of(table))
                && e.kind() == io.dirkdb.sql.StatementKind.READ).count();
    }

    private static Reply ok(Reply reply) {
        assertThat(reply.isError()).as("error: %s", reply.messageText()).isFalse();
        return reply;
    }

    @Test
    void aRepeatedReadWithinTheTimeToLiveReachesTheUpstreamOnce() throws Exception {
        DirkConnection client = cacheInFront(60_000, 200);

        Reply first = ok(client.execute("alaivo * ao@ t"));
        Reply second = ok(client.execute("alaivo * ao@ t"));

        assertThat(second.frames()).isEqualTo(first.frames());
        assertThat(upstreamReadsOf("t")).isEqualTo(1);
        assertThat(registry.counter("dirk.cache.hits").count()).isEqualTo(1);
        assertThat(registry.counter("dirk.cache.misses").count()).isEqualTo(1);
    }

    @Test
    void aReadAfterTheTimeToLiveGoesUpstreamAgain() throws Exception {
        DirkConnection client = cacheInFront(200, 200);
        ok(client.execute("alaivo * ao@ t"));
        ok(client.execute("alaivo * ao@ t"));
        assertThat(upstreamReadsOf("t")).isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
            ok(client.execute("alaivo * ao@ t"));
            return upstreamReadsOf("t") == 2;
        });
    }

    @Test
    void aWriteThroughTheCacheDropsTheReadsOfItsTableAndKeepsTheOthers() throws Exception {
        DirkConnection writer = cacheInFront(60_000, 200);
        DirkConnection reader = client();
        ok(writer.execute("manampia ao@ t (id) sanda (1)"));
        ok(writer.execute("manampia ao@ u (id) sanda (1)"));
        ok(reader.execute("alaivo * ao@ t"));
        ok(reader.execute("alaivo * ao@ u"));

        ok(writer.execute("havaozy t ova id = 2"));
        ok(reader.execute("alaivo * ao@ t"));
        ok(reader.execute("alaivo * ao@ u"));

        assertThat(upstreamReadsOf("t")).isEqualTo(2);
        assertThat(upstreamReadsOf("u")).isEqualTo(1);
    }

    @Test
    void aSessionThatHasWrittenReadsUpstreamWhileItsRepliesServeOthers() throws Exception {
        DirkConnection writer = cacheInFront(60_000, 200);
        DirkConnection reader = client();
        ok(reader.execute("alaivo * ao@ other"));
        ok(writer.execute("manampia ao@ t (id) sanda (1)"));

        ok(writer.execute("alaivo * ao@ t"));
        ok(writer.execute("alaivo * ao@ t"));
        ok(reader.execute("alaivo * ao@ t"));

        assertThat(upstreamReadsOf("t")).isEqualTo(2);
        assertThat(registry.counter("dirk.cache.hits").count()).isEqualTo(1);
    }

    @Test
    void aWriteByAnotherClientOfTheCacheIsSeenByTheNextRead() throws Exception {
        DirkConnection reader = cacheInFront(60_000, 200);
        DirkConnection writer = client();
        ok(reader.execute("alaivo * ao@ t"));

        ok(writer.execute("fafao ao@ t"));
        ok(reader.execute("alaivo * ao@ t"));

        assertThat(upstreamReadsOf("t")).isEqualTo(2);
    }

    @Test
    void errorsAreNeverCached() throws Exception {
        DirkConnection client = cacheInFront(60_000, 200);

        Reply first = client.execute("alaivo * ao@ missing");
        Reply second = client.execute("alaivo * ao@ missing");

        assertThat(first.messageText()).isEqualTo("Hadisoana : tsy misy ny tabilao missing");
        assertThat(second.messageText()).isEqualTo(first.messageText());
        assertThat(upstreamReadsOf("missing")).isEqualTo(2);
        assertThat(cache.cache().size()).isZero();
    }

    @Test
    void theBoundOnEntriesHoldsAndTheLeastRecentlyUsedGoesFirst() throws Exception {
        DirkConnection client = cacheInFront(60_000, 2);
        ok(client.execute("alaivo * ao@ a"));
        ok(client.execute("alaivo * ao@ b"));
        ok(client.execute("alaivo * ao@ a"));
        ok(client.execute("alaivo * ao@ c"));

        ok(client.execute("alaivo * ao@ a"));
        ok(client.execute("alaivo * ao@ b"));

        assertThat(cache.cache().size()).isEqualTo(2);
        assertThat(upstreamReadsOf("a")).isEqualTo(1);
        assertThat(upstreamReadsOf("b")).isEqualTo(2);
    }

    @Test
    void theSameTextOnAnotherDatabaseIsAnotherEntry() throws Exception {
        DirkConnection onShop = cacheInFront(60_000, 200);
        DirkConnection onNone = client();
        ok(onShop.execute("ampiasao shop"));

        ok(onShop.execute("alaivo * ao@ t"));
        Reply other = ok(onNone.execute("alaivo * ao@ t"));

        assertThat(upstreamReadsOf("t")).isEqualTo(2);
        assertThat(new String(other.frames())).contains("\"null\"");
    }

    @Test
    void aClientThatHasNotAuthenticatedGetsNothingFromTheCache() throws Exception {
        cluster = LoopbackCluster.start(1, "s3cret", "shop");
        MemberAddress member = cluster.address("m1");
        cache = CachingProxy.start(CacheSettings.loopback(member.host(), member.port(), 60_000, 200), registry);
        DirkConnection authenticated = client();
        DirkConnection stranger = client();
        ok(authenticated.authenticate("s3cret"));
        ok(authenticated.execute("alaivo * ao@ t"));

        ok(stranger.execute("dirk heartbeat"));
        Reply reply = stranger.execute("alaivo * ao@ t");

        assertThat(reply.messageText()).isEqualTo("Hadisoana : authentication required");
    }

    @Test
    void anUnreachableUpstreamIsAClearErrorAndTheClientGoesOnOnceItIsBack() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        cache = CachingProxy.start(CacheSettings.loopback("127.0.0.1", port, 60_000, 200), registry);
        DirkConnection client = client();

        Reply refused = client.execute("alaivo * ao@ t");
        MemberServer upstream = MemberServer.start(Member.start("m1", new RecordingDatabase("m1", Set.of()), null,
                Role.PRIMARY), new ServerSettings("127.0.0.1", port, null, 16, 1 << 20, Duration.ofSeconds(1)));
        try {
            assertThat(refused.messageText()).isEqualTo("Hadisoana : cannot reach the upstream 127.0.0.1:" + port
                    + " (connection refused)");
            ok(client.execute("alaivo * ao@ t"));
        } finally {
            upstream.close();
        }
    }

    private InetSocketAddress smallCacheInFront() throws IOException {
        cluster = LoopbackCluster.start(1, null, "shop");
        MemberAddress member = cluster.address("m1");
        cache = CachingProxy.start(CacheSettings.loopback(member.host(), member.port(), 60_000, 200)
                .withMaxConnections(4)
                .withTimeouts(new ConnectionTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1))), registry);
        return new InetSocketAddress("127.0.0.1", cache.port());
    }

    @Test
    void idleSocketsNeverLockNewClientsOutOfTheCache() throws Exception {
        InetSocketAddress address = smallCacheInFront();
        List<RawClient> idle = IdleClients.halfSentRequests(address, 4);
        try {
            String answer = IdleClients.askUntilServed(address, "alaivo * ao@ t;", Duration.ofSeconds(10));

            assertThat(answer).doesNotContain("Hadisoana");
            for (RawClient client : idle) {
                assertThat(IdleClients.closingReason(client, Duration.ofSeconds(10)))
                        .contains("authentication timeout: no request completed within 1 s");
            }
        } finally {
            IdleClients.closeAll(idle);
        }
    }

    @Test
    void anActiveCacheSessionOutlivesTheIdleTimeoutWhileASilentOneIsClosed() throws Exception {
        InetSocketAddress address = smallCacheInFront();
        try (RawClient active = new RawClient(address); RawClient silent = new RawClient(address)) {
            assertThat(silent.ask("alaivo * ao@ t;")).doesNotContain("Hadisoana");

            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() - until < 0) {
                assertThat(active.ask("alaivo * ao@ t;")).doesNotContain("Hadisoana"); // cache hits after the first
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // the client's think time
            }

            assertThat(IdleClients.closingReason(silent, Duration.ofSeconds(10))).contains("idle for more than 1 s");
        }
    }

    @Test
    void anUpstreamConnectionTheProxyClosedForIdlenessIsReopenedNotAnsweredWithItsFarewell() throws Exception {
        cluster = LoopbackCluster.start(1, null, "shop");
        RoutingProxy proxy = RoutingProxy.start(ProxySettings.loopback(List.of(cluster.address("m1")))
                .withTimeouts(new ConnectionTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1))), registry);
        try {
            cache = CachingProxy.start(CacheSettings.loopback("127.0.0.1", proxy.port(), 60_000, 200), registry);
            DirkConnection client = client();
            // Once the proxy has heard its member's heartbeat, the read is answered (then cached).
            await().atMost(Duration.ofSeconds(10)).until(() -> !client.execute("alaivo * ao@ t").isError());
            // The cache answers the repeated read itself, so its upstream connection stays quiet past the
            // proxy's idle timeout and the proxy closes it, saying why.
            long until = System.nanoTime() + Duration.ofMillis(2500).toNanos();
            while (System.nanoTime() - until < 0) {
                ok(client.execute("alaivo * ao@ t"));
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // the client's think time
            }

            Reply write = client.execute("manampia ao@ t (id) sanda (1)");

            assertThat(write.isError()).as("error: %s", write.messageText()).isFalse();
        } finally {
            proxy.close();
        }
    }
}
