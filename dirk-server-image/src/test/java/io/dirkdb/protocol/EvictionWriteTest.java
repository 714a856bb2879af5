package io.dirkdb.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Review r-12: an eviction writes its closing word with a plain blocking write and no deadline. A stranger that has
 * let its earlier replies (plain heartbeats it never read) fill its receive window and the member's send buffer, every
 * one of those writes completed, is not "writing" when evicted: the eviction's write blocks for as long as the
 * stranger keeps its window shut (TCP persist probes keep such a connection alive for good). MemberServer runs every
 * eviction on one thread, frees the slot only after that write, and queues up to max(16, 4 x reserved) evictions
 * behind it: their connections keep counting, so past maxConnections + 3 x reserved every newcomer (the supervisor,
 * a secondary) is refused.
 */
class EvictionWriteTest {
    @Test
    void evictingAConnectionWhoseSendBufferIsFullFreesItsSlotWithinASecond() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open();
                ConnectionDeadlines deadlines = new ConnectionDeadlines("test-reaper",
                        new ConnectionTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)))) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Socket stranger = new Socket();
            stranger.setReceiveBufferSize(1024); // reads nothing, ever
            stranger.connect(listener.getLocalAddress());
            try (stranger; SocketChannel accepted = listener.accept()) {
                // The replies the stranger never read: written whole, until the next byte would block.
                accepted.configureBlocking(false);
                ByteBuffer reply = ByteBuffer.allocate(64);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                int idleWrites = 0;
                while (idleWrites < 50 && System.nanoTime() < deadline) {
                    reply.clear();
                    if (accepted.write(reply) == 0) {
                        idleWrites++;
                        Thread.sleep(10); // the window is shut once writes keep making no progress
                    } else {
                        idleWrites = 0;
                    }
                }
                accepted.configureBlocking(true);
                Socket member = accepted.socket();
                ConnectionDeadlines.Watch watch = deadlines.watch(member, false);
                CountDownLatch slotFreed = new CountDownLatch(1);
                watch.beforeClosing(slotFreed::countDown);
                CompletableFuture<Void> eviction = CompletableFuture.runAsync(
                        () -> watch.evict("too many connections; gives it up to a newcomer"));
                boolean freed = slotFreed.await(3, TimeUnit.SECONDS);
                try {
                    assertThat(freed).as("the evicted stranger's slot freed within 3 s of its eviction").isTrue();
                } finally {
                    stranger.close(); // unblocks the eviction's write
                    try {
                        eviction.get(5, TimeUnit.SECONDS);
                    } catch (TimeoutException e) {
                        member.close();
                    }
                }
            }
        }
    }
}
