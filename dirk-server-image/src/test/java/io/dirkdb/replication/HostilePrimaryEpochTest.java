package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.engine.ChangeRecords;
import io.dirkdb.engine.Result;
import io.dirkdb.server.MemberState;
import io.dirkdb.server.Role;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A peer that lies in the stream handshake or its frames (a ScriptedPrimary) does not poison the member that follows it. */
class HostilePrimaryEpochTest extends ReplicaSetFixture {

    @Test
    void secondaryRefusesAPrimaryEpochBeyondTheBound() throws Exception {
        followAHostilePrimaryAnswering("{\"streaming\":true,\"epoch\":9223372036854775807,\"lastLsn\":0}",
                "out of range");
    }

    @Test
    void secondaryDoesNotFollowAPrimaryAnsweringAStreamProtocolItDoesNotRead() throws Exception {
        followAHostilePrimaryAnswering("{\"streaming\":true,\"epoch\":1,\"lastLsn\":0,\"protocol\":9}",
                "answers stream protocol 9; this member reads version 1");
    }

    private void followAHostilePrimaryAnswering(String hello, String expectedError) throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        try (ScriptedPrimary hostile = ScriptedPrimary.start("127.0.0.30").answer(hello)) {
            ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
            m2.member().follow(hostile.host(), hostile.port());
            await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("replicationError")
                    .asText().contains(expectedError));
            assertThat(m2.member().state().highestEpochSeen()).isZero();
            assertThat(MemberState.load(m2.directory()).highestEpochSeen()).isZero();
            ok(members.execute("m2", "dirk promote 1"));
        }
    }

    @Test
    void secondaryStopsAtARecordThePrimarySkippedToAndKeepsOnlyTheOnesInOrder() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        try (ScriptedPrimary liar = ScriptedPrimary.start("127.0.0.32")
                .answer("{\"streaming\":true,\"epoch\":1,\"lastLsn\":3}")
                .batch(1, ScriptedPrimary.record(1, 1, ChangeRecords.createDatabase("first")))
                .batch(3, ScriptedPrimary.record(3, 1, ChangeRecords.createDatabase("skipped")))) {
            ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
            m2.member().follow(liar.host(), liar.port());
            assertThat(liar.awaitAck(1, Duration.ofSeconds(10))).as("the first record acknowledged").isTrue();
            // It hangs up at the gap and asks again from the last record it holds (the script then plays anew).
            await().atMost(Duration.ofSeconds(10)).until(() -> liar.requests().stream()
                    .anyMatch(r -> r.startsWith("dirk stream 1 1")));
            assertThat(liar.requests().get(0)).startsWith("dirk stream 0 0");
            assertThat(members.heartbeat("m2").path("lsn").asLong()).as("nothing past the gap is logged").isEqualTo(1);
            assertThat(((Result.Relation) members.execute("m2", "asehoy ny tahiry").result()).rows())
                    .containsExactly(List.of("first"));
        }
    }
}
