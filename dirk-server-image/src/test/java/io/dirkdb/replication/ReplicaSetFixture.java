package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.protocol.Reply;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of in-process members share: a fresh directory for the {@link ReplicaSet} a test
 * starts in {@link #members}, stopped after the test (after the subclass's own {@code @AfterEach}).
 */
abstract class ReplicaSetFixture {
    @TempDir
    Path root;

    ReplicaSet members;

    @AfterEach
    void stopMembers() {
        if (members != null) {
            members.close();
        }
    }

    /** Waits until member {@code id} reports log position {@code lsn} in its heartbeat. */
    void awaitLsn(String id, long lsn) {
        await().atMost(Duration.ofSeconds(5)).until(() -> members.heartbeat(id).path("lsn").asLong() == lsn);
    }

    static void ok(Reply reply) {
        assertThat(reply.errorMessage()).isNull();
    }
}
