package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a member answers to `dirk stream` before any record is shipped (log matching, epochs). */
class StreamRequestTest extends ReplicaSetFixture {

    @BeforeEach
    void startPrimaryWithThreeRecords() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry a"));
        ok(members.execute("m1", "manamboara tahiry b"));
        ok(members.execute("m1", "manamboara tahiry c"));
    }

    private JsonNode streamAnswer(String request) throws IOException {
        ReplicaSet.Node node = members.node("m1");
        try (PeerChannel channel = PeerChannel.open(node.host(), node.port(), null, 5_000)) {
            return channel.requestJson(request);
        }
    }

    @Test
    void matchingRecordStartsTheStream() throws IOException {
        JsonNode answer = streamAnswer("dirk stream 2 1;");
        assertThat(answer.path("streaming").asBoolean()).isTrue();
        assertThat(answer.path("lastLsn").asLong()).isEqualTo(3);
        assertThat(answer.path("epoch").asLong()).isEqualTo(1);
    }

    @Test
    void secondaryAheadOfThePrimaryHasDiverged() throws IOException {
        JsonNode answer = streamAnswer("dirk stream 9 1;");
        assertThat(answer.path("refused").asText()).isEqualTo("diverged");
        assertThat(answer.path("reason").asText()).contains("ends at LSN 3");
    }

    @Test
    void recordOfAnotherEpochAtTheSameLsnHasDiverged() throws IOException {
        ok(members.execute("m1", "dirk promote 3"));
        // The secondary wrote record 2 under epoch 2 (a primary this one never heard of): same LSN, other history.
        JsonNode answer = streamAnswer("dirk stream 2 2;");
        assertThat(answer.path("refused").asText()).isEqualTo("diverged");
        assertThat(answer.path("reason").asText()).contains("record 2 has epoch 1 here but epoch 2");
    }

    @Test
    void primaryThatHearsOfAHigherEpochStepsDown() throws IOException {
        JsonNode answer = streamAnswer("dirk stream 3 1 4;");
        assertThat(answer.path("refused").asText()).isEqualTo("stalePrimary");
        JsonNode beat = members.heartbeat("m1");
        assertThat(beat.path("role").asText()).isEqualTo("fenced");
        assertThat(members.execute("m1", "manamboara tahiry d").errorMessage()).contains("fenced");
        assertThat(members.execute("m1", "dirk promote 4").errorMessage()).contains("already seen epoch 4");
    }
}
