package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.supervisor.LocalSupervisor;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local supervisor with replicating members: an old primary whose log forked is rebuilt by itself. */
class SupervisedResyncTest {
    @TempDir
    Path directory;

    private static void ok(Reply reply) {
        assertThat(reply.isError()).as(reply.messageText()).isFalse();
    }

    private static List<Object> databases(ReplicaSet set, String id) throws Exception {
        Reply reply = set.execute(id, "asehoy ny tahiry");
        ok(reply);
        return ((Result.Relation) reply.result()).rows().stream().map(row -> row.get(0)).toList();
    }

    @Test
    void oldPrimaryWithWritesTheNewPrimaryNeverGotIsFencedResyncedAndFollowsIt() throws Exception {
        try (ReplicaSet set = new ReplicaSet(directory, ReplicationSettings.defaults(ReplicationMode.ASYNC))) {
            set.startPrimary("m1");
            set.startSecondary("m2", "m1");
            ok(set.execute("m1", "manamboara tahiry shared"));
            await().atMost(Duration.ofSeconds(10)).until(() -> databases(set, "m2").contains("shared"));
            // m2 stops receiving (it follows an address where nobody listens); m1 goes on alone, then dies.
            ok(set.execute("m2", "dirk follow '127.0.0.9' 9"));
            ok(set.execute("m1", "manamboara tahiry lost_in_failover"));
            set.stop("m1");

            List<MemberAddress> members = List.of(
                    new MemberAddress("m1", set.node("m1").host(), set.node("m1").port()),
                    new MemberAddress("m2", set.node("m2").host(), set.node("m2").port()));
            SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.ASYNC)
                    .withHeartbeatIntervalMillis(100).withHeartbeatTimeoutMillis(1000);
            try (LocalSupervisor supervisor = new LocalSupervisor(members, settings,
                    new NetworkMemberControl(1000, 10_000, null))) {
                supervisor.start();
                await().atMost(Duration.ofSeconds(20)).until(() -> "m2".equals(supervisor.currentPrimary()));
                ok(set.execute("m2", "manamboara tahiry after_failover")); // m1's log and m2's now fork

                set.restart("m1"); // comes back as the primary of epoch 1, with a write m2 never had

                String m2Endpoint = members.get(1).host() + ":" + members.get(1).port();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    JsonNode heartbeat = set.heartbeat("m1");
                    return "secondary".equals(heartbeat.path("role").asText())
                            && m2Endpoint.equals(heartbeat.path("primary").asText())
                            && !heartbeat.path("diverged").asBoolean() && heartbeat.path("streaming").asBoolean()
                            && databases(set, "m1").contains("after_failover");
                });
                assertThat(databases(set, "m1")).contains("shared", "after_failover")
                        .doesNotContain("lost_in_failover");
                assertThat(supervisor.currentPrimary()).isEqualTo("m2");
                assertThat(supervisor.currentEpoch()).isGreaterThanOrEqualTo(2);
            }
        }
    }
}
