package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RoutingProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class LogShippingTest extends ReplicaSetFixture {

    @Test
    void secondaryAppliesPrimaryWritesAndReportsItsStream() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        try (DirkConnection client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute("manamboara tabilao item(id ISA(null,null), name LAHATSORATRA(null,null))"));
            ok(client.execute("manampia ao@ item (id, name) sanda (1, 'pen'), (2, 'ink')"));
        }
        // Until m2 has applied the first record, its database does not exist yet (an exception, not a wrong answer).
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(members.rows("m2", "shop", "alaivo * ao@ item")).containsExactly(List.of(1L, "pen"), List.of(2L, "ink")));
        JsonNode secondary = members.heartbeat("m2");
        assertThat(secondary.path("streaming").asBoolean()).isTrue();
        assertThat(secondary.path("primary").asText()).isEqualTo(members.node("m1").host() + ":" + members.node("m1").port());
        assertThat(secondary.path("diverged").asBoolean()).isFalse();
        assertThat(secondary.path("replicationMode").asText()).isEqualTo("async");
        // A secondary reports the epoch of the primary it follows, so a failover promotes above it.
        assertThat(secondary.path("epoch").asLong()).isEqualTo(1);
        assertThat(members.execute("m2", "dirk promote 1").errorMessage()).contains("already seen epoch 1");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode primary = members.heartbeat("m1");
            assertThat(primary.path("ackedLsn").asLong()).isEqualTo(3);
            assertThat(primary.path("secondaries").get(0).path("ackedLsn").asLong()).isEqualTo(3);
        });
        assertThat(members.execute("m2", "manamboara tahiry other").errorMessage()).contains("writes go to the primary");
    }

    @Test
    void aFreshMemberStoppedOnceBeforeItFollowsStillStreamsFromTheStart() throws Exception {
        // A member stopped before holding any record leaves a snapshot at LSN 0; an empty log matches
        // every history, so it must stream, not be told that the logs forked.
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.start("m2", io.dirkdb.server.Role.SECONDARY, null, 0);
        members.stop("m2");
        members.start("m2", io.dirkdb.server.Role.SECONDARY, members.node("m1"), 0);
        ok(members.execute("m1", "manamboara tahiry shop"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode beat = members.heartbeat("m2");
            assertThat(beat.path("diverged").asBoolean()).isFalse();
            assertThat(beat.path("streaming").asBoolean()).isTrue();
            assertThat(beat.path("lsn").asLong()).isEqualTo(1);
        });
    }

    @Test
    void secondaryReconnectsByItselfWhenItsPrimaryComesBack() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC).withMaxBackoff(Duration.ofMillis(400)));
        ReplicaSet.Node primary = members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry before"));
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat("m2").path("lsn").asLong() == 1);
        members.stop("m1");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode beat = members.heartbeat("m2");
            assertThat(beat.path("streaming").asBoolean()).isFalse();
            assertThat(beat.path("replicationError").asText()).isNotEmpty();
        });
        members.start("m1", io.dirkdb.server.Role.PRIMARY, null, primary.port());
        ok(members.execute("m1", "manamboara tahiry after"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode beat = members.heartbeat("m2");
            assertThat(beat.path("lsn").asLong()).isEqualTo(2);
            assertThat(beat.path("streaming").asBoolean()).isTrue();
        });
    }

    @Test
    void checkpointKeepsTheLogARecentlyDisconnectedSecondaryNeeds() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC).withMaxBackoff(Duration.ofMillis(400)))
                .withSegmentBytes(1024);
        ReplicaSet.Node primary = members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        awaitLsn("m2", 1);
        members.stop("m2");
        try (DirkConnection client = members.connect("m1")) {
            ok(client.execute("ampiasao shop"));
            ok(client.execute("manamboara tabilao item(id ISA(null,null), name LAHATSORATRA(null,null))"));
            for (int i = 1; i <= 60; i++) {
                ok(client.execute("manampia ao@ item (id, name) sanda (" + i + ", 'a name long enough to fill segments " + i + "')"));
            }
        }
        // Many segments behind this snapshot; the secondary that left at LSN 1 still needs them.
        primary.database().engine().checkpoint();
        members.restart("m2");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode beat = members.heartbeat("m2");
            assertThat(beat.path("needsResync").asBoolean()).as("heartbeat %s", beat).isFalse();
            assertThat(beat.path("lsn").asLong()).isEqualTo(members.heartbeat("m1").path("lsn").asLong());
        });
        assertThat(members.contents("m2")).isEqualTo(members.contents("m1"));
    }

    @Test
    void everyMemberEndsEqualToThePrimaryAfterConcurrentClientsWriteThroughTheProxy() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        members.startSecondary("m3", "m1");
        List<MemberAddress> addresses = new ArrayList<>();
        for (String id : List.of("m1", "m2", "m3")) {
            addresses.add(new MemberAddress(id, members.node(id).host(), members.node(id).port()));
        }
        try (RoutingProxy proxy = RoutingProxy.start(ProxySettings.loopback(addresses).withHeartbeatIntervalMillis(50),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                try (DirkConnection probe = DirkConnection.open("127.0.0.1", proxy.port())) {
                    return !probe.execute("manamboara tahiry warmup").isError();
                }
            });
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> done = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    int client = c;
                    done.add(clients.submit(() -> runMixedStatements(proxy.port(), client, 250)));
                }
                for (Future<Integer> future : done) {
                    assertThat(future.get()).isEqualTo(250);
                }
            } finally {
                clients.shutdownNow();
            }
        }
        var expected = members.contents("m1");
        assertThat(expected).hasSizeGreaterThan(8);
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            assertThat(members.contents("m2")).isEqualTo(expected);
            assertThat(members.contents("m3")).isEqualTo(expected);
        });
    }

    /** Creates, fills, updates, deletes from and drops tables of its own database; returns the statements that succeeded. */
    private static int runMixedStatements(int proxyPort, int client, int count) throws Exception {
        int succeeded = 0;
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", proxyPort)) {
            List<String> statements = new ArrayList<>();
            statements.add("manamboara tahiry c" + client);
            statements.add("ampiasao c" + client);
            int table = 0;
            int row = 0;
            while (statements.size() < count) {
                int step = statements.size();
                if (step % 30 == 2) {
                    table++;
                    statements.add("manamboara tabilao t" + table + " (id ISA(null,null), v LAHATSORATRA(null,null))");
                } else if (step % 60 == 59 && table > 1) {
                    statements.add("ravao ny tabilao t" + (table - 1));
                } else if (step % 7 == 3) {
                    statements.add("havaozy t" + table + " ova v = 'u" + step + "' #rehefa id = " + (row - 1));
                } else if (step % 11 == 5) {
                    statements.add("fafao ao@ t" + table + " #rehefa id = " + (row - 2));
                } else {
                    row++;
                    statements.add("manampia ao@ t" + table + " (id, v) sanda (" + row + ", 'row " + client + "-" + row
                            + "'), (" + (row + 100000) + ", null)");
                }
            }
            for (String statement : statements) {
                Reply reply = connection.execute(statement);
                if (reply.isError()) {
                    throw new AssertionError("client " + client + ": " + statement + " -> " + reply.errorMessage());
                }
                succeeded++;
            }
        }
        return succeeded;
    }
}
