package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.testing.FakeDatabase;
import io.dirkdb.testing.RawClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 12c (hostile review of d-i12 and d-rev): the reserved slots under strangers that know no password. */
class ReviewTwelveCTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @TempDir
    Path dataDirectory;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /**
     * The eviction grace (a silent connection keeps its reserved slot for min(1 s, authentication timeout / 4))
     * lets a stranger without any password hold every reserved slot for good: it reopens each of its silent
     * connections before the grace runs out. A supervisor (or a secondary) with the right password that connects
     * meanwhile finds no evictable stranger and is refused, so the lease is not renewed and streams do not start.
     */
    @Test
    void strangerCyclingSilentConnectionsWithinTheGraceNeverLocksTheSupervisorOut() throws Exception {
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
}
