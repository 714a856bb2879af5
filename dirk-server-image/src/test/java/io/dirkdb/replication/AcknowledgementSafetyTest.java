package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What "acknowledged" means under hostile or untimely acknowledgements: a peer that speaks raw
 * replication frames on a socket forges acks, and a primary is fenced while a write waits.
 */
class AcknowledgementSafetyTest extends ReplicaSetFixture {

    /** A peer that opened `dirk stream` by hand and answers with whatever frames the test chooses. */
    private PeerChannel openStream(String id, String request) throws IOException {
        ReplicaSet.Node node = members.node(id);
        PeerChannel channel = PeerChannel.open(node.host(), node.port(), null, 5_000);
        JsonNode hello = channel.requestJson(request);
        assertThat(hello.path("streaming").asBoolean()).as("answer to %s: %s", request, hello).isTrue();
        return channel;
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

    @Test
    void forgedAcknowledgementBeyondWhatWasSentClosesTheStreamAndConfirmsNothing() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(500)));
        members.startPrimary("m1");
        try (PeerChannel forger = openStream("m1", "dirk stream 0 0 0;")) {
            ReplicationFrames.writeAck(forger.out, Long.MAX_VALUE);
            assertThat(streamClosedByMember(forger)).as("the member closes a stream that acknowledges unsent records").isTrue();
        }
        Reply write = members.execute("m1", "manamboara tahiry forged");
        assertThat(write.errorMessage()).as("no secondary holds the write: it must not be acknowledged")
                .contains("no secondary confirmed it");
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).isZero();
    }

    @Test
    void acknowledgementsOfAClosedStreamNoLongerConfirmWrites() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(500)));
        members.startPrimary("m1");
        try (PeerChannel peer = openStream("m1", "dirk stream 0 0 0;");
             ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(peer.in)) {
            CompletableFuture<Reply> first = CompletableFuture.supplyAsync(() -> execute("m1", "manamboara tahiry one"));
            long received = receiveUpTo(frames, 1);
            ReplicationFrames.writeAck(peer.out, received);
            assertThat(first.get(5, TimeUnit.SECONDS).errorMessage()).isNull();
        }
        // The peer is gone: a later write has no secondary, whatever that peer acknowledged before.
        Reply second = members.execute("m1", "manamboara tahiry two");
        assertThat(second.errorMessage()).contains("no secondary confirmed it");
    }

    @Test
    void fencedPrimaryFailsWaitingWritesWithOutcomeUnknown() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofSeconds(20)));
        members.startPrimary("m1");
        try (PeerChannel peer = openStream("m1", "dirk stream 0 0 0;");
             ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(peer.in)) {
            CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> execute("m1", "manamboara tahiry late"));
            long received = receiveUpTo(frames, 1);
            assertThat(members.execute("m1", "dirk fence").messageText()).startsWith("fenced");
            try {
                ReplicationFrames.writeAck(peer.out, received); // too late: the member is no longer primary
            } catch (IOException e) {
                // the member may have closed the stream already
            }
            Reply reply = waiting.get(5, TimeUnit.SECONDS);
            assertThat(reply.errorMessage()).as("a fenced member acknowledges nothing")
                    .contains("outcome unknown").contains("may or may not be committed");
            assertThat(streamClosedByMember(peer)).as("a fenced member stops shipping").isTrue();
        }
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).as("nothing was acknowledged").isZero();
    }

    @Test
    void aPrimaryWhoseFenceIsDrainingWritesAnswersFencedToHeartbeats() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofSeconds(20)));
        members.startPrimary("m1");
        try (PeerChannel peer = openStream("m1", "dirk stream 0 0 0;");
             ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(peer.in)) {
            CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> execute("m1", "manamboara tahiry late"));
            receiveUpTo(frames, 1);
            // The write is logged and shipped, never acknowledged: the fence lets it drain for up to 1 s.
            CompletableFuture<String> fence = CompletableFuture.supplyAsync(() -> members.node("m1").member().fence());
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                String error = members.execute("m1", "manamboara tahiry refused").errorMessage();
                return error != null && error.contains("fenced");
            });
            String role = members.heartbeat("m1").path("role").asText();
            boolean drained = fence.isDone();
            assertThat(drained).as("the fence still drains (else this test shows nothing)").isFalse();
            assertThat(role).as("a member refusing writes under a fence is no primary to send writes to")
                    .isEqualTo("fenced");
            assertThat(fence.get(5, TimeUnit.SECONDS)).startsWith("fenced");
            assertThat(waiting.get(5, TimeUnit.SECONDS).errorMessage()).contains("outcome unknown");
        }
        assertThat(members.heartbeat("m1").path("role").asText()).isEqualTo("fenced");
    }

    @Test
    void fencedMemberStillServesItsFinalLogForCatchUp() throws Exception {
        // What a switchover needs: the target catches up from the fenced old primary before its promotion.
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry a"));
        ok(members.execute("m1", "manamboara tahiry b"));
        ok(members.execute("m1", "dirk fence"));
        members.startSecondary("m2", "m1");
        awaitLsn("m2", 2);
    }

    @Test
    void fenceAnswerCarriesTheFinalAndAcknowledgedLsn() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry a"));
        ok(members.execute("m1", "manamboara tahiry b"));
        assertThat(members.execute("m1", "dirk fence").messageText())
                .isEqualTo("fenced at epoch 1: writes are refused; log ends at LSN 2, acknowledged up to LSN 2");
        assertThat(members.heartbeat("m1").path("ackedLsn").asLong()).isEqualTo(2);
    }

    @Test
    void syncTimeoutSaysTheWriteMayStillCommit() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(200)));
        members.startPrimary("m1");
        assertThat(members.execute("m1", "manamboara tahiry x").errorMessage())
                .contains("not acknowledged").contains("may still commit");
    }

    @Test
    void syncPrimaryNeverShowsARowNoSecondaryConfirmed() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(800)));
        members.startPrimary("m1");
        try (PeerChannel peer = openStream("m1", "dirk stream 0 0 0;");
             ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(peer.in)) {
            CompletableFuture<Reply> write = CompletableFuture.supplyAsync(() -> execute("m1", "manamboara tahiry unconfirmed"));
            receiveUpTo(frames, 1); // applied and durable on the primary; the secondary withholds its ack
            Reply read = members.execute("m1", "asehoy ny tahiry");
            assertThat(read.isError() ? read.errorMessage() : read.result().toString())
                    .as("a read must not show a write that may yet be lost").doesNotContain("unconfirmed");
            assertThat(write.get(5, TimeUnit.SECONDS).errorMessage()).contains("no secondary confirmed it");

            // Once a secondary holds it, the row is there to read.
            ReplicationFrames.writeAck(peer.out, 1);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Reply again = members.execute("m1", "asehoy ny tahiry");
                assertThat(again.errorMessage()).isNull();
                assertThat(again.result().toString()).contains("unconfirmed");
            });
        }
    }

    @Test
    void promotedSecondaryReadsWhatItInheritedButNotItsOwnUnconfirmedWrites() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.SYNC).withSyncTimeout(Duration.ofMillis(500)));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat("m2").path("streaming").asBoolean());
        ok(members.execute("m1", "manamboara tahiry inherited"));
        members.stop("m1");
        ok(members.execute("m2", "dirk promote 2"));
        // Held by the old primary and by this one: readable at once, with no secondary yet.
        Reply read = members.execute("m2", "asehoy ny tahiry");
        assertThat(read.errorMessage()).isNull();
        assertThat(read.result().toString()).contains("inherited");
        // Its own write has no secondary: neither acknowledged nor shown.
        assertThat(members.execute("m2", "manamboara tahiry orphan").errorMessage()).contains("no secondary confirmed it");
        assertThat(members.execute("m2", "asehoy ny tahiry").errorMessage()).contains("no secondary has confirmed");
    }

    /** Reads batches until one holds record {@code lsn}; returns the last LSN received. */
    private static long receiveUpTo(ReplicationFrames.FrameReader frames, long lsn) throws IOException {
        long last = 0;
        while (last < lsn) {
            Object frame = frames.next();
            if (frame instanceof ReplicationFrames.Batch batch && !batch.records().isEmpty()) {
                last = batch.records().get(batch.records().size() - 1).lsn();
            }
        }
        return last;
    }

    private Reply execute(String id, String statement) {
        try (DirkConnection connection = members.connect(id)) {
            return connection.execute(statement);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
