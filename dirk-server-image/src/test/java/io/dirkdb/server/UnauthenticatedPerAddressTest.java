package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.testing.FakeDatabase;
import io.dirkdb.testing.RawClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that have not authenticated, counted per client address on the slots past {@code --max-connections}:
 * a stranger on one address cannot fill the reserved slots (and the room admitted past them) against the supervisor,
 * the secondaries and the probers coming from other addresses. Clients bind distinct loopback addresses.
 */
class UnauthenticatedPerAddressTest {
    private static final int LIMIT = 1;
    private static final int RESERVED = 2;
    private static final int ROUNDS = 8;
    private static final int TRIES_PER_ROUND = 3;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @TempDir
    Path dataDirectory;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private MemberServer start(ServerSettings settings) throws IOException {
        MemberServer server = MemberServer.start(Member.start("m1", new FakeDatabase(), dataDirectory, Role.PRIMARY),
                settings);
        toClose.add(server);
        return server;
    }

    private static InetAddress loopback(int last) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    /**
     * A stranger with no password, on 127.0.0.7, keeps four times the reserved slots' worth of silent connections
     * open, each reopened before its grace (1 s here) runs out, so none is ever evictable: before, its connections
     * filled the reserved slots and the newcomers admitted past them, and everyone else was refused at the door.
     * Returns the count of connections the member admitted it (held 50 ms without an answer, or evicted).
     */
    private AtomicInteger strangerCyclingSilentConnections(MemberServer server, InetAddress from, int connections) {
        AtomicBoolean attacking = new AtomicBoolean(true);
        AtomicInteger admitted = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Thread thread = new Thread(() -> {
                while (attacking.get()) {
                    try (RawClient silent = new RawClient(server.address(), from)) {
                        silent.socket().setSoTimeout(50);
                        long until = System.nanoTime() + Duration.ofMillis(500).toNanos();
                        boolean held = false;
                        while (attacking.get() && System.nanoTime() < until) {
                            try {
                                // Refused at the door, or evicted once admitted: it reconnects.
                                if (!held && !silent.reply().contains("limit " + LIMIT + ")\n")) {
                                    admitted.incrementAndGet(); // evicted: it was admitted
                                }
                                break;
                            } catch (SocketTimeoutException holding) {
                                if (!held) {
                                    held = true;
                                    admitted.incrementAndGet();
                                }
                            }
                        }
                        if (!held) {
                            Thread.sleep(20);
                        }
                    } catch (IOException | InterruptedException e) {
                        // reconnect
                    }
                }
            }, "silent-stranger-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        toClose.add(() -> {
            attacking.set(false);
            for (Thread thread : threads) {
                thread.join(5_000);
            }
        });
        return admitted;
    }

    /** Rounds of up to {@link #TRIES_PER_ROUND} connections from {@code from}; the answers of the rounds not served. */
    private static List<String> roundsNotServed(MemberServer server, InetAddress from, List<String> requests,
            Predicate<String> served) {
        List<String> failures = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            List<String> answers = new ArrayList<>();
            for (int attempt = 0; attempt < TRIES_PER_ROUND && answers.size() == attempt; attempt++) {
                try (RawClient client = new RawClient(server.address(), from)) {
                    client.socket().setSoTimeout(3000);
                    String last = "";
                    for (String request : requests) {
                        last = client.ask(request);
                    }
                    if (!served.test(last)) {
                        answers.add(last.strip());
                    }
                } catch (IOException e) {
                    answers.add(e.toString());
                }
            }
            if (answers.size() == TRIES_PER_ROUND) {
                failures.add("round " + round + ": " + answers);
            }
            // Spread the rounds over the stranger's cycles.
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        return failures;
    }

    private MemberServer memberWithTheRegularSlotTaken() throws IOException {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret").withMaxConnections(LIMIT)
                .withReservedConnections(RESERVED).withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(60)));
        RawClient application = new RawClient(server.address(), loopback(1));
        toClose.add(application);
        application.socket().setSoTimeout(5000);
        assertThat(application.ask("dirk auth 'secret';")).contains("authenticated");
        assertThat(application.ask("say hello;")).doesNotContain("too many connections");
        return server;
    }

    @Test
    void strangerCyclingSilentConnectionsFromOneAddressDoesNotLockOutASupervisorFromAnother() throws Exception {
        MemberServer server = memberWithTheRegularSlotTaken();
        AtomicInteger admitted = strangerCyclingSilentConnections(server, loopback(7), 4 * RESERVED);
        await().atMost(Duration.ofSeconds(10)).until(() -> admitted.get() >= 4 * RESERVED);

        List<String> failures = roundsNotServed(server, loopback(8), List.of("dirk auth 'secret';", "dirk heartbeat;"),
                answer -> answer.contains("\"role\":\"primary\""));
        assertThat(failures).as("rounds in which the supervisor (127.0.0.8, with the password) got no lease renewal "
                + "in %d tries while a stranger on 127.0.0.7 cycled silent connections", TRIES_PER_ROUND).isEmpty();
    }

    @Test
    void strangerCyclingSilentConnectionsFromOneAddressDoesNotLockOutAPlainHeartbeatProberFromAnother()
            throws Exception {
        MemberServer server = memberWithTheRegularSlotTaken();
        AtomicInteger admitted = strangerCyclingSilentConnections(server, loopback(7), 4 * RESERVED);
        await().atMost(Duration.ofSeconds(10)).until(() -> admitted.get() >= 4 * RESERVED);

        List<String> failures = roundsNotServed(server, loopback(9), List.of("dirk heartbeat;"),
                answer -> answer.contains("\"role\":\"primary\""));
        assertThat(failures).as("rounds in which a prober without a password (127.0.0.9) got no heartbeat in %d tries "
                + "while a stranger on 127.0.0.7 cycled silent connections", TRIES_PER_ROUND).isEmpty();
    }

    /** Connects from {@code from}, and reads for five seconds at most. */
    private RawClient connect(MemberServer server, InetAddress from) throws IOException {
        RawClient client = new RawClient(server.address(), from);
        toClose.add(client);
        client.socket().setSoTimeout(5000);
        return client;
    }

    /**
     * One address may fill the room past the regular slots while no one else needs it (here the two reserved slots and
     * the two admitted past them); a newcomer from another address then takes the slot of its oldest silent
     * connection, since that address holds more than its share (one, half the two reserved slots) while waiting to
     * authenticate. The address's own newcomers are refused meanwhile, and its connections within the share stay.
     */
    @Test
    void newcomerFromAnotherAddressTakesTheSlotOfTheOldestSilentConnectionOfTheAddressPastItsShare() throws Exception {
        MemberServer server = memberWithTheRegularSlotTaken();
        List<RawClient> silent = new ArrayList<>();
        for (int i = 0; i < 2 * RESERVED; i++) {
            silent.add(connect(server, loopback(7)));
        }
        assertThat(connect(server, loopback(7)).reply()).as("the room past the reserved slots is full")
                .contains("too many connections (limit 1)\n");
        RawClient supervisor = connect(server, loopback(8));
        assertThat(silent.get(0).reply()).contains("this connection from 127.0.0.7 sent nothing yet, one of more than 1 "
                + "from one address waiting to authenticate past the limit, and gives its slot up to a newcomer from "
                + "another address");
        assertThat(silent.get(0).socket().getInputStream().read()).isEqualTo(-1);
        assertThat(supervisor.ask("dirk auth 'secret';")).contains("authenticated");
        assertThat(supervisor.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
        for (RawClient kept : silent.subList(1, silent.size())) {
            assertThat(kept.ask("dirk heartbeat;")).contains("\"role\":\"primary\"");
        }
    }

    /**
     * With {@code --max-unauthenticated-per-address 2}, a second newcomer from another address takes a slot of the
     * address past its share too; a third, past the share of its own address, is refused.
     */
    @Test
    void addressShareComesFromTheSetting() throws Exception {
        MemberServer server = start(ServerSettings.loopback(0).withPassword("secret").withMaxConnections(LIMIT)
                .withReservedConnections(RESERVED).withMaxUnauthenticatedPerAddress(2)
                .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(60)));
        RawClient application = connect(server, loopback(1));
        assertThat(application.ask("dirk auth 'secret';")).contains("authenticated");
        List<RawClient> silent = new ArrayList<>();
        for (int i = 0; i < 2 * RESERVED; i++) {
            silent.add(connect(server, loopback(7)));
        }
        RawClient firstNewcomer = connect(server, loopback(8));
        RawClient secondNewcomer = connect(server, loopback(8));
        assertThat(connect(server, loopback(8)).reply()).as("past the share of 127.0.0.8")
                .contains("too many connections (limit 1)\n");
        for (RawClient evicted : silent.subList(0, 2)) {
            assertThat(evicted.reply()).contains("one of more than 2 from one address");
        }
        for (RawClient newcomer : List.of(firstNewcomer, secondNewcomer)) {
            assertThat(newcomer.ask("dirk auth 'secret';")).contains("authenticated");
        }
    }
}
