package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.ReplicationSettings;
import io.dirkdb.replication.Replicator;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy in front of members that really replicate (asynchronously). */
class ProxyOverReplicationTest {
    @TempDir
    Path root;

    private final List<MemberServer> servers = new ArrayList<>();
    private final List<MemberAddress> addresses = new ArrayList<>();
    private RoutingProxy proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        servers.forEach(MemberServer::close);
    }

    private void startMember(String id, Role role, MemberAddress primary) throws Exception {
        String host = "127.0.0." + (addresses.size() + 2);
        Path directory = root.resolve(id);
        EngineDatabase database = EngineDatabase.open(directory);
        Member member = Member.start(id, database, directory, role);
        if (primary != null) {
            member.follow(primary.host(), primary.port());
        }
        Replicator.attach(member, database.engine(), ReplicationSettings.defaults(ReplicationMode.ASYNC),
                HealthHttpServer.newRegistry());
        MemberServer server = MemberServer.start(member, new ServerSettings(host, 0, null, 64,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(1)));
        servers.add(server);
        addresses.add(new MemberAddress(id, host, server.port()));
    }

    private static Reply ok(DirkConnection connection, String statement) throws Exception {
        Reply reply = connection.execute(statement);
        assertThat(reply.isError()).as("%s -> %s", statement, reply.messageText()).isFalse();
        return reply;
    }

    private static long count(DirkConnection connection) throws Exception {
        Result.Relation relation = (Result.Relation) ok(connection, "alaivo count(id) #ao@ t").result();
        return ((Number) relation.rows().get(0).get(0)).longValue();
    }

    @Test
    void aSessionReadsEachOfItsWritesAtOnceWhileASecondaryLagsBehind() throws Exception {
        startMember("m1", Role.PRIMARY, null);
        startMember("m2", Role.SECONDARY, addresses.get(0));
        startMember("m3", Role.SECONDARY, addresses.get(0));
        proxy = RoutingProxy.start(ProxySettings.loopback(addresses).withHeartbeatIntervalMillis(50),
                new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().views().stream()
                .allMatch(v -> v.health() == MemberHealth.SERVING));

        try (DirkConnection writer = DirkConnection.open("127.0.0.1", proxy.port())) {
            ok(writer, "manamboara tahiry shop");
            ok(writer, "ampiasao shop");
            ok(writer, "manamboara tabilao t (id ISA(null,null))");
            await().atMost(Duration.ofSeconds(10)).until(() -> sameLsnEverywhere());
            // m3 stops receiving the log: it stays serving (a few records behind) but never holds the writes below.
            control(addresses.get(2), "dirk follow '127.0.0.99' 1");
            for (int i = 1; i <= 30; i++) {
                ok(writer, "manampia ao@ t (id) sanda (" + i + ")");
                assertThat(count(writer)).as("after insert %d", i).isEqualTo(i);
            }
        }
    }

    @Test
    void writesGoOnThroughTheSameClientConnectionAfterAFailover() throws Exception {
        startMember("m1", Role.PRIMARY, null);
        startMember("m2", Role.SECONDARY, addresses.get(0));
        proxy = RoutingProxy.start(ProxySettings.loopback(addresses).withHeartbeatIntervalMillis(50),
                new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().writeTarget().isPresent());

        try (DirkConnection client = DirkConnection.open("127.0.0.1", proxy.port())) {
            client.setReadTimeoutMillis(30_000);
            ok(client, "manamboara tahiry shop");
            ok(client, "ampiasao shop");
            ok(client, "manamboara tabilao t (id ISA(null,null))");
            ok(client, "manampia ao@ t (id) sanda (1)");
            await().atMost(Duration.ofSeconds(10)).until(() -> sameLsnEverywhere());

            // What the operator does: fence the old primary, promote the secondary with a higher epoch.
            control(addresses.get(0), "dirk fence");
            control(addresses.get(1), "dirk promote 2");
            ok(client, "manampia ao@ t (id) sanda (2)");

            assertThat(proxy.table().writeTarget()).contains(addresses.get(1));
            assertThat(count(client)).isEqualTo(2);
        }
    }

    private boolean sameLsnEverywhere() {
        long primaryLsn = proxy.table().view("m1").report().lsn();
        return proxy.table().views().stream().allMatch(v -> v.report() != null && v.report().lsn() == primaryLsn);
    }

    private static void control(MemberAddress member, String statement) throws Exception {
        try (DirkConnection connection = DirkConnection.open(member.host(), member.port())) {
            ok(connection, statement);
        }
    }
}
