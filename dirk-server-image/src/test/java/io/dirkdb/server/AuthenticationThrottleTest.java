package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.testing.FakeDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Password guessing on `dirk auth`: each failure answers later than the one before, and a connection gets five. */
class AuthenticationThrottleTest {
    @TempDir
    Path dataDirectory;

    private MemberServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start() throws IOException {
        server = MemberServer.start(Member.start("m1", new FakeDatabase(), dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0).withCredentials(Credentials.single("right-password")));
    }

    private DirkConnection connect() throws IOException {
        return DirkConnection.open("127.0.0.1", server.port(), 10_000);
    }

    @Test
    void sixthGuessOnOneConnectionIsNotEvaluated() throws Exception {
        start();
        try (DirkConnection guesser = connect()) {
            long started = System.nanoTime();
            for (int attempt = 1; attempt <= 4; attempt++) {
                Reply reply = guesser.authenticate("guess-" + attempt);
                assertThat(reply.errorMessage()).as("attempt %d", attempt).isEqualTo("authentication failed");
            }
            // Each failure waits before it is answered, longer each time (at least 50 + 100 + 200 + 400 ms).
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(750);
            Reply fifth = guesser.authenticate("guess-5");
            assertThat(fifth.errorMessage()).contains("authentication failed").contains("5 failed attempts")
                    .contains("closed");
            // The right password, sixth: never evaluated, the connection is gone.
            assertThatThrownBy(() -> guesser.authenticate("right-password")).isInstanceOf(IOException.class);
        }
    }

    @Test
    void rightPasswordOnAFreshConnectionWorksAfterAnotherConnectionWasClosedForGuessing() throws Exception {
        start();
        try (DirkConnection guesser = connect()) {
            for (int attempt = 1; attempt <= 5; attempt++) {
                guesser.authenticate("guess-" + attempt);
            }
        }
        try (DirkConnection client = DirkConnection.open("127.0.0.1", server.port(), 1_000)) {
            // Answered within the connection's 1 s read timeout: nothing is held against a new connection.
            assertThat(client.authenticate("right-password").messageText()).isEqualTo("authenticated");
            assertThat(client.execute("dirk heartbeat").isError()).isFalse();
        }
    }

    @Test
    void rightPasswordAfterOneFailureOnTheSameConnectionIsAccepted() throws Exception {
        // A rotation: a client tries the new password, then the previous one, on one connection.
        start();
        try (DirkConnection client = connect()) {
            assertThat(client.authenticate("new-password").isError()).isTrue();
            assertThat(client.authenticate("right-password").messageText()).isEqualTo("authenticated");
        }
    }

    /**
     * Before, the limit was per connection only: a client reconnecting every four guesses guessed on, from as many
     * connections at once as the member admits, each failure slowed only on its own connection.
     */
    @Test
    void manyConnectionsGuessingFromOneAddressAreRefusedWhileAnotherAddressIsServed() throws Exception {
        start();
        int refused = io.dirkdb.testing.PasswordGuessers.guessUntilRefused(
                new java.net.InetSocketAddress("127.0.0.1", server.port()), 12,
                "too many failed dirk auth attempts from 127.0.0.1", java.time.Duration.ofSeconds(20));
        assertThat(refused).as("guesses from 127.0.0.1 on 12 connections at once, reconnecting every 4").isPositive();

        try (io.dirkdb.testing.RawClient other = new io.dirkdb.testing.RawClient(
                new java.net.InetSocketAddress("127.0.0.1", server.port()), java.net.InetAddress.getByName("127.0.0.2"))) {
            other.socket().setSoTimeout(1_000); // answered at once: another address's failures are not its own
            assertThat(other.ask("dirk auth 'typo';")).contains("authentication failed").doesNotContain("too many");
            assertThat(other.ask("dirk auth 'right-password';")).contains("authenticated");
        }
    }
}
