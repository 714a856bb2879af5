package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import io.dirkdb.server.Role;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hostile review 12b, the parts that need in-process members and their replication streams. */
class ReviewTwelveBTest extends ReplicaSetFixture {
    private static final Duration LEASE = Duration.ofMillis(1000);
    private final AtomicInteger value = new AtomicInteger();
    private HoldingRelay relay;

    @AfterEach
    void closeRelay() throws IOException {
        if (relay != null) {
            relay.close();
        }
    }

    private Reply write(String id) throws IOException {
        try (DirkConnection connection = members.connect(id)) {
            ok(connection.execute("ampiasao shop"));
            return connection.execute("manampia ao@ t (id) sanda (" + value.incrementAndGet() + ")");
        }
    }

    /**
     * README "Primary lease": a paused primary must not acknowledge after another member was promoted, and a
     * supervisor promotes at "last detach + leaseMs + heartbeat timeout". The supervisor's renewals count from
     * the member's previous answer (hostile review F), but a secondary's acks count from when the primary
     * reads them ({@code Replicator.acknowledged} stamps {@code System.nanoTime()}). Acks queued toward a
     * primary that reads nothing (paused by SIGSTOP, a long GC; here a relay holds them) and read after the
     * secondary was detached and the lease waited out renew the lease for a whole lease more: the old primary
     * acknowledges writes (async) while the promoted member takes its own.
     */
    @Test
    void acksQueuedWhileThePrimaryWasPausedDoNotRenewItsLeaseAfterThePromotionTime() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node m1 = members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        try (DirkConnection connection = members.connect("m1")) {
            ok(connection.execute("ampiasao shop"));
            ok(connection.execute("manamboara tabilao t (id ISA(null,null))"));
        }
        m1.member().useLease(LEASE);
        relay = new HoldingRelay(m1.host(), m1.port());
        ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
        m2.member().follow("127.0.0.1", relay.port()); // m2 streams from m1 through the relay
        // Only m2's acks keep m1 writable once its fresh start lease ran out.
        await().atMost(Duration.ofSeconds(10)).pollDelay(LEASE.plusMillis(200)).until(() -> !write("m1").isError());

        relay.hold(); // m1 reads nothing more from m2 (as if paused): m2's acks queue up
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Reply reply = write("m1");
            return reply.isError() && reply.errorMessage().contains("primary lease expired");
        });
        // The supervisor detaches m2 (fence) and, the old primary not answering, waits out its lease.
        m2.member().fence();
        long detachedNanos = System.nanoTime();
        long promotionNanos = detachedNanos + LEASE.toNanos()
                + TimeUnit.MILLISECONDS.toNanos(SupervisorSettings.defaults(ReplicationMode.ASYNC).heartbeatTimeoutMillis());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> System.nanoTime() - promotionNanos > TimeUnit.MILLISECONDS.toNanos(50));
        // Another member may be primary now. m1 resumes and reads the queued acks.
        relay.release();
        java.util.concurrent.atomic.AtomicLong acknowledgedLateMillis = new java.util.concurrent.atomic.AtomicLong(-1);
        try {
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        Reply reply = write("m1");
                        if (!reply.isError()) {
                            acknowledgedLateMillis.compareAndSet(-1,
                                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - promotionNanos));
                        }
                        return acknowledgedLateMillis.get() < 0; // once one is acknowledged, the promise is broken for good
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            fail("m1 acknowledged a write " + acknowledgedLateMillis.get() + " ms after the supervisor could promote "
                    + "another member: acks read late renewed its lease");
        }
    }

    /**
     * Relays one stream connection to the primary; {@link #hold()} stops passing what the secondary sends (its
     * acks) until {@link #release()}, the primary's frames keep flowing to the secondary.
     */
    private static final class HoldingRelay implements AutoCloseable {
        private final ServerSocket listener;
        private final Object gate = new Object();
        private boolean held;
        private volatile Socket client;
        private volatile Socket upstream;

        HoldingRelay(String host, int port) throws IOException {
            listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            daemon(() -> {
                try {
                    client = listener.accept();
                    upstream = new Socket(host, port);
                    daemon(this::towardPrimary);
                    daemon(this::towardSecondary);
                } catch (IOException e) {
                    // closed
                }
            });
        }

        private static void daemon(Runnable task) {
            Thread thread = new Thread(task, "review12b-holding-relay");
            thread.setDaemon(true);
            thread.start();
        }

        private void towardPrimary() {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = client.getInputStream();
                OutputStream out = upstream.getOutputStream();
                int read;
                while ((read = in.read(buffer)) > 0) {
                    synchronized (gate) {
                        while (held) {
                            gate.wait();
                        }
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // a side closed
            } finally {
                closeQuietly(upstream);
                closeQuietly(client);
            }
        }

        private void towardSecondary() {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = upstream.getInputStream();
                OutputStream out = client.getOutputStream();
                int read;
                while ((read = in.read(buffer)) > 0) {
                    try {
                        out.write(buffer, 0, read);
                    } catch (IOException e) {
                        // the secondary went away: keep draining the primary, the other direction closes both
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        void hold() {
            synchronized (gate) {
                held = true;
            }
        }

        void release() {
            synchronized (gate) {
                held = false;
                gate.notifyAll();
            }
        }

        int port() {
            return listener.getLocalPort();
        }

        private static void closeQuietly(Socket socket) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing
                }
            }
        }

        @Override
        public void close() throws IOException {
            release();
            listener.close();
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }
}
