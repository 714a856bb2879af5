package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.supervisor.LocalSupervisor;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.replication.supervisor.SupervisorSettings;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A primary acknowledges writes only while its supervisor or a secondary has heard from it within its lease. */
class PrimaryLeaseTest extends ReplicaSetFixture {
    private static final Duration LEASE = Duration.ofMillis(600);
    /** The lease of the paused-primary test: long enough for a relay to hold acks across it. */
    private static final Duration PAUSED_LEASE = Duration.ofMillis(1000);
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger value = new java.util.concurrent.atomic.AtomicInteger(1000);

    @AfterEach
    void closeOthers() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    private void startPrimaryWithTable() throws IOException {
        startPrimaryWithTable(ReplicationSettings.defaults(ReplicationMode.ASYNC));
    }

    private void startPrimaryWithTable(ReplicationSettings settings) throws IOException {
        members = new ReplicaSet(root, settings);
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        try (DirkConnection connection = members.connect("m1")) {
            ok(connection.execute("ampiasao shop"));
            ok(connection.execute("manamboara tabilao t (id ISA(null,null))"));
        }
    }

    private Reply write(String id, int value) throws IOException {
        try (DirkConnection connection = members.connect(id)) {
            ok(connection.execute("ampiasao shop"));
            return connection.execute("manampia ao@ t (id) sanda (" + value + ")");
        }
    }

    /** As the supervisor does: a renewal on a connection the member answered just before. */
    private Reply renewOnce() throws IOException {
        try (DirkConnection supervisor = members.connect("m1")) {
            ok(supervisor.execute("dirk heartbeat"));
            return supervisor.execute("dirk heartbeat lease 1");
        }
    }

    @Test
    void primaryNotHeardFromStopsAcknowledgingAndResumesWhenHeardAgain() throws IOException {
        startPrimaryWithTable();
        members.stop("m1");
        members.restart("m1").member().useLease(LEASE);
        // A restarted primary has not been heard from yet.
        assertThat(write("m1", 1).errorMessage()).contains("primary lease expired").contains("since it started");

        ok(renewOnce());
        ok(write("m1", 2));
        AtomicLong value = new AtomicLong(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> write("m1", (int) value.incrementAndGet()).isError());
        Reply refused = write("m1", 100);
        assertThat(refused.errorMessage()).contains("primary lease expired: not heard from the supervisor or any secondary for");
        JsonNode beat = members.heartbeat("m1");
        assertThat(beat.path("leaseExpired").asBoolean()).isTrue();
        assertThat(beat.path("leaseMs").asLong()).isEqualTo(LEASE.toMillis());
        assertThat(beat.path("role").asText()).isEqualTo("primary");

        // Only the supervisor's heartbeat at this primary's epoch renews it.
        ok(members.execute("m1", "dirk heartbeat"));
        try (DirkConnection supervisor = members.connect("m1")) {
            ok(supervisor.execute("dirk heartbeat"));
            ok(supervisor.execute("dirk heartbeat lease 0"));
        }
        assertThat(write("m1", 101).errorMessage()).contains("primary lease expired");
        ok(renewOnce());
        ok(write("m1", 102));
        assertThat(members.heartbeat("m1").path("leaseExpired").asBoolean()).isFalse();
    }

    /**
     * Hostile review F: a renewal the supervisor sent just before the primary was paused (SIGSTOP, a long
     * GC) sits in the socket and is read after it resumes, when another member may be primary already.
     * The member cannot tell when it was sent, but it was sent after the member's previous answer on that
     * connection: the lease counts from that answer. Here the member answered, then heard nothing on
     * that connection for longer than its lease (as if paused), then reads a renewal: it renews nothing.
     * Before, it renewed the lease from the moment it was read, and the primary acknowledged again.
     */
    @Test
    void renewalReadAfterAPauseLongerThanTheLeaseDoesNotExtendIt() throws IOException {
        startPrimaryWithTable();
        members.node("m1").member().useLease(LEASE);
        AtomicLong value = new AtomicLong(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> write("m1", (int) value.incrementAndGet()).isError());
        try (DirkConnection supervisor = members.connect("m1")) {
            ok(supervisor.execute("dirk heartbeat"));
            ok(supervisor.execute("dirk heartbeat lease 1")); // sent after the answer above: counts
            ok(write("m1", 1));
            await().atMost(Duration.ofSeconds(10)).until(() -> write("m1", (int) value.incrementAndGet()).isError());
            // The renewal "queued during the pause": sent (as far as the member can know) right after its last answer.
            ok(supervisor.execute("dirk heartbeat lease 1"));
            assertThat(write("m1", 3).errorMessage()).contains("primary lease expired");
            assertThat(members.heartbeat("m1").path("leaseExpired").asBoolean()).isTrue();
            // The next one, sent after an answer within the lease, renews it again.
            ok(supervisor.execute("dirk heartbeat lease 1"));
            ok(write("m1", 4));
        }
    }

