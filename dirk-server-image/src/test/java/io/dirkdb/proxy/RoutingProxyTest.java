package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.WriteRefusals;
import io.dirkdb.sql.StatementKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.testing.IdleClients;
import io.dirkdb.testing.RawClient;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RoutingProxyTest {
    private LoopbackCluster cluster;
    private RoutingProxy proxy;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private void startProxy(ProxySettings settings) throws IOException {
        proxy = RoutingProxy.start(settings.withHeartbeatIntervalMillis(50), new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().views().stream()
                .noneMatch(v -> v.health() == MemberHealth.UNKNOWN));
    }

    private DirkConnection client() throws IOException {
        DirkConnection connection = DirkConnection.open("127.0.0.1", proxy.port());
        connection.setReadTimeoutMillis(30_000);
        toClose.add(connection);
        return connection;
    }

    private static String servedBy(Reply reply) {
        assertThat(reply.isError()).as("error: %s", reply.messageText()).isFalse();
        return (String) ((Result.Relation) reply.result()).rows().get(0).get(0);
    }

    private static String databaseSeen(Reply reply) {
        return (String) ((Result.Relation) reply.result()).rows().get(0).get(1);
    }

    @Test
    void writesGoToTheHighestEpochPrimaryAndNeverToAFencedMember() throws Exception {
        cluster = LoopbackCluster.start(3, null);
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection client = client();

        assertThat(client.execute("manampia ao@ t (id) sanda (1)").isError()).isFalse();
        assertThat(cluster.database("m1").countOf(StatementKind.WRITE)).isEqualTo(1);

        cluster.control("m1", "dirk fence", null);
        cluster.control("m2", "dirk promote 2", null);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().writeTarget().equals(Optional.of(cluster.address("m2"))));

        Reply reply = client.execute("manampia ao@ t (id) sanda (2)");

        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        assertThat(cluster.database("m2").countOf(StatementKind.WRITE)).isEqualTo(1);
        assertThat(cluster.database("m1").countOf(StatementKind.WRITE)).isEqualTo(1);
        assertThat(cluster.database("m3").countOf(StatementKind.WRITE)).isZero();
    }

    @Test
    void whenTwoMembersSayPrimaryWritesGoToTheHigherEpoch() throws Exception {
        cluster = LoopbackCluster.start(2, null);
        startProxy(ProxySettings.loopback(cluster.addresses));
        cluster.control("m2", "dirk promote 5", null);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().writeTarget().equals(Optional.of(cluster.address("m2"))));

        Reply reply = client().execute("manampia ao@ t (id) sanda (1)");

        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        assertThat(cluster.database("m2").countOf(StatementKind.WRITE)).isEqualTo(1);
        assertThat(cluster.database("m1").countOf(StatementKind.WRITE)).isZero();
    }

    @Test
    void aMemberThatAcceptsConnectionsButNeverAnswersIsMarkedDown() throws Exception {
        cluster = LoopbackCluster.start(1, null);
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress("127.0.0.8", 0));
            List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            MemberAddress hanging = new MemberAddress("m8", "127.0.0.8", silent.getLocalPort());
            List<MemberAddress> members = new ArrayList<>(cluster.addresses);
            members.add(hanging);
            proxy = RoutingProxy.start(ProxySettings.loopback(members).withHeartbeatIntervalMillis(50),
                    new SimpleMeterRegistry());

            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().view("m8").health() == MemberHealth.DOWN);
            assertThat(proxy.table().view("m8").failure()).isEqualTo("no answer in time");
            for (int i = 0; i < 4; i++) {
                assertThat(servedBy(client().execute("alaivo * ao@ t"))).isEqualTo("m1");
            }
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void aWriteRefusedByAMemberThatSteppedDownSinceItsHeartbeatGoesToTheNewPrimary() throws Exception {
        cluster = LoopbackCluster.start(2, null);
        proxy = RoutingProxy.start(ProxySettings.loopback(cluster.addresses).withHeartbeatIntervalMillis(60_000),
                new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().writeTarget().isPresent());
        cluster.control("m1", "dirk fence", null);
        cluster.control("m2", "dirk promote 2", null);

        Reply reply = client().execute("manampia ao@ t (id) sanda (1)");

        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        assertThat(cluster.database("m2").countOf(StatementKind.WRITE)).isEqualTo(1);
    }

    @Test
    void aWriteRefusedByAFencingPrimaryWhoseHeartbeatStillSaysPrimaryWaitsForTheNewPrimary() throws Exception {
        // A fence refuses writes first and says fenced in its heartbeat only once its logged writes drained:
        // in between, the proxy's fresh probe still says primary. The refusal applied nothing: the write waits.
        cluster = LoopbackCluster.start(2, null);
        startProxy(ProxySettings.loopback(cluster.addresses).withWriteWaitMillis(10_000));
        cluster.database("m1").refuseWritesWith("this member is fenced (epoch 1): writes go to the primary");
        DirkConnection client = client();

        CompletableFuture<Reply> write = executeAsync(client, "manampia ao@ t (id) sanda (1)");
        await("the write m1 refused waits for a primary").pollDelay(Duration.ofMillis(300))
                .atMost(Duration.ofSeconds(2)).until(() -> !write.isDone());
        cluster.control("m1", "dirk fence", null);
        cluster.control("m2", "dirk promote 2", null);

        Reply reply = write.get(15, TimeUnit.SECONDS);
        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        assertThat(cluster.database("m2").countOf(StatementKind.WRITE)).isEqualTo(1);
        assertThat(cluster.database("m1").countOf(StatementKind.WRITE)).isZero();
    }

    /** How a primary refuses a write for a while, before applying anything. */
    static List<String> passingRefusals() {
        return List.of(
                // The supervisor's renewal came late (an operator restart, a pause): refused until heard from again.
                WriteRefusals.LEASE_EXPIRED + ": not heard from the supervisor or any secondary for 2127 ms (lease 2000 ms);"
                        + " another member may be promoted",
                // A new cluster's empty primary, until its peers answered that none holds data.
                WriteRefusals.EMPTY_PRIMARY_WAITING + "m2 (127.0.0.1:1) to answer, to be sure none of them holds data "
                        + "before it starts a new history");
    }

    @ParameterizedTest
    @MethodSource("passingRefusals")
    void aWriteRefusedForAWhileBeforeAnythingWasAppliedIsSentAgainOnceThePrimaryTakesWrites(String refusal)
            throws Exception {
        cluster = LoopbackCluster.start(2, null);
        startProxy(ProxySettings.loopback(cluster.addresses).withWriteWaitMillis(10_000));
        RecordingDatabase m1 = cluster.database("m1");
        m1.refuseWritesWith(refusal);
        DirkConnection client = client();

        CompletableFuture<Reply> write = executeAsync(client, "manampia ao@ t (id) sanda (1)");
        await("the refused write is sent again, not answered").atMost(Duration.ofSeconds(5))
                .until(() -> m1.refusedWrites() >= 2 && !write.isDone());
        m1.refuseWritesWith(null); // renewed, or its peers answered

        Reply reply = write.get(15, TimeUnit.SECONDS);
        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        assertThat(m1.countOf(StatementKind.WRITE)).isEqualTo(1);
    }

    @Test
    void aWriteWhoseOutcomeIsUnknownIsAnsweredAtOnceAndNeverSentAgain() throws Exception {
        // The lease ran out after the write was logged: it may yet commit, so sending it again could apply it twice.
        cluster = LoopbackCluster.start(2, null);
        startProxy(ProxySettings.loopback(cluster.addresses).withWriteWaitMillis(10_000));
        RecordingDatabase m1 = cluster.database("m1");
        String refusal = WriteRefusals.LEASE_EXPIRED + ": not heard from the supervisor or any secondary for 2127 ms"
                + " (lease 2000 ms); another member may be promoted; the write (LSN 7) is durable on this member but"
                + " not acknowledged: " + WriteRefusals.OUTCOME_UNKNOWN;
        m1.refuseWritesWith(refusal);
        DirkConnection client = client();

        Reply reply = client.execute("manampia ao@ t (id) sanda (1)");

        assertThat(reply.isError()).isTrue();
        assertThat(reply.errorMessage()).isEqualTo(refusal);
        assertThat(m1.refusedWrites()).isEqualTo(1);
    }

    @Test
    void readsSpreadRoundRobinOverTheMembers() throws Exception {
        cluster = LoopbackCluster.start(3, null);
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection client = client();

        List<String> servers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            servers.add(servedBy(client.execute("alaivo * ao@ t")));
        }

        assertThat(servers).containsOnly("m1", "m2", "m3");
        assertThat(servers.stream().filter("m1"::equals).count()).isEqualTo(2);
        assertThat(servers.stream().filter("m2"::equals).count()).isEqualTo(2);
    }

    @Test
    void aSessionThatWroteReadsItsWritesWhileOthersStillSpread() throws Exception {
        // The recording secondaries never replicate, so only the primary ever holds the write.
        cluster = LoopbackCluster.start(3, null);
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection writer = client();
        DirkConnection other = client();

        assertThat(writer.execute("manampia ao@ t (id) sanda (1)").isError()).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().view("m1").report().lsn() == 1);

        for (int i = 0; i < 6; i++) {
            assertThat(servedBy(writer.execute("alaivo * ao@ t"))).isEqualTo("m1");
        }
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            others.add(servedBy(other.execute("alaivo * ao@ t")));
        }
        assertThat(others).contains("m2", "m3");
    }

    @Test
    void theDatabaseChosenWithAmpiasaoIsCarriedToEveryMember() throws Exception {
        cluster = LoopbackCluster.start(3, null, "shop");
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection client = client();
        DirkConnection noDatabase = client();

        Reply use = client.execute("ampiasao shop");
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Reply read = client.execute("alaivo * ao@ t");
            servers.add(servedBy(read));
            assertThat(databaseSeen(read)).isEqualTo("shop");
        }
        assertThat(client.execute("manampia ao@ t (id) sanda (1)").isError()).isFalse();

        assertThat(use.messageText()).isEqualTo("Ny tahiry : shop dia miasa ankehitriny");
        assertThat(servers).contains("m1", "m2", "m3");
        assertThat(cluster.database("m1").executed()).last().extracting(RecordingDatabase.Executed::database)
                .isEqualTo("shop");
        // Pooled connections now sit on shop: a client that chose no database must not inherit it.
        for (int i = 0; i < 3; i++) {
            assertThat(databaseSeen(noDatabase.execute("alaivo * ao@ t"))).isEqualTo("null");
        }
    }

    @Test
    void readsGoOnWithoutAnErrorWhenASecondaryDies() throws Exception {
        cluster = LoopbackCluster.start(3, null);
        startProxy(ProxySettings.loopback(cluster.addresses).withHeartbeatIntervalMillis(60_000));
        DirkConnection client = client();
        for (int i = 0; i < 3; i++) {
            servedBy(client.execute("alaivo * ao@ t"));
        }

        cluster.stop("m2");

        List<String> servers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            servers.add(servedBy(client.execute("alaivo * ao@ t")));
        }
        assertThat(servers).doesNotContain("m2").contains("m1", "m3");
    }

    @Test
    void membersAddedAndRemovedWhileRunningGainAndLoseTraffic() throws Exception {
        cluster = LoopbackCluster.start(3, null);
        startProxy(ProxySettings.loopback(List.of(cluster.address("m1"))));
        DirkConnection client = client();

        proxy.replaceMembers(cluster.addresses);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().views().stream()
                .allMatch(v -> v.health() == MemberHealth.SERVING));
        List<String> spread = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            spread.add(servedBy(client.execute("alaivo * ao@ t")));
        }
        proxy.replaceMembers(List.of(cluster.address("m1"), cluster.address("m3")));
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            after.add(servedBy(client.execute("alaivo * ao@ t")));
        }

        assertThat(spread).contains("m1", "m2", "m3");
        assertThat(after).doesNotContain("m2").contains("m1", "m3");
    }

    @Test
    void aRefusedAmpiasaoLeavesTheSessionOnItsDatabase() throws Exception {
        cluster = LoopbackCluster.start(2, null, "shop");
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection client = client();
        assertThat(client.execute("ampiasao shop").isError()).isFalse();

        Reply refused = client.execute("ampiasao nowhere");

        assertThat(refused.messageText()).isEqualTo("Hadisoana : tsy misy ny tahiry nowhere");
        for (int i = 0; i < 4; i++) {
            assertThat(databaseSeen(client.execute("alaivo * ao@ t"))).isEqualTo("shop");
        }
    }

    @Test
    void aWriteWithNoPrimaryWaitsThenFailsWithAClearError() throws Exception {
        cluster = LoopbackCluster.start(2, null);
        cluster.control("m1", "dirk fence", null);
        startProxy(ProxySettings.loopback(cluster.addresses).withWriteWaitMillis(300));
        DirkConnection client = client();

        long start = System.nanoTime();
        Reply reply = client.execute("manampia ao@ t (id) sanda (1)");

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(300);
        assertThat(reply.messageText()).isEqualTo("Hadisoana : no primary available after 300 ms");
        assertThat(servedBy(client.execute("alaivo * ao@ t"))).isEqualTo("m2");
    }

    @Test
    void aWriteWaitingWhileAMemberIsPromotedSucceeds() throws Exception {
        cluster = LoopbackCluster.start(2, null);
        cluster.control("m1", "dirk fence", null);
        startProxy(ProxySettings.loopback(cluster.addresses).withWriteWaitMillis(10_000));
        DirkConnection client = client();

        CompletableFuture<Reply> write = executeAsync(client, "manampia ao@ t (id) sanda (1)");
        await().pollDelay(Duration.ofMillis(200)).until(() -> !write.isDone());
        cluster.control("m2", "dirk promote 2", null);

        Reply reply = write.get(15, TimeUnit.SECONDS);
        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        assertThat(cluster.database("m2").countOf(StatementKind.WRITE)).isEqualTo(1);
    }

    @Test
    void aMemberDyingMidRequestGivesAnErrorNamingItAndTheConnectionStaysUsable() throws Exception {
        try (DyingMember dying = new DyingMember()) {
            MemberAddress address = new MemberAddress("m9", "127.0.0.9", dying.port());
            startProxy(ProxySettings.loopback(List.of(address)));
            DirkConnection client = client();

            Reply reply = client.execute("manampia ao@ t (id) sanda (1)");

            assertThat(reply.messageText()).startsWith("Hadisoana : member m9 (127.0.0.9:" + dying.port()
                    + ") failed during the request");
            assertThat(client.execute("dirk heartbeat").messageText()).contains("\"role\":\"proxy\"");
        }
    }

    @Test
    void clientsMustAuthenticateWhenThePasswordIsSetAndMembersGetIt() throws Exception {
        cluster = LoopbackCluster.start(2, "s3cret'\\");
        startProxy(ProxySettings.loopback(cluster.addresses).withPassword("s3cret'\\"));
        DirkConnection client = client();

        assertThat(client.execute("alaivo * ao@ t").messageText()).isEqualTo("Hadisoana : authentication required");
        assertThat(client.authenticate("wrong").messageText()).isEqualTo("Hadisoana : authentication failed");
        assertThat(client.authenticate("s3cret'\\").isError()).isFalse();
        assertThat(servedBy(client.execute("alaivo * ao@ t"))).isIn("m1", "m2");
    }

    /** Before, a client could guess the application password at the proxy as fast as it could send. */
    @Test
    void sixthPasswordGuessOnOneConnectionIsNotEvaluatedAndAFreshConnectionStillAuthenticates() throws Exception {
        cluster = LoopbackCluster.start(1, "s3cret");
        startProxy(ProxySettings.loopback(cluster.addresses).withPassword("s3cret"));
        DirkConnection guesser = client();
        for (int attempt = 1; attempt <= 4; attempt++) {
            assertThat(guesser.authenticate("guess-" + attempt).messageText())
                    .isEqualTo("Hadisoana : authentication failed");
        }
        assertThat(guesser.authenticate("guess-5").messageText()).contains("5 failed attempts").contains("closed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> guesser.authenticate("s3cret"))
                .isInstanceOf(IOException.class);
        DirkConnection fresh = client();
        assertThat(fresh.authenticate("s3cret").isError()).isFalse();
        assertThat(servedBy(fresh.execute("alaivo * ao@ t"))).isEqualTo("m1");
    }

    /** Before, the proxy counted failures per connection only: a client reconnecting every four guesses guessed on. */
    @Test
    void manyConnectionsGuessingFromOneAddressAreRefusedWhileAnotherAddressAuthenticates() throws Exception {
        cluster = LoopbackCluster.start(1, "s3cret");
        startProxy(ProxySettings.loopback(cluster.addresses).withPassword("s3cret"));
        int refused = io.dirkdb.testing.PasswordGuessers.guessUntilRefused(
                new java.net.InetSocketAddress("127.0.0.1", proxy.port()), 12,
                "too many failed dirk auth attempts from 127.0.0.1", Duration.ofSeconds(20));
        assertThat(refused).as("guesses from 127.0.0.1 on 12 connections at once, reconnecting every 4").isPositive();
        try (RawClient other = new RawClient(new java.net.InetSocketAddress("127.0.0.1", proxy.port()),
                java.net.InetAddress.getByName("127.0.0.2"))) {
            other.socket().setSoTimeout(1_000); // answered at once: another address's failures are not its own
            assertThat(other.ask("dirk auth 'typo';")).contains("authentication failed").doesNotContain("too many");
            assertThat(other.ask("dirk auth 's3cret';")).contains("authenticated");
        }
    }

    @Test
    void midRotationTheProxyTakesBothPasswordsAndReachesMembersStillOnThePreviousOne() throws Exception {
        cluster = LoopbackCluster.start(2, "app-old");
        startProxy(ProxySettings.loopback(cluster.addresses).withPassword("app-new").withPreviousPassword("app-old"));
        try (DirkConnection rotated = client()) {
            assertThat(rotated.authenticate("app-new").isError()).isFalse();
            assertThat(servedBy(rotated.execute("alaivo * ao@ t"))).isIn("m1", "m2");
        }
        try (DirkConnection notYetMoved = client()) {
            assertThat(notYetMoved.authenticate("app-old").isError()).isFalse();
            assertThat(servedBy(notYetMoved.execute("alaivo * ao@ t"))).isIn("m1", "m2");
        }
        try (DirkConnection stranger = client()) {
            assertThat(stranger.authenticate("app-older").messageText()).isEqualTo("Hadisoana : authentication failed");
        }
    }

    @Test
    void aTextThatDoesNotParseGetsTheMembersErrorAndTheSessionGoesOn() throws Exception {
        cluster = LoopbackCluster.start(1, null);
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection client = client();

        Reply reply = client.execute("alaivoxyz * ao@ t");

        assertThat(reply.isError()).isTrue();
        assertThat(servedBy(client.execute("alaivo * ao@ t"))).isEqualTo("m1");
    }

    @Test
    void aMalformedQueryGetsTheMembersErrorAndTheSessionGoesOn() throws Exception {
        cluster = LoopbackCluster.start(1, null);
        startProxy(ProxySettings.loopback(cluster.addresses));
        DirkConnection client = client();

        Reply reply = client.execute("alaivo * ao@");

        assertThat(reply.isError()).isTrue();
        assertThat(servedBy(client.execute("alaivo * ao@ t"))).isEqualTo("m1");
    }

    /** A member that answers heartbeats as a primary and drops the connection on anything else. */
    private static final class DyingMember implements AutoCloseable {
        private final ServerSocket server = new ServerSocket();
        private final Thread acceptor;

        DyingMember() throws IOException {
            server.bind(new InetSocketAddress("127.0.0.9", 0));
            acceptor = new Thread(this::serve);
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread thread = new Thread(() -> answer(socket));
                    thread.setDaemon(true);
                    thread.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void answer(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                StringBuilder request = new StringBuilder();
                int b;
                while ((b = in.read()) >= 0) {
                    if (b != ';') {
                        request.append((char) b);
                        continue;
                    }
                    if (!request.toString().strip().equals("dirk heartbeat")) {
                        return;
                    }
                    out.write(("RESULT_MESSAGE\n{\"id\":\"m9\",\"role\":\"primary\",\"epoch\":1,\"lsn\":0,\"ready\":true}\nEND\n")
                            .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    request.setLength(0);
                }
            } catch (IOException e) {
                // The proxy went away.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private ProxySettings smallProxy() {
        return ProxySettings.loopback(cluster.addresses).withMaxConnections(4)
                .withTimeouts(new ConnectionTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }

    @Test
    void idleSocketsNeverLockNewClientsOutOfTheProxy() throws Exception {
        cluster = LoopbackCluster.start(1, null);
        startProxy(smallProxy());
        List<RawClient> idle = IdleClients.halfSentRequests(new java.net.InetSocketAddress("127.0.0.1", proxy.port()), 4);
        toClose.addAll(idle);

        String answer = IdleClients.askUntilServed(new java.net.InetSocketAddress("127.0.0.1", proxy.port()), "dirk heartbeat;", Duration.ofSeconds(10));

        assertThat(answer).doesNotContain("Hadisoana");
        for (RawClient client : idle) {
            assertThat(IdleClients.closingReason(client, Duration.ofSeconds(10)))
                    .contains("authentication timeout: no request completed within 1 s");
        }
    }

    @Test
    void anActiveProxySessionOutlivesTheIdleTimeoutWhileASilentOneIsClosed() throws Exception {
        cluster = LoopbackCluster.start(1, null);
        startProxy(smallProxy());
        RawClient active = new RawClient(new java.net.InetSocketAddress("127.0.0.1", proxy.port()));
        RawClient silent = new RawClient(new java.net.InetSocketAddress("127.0.0.1", proxy.port()));
        toClose.add(active);
        toClose.add(silent);
        assertThat(silent.ask("alaivo * ao@ t;")).doesNotContain("Hadisoana");

        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() - until < 0) {
            assertThat(active.ask("alaivo * ao@ t;")).doesNotContain("Hadisoana");
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // the client's think time
        }

        assertThat(IdleClients.closingReason(silent, Duration.ofSeconds(10))).contains("idle for more than 1 s");
    }

    /** Sends {@code statement} on {@code client} from another thread: its reply, once it comes. */
    private static CompletableFuture<Reply> executeAsync(DirkConnection client, String statement) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.execute(statement);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
