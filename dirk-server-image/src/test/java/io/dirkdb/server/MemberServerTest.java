package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.testing.FakeDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.dirkdb.testing.RawClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's network behaviour, over raw TCP, with a fake engine. */
class MemberServerTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private FakeDatabase database;

    @TempDir
    Path dataDirectory;

    private MemberServer start(ServerSettings settings, Role role) throws IOException {
        database = new FakeDatabase();
        MemberServer server = MemberServer.start(Member.start("m1", database, dataDirectory, role), settings);
        toClose.add(server);
        return server;
    }

    private MemberServer start() throws IOException {
        return start(ServerSettings.loopback(0), Role.PRIMARY);
    }

    private RawClient connect(MemberServer server) throws IOException {
        RawClient client = new RawClient(server.address());
        toClose.add(client);
        return client;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private static String page(int page, int total, int from, int to) {
        StringBuilder rows = new StringBuilder();
        for (int i = from; i <= to; i++) {
            rows.append(i == from ? "" : ",").append('[').append(i).append(']');
        }
        return "RELATION_JSON_PAGE " + page + "/" + total + "\n"
                + "{\"type\":\"relation\",\"name\":\"etu\",\"page\":" + page + ",\"totalPages\":" + total
                + ",\"columns\":[{\"name\":\"id\",\"origin\":\"etu\"}],\"rows\":[" + rows + "]}\n";
    }

    @Test
    void resultOfFortyFiveRowsComesInThreePagesByteForByte() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("numbers 45;")).isEqualTo(page(1, 3, 1, 20) + page(2, 3, 21, 40) + page(3, 3, 41, 45)
                + "RELATION_JSON_END\nRESULT_MESSAGE\nOK\nEND\n");
    }

    @Test
    void messageIsResultMessageTextEnd() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("say Tafinditra ny fiovana ny tabilao;"))
                .isEqualTo("RESULT_MESSAGE\nTafinditra ny fiovana ny tabilao\nEND\n");
    }

    @Test
    void errorLeavesTheConnectionUsable() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("nonsense here;")).isEqualTo("RESULT_MESSAGE\nHadisoana : unknown statement: nonsense\nEND\n");
        assertThat(client.ask("say still here;")).isEqualTo("RESULT_MESSAGE\nstill here\nEND\n");
    }

    @Test
    void internalFailureTextNeverReachesTheClient() throws IOException {
        RawClient client = connect(start());
        String reply = client.ask("boom;");
        assertThat(reply).matches("RESULT_MESSAGE\nHadisoana : internal error, see the server log \\(ref [0-9a-f]+\\)\nEND\n")
                .doesNotContain("secret");
        assertThat(client.ask("say ok;")).isEqualTo("RESULT_MESSAGE\nok\nEND\n");
    }

    @Test
    void stackOverflowIsAClearErrorAndTheConnectionGoesOn() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("recurse;")).isEqualTo("RESULT_MESSAGE\nHadisoana : the statement is nested too deeply\nEND\n");
        assertThat(client.ask("say ok;")).isEqualTo("RESULT_MESSAGE\nok\nEND\n");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        RawClient client = connect(start());
        client.send("say one;\n say two;say 'three;';");
        assertThat(client.reply()).isEqualTo("RESULT_MESSAGE\none\nEND\n");
        assertThat(client.reply()).isEqualTo("RESULT_MESSAGE\ntwo\nEND\n");
        assertThat(client.reply()).isEqualTo("RESULT_MESSAGE\n'three;'\nEND\n");
    }

    @Test
    void emptyStatementIsAnError() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask(" -- only a comment\n;")).isEqualTo("RESULT_MESSAGE\nHadisoana : empty statement\nEND\n");
    }

    @Test
    void heartbeatReportsIdRoleEpochLsnAndReadiness() throws IOException {
        RawClient client = connect(start());
        client.ask("put a;");
        client.ask("put b;");
        // The history id is a random UUID, made when this first primary started.
        assertThat(client.ask("dirk heartbeat;")).matches("RESULT_MESSAGE\n\\{\"id\":\"m1\",\"role\":\"primary\",\"epoch\":1,"
                + "\"lsn\":2,\"ready\":true,\"historyId\":\"[0-9a-f-]{36}\"}\nEND\n");
    }

    @Test
    void secondaryRefusesWrites() throws IOException {
        RawClient client = connect(start(ServerSettings.loopback(0), Role.SECONDARY));
        assertThat(client.ask("put x;"))
                .isEqualTo("RESULT_MESSAGE\nHadisoana : this member is a secondary (epoch 0): writes go to the primary\nEND\n");
        assertThat(client.ask("say reads still work;")).isEqualTo("RESULT_MESSAGE\nreads still work\nEND\n");
        assertThat(database.writes).isEmpty();
    }

    @Test
    void fencedPrimaryRefusesWritesUntilPromotedWithAHigherEpoch() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("put before;")).isEqualTo("RESULT_MESSAGE\nTafinditra ny fiovana ny tabilao\nEND\n");
        assertThat(client.ask("dirk fence;")).isEqualTo("RESULT_MESSAGE\nfenced at epoch 1: writes are refused; log ends at LSN 1, acknowledged up to LSN 1\nEND\n");
        assertThat(client.ask("put after;"))
                .isEqualTo("RESULT_MESSAGE\nHadisoana : this member is fenced (epoch 1): writes go to the primary\nEND\n");
        assertThat(client.ask("dirk promote 1;")).isEqualTo("RESULT_MESSAGE\nHadisoana : cannot promote to epoch 1: "
                + "this member has already seen epoch 1 (the new epoch must be higher)\nEND\n");
        assertThat(client.ask("dirk promote 3;")).isEqualTo("RESULT_MESSAGE\nprimary at epoch 3\nEND\n");
        assertThat(client.ask("put again;")).isEqualTo("RESULT_MESSAGE\nTafinditra ny fiovana ny tabilao\nEND\n");
        assertThat(database.writes).containsExactly("before", "again");
    }

    @Test
    void aHeldFenceIsSaidInTheHeartbeatUntilAFollowOrAPromoteOrAPlainFence() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("dirk heartbeat;")).doesNotContain("fenceHeld");
        assertThat(client.ask("dirk fence hold;")).isEqualTo("RESULT_MESSAGE\nfenced at epoch 1: writes are refused; "
                + "log ends at LSN 0, acknowledged up to LSN 0\nEND\n");
        assertThat(client.ask("put after;")).contains("this member is fenced (epoch 1)");
        assertThat(client.ask("dirk heartbeat;")).contains("\"role\":\"fenced\"", "\"fenceHeld\":true");
        assertThat(client.ask("dirk fence;")).startsWith("RESULT_MESSAGE\nfenced at epoch 1");
        assertThat(client.ask("dirk heartbeat;")).contains("\"role\":\"fenced\"", "\"fenceHeld\":false");

        client.ask("dirk fence hold;");
        assertThat(client.ask("dirk promote 2;")).isEqualTo("RESULT_MESSAGE\nprimary at epoch 2\nEND\n");
        assertThat(client.ask("dirk heartbeat;")).doesNotContain("fenceHeld");
        client.ask("dirk fence hold;");
        assertThat(client.ask("dirk follow '127.0.0.9' 3948;")).startsWith("RESULT_MESSAGE\nsecondary at epoch 2");
        assertThat(client.ask("dirk heartbeat;")).doesNotContain("fenceHeld");
        // A fence after that is a hand-over's again.
        client.ask("dirk fence;");
        assertThat(client.ask("dirk heartbeat;")).contains("\"fenceHeld\":false");
    }

    @Test
    void promoteWithALowerEpochIsRefused() throws IOException {
        RawClient client = connect(start());
        client.ask("dirk promote 5;");
        assertThat(client.ask("dirk promote 4;")).startsWith("RESULT_MESSAGE\nHadisoana : cannot promote to epoch 4");
        assertThat(client.ask("dirk heartbeat;")).contains("\"role\":\"primary\",\"epoch\":5");
    }

    @Test
    void followMakesASecondaryThatRecordsItsPrimary() throws IOException {
        RawClient client = connect(start());
        assertThat(client.ask("dirk follow '127.0.0.9' 3948;"))
                .isEqualTo("RESULT_MESSAGE\nsecondary at epoch 1, following 127.0.0.9:3948\nEND\n");
        assertThat(client.ask("put x;")).contains("this member is a secondary (epoch 1)");
        assertThat(MemberState.load(dataDirectory).withHistory(null))
                .isEqualTo(new MemberState(Role.SECONDARY, 1, 1, "127.0.0.9", 3948));
    }

    @Test
    void roleAndEpochSurviveARestart() throws Exception {
        MemberServer first = start();
        RawClient client = connect(first);
        client.ask("dirk promote 7;");
        client.ask("dirk fence;");
        first.close();
        assertThat(database.closed).isTrue();

        // Even a config saying MASTER does not undo a fence: the saved state wins.
        RawClient again = connect(start(ServerSettings.loopback(0), Role.PRIMARY));
        assertThat(again.ask("dirk heartbeat;")).contains("\"role\":\"fenced\",\"epoch\":7");
        assertThat(again.ask("put x;")).contains("this member is fenced (epoch 7)");
        assertThat(again.ask("dirk promote 7;")).contains("cannot promote to epoch 7");
    }

    @Test
    void withAPasswordOnlyHeartbeatWorksBeforeAuthentication() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("s3cr'et"), Role.PRIMARY);
        RawClient client = connect(server);
        assertThat(client.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
        assertThat(client.ask("say hi;")).isEqualTo("RESULT_MESSAGE\nHadisoana : authentication required\nEND\n");
        assertThat(client.ask("dirk promote 9;")).isEqualTo(
                "RESULT_MESSAGE\nHadisoana : authentication required: dirk promote needs the administration credential\nEND\n");
        assertThat(client.ask("gibberish;")).isEqualTo("RESULT_MESSAGE\nHadisoana : authentication required\nEND\n");
        assertThat(client.ask("dirk auth 'wrong';")).isEqualTo("RESULT_MESSAGE\nHadisoana : authentication failed\nEND\n");
        assertThat(client.ask("say hi;")).isEqualTo("RESULT_MESSAGE\nHadisoana : authentication required\nEND\n");
        assertThat(client.ask("dirk auth 's3cr''et';")).isEqualTo("RESULT_MESSAGE\nauthenticated\nEND\n");
        assertThat(client.ask("say hi;")).isEqualTo("RESULT_MESSAGE\nhi\nEND\n");

        RawClient other = connect(server);
        assertThat(other.ask("say hi;")).isEqualTo("RESULT_MESSAGE\nHadisoana : authentication required\nEND\n");
    }

    @Test
    void connectionPastTheLimitIsToldWhyAndClosed() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withMaxConnections(2).withReservedConnections(1),
                Role.PRIMARY);
        RawClient first = connect(server);
        RawClient second = connect(server);
        assertThat(first.ask("say 1;")).contains("1");
        assertThat(second.ask("say 2;")).contains("2");
        RawClient reserved = connect(server);
        assertThat(reserved.ask("say 3;")).startsWith("RESULT_MESSAGE\nHadisoana : too many connections (limit 2); "
                + "this connection holds a slot kept for heartbeats, replication and control requests");
        assertThat(reserved.socket().getInputStream().read()).isEqualTo(-1);
        RawClient third = connect(server);
        RawClient fourthToo = connect(server);
        String refused = "RESULT_MESSAGE\nHadisoana : too many connections (limit 2)\nEND\n";
        // One of the two took the reserved slot freed above (once its close is seen), the other is refused at once.
        assertThat(List.of(readOrNothing(third), readOrNothing(fourthToo))).contains(refused);
        third.close();
        fourthToo.close();

        first.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (RawClient fourth = new RawClient(server.address())) {
                assertThat(fourth.ask("say back;")).isEqualTo("RESULT_MESSAGE\nback\nEND\n");
            }
        });
    }

    @Test
    void oversizedRequestIsAnsweredWithAnErrorAndTheConnectionGoesOn() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withMaxRequestBytes(1024), Role.PRIMARY);
        RawClient client = connect(server);
        client.send("say '" + "x".repeat(100_000) + ";';say after;");
        assertThat(client.reply()).isEqualTo("RESULT_MESSAGE\nHadisoana : request too large: 100007 bytes, "
                + "the limit is 1024 bytes (--max-request-bytes)\nEND\n");
        assertThat(client.reply()).isEqualTo("RESULT_MESSAGE\nafter\nEND\n");
    }

    @Test
    void metersCountStatementsErrorsAndRefusedConnectionsAndShowTheRole() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        database = new FakeDatabase();
        MemberServer server = MemberServer.start(Member.start("m1", database, dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withMaxConnections(1).withReservedConnections(0), registry);
        toClose.add(server);
        RawClient client = connect(server);
        client.ask("put a;");
        client.ask("say b;");
        client.ask("nonsense;");
        connect(server).reply(); // refused: past the limit
        assertThat(registry.get("dirk.server.statements").tag("kind", "write").counter().count()).isEqualTo(1);
        assertThat(registry.get("dirk.server.statements").tag("kind", "read").counter().count()).isEqualTo(1);
        assertThat(registry.get("dirk.server.errors").counter().count()).isEqualTo(1);
        assertThat(registry.get("dirk.server.connections.refused").counter().count()).isEqualTo(1);
        assertThat(registry.get("dirk.member.lsn").gauge().value()).isEqualTo(1);
        System.gc(); // gauges hold their objects weakly: they must survive a collection
        assertThat(registry.get("dirk.server.connections").gauge().value()).isEqualTo(1);
        assertThat(registry.get("dirk.member.role").tag("role", "primary").gauge().value()).isEqualTo(1);
        assertThat(server.readiness().ready()).isTrue();
        assertThat(server.readiness().detail()).startsWith("m1 primary at epoch 1, LSN 1");
        client.ask("dirk fence;");
        assertThat(registry.get("dirk.member.role").tag("role", "fenced").gauge().value()).isEqualTo(1);
        server.close();
        assertThat(server.readiness().ready()).isFalse();
    }

    @Test
    void stopLetsAStatementInFlightFinishAndAnswer() throws Exception {
        MemberServer server = start();
        RawClient client = connect(server);
        client.send("slow 500;");
        await().atMost(Duration.ofSeconds(5)).until(() -> database.slowStatementsStarted.get() == 1);
        CompletableFuture<Void> stop = CompletableFuture.runAsync(server::close);
        assertThat(client.reply()).isEqualTo("RESULT_MESSAGE\nTafinditra ny fiovana ny tabilao\nEND\n");
        stop.get();
        assertThat(database.writes).containsExactly("500");
        assertThat(database.closed).isTrue();
    }

    /** The next reply, or "" when none comes within a second (a connection on a reserved slot waits for a request). */
    private static String readOrNothing(RawClient client) throws IOException {
        client.socket().setSoTimeout(1000);
        try {
            return client.reply();
        } catch (java.net.SocketTimeoutException e) {
            return "";
        }
    }

    @Test
    void idleSocketsNeverLockOutHeartbeats() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withMaxConnections(4)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30)), Role.PRIMARY);
        List<RawClient> idle = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            RawClient client = connect(server);
            client.send("alai"); // a request started and never finished (slowloris)
            idle.add(client);
        }
        RawClient prober = connect(server);
        prober.socket().setSoTimeout(5000);
        assertThat(prober.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
        // The silent ones are told why and closed once the authentication deadline passes.
        for (RawClient client : idle) {
            client.socket().setSoTimeout(10_000);
            assertThat(client.reply()).contains("authentication timeout");
            assertThat(client.socket().getInputStream().read()).isEqualTo(-1);
        }
        RawClient application = connect(server);
        application.socket().setSoTimeout(5000);
        assertThat(application.ask("say back;")).isEqualTo("RESULT_MESSAGE\nback\nEND\n");
    }

    @Test
    void heartbeatsKeepAnUnauthenticatedProberConnectionWhileIdleOnesAreClosed() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret")
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)), Role.PRIMARY);
        RawClient prober = connect(server);
        RawClient idle = connect(server);
        assertThat(idle.ask("dirk auth 'secret';")).contains("authenticated");
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            assertThat(prober.ask("dirk heartbeat;")).contains("\"role\"");
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // the prober's interval
        }
        idle.socket().setSoTimeout(10_000);
        assertThat(idle.reply()).contains("idle for more than 1 s");
    }

    /**
     * Review 12: a plain dirk heartbeat renews an unauthenticated connection's deadline, and it may sit on a
     * reserved slot. Anyone who can reach the port, with no password, holds every regular and reserved slot
     * by sending a heartbeat now and then; the supervisor's authenticated lease renewal (and a secondary's
     * dirk stream) then finds no slot: the member misses heartbeats, its lease runs out, it is failed over.
     */
    @Test
    void unauthenticatedHeartbeatersCannotHoldTheSlotsKeptForTheSupervisor() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret").withMaxConnections(2)
                .withReservedConnections(1).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30)), Role.PRIMARY);
        List<RawClient> strangers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RawClient stranger = connect(server);
            assertThat(stranger.ask("dirk heartbeat;")).contains("\"role\"");
            strangers.add(stranger);
        }
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // three authentication deadlines
        while (System.nanoTime() < until) {
            for (RawClient stranger : strangers) {
                assertThat(stranger.ask("dirk heartbeat;")).contains("\"role\"");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(300).toNanos()); // their interval
        }
        RawClient supervisor = connect(server);
        supervisor.socket().setSoTimeout(5000);
        assertThat(supervisor.ask("dirk auth 'secret';")).contains("authenticated");
        assertThat(supervisor.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
    }

    /**
     * Review 12b: a newcomer finding every slot taken evicted any unauthenticated connection on a reserved slot,
     * including one opened a moment ago whose {@code dirk auth} was on its way (a supervisor's or a secondary's):
     * strangers connecting continuously locked lease renewals and streams out of the reserved slots.
     */
    @Test
    void connectionAboutToAuthenticateKeepsItsReservedSlotWhenAStrangerArrivesRightAfterIt() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret").withMaxConnections(2)
                .withReservedConnections(1).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30)), Role.PRIMARY);
        List<RawClient> strangers = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // every regular and reserved slot
            RawClient stranger = connect(server);
            // Twice: its first answer may reach it a moment before the server counts that request as done.
            assertThat(stranger.ask("dirk heartbeat;")).contains("\"role\"");
            assertThat(stranger.ask("dirk heartbeat;")).contains("\"role\"");
            strangers.add(stranger);
        }
        RawClient supervisor = connect(server); // takes the reserved slot of the third stranger (it asked, unauthenticated)
        RawClient evicted = strangers.get(2);
        evicted.socket().setSoTimeout(5000);
        assertThat(evicted.reply()).contains("gives it up to a newcomer");
        assertThat(evicted.socket().getInputStream().read()).isEqualTo(-1);
        // A moment later, before the supervisor's dirk auth: admitted past the reserved slots while the supervisor's
        // grace runs (before, it was refused, and so was a supervisor arriving while a stranger's grace ran).
        RawClient late = connect(server);
        late.socket().setSoTimeout(5000);
        assertThat(late.ask("dirk heartbeat;")).contains("\"role\"");
        supervisor.socket().setSoTimeout(5000);
        assertThat(supervisor.ask("dirk auth 'secret';")).contains("authenticated");
        assertThat(supervisor.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
    }

    /**
     * The grace is short: a silent stranger cannot hold a reserved slot past it (a quarter of 1 s here), even once
     * the newcomers admitted while its grace ran (here an operator's connection) fill the room past the reserved slots.
     */
    @Test
    void silentConnectionGivesUpItsReservedSlotOnceItHadTimeToAuthenticate() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret").withMaxConnections(2)
                .withReservedConnections(1).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30)), Role.PRIMARY);
        for (int i = 0; i < 2; i++) {
            assertThat(connect(server).ask("dirk heartbeat;")).contains("\"role\"");
        }
        RawClient silent = connect(server); // the reserved slot, and never a word
        silent.socket().setSoTimeout(5000);
        RawClient operator = connect(server); // admitted while the silent one's grace runs
        operator.socket().setSoTimeout(5000);
        assertThat(operator.ask("dirk auth 'secret';")).contains("authenticated");
        await().atMost(Duration.ofMillis(900)).pollInterval(Duration.ofMillis(50)).until(() -> {
            try (RawClient supervisor = new RawClient(server.address())) {
                supervisor.socket().setSoTimeout(2000);
                return supervisor.ask("dirk auth 'secret';").contains("authenticated");
            }
        });
        assertThat(silent.reply()).contains("gives it up to a newcomer");
    }

    /**
     * Evictions were queued behind refusals on the one refusing thread, and dropped when its queue was full: the
     * evicted stranger, already out of the slot table, then kept its socket (until its deadline, forever for one that
     * pings heartbeats) while the newcomer was admitted. Here the refusal queue holds one refusal, and clients that
     * drip bytes keep the refusing thread busy for a second each.
     */
    @Test
    void strangerEvictedWhileRefusalsQueueUpIsClosedAtOnce() throws Exception {
        database = new FakeDatabase();
        MemberServer server = MemberServer.start(Member.start("m1", database, dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withPassword("secret").withMaxConnections(1).withReservedConnections(1)
                        .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(60)), new SimpleMeterRegistry(), 1);
        toClose.add(server);
        RawClient application = connect(server);
        assertThat(application.ask("dirk auth 'secret';")).contains("authenticated");
        RawClient operator = connect(server); // the reserved slot
        operator.socket().setSoTimeout(5000);
        assertThat(operator.ask("dirk auth 'secret';")).contains("authenticated");
        List<Thread> drippers = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // refused: one answered (a second each), one queued, one closed at once
            RawClient refused = connect(server);
            Thread dripper = new Thread(() -> {
                try {
                    for (int n = 0; n < 30; n++) {
                        refused.send("x");
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the member
                }
            }, "dripper-" + i);
            dripper.setDaemon(true);
            dripper.start();
            drippers.add(dripper);
        }
        // The operator's connection turns stranger: a wrong password drops its role (and buys no time).
        assertThat(operator.ask("dirk auth 'wrong';")).contains("authentication failed");
        // Once this is answered the member has counted the failure (its answer may arrive a moment before that).
        assertThat(operator.ask("dirk heartbeat;")).contains("\"role\"");
        RawClient newcomer = connect(server); // takes the stranger's reserved slot
        newcomer.socket().setSoTimeout(5000);
        assertThat(operator.reply()).as("the evicted stranger is told so at once, not at its deadline")
                .contains("gives it up to a newcomer");
        assertThat(newcomer.ask("dirk auth 'secret';")).contains("authenticated");
        for (Thread dripper : drippers) {
            dripper.interrupt();
            dripper.join(5_000);
        }
    }

    @Test
    void proberWhoseKeptConnectionTheMemberClosedAsksAgainWithoutAMiss() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        database = new FakeDatabase();
        MemberServer server = MemberServer.start(Member.start("m1", database, dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)), registry);
        toClose.add(server);
        try (io.dirkdb.heartbeat.HeartbeatProbe probe = new io.dirkdb.heartbeat.HeartbeatProbe(
                new io.dirkdb.heartbeat.MemberAddress("m1", "127.0.0.1", server.port()), 5000)) {
            assertThat(probe.probe().role()).isEqualTo("primary");
            // Probes sparser than the member's idle timeout: it closes the kept connection in between.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.get("dirk.server.connections").gauge().value() == 0);
            assertThat(probe.probe().role()).isEqualTo("primary");
        }
    }

    @Test
    void failedPasswordGuessesDoNotPostponeTheAuthenticationDeadline() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret")
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30)), Role.PRIMARY);
        RawClient guesser = connect(server);
        guesser.socket().setSoTimeout(5000);
        long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        String last = "";
        // A guess every 200 ms: before, each refused answer restarted the deadline and the slot was held for good.
        while (System.nanoTime() < until && !last.contains("authentication timeout")) {
            try {
                guesser.send("dirk auth 'guess';");
                last = guesser.reply();
            } catch (IOException closed) {
                break;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        assertThat(last).contains("authentication timeout");
    }

    @Test
    void clientThatNeverReadsItsReplyIsClosedAfterTheIdleTimeout() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        database = new FakeDatabase();
        MemberServer server = MemberServer.start(Member.start("m1", database, dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)), registry);
        toClose.add(server);
        RawClient reader = connect(server);
        // A reply far larger than the socket buffers, never read: the member's write blocks. Before, such a
        // connection counted as running a statement and held its slot (and a thread) for good.
        reader.send("numbers 2000000;");
        await().atMost(Duration.ofSeconds(15))
                .until(() -> registry.get("dirk.server.connections").gauge().value() == 0);
    }

    /**
     * The eviction grace (a silent connection keeps its reserved slot for min(1 s, authentication timeout / 4))
     * lets a stranger without any password hold every reserved slot for good: it reopens each of its silent
     * connections before the grace runs out. A supervisor (or a secondary) with the right password that connects
     * meanwhile finds no evictable stranger and is refused, so the lease is not renewed and streams do not start.
     */
    @Test
    void strangerCyclingSilentConnectionsWithinTheGraceDoesNotLockTheSupervisorOut() throws Exception {
        MemberServer server = MemberServer.start(Member.start("m1", new FakeDatabase(), dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withPassword("secret").withMaxConnections(1).withReservedConnections(1)
                        .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(60)));
        toClose.add(server);
        RawClient regular = new RawClient(server.address()); // the one regular slot, silent
        toClose.add(regular);

        AtomicBoolean attacking = new AtomicBoolean(true);
        Thread stranger = new Thread(() -> {
            while (attacking.get()) {
                try (RawClient silent = new RawClient(server.address())) {
                    silent.socket().setSoTimeout(100);
                    try {
                        silent.socket().getInputStream().read();
                        continue; // refused (the slot was not free yet): again at once
                    } catch (SocketTimeoutException holding) {
                        // holds the reserved slot, and says nothing
                    }
                    long until = System.nanoTime() + Duration.ofMillis(600).toNanos();
                    while (attacking.get() && System.nanoTime() < until) {
                        Thread.sleep(10);
                    }
                } catch (IOException | InterruptedException e) {
                    // reconnect
                }
            }
        }, "slot-cycling-stranger");
        stranger.setDaemon(true);
        stranger.start();
        toClose.add(() -> {
            attacking.set(false);
            stranger.join(5_000);
        });

        int attempts = 10;
        int served = 0;
        List<String> refusals = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            Thread.sleep(150); // the supervisor's probes, spread over the stranger's cycles
            try (RawClient supervisor = new RawClient(server.address())) {
                supervisor.socket().setSoTimeout(3000);
                String auth = supervisor.ask("dirk auth 'secret';");
                if (auth.contains("authenticated") && supervisor.ask("dirk heartbeat;").contains("\"role\"")) {
                    served++;
                } else {
                    refusals.add(auth.strip());
                }
            } catch (IOException e) {
                refusals.add(e.toString());
            }
        }
        assertThat(served).as("a supervisor with the password, against a stranger with none; refusals: %s", refusals)
                .isEqualTo(attempts);
    }

    /**
     * An unauthenticated connection's deadline restarts with every plain {@code dirk heartbeat} it sends (for
     * probers that have no password), so strangers that know no password hold every regular slot for as long as
     * they keep pinging: an application with the right password is then served only on a reserved slot, where
     * its statements are refused. Here the authentication timeout is 1 s and the strangers stay for 3.
     */
    @Test
    void strangersPingingHeartbeatsWithoutAPasswordDoNotLockApplicationsOut() throws Exception {
        MemberServer server = MemberServer.start(Member.start("m1", new FakeDatabase(), dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withPassword("secret").withMaxConnections(2).withReservedConnections(1)
                        .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(60)));
        toClose.add(server);
        List<RawClient> strangers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            RawClient stranger = new RawClient(server.address());
            toClose.add(stranger);
            strangers.add(stranger);
        }
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) { // three authentication timeouts, a heartbeat every 300 ms
            for (RawClient stranger : strangers) {
                assertThat(stranger.ask("dirk heartbeat;")).contains("\"role\"");
            }
            Thread.sleep(300);
        }
        try (RawClient application = new RawClient(server.address())) {
            application.socket().setSoTimeout(3000);
            assertThat(application.ask("dirk auth 'secret';")).contains("authenticated");
            assertThat(application.ask("say hello;"))
                    .as("an application with the password, after two passwordless strangers pinged for 3 s "
                            + "(authentication timeout 1 s)")
                    .doesNotContain("too many connections");
        }
    }

    /**
     * Review r-12: whether a newcomer gets a regular or a reserved slot is decided by the count of open connections,
     * not by the regular slots held. An operator's connection that arrived while the regular slot was taken stays on
     * a reserved slot; once the regular slot's client leaves, the next application lands on a reserved slot too and
     * its statements are refused as "too many connections" while no one holds the regular slot (no stranger holds it
     * either, so takeRegularSlotFromAStranger has nothing to take).
     */
    @Test
    void applicationIsServedWhenTheRegularSlotIsFreeWhileAnOperatorHoldsAReservedOne() throws Exception {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret").withMaxConnections(1)
                .withReservedConnections(1).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(60)), Role.PRIMARY);
        RawClient first = connect(server);
        first.socket().setSoTimeout(5000);
        assertThat(first.ask("dirk auth 'secret';")).contains("authenticated");
        assertThat(first.ask("say hello;")).doesNotContain("too many connections");
        RawClient operator = connect(server); // past the limit: the reserved slot
        operator.socket().setSoTimeout(5000);
        assertThat(operator.ask("dirk auth 'secret';")).contains("authenticated");
        first.close();
        String last = null;
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            try (RawClient application = new RawClient(server.address())) {
                application.socket().setSoTimeout(3000);
                // Refused at the door until the member has noticed the first client's close: asked again.
                last = application.ask("dirk auth 'secret';");
                if (last.contains("authenticated")) {
                    last = application.ask("say hello;");
                }
                if (!last.contains("too many connections")) {
                    break;
                }
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        assertThat(last).as("an application's statement once the only regular slot is free").doesNotContain(
                "too many connections").doesNotContain("authentication");
        assertThat(operator.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
    }

    /**
     * Review r-12: during a password rotation a proxy (or any client given the new and the old password) tries its
     * first password, and on failure the other one, on each new connection (UpstreamConnection does so). After a
     * failover its pool reconnects at once, from one address: the first attempts all fail within the 50 ms their
     * answers wait, past the 10 free failures of the address, and the right passwords that follow then wait their
     * turn, the later ones refused unevaluated ("try again in a minute"). The proxy is locked out of the new primary
     * by its own correct credentials.
     */
    @Test
    void proxyReconnectingItsPoolThroughAPasswordRotationIsNotLockedOut() throws Exception {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret")
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)), Role.PRIMARY);
        int pool = 64;
        List<CompletableFuture<String>> connections = new ArrayList<>();
        for (int i = 0; i < pool; i++) {
            RawClient backend = connect(server);
            backend.socket().setSoTimeout(15_000);
            connections.add(CompletableFuture.supplyAsync(() -> {
                try {
                    String first = backend.ask("dirk auth 'the-other-password';");
                    return first.contains("authenticated") && !first.contains("failed") ? first
                            : backend.ask("dirk auth 'secret';");
                } catch (IOException e) {
                    return e.toString();
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
        }
        List<String> refused = new ArrayList<>();
        for (CompletableFuture<String> connection : connections) {
            String answer = connection.get(30, java.util.concurrent.TimeUnit.SECONDS);
            if (!answer.contains("authenticated") || answer.contains("refused") || answer.contains("failed")) {
                refused.add(answer);
            }
        }
        assertThat(refused).as("connections of %d that the right password, sent second, did not authenticate", pool)
                .isEmpty();
    }

    /**
     * Review r-12: a connection whose first request is a {@code dirk auth} waiting its turn in the address throttle
     * (up to 5 s) is busy and has completed no request, so it is never evictable, and it counts as one "in its grace"
     * that admits newcomers past the reserved slots. A guesser past its free failures books spaced turns on as many
     * connections as there are slots: for up to 5 s no slot can be taken from it, and the supervisor, from another
     * address with the right password, is refused at the door. Here 14 failures space the turns 1.6 s apart.
     */
    @Test
    void guessesWaitingTheirTurnDoNotLockTheSupervisorOutOfTheReservedSlots() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MemberServer server = MemberServer.start(Member.start("m1", new FakeDatabase(), dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withPassword("secret").withMaxConnections(2).withReservedConnections(1)
                        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)), registry);
        toClose.add(server);
        java.util.function.IntSupplier open = () -> (int) registry.get("dirk.server.connections").gauge().value();
        for (int burnt = 0; burnt < 14; ) { // the guesser's free failures, and four more
            try (RawClient guesser = new RawClient(server.address())) {
                guesser.socket().setSoTimeout(10_000);
                for (int i = 0; i < 4 && burnt < 14; i++, burnt++) {
                    assertThat(guesser.ask("dirk auth 'guess';")).contains("authentication failed");
                }
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> open.getAsInt() == 0);
        List<RawClient> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // both regular slots, the reserved one, and one more guess
            RawClient guesser = connect(server);
            guesser.send("dirk auth 'guess';");
            waiting.add(guesser);
            // A guess waiting its turn is evictable: the fourth takes the third's reserved slot (or, if the third's
            // request is not read yet, is admitted beside it while that one's grace runs).
            int expected = Math.min(i + 1, 3);
            await().atMost(Duration.ofSeconds(2)).until(() -> open.getAsInt() >= expected);
        }
        try (RawClient supervisor = new RawClient(server.address(),
                java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 2}))) {
            supervisor.socket().setSoTimeout(3000);
            assertThat(supervisor.ask("dirk auth 'secret';"))
                    .as("the supervisor, from another address, while four guesses wait their turns").contains(
                            "authenticated").doesNotContain("too many connections");
        }
    }
}
