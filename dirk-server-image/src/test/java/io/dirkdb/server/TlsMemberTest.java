package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.testing.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A member listening with TLS: who gets in, who does not, and what each is told. */
class TlsMemberTest {
    private static TestCertificates.Authority ca;
    private static TestCertificates.Authority otherCa;

    @TempDir
    Path root;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void authorities() {
        ca = TestCertificates.authority("dirk test CA");
        otherCa = TestCertificates.authority("some other CA");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /** A member on 127.0.0.1 with a certificate for that address and a stable DNS name. */
    private MemberServer start(TlsSettings.ClientAuth clientAuth, ServerSettings base) throws IOException {
        Path secret = ca.issue("m1", "m1.demo-members.ns.svc", "127.0.0.1").writeSecret(root.resolve("member-tls"));
        TlsSettings tls = new TlsSettings(secret.resolve("tls.crt"), secret.resolve("tls.key"), secret.resolve("ca.crt"),
                clientAuth);
        Path data = root.resolve("data");
        MemberServer server = MemberServer.start(Member.start("m1", EngineDatabase.open(data), data, Role.PRIMARY),
                base.withTls(tls));
        toClose.add(server);
        return server;
    }

    private MemberServer start() throws IOException {
        return start(TlsSettings.ClientAuth.NONE, ServerSettings.loopback(0));
    }

    private DirkConnection connect(TlsSettings tls, String host, MemberServer server) throws IOException {
        DirkConnection connection = DirkConnection.open(tls, host, server.port(), 5000);
        toClose.add(connection);
        return connection;
    }

    private TlsSettings trustingCa() throws IOException {
        return TlsSettings.client(ca.writeCertificate(root.resolve("client/ca.crt")), null, null);
    }

    private static Reply ok(Reply reply) {
        assertThat(reply.isError()).as(reply.isError() ? reply.errorMessage() : "").isFalse();
        return reply;
    }

    @Test
    void clientTrustingTheCaRunsSqlOnATlsMember() throws IOException {
        MemberServer server = start();
        DirkConnection client = connect(trustingCa(), "127.0.0.1", server);
        ok(client.execute("manamboara tahiry shop"));
        ok(client.execute("ampiasao shop"));
        ok(client.execute("manamboara tabilao item (id ISA(null,null), name LAHATSORATRA(null,null))"));
        ok(client.execute("manampia ao@ item (id, name) sanda (1, 'over TLS')"));
        Reply rows = ok(client.execute("alaivo * ao@ item"));
        assertThat(((Result.Relation) rows.result()).rows()).containsExactly(List.of(1L, "over TLS"));
    }

    @Test
    void plainTextClientIsToldTheListenerWantsTlsAndHoldsNoSlot() throws IOException {
        MemberServer server = start(TlsSettings.ClientAuth.NONE,
                ServerSettings.loopback(0).withMaxConnections(1).withReservedConnections(0));
        DirkConnection plain = connect(null, "127.0.0.1", server);
        Reply reply = plain.execute("asehoy ny tahiry");
        assertThat(reply.isError()).isTrue();
        assertThat(reply.errorMessage()).contains("accepts only TLS");
        // The plain-text client keeps its socket open; the one slot is free for a TLS client all the same
        // (until it is, a TLS client past the limit is closed during its handshake: an IOException).
        await().atMost(Duration.ofSeconds(5)).ignoreExceptionsInstanceOf(IOException.class).untilAsserted(() -> {
            try (DirkConnection tls = DirkConnection.open(trustingCa(), "127.0.0.1", server.port(), 5000)) {
                ok(tls.execute("asehoy ny tahiry"));
            }
        });
    }

    @Test
    void clientTrustingAnotherCaIsToldTheCertificateIsNotTrusted() throws IOException {
        MemberServer server = start();
        TlsSettings wrongCa = TlsSettings.client(otherCa.writeCertificate(root.resolve("other/ca.crt")), null, null);
        assertThatThrownBy(() -> connect(wrongCa, "127.0.0.1", server))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not signed by a trusted certificate authority");
        // Without a CA file the JVM's authorities are used: they do not know the test CA either.
        assertThatThrownBy(() -> connect(TlsSettings.client(null, null, null), "127.0.0.1", server))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not signed by a trusted certificate authority");
    }

    @Test
    void clientConnectingByANameOutsideTheCertificateIsRefusedUnlessItChecksTheMembersStableName() throws IOException {
        MemberServer server = start(TlsSettings.ClientAuth.NONE, new ServerSettings("127.0.0.2", 0, null, 16,
                1 << 20, Duration.ofSeconds(1)));
        assertThatThrownBy(() -> connect(trustingCa(), "127.0.0.2", server))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is not for the name connected to");
        // The operator reaches a member by its pod IP and checks the stable name its certificate carries.
        ok(connect(trustingCa().withServerName("m1.demo-members.ns.svc"), "127.0.0.2", server).execute("asehoy ny tahiry"));
        assertThatThrownBy(() -> connect(trustingCa().withServerName("m2.demo-members.ns.svc"), "127.0.0.2", server))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is not for the name connected to");
    }

    /**
     * Over the connection limit a TLS member refuses on one thread. A client that drips a handshake one byte at a
     * time held it (each byte restarted the read timeout): every later refusal and eviction waited behind it,
     * here a newcomer for about 10 s. Now a TLS connection past the limit is closed without a handshake.
     */
    @Test
    void slowHandshakeOverTheConnectionLimitDoesNotHoldUpTheNextRefusal() throws Exception {
        MemberServer server = start(TlsSettings.ClientAuth.NONE,
                ServerSettings.loopback(0).withMaxConnections(1).withReservedConnections(0));
        DirkConnection holder = connect(trustingCa(), "127.0.0.1", server);
        ok(holder.execute("asehoy ny tahiry")); // holds the one slot
        try (Socket slow = new Socket()) {
            slow.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            Thread drip = new Thread(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        slow.getOutputStream().write(i == 0 ? 0x16 : 0x03); // a ClientHello that never ends
                        slow.getOutputStream().flush();
                        Thread.sleep(250);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the member
                }
            }, "slow-handshake");
            drip.setDaemon(true);
            drip.start();
            TlsSettings tls = trustingCa();
            java.util.concurrent.CompletableFuture<Reply> newcomer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (DirkConnection late = DirkConnection.open(tls, "127.0.0.1", server.port(), 20_000)) {
                    return late.execute("asehoy ny tahiry");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // Refused (closed during its handshake) long before the drip ends; before, it waited for it.
            Throwable outcome = org.assertj.core.api.Assertions.catchThrowable(
                    () -> newcomer.get(4, java.util.concurrent.TimeUnit.SECONDS));
            assertThat(outcome).as("the newcomer is refused without waiting for the slow handshake")
                    .isInstanceOf(java.util.concurrent.ExecutionException.class);
            drip.interrupt();
        }
    }

