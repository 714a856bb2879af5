package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.PeerAddresses;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With mutual TLS, a stream that names a member of the configuration must present a client certificate for that
 * member's configured host: another member's certificate (or any certificate the CA signed for something else)
 * does not speak for it, even from an address the host resolves to.
 */
class StreamMemberCertificateTest {
    @TempDir
    Path root;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private TestCertificates.Authority ca;
    private MemberServer primary;

    @BeforeEach
    void startPrimaryWithMutualTls() throws IOException {
        ca = TestCertificates.authority("dirk test CA");
        Path listener = ca.issue("m1", "127.0.0.1").writeSecret(root.resolve("m1-tls"));
        EngineDatabase database = EngineDatabase.open(root.resolve("m1"));
        Member member = Member.start("m1", database, root.resolve("m1"), Role.PRIMARY);
        Replicator.attach(member, database.engine(), ReplicationSettings.defaults(ReplicationMode.ASYNC),
                new SimpleMeterRegistry());
        member.resolvePeersWith(host -> host.equals("m2.dirk-members.prod.svc")
                ? Set.of(InetAddress.getLoopbackAddress()) : PeerAddresses.SYSTEM.resolve(host));
        member.limitPeersTo(List.of(new Member.Peer("m2.dirk-members.prod.svc", 3948, "m2"),
                new Member.Peer("m3.dirk-members.prod.svc", 3948, "m3")));
        primary = MemberServer.start(member, ServerSettings.loopback(0).withTls(new TlsSettings(
                listener.resolve("tls.crt"), listener.resolve("tls.key"), listener.resolve("ca.crt"),
                TlsSettings.ClientAuth.REQUIRED)));
        toClose.add(primary);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private JsonNode streamAsM2WithCertificateFor(String... names) throws IOException {
        Path client = ca.issue("client", names).writeSecret(root.resolve("client-" + String.join("-", names)
                .replace('*', 'x')));
        TlsSettings tls = TlsSettings.client(client.resolve("ca.crt"), client.resolve("tls.crt"),
                client.resolve("tls.key"));
        PeerChannel channel = PeerChannel.open(tls, InetAddress.getLoopbackAddress(), "127.0.0.1", primary.port(), null,
                List.of(), 5_000);
        toClose.add(channel::close);
        return channel.requestJson("dirk stream 0 0 0 member 'm2';");
    }

    @Test
    void streamNamingAMemberWithAnotherMembersCertificateIsRefused() throws IOException {
        JsonNode answer = streamAsM2WithCertificateFor("m3.dirk-members.prod.svc");
        assertThat(answer.path("streaming").asBoolean()).as("answer: %s", answer).isFalse();
        assertThat(answer.path("refused").asText()).isEqualTo("memberCertificate");
        assertThat(answer.path("reason").asText()).contains("m2").contains("m2.dirk-members.prod.svc")
                .contains("m3.dirk-members.prod.svc");
    }

    @Test
    void streamNamingAMemberWithItsOwnCertificateIsTaken() throws IOException {
        JsonNode answer = streamAsM2WithCertificateFor("m2.dirk-members.prod.svc");
        assertThat(answer.path("streaming").asBoolean()).as("answer: %s", answer).isTrue();
    }

    @Test
    void streamNamingAMemberWithTheClustersWildcardCertificateIsTaken() throws IOException {
        // The operator's setup: one certificate for *.<cluster>-members.<namespace>.svc, shared by every member.
        JsonNode answer = streamAsM2WithCertificateFor("*.dirk-members.prod.svc");
        assertThat(answer.path("streaming").asBoolean()).as("answer: %s", answer).isTrue();
    }
}
