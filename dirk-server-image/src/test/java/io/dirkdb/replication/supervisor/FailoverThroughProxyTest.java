package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.testing.ContinuousWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary member's process is SIGKILLed while a client writes through the proxy; m1 primary,
 * m2 and m3 secondaries in sync mode (with one secondary left, sync writes still find one to ack).
 */
class FailoverThroughProxyTest {
    @TempDir
    Path directory;

    private static Set<String> databasesOn(MemberAddress member) throws Exception {
        try (DirkConnection connection = DirkConnection.open(member.host(), member.port())) {
            Reply reply = connection.execute("asehoy ny tahiry;");
            assertThat(reply.isError()).as(reply.messageText()).isFalse();
            return ((Result.Relation) reply.result()).rows().stream().map(row -> (String) row.get(0))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesTheKilledPrimaryAndWritesResumeOnThePromotedMember() throws Exception {
        SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.SYNC)
                .withHeartbeatIntervalMillis(100).withHeartbeatTimeoutMillis(500);
        try (FailoverRig rig = FailoverRig.start(directory, 3, settings)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> "m1".equals(rig.supervisor.currentPrimary())
                    && rig.proxy.table().writeTarget().isPresent());
            long killedAt;
            List<ContinuousWriter.Ack> acks;
            try (ContinuousWriter writer = new ContinuousWriter("127.0.0.1", rig.proxy.port(), List.of(),
                    n -> "manamboara tahiry w" + n)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> writer.acks().size() >= 20);

                killedAt = System.nanoTime();
                rig.process("m1").kill();

                await().atMost(Duration.ofSeconds(30)).until(() -> writer.acks().stream()
                        .filter(a -> a.sentNanos() - killedAt > 0).count() >= 20);
                acks = writer.acks();
            }

            String promoted = rig.supervisor.currentPrimary();
            assertThat(promoted).isIn("m2", "m3");
            HeartbeatReport primary = rig.heartbeat(promoted);
            assertThat(primary.role()).isEqualTo("primary");
            assertThat(primary.epoch()).isEqualTo(2);
            assertThat(rig.proxy.table().writeTarget()).contains(rig.address(promoted));
            // Sync replication: every write the proxy acknowledged, before the crash or after, is on the new primary.
            assertThat(databasesOn(rig.address(promoted))).containsAll(acks.stream().map(a -> "w" + a.number()).toList());
        }
    }
}
