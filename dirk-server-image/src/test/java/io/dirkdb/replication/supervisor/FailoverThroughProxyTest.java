package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.ReplicationMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The primary member's process is SIGKILLed while clients write through the proxy. */
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
    void writesThroughTheProxyResumeOnThePromotedMemberAfterThePrimaryIsKilled() throws Exception {
        SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.SYNC)
                .withHeartbeatIntervalMillis(100).withHeartbeatTimeoutMillis(500);
        try (FailoverRig rig = FailoverRig.start(directory, settings)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> "m1".equals(rig.supervisor.currentPrimary())
                    && rig.proxy.table().writeTarget().isPresent());
            long killedAt;
            List<ContinuousWriter.Ack> acks;
            try (ContinuousWriter writer = new ContinuousWriter("127.0.0.1", rig.proxy.port(), List.of(),
                    n -> "manamboara tahiry w" + n)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> writer.acks().size() >= 20);

                killedAt = System.nanoTime();
                rig.m1.kill();

                await().atMost(Duration.ofSeconds(30)).until(() -> writer.acks().stream()
                        .filter(a -> a.sentNanos() - killedAt > 0).count() >= 20);
                acks = writer.acks();
            }

            assertThat(rig.supervisor.currentPrimary()).isEqualTo("m2");
            HeartbeatReport m2 = rig.heartbeat("m2");
            assertThat(m2.role()).isEqualTo("primary");
            assertThat(m2.epoch()).isEqualTo(2);
            assertThat(rig.proxy.table().writeTarget()).contains(rig.address("m2"));
            // Every write the proxy acknowledged after the crash is on the new primary.
            Set<String> onM2 = databasesOn(rig.address("m2"));
            List<String> ackedAfterCrash = acks.stream().filter(a -> a.sentNanos() - killedAt > 0)
                    .map(a -> "w" + a.number()).toList();
            assertThat(onM2).containsAll(ackedAfterCrash);
        }
    }
}
