package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.testing.RawClient;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RelayServerTest {

    @Test
    void aGracefulStopLetsTheRequestInFlightFinish() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        RelayServer server = RelayServer.start("proxy", "127.0.0.1", 0, 8, 1 << 20, () -> request -> {
            started.incrementAndGet();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ReplyWriter.encodeMessage("done: " + ((Request.Text) request).text());
        });
        try (DirkConnection client = DirkConnection.open("127.0.0.1", server.port())) {
            client.setReadTimeoutMillis(10_000);
            CompletableFuture<String> reply = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.execute("alaivo * ao@ t").messageText();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().until(() -> started.get() == 1);

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.close(Duration.ofSeconds(10)));
            await().pollDelay(Duration.ofMillis(100)).until(() -> !stopping.isDone());
            release.countDown();

            assertThat(reply.get(10, TimeUnit.SECONDS)).startsWith("done: alaivo * ao@ t");
            stopping.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRequestRunningLongerThanTheIdleTimeoutIsAnsweredNotCut() throws Exception {
        RelayServer server = RelayServer.start("proxy", "127.0.0.1", 0, 8, 1 << 20,
                new ConnectionTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)), () -> request -> {
                    // A statement that runs for 2.5 s: the reaper passes several times meanwhile.
                    LockSupport.parkNanos(Duration.ofMillis(2500).toNanos());
                    return ReplyWriter.encodeMessage("done");
                });
        try (RawClient client = new RawClient(server.address())) {
            assertThat(client.ask("alaivo * ao@ t;")).isEqualTo("RESULT_MESSAGE\ndone\nEND\n");
        } finally {
            server.close();
        }
    }
}
