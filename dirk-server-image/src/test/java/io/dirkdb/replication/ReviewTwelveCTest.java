package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.Member;
import io.dirkdb.server.Role;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Review 12c (hostile review of d-i12 and d-rev): who may confirm a sync write or renew the primary's lease,
 * and whether a legitimate secondary always can.
 */
class ReviewTwelveCTest extends ReplicaSetFixture {
    private final List<PeerChannel> forged = new ArrayList<>();
    private final List<Thread> ackers = new ArrayList<>();

    @AfterEach
    void closeForgedStreams() throws InterruptedException {
        forged.forEach(PeerChannel::close);
        for (Thread acker : ackers) {
            acker.join(5_000);
        }
    }

    private ReplicaSet.Node syncPrimary() {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC)
                .withSyncTimeout(Duration.ofMillis(700)));
        return members.start("m1", Role.PRIMARY, null, 0);
    }

    /** A stream from {@code source} that acknowledges every record it receives, at once, for as long as it is open. */
    private JsonNode openAcknowledgingEverything(InetAddress source, String request) throws IOException {
        ReplicaSet.Node m1 = members.node("m1");
        PeerChannel channel = PeerChannel.open(null, source, m1.host(), m1.port(), null, List.of(), 5_000);
        forged.add(channel);
        JsonNode hello = channel.requestJson(request);
        if (hello.path("streaming").asBoolean()) {
            Thread acker = new Thread(() -> acknowledgeEverything(channel), "forged-acks");
            acker.setDaemon(true);
            acker.start();
            ackers.add(acker);
        }
        return hello;
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

    /**
     * In Kubernetes a member's configured host ({@code <pod>.<name>-members.<ns>.svc}) stops resolving while its pod
     * is gone (rescheduled, evicted, its node lost), and every name stops resolving while the cluster DNS is down.
     * Exactly then, anyone holding the replication password can name that member from any address: the source
     * check is skipped ("nothing to compare with: the stream is taken") and the stranger confirms sync writes.
     */
    @Test
    void strangerNamingAMemberWhoseHostDoesNotResolveConfirmsNoSyncWrite() throws Exception {
        ReplicaSet.Node m1 = syncPrimary();
        m1.member().limitPeersTo(List.of(new Member.Peer("m2.dirk-members.prod.svc.invalid", 3948, "m2")));

        JsonNode hello = openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"),
                "dirk stream 0 0 0 member 'm2';");

        Reply write = members.execute("m1", "manamboara tahiry forged");
        assertThat(write.errorMessage())
                .as("stream answer %s: a stranger from 127.0.0.1 speaking for m2, whose host does not resolve now, "
                        + "must not confirm the write", hello)
                .isNotNull().contains("no secondary confirmed it");
    }

    /**
     * config.json accepts any non-blank instance id, but a secondary names itself in {@code dirk stream} only when
     * its id matches {@code [A-Za-z0-9._-]+} (LogFollower). A configured secondary with an id such as "m 2" or
     * "nœud-2" streams as a nameless outsider, so no sync write is ever confirmed, and it never renews the lease.
     */
    @Test
    void configuredSecondaryWhoseIdHasASpaceConfirmsSyncWrites() throws Exception {
        ReplicaSet.Node m1 = syncPrimary();
        ReplicaSet.Node m2 = members.start("m 2", Role.SECONDARY, null, 0);
        m1.member().limitPeersTo(List.of(new Member.Peer(m2.host(), m2.port(), "m 2")));
        m2.member().follow(m1.host(), m1.port());
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m 2").path("streaming").asBoolean());

        Reply write = members.execute("m1", "manamboara tahiry confirmed");
        assertThat(write.errorMessage()).as("m2 streams (heartbeat of m1: %s)", members.heartbeat("m1")).isNull();
    }

    /**
     * A stream outside the configuration is logged as one that "confirms no write and does not count towards the
     * lease"; yet when config.json lists the other members without a port (the lease then counts "any stream"),
     * its keepalive acknowledgements renew the lease of a primary that hears from no member and no supervisor.
     */
    @Test
    void streamFromOutsideTheConfigurationNeverRenewsTheLease() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        ReplicaSet.Node m1 = members.start("m1", Role.PRIMARY, null, 0);
        m1.member().limitPeersTo(List.of(new Member.Peer("127.0.0.9", 0, "m2"))); // config.json: m2 without a port
        m1.member().useLease(Duration.ofMillis(1500));

        if (!Boolean.getBoolean("review12c.control")) { // -Dreview12c.control=true: no outsider, the test passes
            JsonNode hello = openAcknowledgingEverything(InetAddress.getByName("127.0.0.1"), "dirk stream 0 0 0;");
            assertThat(hello.path("streaming").asBoolean()).as("answer: %s", hello).isTrue();
        }

        // Nobody of the cluster is heard from: within a few leases, writes must stop being acknowledged.
        java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>();
        int[] acknowledged = {0};
        try {
            await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(200)).until(() -> {
                Reply write = members.execute("m1", "manamboara tahiry t" + System.nanoTime());
                last.set(write.isError() ? write.errorMessage() : "acknowledged");
                acknowledged[0] += write.isError() ? 0 : 1;
                return write.isError() && write.errorMessage().contains("lease expired");
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("an outsider's keepalive acks kept the lease: " + acknowledged[0] + " writes "
                    + "acknowledged over 6 s (lease 1500 ms), last answer: " + last.get() + "; m1: "
                    + members.heartbeat("m1"), e);
        }
    }
}
