package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.server.Member;
import io.dirkdb.server.Role;
import io.dirkdb.storage.FileTrees;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One cluster, one history: a member whose data directory was wiped starts a new history, and
 * members of different histories never stream to, resync from, or splice into each other.
 */
class OneHistoryTest extends ReplicaSetFixture {
    private static final String OLD_ROWS = "[[1, old-1], [2, old-2], [3, old-3]]";

    @BeforeEach
    void startPrimaryAndSecondaryWithThreeRows() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        try (var connection = members.connect("m1")) {
            ok(connection.execute("ampiasao shop"));
            ok(connection.execute("manamboara tabilao t (id ISA(null,null), v LAHATSORATRA(null,null))"));
            for (int i = 1; i <= 3; i++) {
                ok(connection.execute("manampia ao@ t (id, v) sanda (" + i + ", 'old-" + i + "')"));
            }
        }
        awaitLsn("m2", 5);
    }

    /** Stops both members, wipes m1's data directory and restarts it empty, as primary, on its old address. */
    private void wipeAndRestartPrimary(Member.Bootstrap bootstrap) throws IOException {
        int port = members.node("m1").port();
        members.stop("m2");
        members.stop("m1");
        FileTrees.delete(members.node("m1").directory());
        members.start("m1", Role.PRIMARY, null, port, bootstrap);
    }

    private String rows(String id) throws IOException {
        return members.rows(id, "shop", "alaivo id, v ao@ t").toString();
    }

    @Test
    void secondaryNeverAppendsANewHistoryAfterItsOwnRecords() throws IOException {
        String oldHistory = members.heartbeat("m2").path("historyId").asText();
        wipeAndRestartPrimary(Member.Bootstrap.ALONE);
        String newHistory = members.heartbeat("m1").path("historyId").asText();
        assertThat(newHistory).isNotEqualTo(oldHistory);
        // The new history grows past the secondary's log: same LSNs, same epoch 1, other data.
        ok(members.execute("m1", "manamboara tahiry shop"));
        try (var connection = members.connect("m1")) {
            ok(connection.execute("ampiasao shop"));
            ok(connection.execute("manamboara tabilao t (id ISA(null,null), v LAHATSORATRA(null,null))"));
            for (int i = 400; i < 404; i++) {
                ok(connection.execute("manampia ao@ t (id, v) sanda (" + i + ", 'NEW-" + i + "')"));
            }
        }
        members.restart("m2");

        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("otherHistory").asBoolean());
        JsonNode beat = members.heartbeat("m2");
        assertThat(beat.path("diverged").asBoolean()).isFalse(); // so no supervisor wipes it by a resync
        assertThat(beat.path("replicationError").asText()).contains(oldHistory).contains(newHistory);
        assertThat(beat.path("lsn").asLong()).isEqualTo(5);
        assertThat(rows("m2")).isEqualTo(OLD_ROWS);
    }

    @Test
    void secondaryIsNeverResyncedFromAnEmptyMemberOfAnotherHistory() throws IOException {
        String oldHistory = members.heartbeat("m2").path("historyId").asText();
        wipeAndRestartPrimary(Member.Bootstrap.ALONE);
        members.restart("m2");
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("otherHistory").asBoolean());
        assertThat(members.heartbeat("m2").path("diverged").asBoolean()).isFalse();

        ReplicaSet.Node m1 = members.node("m1");
        members.execute("m2", "dirk resync '" + m1.host() + "' " + m1.port());
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("resync").path("phase")
                .asText().equals("failed"));
        assertThat(members.heartbeat("m2").path("resync").path("error").asText()).contains(oldHistory)
                .contains(members.heartbeat("m1").path("historyId").asText());
        assertThat(rows("m2")).isEqualTo(OLD_ROWS);
        assertThat(members.heartbeat("m2").path("historyId").asText()).isEqualTo(oldHistory);
    }

    @Test
    void emptyPrimaryTakesNoWriteWhileAPeerHoldsData() throws IOException {
        ReplicaSet.Node m2 = members.node("m2");
        int port = members.node("m1").port();
        members.stop("m1");
        FileTrees.delete(members.node("m1").directory());
        members.start("m1", Role.PRIMARY, null, port,
                new Member.Bootstrap(List.of(new MemberAddress("m2", m2.host(), m2.port())), null));

        assertThat(members.execute("m1", "manamboara tahiry other").errorMessage()).isNotNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m1").path("role").asText().equals("fenced"));
        JsonNode beat = members.heartbeat("m1");
        assertThat(beat.path("bootstrap").asText()).contains("m2").contains("holds data");
        assertThat(members.execute("m1", "manamboara tahiry other").errorMessage()).contains("holds data");
        assertThat(rows("m2")).isEqualTo(OLD_ROWS);
    }

    @Test
    void emptyPrimaryStartsTheHistoryOnceEveryPeerAnsweredWithoutData() throws IOException {
        members.close();
        members = new ReplicaSet(root.resolve("fresh"), ReplicationSettings.defaults(ReplicationMode.ASYNC));
        int m1Port = freePort(members.host("m1"));
        int m2Port = freePort(members.host("m2"));
        members.start("m1", Role.PRIMARY, null, m1Port,
                new Member.Bootstrap(List.of(new MemberAddress("m2", members.host("m2"), m2Port)), null));
        assertThat(members.execute("m1", "manamboara tahiry shop").errorMessage()).contains("waiting for m2");
        assertThat(members.heartbeat("m1").path("historyId").isNull()).isTrue();

        members.start("m2", Role.SECONDARY, members.node("m1"), m2Port);
        await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m1").path("historyId").isTextual());
        ok(members.execute("m1", "manamboara tahiry shop"));
        awaitLsn("m2", 1);
        assertThat(members.heartbeat("m2").path("historyId").asText())
                .isEqualTo(members.heartbeat("m1").path("historyId").asText());
    }

    @Test
    void promoteOrFollowNamingAnotherHistoryIsRefused() throws IOException {
        String other = Member.newHistoryId();
        assertThat(members.execute("m2", "dirk promote 2 history '" + other + "'").errorMessage())
                .contains(other).contains(members.heartbeat("m2").path("historyId").asText());
        assertThat(members.execute("m2", "dirk follow '127.0.0.9' 3948 history '" + other + "'").errorMessage())
                .contains(other);
        assertThat(members.heartbeat("m2").path("role").asText()).isEqualTo("secondary");
        String own = members.heartbeat("m2").path("historyId").asText();
        ok(members.execute("m2", "dirk promote 2 history '" + own + "'"));
    }

    @Test
    void memberRestartsInItsHistory() throws IOException {
        String history = members.heartbeat("m1").path("historyId").asText();
        members.stop("m2");
        members.restart("m2");
        awaitLsn("m2", 5);
        assertThat(members.heartbeat("m2").path("historyId").asText()).isEqualTo(history);
        assertThat(members.heartbeat("m2").path("otherHistory").asBoolean()).isFalse();
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        }
    }
}
