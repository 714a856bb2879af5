package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** client -> cache -> proxy -> a member running the real engine, as deployed. */
class ProxyAndCacheEndToEndTest {
    private MemberServer member;
    private RoutingProxy proxy;
    private CachingProxy cache;
    private DirkConnection client;

    @BeforeEach
    void start() throws Exception {
        member = MemberServer.start(Member.start("m1", EngineDatabase.inMemory(), null, Role.PRIMARY),
                ServerSettings.loopback(0));
        proxy = RoutingProxy.start(ProxySettings.loopback(List.of(new MemberAddress("m1", "127.0.0.1", member.port())))
                .withHeartbeatIntervalMillis(50), new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().writeTarget().isPresent());
        cache = CachingProxy.start(CacheSettings.loopback("127.0.0.1", proxy.port(), 60_000, 200), new SimpleMeterRegistry());
        client = DirkConnection.open("127.0.0.1", cache.port());
        client.setReadTimeoutMillis(30_000);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        cache.close();
        proxy.close();
        member.close();
    }

    private Reply ok(String statement) throws Exception {
        Reply reply = client.execute(statement);
        assertThat(reply.isError()).as("%s -> %s", statement, reply.messageText()).isFalse();
        return reply;
    }

    private List<List<Object>> rows(String statement) throws Exception {
        return ((Result.Relation) ok(statement).result()).rows();
    }

    @Test
    void aWriteToABaseTableThroughTheCacheIsSeenThroughItsViewByAnotherClient() throws Exception {
        ok("manamboara tahiry shop");
        ok("ampiasao shop");
        ok("manamboara tabilao item (id ISA(null,null), name LAHATSORATRA(null,null))");
        ok("manamboara jery cheap @ alaivo id, name #ao@ item #rehefa id < 10");
        ok("manampia ao@ item (id, name) sanda (1, 'pen')");
        try (DirkConnection reader = DirkConnection.open("127.0.0.1", cache.port())) {
            assertThat(reader.execute("ampiasao shop").isError()).isFalse();
            assertThat(((Result.Relation) reader.execute("alaivo * #ao@ cheap").result()).rows()).hasSize(1);
            assertThat(((Result.Relation) reader.execute("alaivo * #ao@ cheap").result()).rows()).hasSize(1);
            assertThat(cache.cache().hitCount()).isEqualTo(1);

            ok("manampia ao@ item (id, name) sanda (2, 'ink')");

            assertThat(((Result.Relation) reader.execute("alaivo * #ao@ cheap").result()).rows()).hasSize(2);
        }
    }

    @Test
    void aDatabaseChosenThroughTheCacheAndTheProxyHoldsForEveryStatement() throws Exception {
        ok("manamboara tahiry a");
        ok("manamboara tahiry b");
        ok("ampiasao a");
        ok("manamboara tabilao t (id ISA(null,null))");
        ok("manampia ao@ t (id) sanda (1)");
        ok("ampiasao b");
        ok("manamboara tabilao t (id ISA(null,null))");

        assertThat(rows("alaivo * #ao@ t")).isEmpty();
        ok("ampiasao a");
        assertThat(rows("alaivo * #ao@ t")).hasSize(1);
    }

    @Test
    void aDroppedCurrentDatabaseCanBeCreatedAgainThroughTheCacheAndTheProxy() throws Exception {
        ok("manamboara tahiry shop");
        ok("ampiasao shop");
        ok("manamboara tabilao t (id ISA(null,null))");
        ok("manampia ao@ t (id) sanda (1)");
        assertThat(rows("alaivo * #ao@ t")).hasSize(1);

        ok("ravao ny tahiry shop");
        ok("manamboara tahiry shop");
        ok("ampiasao shop");
        ok("manamboara tabilao t (id ISA(null,null))");

        assertThat(rows("alaivo * #ao@ t")).isEmpty();
        assertThat(rows("asehoy ny tahiry")).extracting(row -> row.get(0)).contains("shop");
    }
}
