package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.Member;
import io.dirkdb.server.PeerAddresses;
import io.dirkdb.server.Role;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Who confirms a sync write (and keeps the primary's lease): only a stream of a member of the primary's
 * configuration, one stream per member, coming from that member's address (checked: its host must resolve).
 * Anything else holding the replication password may still receive the log (backups, resync tools) but
 * confirms nothing.
 */
class SyncConfirmationTest extends ReplicaSetFixture {
    private final List<PeerChannel> forged = new ArrayList<>();
    private final List<Thread> ackers = new ArrayList<>();

    @AfterEach
    void closeForgedStreams() throws InterruptedException {
        forged.forEach(PeerChannel::close);
        for (Thread acker : ackers) {
            acker.join(5_000);
        }
    }

    /** m1 primary in sync mode with m2 and m3 in its configuration; m2 and m3 run but follow nobody yet. */
    private void startConfiguredPrimary() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(700)));
        ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
        ReplicaSet.Node m3 = members.start("m3", Role.SECONDARY, null, 0);
        members.start("m1", Role.PRIMARY, null, 0, new Member.Bootstrap(List.of(
                new MemberAddress("m2", m2.host(), m2.port()), new MemberAddress("m3", m3.host(), m3.port())), null));
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m1").path("bootstrap").isMissingNode());
    }

    /** Opens {@code request} on m1 from {@code source} (null: the default, 127.0.0.1) and returns its answer. */
    private JsonNode open(InetAddress source, String request) throws IOException {
        ReplicaSet.Node m1 = members.node("m1");
        PeerChannel channel = PeerChannel.open(null, source, m1.host(), m1.port(), null, List.of(), 5_000);
        forged.add(channel);
        return channel.requestJson(request);
    }

    /** A stream that acknowledges every record it receives, at once, for as long as it is open. */
    private PeerChannel openAcknowledgingEverything(InetAddress source, String request) throws IOException {
        JsonNode hello = open(source, request);
        assertThat(hello.path("streaming").asBoolean()).as("answer to %s: %s", request, hello).isTrue();
        PeerChannel channel = forged.get(forged.size() - 1);
        Thread acker = new Thread(() -> acknowledgeEverything(channel), "forged-acks");
        acker.setDaemon(true);
        acker.start();
        ackers.add(acker);
        return channel;
    }

    private static void acknowledgeEverything(PeerChannel channel) {
        try (ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(channel.in)) {
            long last = 0;
            while (true) {
                Object frame = frames.next();
                if (frame instanceof ReplicationFrames.Batch batch && !batch.records().isEmpty()) {
                    last = batch.records().get(batch.records().size() - 1).lsn();
                }
                ReplicationFrames.writeAck(channel.out, last);
            }
        } catch (IOException e) {
            // closed by the test or the member
        }
    }

    @Test
    void streamsOutsideTheConfigurationAcknowledgingEverythingConfirmNoSyncWrite() throws Exception {
        startConfiguredPrimary();
        openAcknowledgingEverything(null, "dirk stream 0 0 0;");
        openAcknowledgingEverything(null, "dirk stream 0 0 0 member 'm9';");

        Reply write = members.execute("m1", "manamboara tahiry forged");
        assertThat(write.errorMessage()).as("only outsiders hold the write: it must not be acknowledged")
                .contains("no secondary confirmed it");
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).isZero();

        // A member of the configuration confirms: the same write path is acknowledged once m2 streams.
        members.node("m2").member().follow(members.node("m1").host(), members.node("m1").port());
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        ok(members.execute("m1", "manamboara tahiry confirmed"));
    }

    @Test
    void streamNamingAMemberFromAnotherAddressIsRefused() throws Exception {
        startConfiguredPrimary();
        // m2 is configured at 127.0.0.2; this stream comes from 127.0.0.1.
        JsonNode answer = open(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0 member 'm2';");
        assertThat(answer.path("streaming").asBoolean()).as("answer: %s", answer).isFalse();
        assertThat(answer.path("refused").asText()).isEqualTo("memberAddress");
        assertThat(answer.path("reason").asText()).contains("m2").contains("127.0.0.1")
                .contains(members.node("m2").host());
    }

    @Test
    void aMembersNewerStreamReplacesItsOlderOneWhoseAcksNoLongerConfirm() throws Exception {
        startConfiguredPrimary();
        InetAddress m2 = InetAddress.getByName(members.node("m2").host());
        JsonNode first = open(m2, "dirk stream 0 0 0 member 'm2';");
        assertThat(first.path("streaming").asBoolean()).as("answer: %s", first).isTrue();
        PeerChannel stale = forged.get(forged.size() - 1);
        JsonNode second = open(m2, "dirk stream 0 0 0 member 'm2';"); // m2 reconnected; it never acknowledges
        assertThat(second.path("streaming").asBoolean()).as("answer: %s", second).isTrue();
        assertThat(streamClosedByMember(stale)).as("the member's older stream is closed by its newer one").isTrue();

        Thread staleAcks = new Thread(() -> acknowledgeEverything(stale), "stale-acks");
        staleAcks.setDaemon(true);
        staleAcks.start();
        ackers.add(staleAcks);
        assertThat(members.execute("m1", "manamboara tahiry stale").errorMessage())
                .as("the stale stream's acknowledgements confirm nothing").contains("no secondary confirmed it");
    }

    /** True when the member closes the stream within 5 s (keepalives and batches are skipped meanwhile). */
    private static boolean streamClosedByMember(PeerChannel channel) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            while (System.nanoTime() < deadline) {
                if (channel.in.read() < 0) {
                    return true;
                }
            }
            return false;
        } catch (EOFException | SocketException e) {
            return true;
        } catch (IOException e) {
            return false; // read timeout: still open
        }
    }

    /**
     * In Kubernetes a member's configured host stops resolving while its pod is gone, and every name while the
     * cluster DNS is down. A stream naming such a member is taken (it may receive the log) but, its source being
     * unchecked, it confirms nothing: anyone with the password could speak for that member then.
     */
    @Test
    void streamNamingAMemberWhoseHostDoesNotResolveConfirmsNoSyncWrite() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(700)));
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0);
        m1.member().limitPeersTo(List.of(new Member.Peer("m2.dirk-members.prod.svc.invalid", 3948, "m2")));
        openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0 member 'm2';");

        Reply write = members.execute("m1", "manamboara tahiry forged");
        assertThat(write.errorMessage()).as("a stream from 127.0.0.1 speaking for m2, whose host does not resolve now")
                .isNotNull().contains("no secondary confirmed it");
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).isZero();
    }

    /**
     * The other half of the rule above: once the member's host resolves again, the stream's source is checked on its
     * next acknowledgement (once a second) and, coming from an address of that host, it confirms. Its earlier
     * acknowledgements count too: a write it had already acknowledged while unchecked is acknowledged to its client
     * then, not at the sync timeout (here 30 s).
     */
    @Test
    void streamOfAMemberWhoseHostResolvesAgainConfirmsOnceItsAddressChecksOut() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofSeconds(30)));
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0);
        AtomicReference<Set<InetAddress>> clusterDns = new AtomicReference<>(Set.of()); // m2's pod is gone
        m1.member().resolvePeersWith(host -> host.equals("m2.dirk-members.prod.svc") ? clusterDns.get()
                : PeerAddresses.SYSTEM.resolve(host));
        m1.member().limitPeersTo(List.of(new Member.Peer("m2.dirk-members.prod.svc", 3948, "m2")));
        openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0 member 'm2';");

        CompletableFuture<Reply> write = CompletableFuture.supplyAsync(() -> {
            try {
                return members.execute("m1", "manamboara tahiry back");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // Shipped and acknowledged at once by the stream, which confirms nothing while m2's host does not resolve.
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m1").path("lsn").asLong() > 0);
        long written = members.heartbeat("m1").path("lsn").asLong();
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> !write.isDone());

        clusterDns.set(Set.of(InetAddress.getByName("127.0.0.1"))); // m2 is back, at the stream's address
        Reply reply = write.get(10, TimeUnit.SECONDS);
        assertThat(reply.isError()).as("the write, once m2's address checks out: %s", reply.errorMessage()).isFalse();
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).isGreaterThanOrEqualTo(written);
    }

    /** And once the host resolves elsewhere, the stream that spoke for that member is closed. */
    @Test
    void streamOfAMemberWhoseHostResolvesElsewhereIsClosedOnceItIsChecked() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(700)));
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0);
        AtomicReference<Set<InetAddress>> clusterDns = new AtomicReference<>(Set.of());
        m1.member().resolvePeersWith(host -> host.equals("m2.dirk-members.prod.svc") ? clusterDns.get()
                : PeerAddresses.SYSTEM.resolve(host));
        m1.member().limitPeersTo(List.of(new Member.Peer("m2.dirk-members.prod.svc", 3948, "m2")));
        openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0 member 'm2';");
        Thread acknowledging = ackers.get(ackers.size() - 1); // ends when the member closes the stream
        clusterDns.set(Set.of(InetAddress.getByName("127.0.0.9")));
        await().atMost(Duration.ofSeconds(10)).until(() -> !acknowledging.isAlive());
        assertThat(members.execute("m1", "manamboara tahiry forged").errorMessage()).contains("no secondary confirmed it");
    }

    /**
     * The member resolved the host twice while taking a stream: once for the address check (before its answer), once
     * to know whether the source was checked. A host that started resolving between the two (here: elsewhere) left
     * the stream taken unchecked and confirming, never checked again.
     */
    @Test
    void streamOpenedWhileTheHostStartsResolvingElsewhereIsCheckedAndClosed() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(700)));
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0);
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        Set<InetAddress> elsewhere = Set.of(InetAddress.getByName("127.0.0.9"));
        m1.member().resolvePeersWith(host -> !host.equals("m2.dirk-members.prod.svc") ? PeerAddresses.SYSTEM.resolve(host)
                : lookups.getAndIncrement() == 0 ? Set.of() : elsewhere); // the first lookup only finds nothing
        m1.member().limitPeersTo(List.of(new Member.Peer("m2.dirk-members.prod.svc", 3948, "m2")));
        openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0 member 'm2';");
        Thread acknowledging = ackers.get(ackers.size() - 1); // ends when the member closes the stream
        await().atMost(Duration.ofSeconds(10)).until(() -> !acknowledging.isAlive());
        assertThat(members.execute("m1", "manamboara tahiry forged").errorMessage()).contains("no secondary confirmed it");
    }

    /**
     * When config.json lists the other members without a port, the lease still counts only them: a stream from
     * outside the configuration, acknowledging every keepalive, keeps no lease of a primary that hears from no
     * member and no supervisor.
     */
    @Test
    void streamFromOutsideTheConfigurationNeverRenewsTheLease() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0);
        m1.member().limitPeersTo(List.of(new Member.Peer("127.0.0.9", 0, "m2"))); // config.json: m2 without a port
        m1.member().useLease(Duration.ofMillis(1500));
        openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0;");

        // Nobody of the cluster is heard from: within a few leases, writes must stop being acknowledged.
        await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Reply write = members.execute("m1", "manamboara tahiry t" + System.nanoTime());
            return write.isError() && write.errorMessage().contains("lease expired");
        });
    }
}
