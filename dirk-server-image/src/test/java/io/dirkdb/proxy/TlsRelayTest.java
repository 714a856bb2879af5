package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.ReplicationSettings;
import io.dirkdb.replication.Replicator;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client -> cache -> proxy -> members with TLS on every hop, the members requiring client
 * certificates (mutual TLS) from each other and from the proxy, as the operator deploys them.
 */
class TlsRelayTest {
    private static final TestCertificates.Authority CA = TestCertificates.authority("relay test CA");

    @TempDir
    Path root;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<MemberAddress> members = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private TlsSettings memberTls(String id, String host) throws Exception {
        Path secret = CA.issue(id, id + ".demo-members.ns.svc", host).writeSecret(root.resolve("tls-" + id));
        return new TlsSettings(secret.resolve("tls.crt"), secret.resolve("tls.key"), secret.resolve("ca.crt"),
                TlsSettings.ClientAuth.REQUIRED);
    }

    private void startMember(String id, Role role) throws Exception {
        String host = "127.0.0." + (members.size() + 2);
        TlsSettings tls = memberTls(id, host);
        Path directory = root.resolve(id);
        EngineDatabase database = EngineDatabase.open(directory);
        Member member = Member.start(id, database, directory, role);
        if (role == Role.SECONDARY) {
            member.follow(members.get(0).host(), members.get(0).port());
        }
        Replicator.attach(member, database.engine(),
                ReplicationSettings.defaults(ReplicationMode.ASYNC).withPeerTls(tls.asClient()),
                HealthHttpServer.newRegistry());
        MemberServer server = MemberServer.start(member, new ServerSettings(host, 0, null, 64,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(1)).withTls(tls));
        toClose.add(server);
        members.add(new MemberAddress(id, host, server.port()));
    }

    private static Reply ok(DirkConnection connection, String statement) throws Exception {
        Reply reply = connection.execute(statement);
        assertThat(reply.isError()).as("%s -> %s", statement, reply.messageText()).isFalse();
        return reply;
    }

    @Test
    void clientReachesMutualTlsMembersThroughTlsCacheAndProxy() throws Exception {
        startMember("m1", Role.PRIMARY);
        startMember("m2", Role.SECONDARY);
        Path caFile = CA.writeCertificate(root.resolve("ca.crt"));
        Path relay = CA.issue("proxy", "demo-proxy.ns.svc", "127.0.0.1").writeSecret(root.resolve("tls-proxy"));
        TlsSettings relayListener = new TlsSettings(relay.resolve("tls.crt"), relay.resolve("tls.key"), null,
                TlsSettings.ClientAuth.NONE);
        // Toward the members the proxy presents its certificate: they require one.
        TlsSettings towardMembers = TlsSettings.client(caFile, relay.resolve("tls.crt"), relay.resolve("tls.key"));
        RoutingProxy proxy = RoutingProxy.start(ProxySettings.loopback(members).withHeartbeatIntervalMillis(50),
                new RelayTls(relayListener, towardMembers), new SimpleMeterRegistry());
        toClose.add(proxy);
        CachingProxy cache = CachingProxy.start(CacheSettings.loopback("127.0.0.1", proxy.port(), 60_000, 200),
                new RelayTls(relayListener, TlsSettings.client(caFile, null, null)), new SimpleMeterRegistry());
        toClose.add(cache);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().views().stream()
                .filter(view -> view.health() == MemberHealth.SERVING).count() == 2);

        TlsSettings application = TlsSettings.client(caFile, null, null);
        try (DirkConnection client = DirkConnection.open(application, "127.0.0.1", cache.port(), 10_000)) {
            ok(client, "manamboara tahiry shop");
            ok(client, "ampiasao shop");
            ok(client, "manamboara tabilao item (id ISA(null,null), name LAHATSORATRA(null,null))");
            ok(client, "manampia ao@ item (id, name) sanda (1, 'through every hop')");
            Result.Relation rows = (Result.Relation) ok(client, "alaivo * ao@ item").result();
            assertThat(rows.rows()).containsExactly(List.of(1L, "through every hop"));
        }
        // The secondary has it too: replication ran over mutual TLS.
        TlsSettings member = memberTls("reader", "127.0.0.1").asClient();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (DirkConnection direct = DirkConnection.open(member, members.get(1).host(), members.get(1).port(), 5000)) {
                ok(direct, "ampiasao shop");
                Result.Relation rows = (Result.Relation) ok(direct, "alaivo * ao@ item").result();
                assertThat(rows.rows()).containsExactly(List.of(1L, "through every hop"));
            }
        });
    }

    @Test
    void tlsProxyRefusesPlainTextClientsAndAProxyWithoutCertificateServesNoMember() throws Exception {
        startMember("m1", Role.PRIMARY);
        Path caFile = CA.writeCertificate(root.resolve("ca.crt"));
        Path relay = CA.issue("proxy", "127.0.0.1").writeSecret(root.resolve("tls-proxy"));
        TlsSettings relayListener = new TlsSettings(relay.resolve("tls.crt"), relay.resolve("tls.key"), null,
                TlsSettings.ClientAuth.NONE);
        // Trusts the members' CA but presents no certificate: the members require one.
        RoutingProxy proxy = RoutingProxy.start(ProxySettings.loopback(members).withHeartbeatIntervalMillis(50),
                new RelayTls(relayListener, TlsSettings.client(caFile, null, null)), new SimpleMeterRegistry());
        toClose.add(proxy);
        try (DirkConnection plain = DirkConnection.open("127.0.0.1", proxy.port())) {
            Reply reply = plain.execute("asehoy ny tahiry");
            assertThat(reply.isError()).isTrue();
            assertThat(reply.errorMessage()).contains("accepts only TLS");
        }
        try (DirkConnection client = DirkConnection.open(TlsSettings.client(caFile, null, null), "127.0.0.1",
                proxy.port(), 10_000)) {
            Reply heartbeat = ok(client, "dirk heartbeat");
            assertThat(heartbeat.messageText()).contains("\"id\":\"m1\"");
            // Probed many times over, the member never serves: its TLS refuses the certificate-less proxy.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> proxy.table().views()
                    .stream().noneMatch(view -> view.health() == MemberHealth.SERVING));
        }
    }
}
