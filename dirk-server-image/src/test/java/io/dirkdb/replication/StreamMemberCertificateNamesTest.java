package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review r-12: a member configured at an IP address is covered only by an iPAddress SAN of that address (RFC 6125
 * 6.2.1, RFC 9525); PeerAddresses.covers reads any SAN made of digits and dots, a dNSName too, with
 * InetAddress.getByName, which takes the shorthand forms: a certificate for the DNS name "127.1" (or
 * "2130706433") speaks for the member at 127.0.0.1.
 */
class StreamMemberCertificateNamesTest {
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
        member.limitPeersTo(List.of(new Member.Peer("127.0.0.1", 3948, "m4")));
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

    private JsonNode streamAsM4WithCertificateFor(String name) throws IOException {
        Path client = ca.issue("client", name).writeSecret(root.resolve("client-" + name.replace(':', '-')));
        TlsSettings tls = TlsSettings.client(client.resolve("ca.crt"), client.resolve("tls.crt"),
                client.resolve("tls.key"));
        PeerChannel channel = PeerChannel.open(tls, InetAddress.getLoopbackAddress(), "127.0.0.1", primary.port(), null,
                List.of(), 5_000);
        toClose.add(channel::close);
        return channel.requestJson("dirk stream 0 0 0 member 'm4';");
    }

    @Test
    void memberAtAnIpAddressIsNotCoveredByADnsNameThatParsesAsIt() throws IOException {
        JsonNode answer = streamAsM4WithCertificateFor("dns:127.1");
        assertThat(answer.path("refused").asText()).as("answer: %s", answer).isEqualTo("memberCertificate");
    }

    @Test
    void memberAtAnIpAddressIsCoveredByThatIpAddress() throws IOException {
        JsonNode answer = streamAsM4WithCertificateFor("127.0.0.1");
        assertThat(answer.path("streaming").asBoolean()).as("answer: %s", answer).isTrue();
    }
}