    @Test
    void halfFinishedHandshakeIsCutAtTheAuthenticationDeadline() throws IOException {
        MemberServer server = start(TlsSettings.ClientAuth.NONE, ServerSettings.loopback(0).withMaxConnections(1)
                .withReservedConnections(0).withTimeouts(Duration.ofSeconds(1), Duration.ZERO));
        try (Socket slow = new Socket()) {
            slow.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            slow.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00}); // a TLS record header, cut short
            slow.getOutputStream().flush();
            slow.setSoTimeout(10_000);
            InputStream in = slow.getInputStream();
            // Closed without a word (no plain-text error inside a TLS stream): end of stream or a reset.
            int read;
            try {
                read = in.read();
            } catch (java.net.SocketException e) {
                read = -1;
            }
            assertThat(read).isEqualTo(-1);
            // The one slot it held is free again.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                try (DirkConnection tls = DirkConnection.open(trustingCa(), "127.0.0.1", server.port(), 5000)) {
                    ok(tls.execute("asehoy ny tahiry"));
                }
            });
        }
    }

    @Test
    void memberRequiringClientCertificatesRefusesClientsWithoutOneSignedByItsCa() throws IOException {
        MemberServer server = start(TlsSettings.ClientAuth.REQUIRED, ServerSettings.loopback(0));
        Path caFile = ca.writeCertificate(root.resolve("client/ca.crt"));
        assertThatThrownBy(() -> connect(TlsSettings.client(caFile, null, null), "127.0.0.1", server)
                .execute("asehoy ny tahiry"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("requires a client certificate");

        Path stranger = otherCa.issue("stranger", "stranger").writeSecret(root.resolve("stranger"));
        assertThatThrownBy(() -> connect(TlsSettings.client(caFile, stranger.resolve("tls.crt"),
                stranger.resolve("tls.key")), "127.0.0.1", server).execute("asehoy ny tahiry"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("requires a client certificate");

        Path member = ca.issue("m2", "m2.demo-members.ns.svc").writeSecret(root.resolve("m2"));
        DirkConnection trusted = connect(TlsSettings.client(caFile, member.resolve("tls.crt"),
                member.resolve("tls.key")), "127.0.0.1", server);
        ok(trusted.execute("asehoy ny tahiry"));
    }
}