    /**
     * Review 12: the supervisor's probe keeps its connection, so each renewal counts from the answer to the
     * previous round, one probe period earlier: a renewal gives only lease - period, and the lease lapses
     * between renewals whenever 2 x period > lease. docs/reference-dirk.md's advice for Kubernetes (primaryLeaseMs <
     * heartbeatIntervalMs x (failureThreshold - 1), i.e. lease < 2 x interval with the default threshold)
     * makes that so on every round: a primary renewed only by its supervisor (a peer down) refuses writes
     * with "primary lease expired" part of every period. Here: lease 600 ms, a renewal every 400 ms.
     */
    @Test
    void supervisorRenewingWellWithinTheLeaseKeepsThePrimaryWritable() throws Exception {
        startPrimaryWithTable();
        ReplicaSet.Node m1 = members.node("m1");
        m1.member().useLease(LEASE);
        java.util.concurrent.ScheduledExecutorService supervisor = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor();
        try (io.dirkdb.heartbeat.HeartbeatProbe probe = new io.dirkdb.heartbeat.HeartbeatProbe(
                new MemberAddress("m1", m1.host(), m1.port()), 300, null, null, null)) {
            supervisor.scheduleAtFixedRate(() -> {
                try {
                    probe.probe(1);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, 0, 400, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> !members.heartbeat("m1").path("leaseExpired").asBoolean());
            await().pollInterval(Duration.ofMillis(50)).during(LEASE.multipliedBy(4)).atMost(LEASE.multipliedBy(6))
                    .until(() -> !members.heartbeat("m1").path("leaseExpired").asBoolean());
        } finally {
            supervisor.shutdownNow();
            supervisor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Issue 11 review: a promote whose answer the supervisor gave up on (a slow link) may still arrive later;
     * the supervisor then gives the role to another member once the lease it can count from the promote's
     * sending has run out. So a promotion's lease counts, like a renewal's, from the member's previous answer
     * on its connection: one read a lease after that answer makes a primary that acknowledges nothing until
     * its supervisor renews it. Before, the lease ran from the promote's arrival.
     */
    @Test
    void promoteReadALeaseAfterThePreviousAnswerOnItsConnectionLeavesTheLeaseExpired() throws IOException {
        startPrimaryWithTable();
        members.node("m1").member().useLease(LEASE);
        members.startSecondary("m2", "m1");
        members.node("m2").member().useLease(LEASE);
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        ok(members.execute("m1", "dirk fence"));
        try (DirkConnection supervisor = members.connect("m2")) {
            ok(supervisor.execute("dirk heartbeat"));
            // The promote "held on the link" for longer than the lease after that answer.
            await().pollDelay(LEASE.plusMillis(200)).atMost(LEASE.multipliedBy(3)).until(() -> true);
            ok(supervisor.execute("dirk promote 2"));
            assertThat(members.heartbeat("m2").path("role").asText()).isEqualTo("primary");
            assertThat(members.heartbeat("m2").path("leaseExpired").asBoolean()).isTrue();
            assertThat(write("m2", 1).errorMessage()).contains("primary lease expired");
            // The supervisor's renewal after an answer within the lease makes it writable.
            ok(supervisor.execute("dirk heartbeat lease 2"));
            ok(write("m2", 2));
        }
    }

    /**
     * Review 11d: a promote that is the first request on its connection (a supervisor with no password sends no
     * {@code dirk auth} first; NetworkMemberControl opens a new connection per promote) has no earlier answer to
     * count from, and falls back to its arrival: a promote held on the link for longer than the lease still
     * makes a writable primary, the very case the operator's abandon path waits out from when it gave up.
     * A renewal in the same position renews nothing; a promote should start expired in the same way.
     */
    @Test
    void promoteThatIsTheFirstRequestOnItsConnectionStartsWithAnExpiredLease() throws IOException {
        // A lease long enough that a loaded machine's slow heartbeat cannot hide a fresh one.
        Duration lease = Duration.ofMillis(3000);
        startPrimaryWithTable();
        members.node("m1").member().useLease(lease);
        members.startSecondary("m2", "m1");
        members.node("m2").member().useLease(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        ok(members.execute("m1", "dirk fence"));
        try (DirkConnection supervisor = members.connect("m2")) {
            // Connected (no password here, so no dirk auth), then the promote "held on the link" past the lease.
            await().pollDelay(lease.plusMillis(300)).atMost(lease.multipliedBy(3)).until(() -> true);
            ok(supervisor.execute("dirk promote 2"));
            JsonNode promoted = members.heartbeat("m2");
            assertThat(promoted.path("role").asText()).isEqualTo("primary");
            assertThat(promoted.path("leaseExpired").asBoolean())
                .as("a promote with no earlier answer on its connection got a fresh lease from its arrival: %s",
                    promoted).isTrue();
        }
    }

    /**
     * Review 11d: the operator, giving a primary role back, raises the abandoned target's highest seen epoch with
     * {@code dirk fence epoch N}: a promote of the abandoned hand-over still on its way (a lower epoch) is refused.
     * Every member says its lease in its heartbeat, whatever its role, so a restarted operator learns its length
     * from any member that answers.
     */
    @Test
    void fenceAtAnEpochRefusesALatePromoteBelowIt() throws IOException {
        startPrimaryWithTable();
        members.node("m1").member().useLease(LEASE);
        members.startSecondary("m2", "m1");
        members.node("m2").member().useLease(LEASE);
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        assertThat(members.heartbeat("m2").path("leaseMs").asLong()).as("a secondary's heartbeat").isEqualTo(LEASE.toMillis());

        ok(members.execute("m2", "dirk fence epoch 3"));
        assertThat(members.heartbeat("m2").path("role").asText()).isEqualTo("fenced");
        assertThat(members.heartbeat("m2").path("leaseMs").asLong()).as("a fenced member's heartbeat")
            .isEqualTo(LEASE.toMillis());
        Reply late = members.execute("m2", "dirk promote 2");
        assertThat(late.isError()).as("a promote below the fencing epoch: %s", late).isTrue();
        assertThat(late.errorMessage()).contains("already seen epoch 3");
        assertThat(members.execute("m2", "dirk promote 3").isError()).isTrue();
        ok(members.execute("m2", "dirk promote 4"));
        assertThat(members.heartbeat("m2").path("epoch").asLong()).isEqualTo(4);
    }

    /** A fencing epoch out of range (a poisoned or mistyped one) is refused, and the member is left as it was. */
    @Test
    void fenceAtAnEpochOutOfRangeIsRefusedAndChangesNothing() throws IOException {
        startPrimaryWithTable();
        Reply poisoned = members.execute("m1", "dirk fence epoch 9223372036854775807");
        assertThat(poisoned.isError()).as("%s", poisoned).isTrue();
        assertThat(poisoned.errorMessage()).contains("out of range");
        assertThat(members.execute("m1", "dirk fence epoch x").isError()).isTrue();
        assertThat(members.heartbeat("m1").path("role").asText()).isEqualTo("primary");
        ok(members.execute("m1", "dirk fence epoch 5"));
        assertThat(members.heartbeat("m1").path("role").asText()).isEqualTo("fenced");
    }

    /** A renewal that is the first request on its connection has no answer to count from: it renews nothing. */
    @Test
    void renewalWithoutAnEarlierAnswerOnItsConnectionRenewsNothing() throws IOException {
        startPrimaryWithTable();
        members.node("m1").member().useLease(LEASE);
        AtomicLong value = new AtomicLong(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> write("m1", (int) value.incrementAndGet()).isError());
        ok(members.execute("m1", "dirk heartbeat lease 1"));
        assertThat(write("m1", 1).errorMessage()).contains("primary lease expired");
    }

    @Test
    void unauthenticatedLeaseHeartbeatDoesNotRenewTheLease() throws IOException {
        startPrimaryWithTable(ReplicationSettings.defaults(ReplicationMode.ASYNC).withPeerPassword("s3cret"));
        members.stop("m1");
        ReplicaSet.Node m1 = members.restart("m1");
        m1.member().useLease(LEASE);
        try (DirkConnection anonymous = DirkConnection.open(m1.host(), m1.port())) {
            // Anyone may probe; only the supervisor (administration credential) keeps an isolated primary writable.
            assertThat(anonymous.execute("dirk heartbeat").isError()).isFalse();
            assertThat(anonymous.execute("dirk heartbeat lease 1").errorMessage())
                    .isEqualTo("authentication required: dirk heartbeat lease needs the administration credential");
        }
        assertThat(write("m1", 1).errorMessage()).contains("primary lease expired").contains("since it started");
        assertThat(members.heartbeat("m1").path("leaseExpired").asBoolean()).isTrue();

        ok(members.execute("m1", "dirk heartbeat lease 1")); // authenticated
        ok(write("m1", 2));
    }

    @Test
    void streamingSecondaryKeepsThePrimaryLeaseAlive() throws IOException {
        startPrimaryWithTable();
        members.node("m1").member().useLease(LEASE);
        members.startSecondary("m2", "m1");
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        // Keepalives every 500 ms are acknowledged: several leases long, the primary stays writable.
        await().during(LEASE.multipliedBy(3)).atMost(LEASE.multipliedBy(5))
                .until(() -> !members.heartbeat("m1").path("leaseExpired").asBoolean());
        ok(write("m1", 1));
    }

    /**
     * Hostile review E: m3 is cut off from the supervisor, which cannot detach it, but still streams from
     * the old primary m1 (itself cut off, so never fenced); m2 is detached and promoted. Secondaries'
     * acknowledgements keep a primary's lease only while every peer of its configuration acknowledges:
     * once m2 stopped, m3 alone does not, so m1's lease runs out one lease after m2's detach and the
     * supervisor's wait bounds the split brain. Before, m3 kept m1 writable for as long as it streamed.
     */
    @Test
    void oneSecondaryAloneDoesNotKeepTheLeaseOfAPrimaryWithTwoPeers() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
        ReplicaSet.Node m3 = members.start("m3", Role.SECONDARY, null, 0);
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0, new io.dirkdb.server.Member.Bootstrap(List.of(
                new MemberAddress("m2", m2.host(), m2.port()), new MemberAddress("m3", m3.host(), m3.port())), null));
        m1.member().useLease(LEASE);
        m2.member().follow(m1.host(), m1.port());
        m3.member().follow(m1.host(), m1.port());
        await().atMost(Duration.ofSeconds(20)).until(() -> members.heartbeat("m2").path("streaming").asBoolean()
                && members.heartbeat("m3").path("streaming").asBoolean());
        // Both peers acknowledge: several leases long, the primary stays writable without a supervisor.
        await().during(LEASE.multipliedBy(2)).atMost(LEASE.multipliedBy(4))
                .until(() -> !members.heartbeat("m1").path("leaseExpired").asBoolean());

        m2.member().fence(); // detached by the supervisor; m3 streams on
        await().atMost(LEASE.multipliedBy(5)).until(() -> members.heartbeat("m1").path("leaseExpired").asBoolean());
        assertThat(members.heartbeat("m3").path("streaming").asBoolean()).isTrue();
        await().during(LEASE.multipliedBy(2)).atMost(LEASE.multipliedBy(4))
                .until(() -> members.heartbeat("m1").path("leaseExpired").asBoolean());
    }

    /**
     * Review 12: the lease rule counts streams, not peers. As in oneSecondaryAloneDoesNotKeepTheLeaseOfAPrimary-
     * WithTwoPeers, m2 is detached by the supervisor and m3 (cut off from it) streams on; but a stream from
     * anything holding the replication credential outside the configuration (here m4, a member of no
     * config.json following m1; equally a second stream of m3 or a hand-made dirk stream) stands in for m2,
     * and m1 stays writable for as long as it streams: the split-brain bound the supervisor's lease wait
     * relies on (one lease after the detach) is gone.
     */
    @Test
    void streamFromOutsideTheConfigurationDoesNotStandInForADetachedPeer() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
        ReplicaSet.Node m3 = members.start("m3", Role.SECONDARY, null, 0);
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0, new io.dirkdb.server.Member.Bootstrap(List.of(
                new MemberAddress("m2", m2.host(), m2.port()), new MemberAddress("m3", m3.host(), m3.port())), null));
        m1.member().useLease(LEASE);
        m2.member().follow(m1.host(), m1.port());
        m3.member().follow(m1.host(), m1.port());
        ReplicaSet.Node m4 = members.start("m4", Role.SECONDARY, null, 0);
        m4.member().follow(m1.host(), m1.port());
        await().atMost(Duration.ofSeconds(20)).until(() -> members.heartbeat("m2").path("streaming").asBoolean()
                && members.heartbeat("m3").path("streaming").asBoolean()
                && members.heartbeat("m4").path("streaming").asBoolean());

        m2.member().fence(); // detached by the supervisor; m3 streams on, and so does m4
        await().atMost(LEASE.multipliedBy(5)).until(() -> members.heartbeat("m1").path("leaseExpired").asBoolean());
        // On main it expires for a moment (m2's last ack aged out before m4's next one) and is renewed again.
        await().during(LEASE.multipliedBy(3)).atMost(LEASE.multipliedBy(5))
                .until(() -> members.heartbeat("m1").path("leaseExpired").asBoolean());
    }

    /**
     * The split-brain window: m1 is cut off from the supervisor and from m2 (both reach it through a
     * link the test cuts) while a client still reaches it; the supervisor promotes m2. No write sent
     * to m1 after m2 was seen promoted is acknowledged; the figure printed is how long before (negative)
     * or after m2's promotion m1 acknowledged its last write.
     */
    @Test
    void isolatedPrimaryStopsAcknowledgingBeforeAnotherIsPromoted() throws Exception {
        startPrimaryWithTable();
        ReplicaSet.Node m1 = members.node("m1");
        m1.member().useLease(LEASE);
        try (CuttableLink link = new CuttableLink("127.0.0.20", m1.host(), m1.port())) {
            ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
            m2.member().follow(link.host(), link.port());
            m2.member().useLease(LEASE);
            SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.ASYNC)
                    .withHeartbeatIntervalMillis(100).withHeartbeatTimeoutMillis(200);
            List<MemberAddress> addresses = List.of(new MemberAddress("m1", link.host(), link.port()),
                    new MemberAddress("m2", m2.host(), m2.port()));
            try (LocalSupervisor supervisor = new LocalSupervisor(addresses, settings,
                    new NetworkMemberControl(200, 2000, null))) {
                supervisor.start();
                // The supervisor renews m1's lease from its second round on (the first one finds the primary).
                await().atMost(Duration.ofSeconds(10)).until(() -> "m1".equals(supervisor.currentPrimary())
                        && members.heartbeat("m2").path("streaming").asBoolean()
                        && !members.heartbeat("m1").path("leaseExpired").asBoolean());
                ok(write("m1", 1));

                AtomicLong promotedAt = new AtomicLong();
                AtomicLong lastAckOnOld = new AtomicLong();
                AtomicLong ackedAfterPromotion = new AtomicLong();
                AtomicLong acked = new AtomicLong();
                AtomicBoolean stop = new AtomicBoolean();
                Thread writer = new Thread(() -> {
                    try (DirkConnection connection = members.connect("m1")) {
                        ok(connection.execute("ampiasao shop"));
                        for (int i = 1000; !stop.get(); i++) {
                            boolean sentAfterPromotion = promotedAt.get() != 0;
                            Reply reply = connection.execute("manampia ao@ t (id) sanda (" + i + ")");
                            if (!reply.isError()) {
                                acked.incrementAndGet();
                                lastAckOnOld.set(System.nanoTime());
                                if (sentAfterPromotion) {
                                    ackedAfterPromotion.incrementAndGet();
                                }
                            }
                        }
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, "lease-test-writer");
                long cutAt = System.nanoTime();
                link.cut();
                writer.start();
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                        .until(() -> m2.member().state().role() == Role.PRIMARY);
                promotedAt.set(System.nanoTime());
                // Writes go on a little while after the promotion was seen, then stop.
                await().pollDelay(Duration.ofMillis(300)).until(() -> true);
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(10));

                long window = lastAckOnOld.get() - promotedAt.get();
                System.out.printf("split-brain window: the isolated primary acknowledged its last write %d ms %s m2 "
                                + "was seen promoted (cut to promotion %d ms, lease %d ms, heartbeat %d ms x %d, "
                                + "%d writes acknowledged by m1 after the cut)%n",
                        TimeUnit.NANOSECONDS.toMillis(Math.abs(window)), window <= 0 ? "before" : "AFTER",
                        TimeUnit.NANOSECONDS.toMillis(promotedAt.get() - cutAt), LEASE.toMillis(),
                        settings.heartbeatIntervalMillis(), settings.failureThreshold(), acked.get());
                assertThat(ackedAfterPromotion.get()).as("writes sent to the old primary after m2's promotion "
                        + "and acknowledged").isZero();
                assertThat(window).isNegative();
                assertThat(members.heartbeat("m1").path("leaseExpired").asBoolean()).isTrue();
            }
        }
    }

    /**
     * docs/reference-dirk.md, "Primary lease": "promotion time >= last renewal sent + leaseMs + heartbeat timeout". The member counts
     * the renewal from its previous answer on the connection, and on a new connection the probe makes up to three
     * round trips after the supervisor stamped the renewal as sent (dirk auth, dirk heartbeat, dirk heartbeat
     * lease E), each allowed a whole timeout. With a slow path toward the member (800 ms per request, timeout
     * 1000 ms) the renewal used to land counted from an answer 1600 ms after it was "sent": the old primary
     * acknowledged after the time the supervisor may promote another (review 12b). Now the probe sends no renewal
     * when that answer came later than one timeout after it began, and counts as a miss.
     */
    @Test
    void renewalOnASlowNewConnectionNeverOutlivesLastRenewalSentPlusLeasePlusTimeout() throws Exception {
        long leaseMillis = 3000;
        int timeoutMillis = 1000;
        Member member = Member.start("m1", EngineDatabase.inMemory(), null, Role.PRIMARY);
        closeAfter.add(member);
        MemberServer server = MemberServer.start(member, ServerSettings.loopback(0)
                .withCredentials(new Credentials("app-pw", "repl-pw", "admin-pw")));
        closeAfter.add(server);
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
        closeAfter.add(relay);
        HeartbeatProbe probe = new HeartbeatProbe(new MemberAddress("m1", "127.0.0.1", relay.port()), timeoutMillis,
                null, "admin-pw", null);
        closeAfter.add(probe);

        long leaseSentNanos = System.nanoTime(); // what LocalSupervisor.probe stamps before the probe runs
        assertThatThrownBy(() -> probe.probe(1)).isInstanceOf(SocketTimeoutException.class);
        long promotionAllowedNanos = leaseSentNanos + TimeUnit.MILLISECONDS.toNanos(leaseMillis + timeoutMillis);
        // Before, the renewal reached the member about 2800 ms after it was stamped (the third chunk); now none is sent.
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
            Thread thread = new Thread(task, "delaying-relay");
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

    /**
     * docs/reference-dirk.md, "Primary lease": a paused primary must not acknowledge after another member was promoted, and a
     * supervisor promotes at "last detach + leaseMs + heartbeat timeout". The supervisor's renewals count from
     * the member's previous answer, but a secondary's acks counted from when the primary read them (review 12b). Acks queued toward a
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
        m1.member().useLease(PAUSED_LEASE);
        HoldingRelay relay = new HoldingRelay(m1.host(), m1.port());
        closeAfter.add(relay);
        ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
        m2.member().follow("127.0.0.1", relay.port()); // m2 streams from m1 through the relay
        // Only m2's acks keep m1 writable once its fresh start lease ran out.
        await().atMost(Duration.ofSeconds(10)).pollDelay(PAUSED_LEASE.plusMillis(200)).until(() -> !write("m1", value.incrementAndGet()).isError());

        relay.hold(); // m1 reads nothing more from m2 (as if paused): m2's acks queue up
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Reply reply = write("m1", value.incrementAndGet());
            return reply.isError() && reply.errorMessage().contains("primary lease expired");
        });
        // The supervisor detaches m2 (fence) and, the old primary not answering, waits out its lease.
        m2.member().fence();
        long detachedNanos = System.nanoTime();
        long promotionNanos = detachedNanos + PAUSED_LEASE.toNanos()
                + TimeUnit.MILLISECONDS.toNanos(SupervisorSettings.defaults(ReplicationMode.ASYNC).heartbeatTimeoutMillis());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> System.nanoTime() - promotionNanos > TimeUnit.MILLISECONDS.toNanos(50));
        // Another member may be primary now. m1 resumes and reads the queued acks.
        relay.release();
        java.util.concurrent.atomic.AtomicLong acknowledgedLateMillis = new java.util.concurrent.atomic.AtomicLong(-1);
        try {
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        Reply reply = write("m1", value.incrementAndGet());
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
            Thread thread = new Thread(task, "holding-relay");
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
