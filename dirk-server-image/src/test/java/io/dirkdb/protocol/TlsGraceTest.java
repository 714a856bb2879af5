package io.dirkdb.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The grace a connection has to send its {@code dirk auth} before a newcomer may take its slot. */
class TlsGraceTest {
    private static final long GRACE = TimeUnit.SECONDS.toNanos(1);

    @Test
    void aTlsConnectionsGraceStartsOnceItsHandshakeIsDone() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ConnectionDeadlines deadlines = new ConnectionDeadlines("test-reaper",
                        new ConnectionTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)));
                Socket client = new Socket()) {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
            try (Socket accepted = listener.accept()) {
                ConnectionDeadlines.Watch watch = deadlines.watch(accepted, false, true);
                long later = System.nanoTime() + 2 * GRACE;
                assertThat(watch.evictable(later, GRACE)).as("still in its handshake, past the grace").isFalse();
                watch.secured(accepted);
                assertThat(watch.evictable(System.nanoTime(), GRACE)).as("the handshake just done").isFalse();
                assertThat(watch.evictable(System.nanoTime() + 2 * GRACE, GRACE)).as("the grace over after it")
                        .isTrue();
            }
        }
    }

    @Test
    void aPlainConnectionsGraceStartsWhenAccepted() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ConnectionDeadlines deadlines = new ConnectionDeadlines("test-reaper",
                        new ConnectionTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)));
                Socket client = new Socket()) {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
            try (Socket accepted = listener.accept()) {
                ConnectionDeadlines.Watch watch = deadlines.watch(accepted, false, false);
                assertThat(watch.evictable(System.nanoTime(), GRACE)).isFalse();
                assertThat(watch.evictable(System.nanoTime() + 2 * GRACE, GRACE)).isTrue();
            }
        }
    }
}
