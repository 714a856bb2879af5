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
    void aRequestNamingNoProtocolIsAnsweredInVersionOne() throws IOException {
        assertThat(streamAnswer("dirk stream 2 1;").path("protocol").asInt()).isEqualTo(1);
        assertThat(streamAnswer("dirk stream 9 1;").path("protocol").asInt()).as("a refusal says it too").isEqualTo(1);
    }

    @Test
    void aSecondaryReadingANewerProtocolIsAnsweredInTheOneThisMemberSpeaks() throws IOException {
        JsonNode answer = streamAnswer("dirk stream 2 1 1 protocol 7;");
        assertThat(answer.path("streaming").asBoolean()).isTrue();
        assertThat(answer.path("protocol").asInt()).isEqualTo(ReplicationFrames.PROTOCOL_VERSION);
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
    void streamRequestOfAHigherEpochIsRefusedWithoutChangingTheEpoch() throws IOException {
        JsonNode answer = streamAnswer("dirk stream 3 1 4;");
        assertThat(answer.path("refused").asText()).isEqualTo("stalePrimary");
        JsonNode beat = members.heartbeat("m1");
        assertThat(beat.path("role").asText()).isEqualTo("primary");
        assertThat(beat.path("epoch").asLong()).isEqualTo(1);
        ok(members.execute("m1", "manamboara tahiry d"));
        ok(members.execute("m1", "dirk promote 2"));
    }

    @Test
    void forgedStreamRequestOfTheLargestEpochPoisonsNothing() throws IOException {
        JsonNode answer = streamAnswer("dirk stream 0 0 9223372036854775807;");
        assertThat(answer.path("refused").asText()).isEqualTo("stalePrimary");
        assertThat(members.heartbeat("m1").path("role").asText()).isEqualTo("primary");
        ok(members.execute("m1", "manamboara tahiry d"));
        // The member restarts with the epochs it had: nothing was persisted.
        members.stop("m1");
        members.restart("m1");
        assertThat(members.heartbeat("m1").path("epoch").asLong()).isEqualTo(1);
        ok(members.execute("m1", "dirk promote 2"));
        assertThat(members.heartbeat("m1").path("epoch").asLong()).isEqualTo(2);
    }

    @Test
    void promotionBeyondTheEpochBoundIsRefused() throws IOException {
        assertThat(members.execute("m1", "dirk promote 9223372036854775807").errorMessage())
                .contains("out of range");
        assertThat(members.execute("m1", "dirk promote 1000002").errorMessage()).contains("out of range");
        ok(members.execute("m1", "dirk promote 1000001"));
        assertThat(members.heartbeat("m1").path("epoch").asLong()).isEqualTo(1_000_001);
    }

    @Test
    void poisonedMemberStateFromAnOlderVersionIsRepairedOnStart() throws IOException {
        members.stop("m1");
        java.nio.file.Path state = members.node("m1").directory().resolve("member.json");
        String json = java.nio.file.Files.readString(state);
        java.nio.file.Files.writeString(state, json.replaceAll("\"highestEpochSeen\" : \\d+",
                "\"highestEpochSeen\" : 9223372036854775807"));
        assertThat(java.nio.file.Files.readString(state)).contains("9223372036854775807");
        members.restart("m1");
        ok(members.execute("m1", "dirk promote 2"));
        assertThat(members.heartbeat("m1").path("epoch").asLong()).isEqualTo(2);
    }
}
