package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.server.Credentials;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile review 12b of the data plane's failover safety (supervisor, lease, fence, histories). Each test
 * states a promise and fails on the code it was written against.
 */
class ReviewTwelveBTest {
    private final FakeMembers cluster = new FakeMembers()
            .add("m1", "primary", 1, 12)
            .add("m2", "secondary", 1, 12)
            .add("m3", "secondary", 1, 9);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private LocalSupervisor supervisor;

    private LocalSupervisor supervisor(ReplicationMode mode) {
        supervisor = new LocalSupervisor(cluster.addresses(), SupervisorSettings.defaults(mode), cluster);
        return supervisor;
    }

    @AfterEach
    void stop() throws Exception {
        if (supervisor != null) {
            supervisor.close();
        }
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private void rounds(int count) {
        for (int i = 0; i < count; i++) {
            supervisor.round();
        }
    }

    /**
     * README "Primary lease": "promotion time >= last renewal sent + leaseMs + heartbeat timeout (the timeout
     * covers a renewal that arrived late)". But the member counts the renewal from its previous answer on the
     * connection, and on a new connection the probe makes up to three round trips after the supervisor
     * stamped the renewal as sent (dirk auth, dirk heartbeat, dirk heartbeat lease E), each allowed a whole
     * timeout. With a slow path to the member (800 ms each way toward it, timeout 1000 ms) the probe times
     * out (a miss), the renewal still lands, counted from an answer 1600 ms after it was "sent": the old
     * primary acknowledges after the time the supervisor may promote another.
     */
    @Test
    void renewalSentOnANewConnectionNeverOutlivesLastRenewalSentPlusLeasePlusTimeout() throws Exception {
        long leaseMillis = 3000;
        int timeoutMillis = 1000;
        Member member = Member.start("m1", EngineDatabase.inMemory(), null, Role.PRIMARY);
        toClose.add(member);
        MemberServer server = MemberServer.start(member, ServerSettings.loopback(0)
                .withCredentials(new Credentials("app-pw", "repl-pw", "admin-pw")));
        toClose.add(server);
        member.useLease(Duration.ofMillis(leaseMillis));
        // The first primary of a new history starts with a fresh lease: let it run out, so only the renewal below counts.
        try (DirkConnection client = DirkConnection.open("127.0.0.1", server.port())) {
            assertThat(client.authenticate("app-pw").isError()).isFalse();
            java.util.concurrent.atomic.AtomicInteger attempt = new java.util.concurrent.atomic.AtomicInteger();
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                Reply early = client.execute("manamboara tahiry early" + attempt.incrementAndGet());
                return early.isError() && early.errorMessage().contains("primary lease expired");
            });
        }
        // Toward the member: dirk auth and dirk heartbeat delayed 800 ms, dirk heartbeat lease 1 delayed 1200 ms.
        DelayingRelay relay = new DelayingRelay(server.port(), List.of(800L, 800L, 1200L));
        toClose.add(relay);
        HeartbeatProbe probe = new HeartbeatProbe(new MemberAddress("m1", "127.0.0.1", relay.port()), timeoutMillis,
                null, "admin-pw", null);
        toClose.add(probe);

        long leaseSentNanos = System.nanoTime(); // what LocalSupervisor.probe stamps before the probe runs
        assertThatThrownBy(() -> probe.probe(1)).isInstanceOf(SocketTimeoutException.class);
        long promotionAllowedNanos = leaseSentNanos + TimeUnit.MILLISECONDS.toNanos(leaseMillis + timeoutMillis);
        // The renewal reaches the member about 2800 ms after it was stamped: wait until it landed.
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> relay.chunksDelivered() >= 3);
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> System.nanoTime() - promotionAllowedNanos > TimeUnit.MILLISECONDS.toNanos(50));
        // The supervisor may have promoted another member by now: this one must no longer acknowledge.
        try (DirkConnection client = DirkConnection.open("127.0.0.1", server.port())) {
            assertThat(client.authenticate("app-pw").isError()).isFalse();
            Reply write = client.execute("manamboara tahiry late");
            assertThat(write.isError())
                    .as("a write %d ms after the supervisor may promote another member was answered %s",
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - promotionAllowedNanos),
                            write.isError() ? write.errorMessage() : write.messageText())
                    .isTrue();
        }
    }

    /** A loopback TCP relay that delays the n-th chunk sent toward the member by the n-th delay (later ones: none). */
    private static final class DelayingRelay implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Long> delays;
        private final List<Socket> sockets = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private volatile int delivered;

        DelayingRelay(int memberPort, List<Long> delays) throws IOException {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.delays = delays;
            start(() -> {
                try {
                    Socket client = listener.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), memberPort);
                    synchronized (sockets) {
                        sockets.add(client);
                        sockets.add(upstream);
                    }
                    start(() -> pump(client, upstream, true));
                    start(() -> pump(upstream, client, false));
                } catch (IOException e) {
                    // closed
                }
            });
        }

        private void start(Runnable task) {
            Thread thread = new Thread(task, "review12b-relay");
            thread.setDaemon(true);
            synchronized (threads) {
                threads.add(thread);
            }
            thread.start();
        }

        private void pump(Socket from, Socket to, boolean towardMember) {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int chunk = 0;
                int read;
                while ((read = in.read(buffer)) > 0) {
                    if (towardMember && chunk < delays.size()) {
                        Thread.sleep(delays.get(chunk)); // the injected fault: a slow path toward the member
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                    if (towardMember) {
                        chunk++;
                        delivered = chunk;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // a side closed
            }
        }

        int chunksDelivered() {
            return delivered;
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            synchronized (sockets) {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            synchronized (threads) {
                threads.forEach(Thread::interrupt);
            }
        }
    }
}
