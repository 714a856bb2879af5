package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalSupervisorLoopbackTest {

    private static MemberServer member(String id, String host, Role role) throws Exception {
        Member member = Member.start(id, EngineDatabase.inMemory(), null, role);
        return MemberServer.start(member, new ServerSettings(host, 0, null, 16,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(1)));
    }

    @Test
    void secondaryBecomesPrimaryAtNextEpochWhenPrimaryStops() throws Exception {
        MemberServer m1 = member("m1", "127.0.0.2", Role.PRIMARY);
        MemberServer m2 = member("m2", "127.0.0.3", Role.SECONDARY);
        List<MemberAddress> addresses = List.of(new MemberAddress("m1", "127.0.0.2", m1.port()),
                new MemberAddress("m2", "127.0.0.3", m2.port()));
        SupervisorSettings settings = SupervisorSettings.defaults(ReplicationMode.ASYNC)
                .withHeartbeatIntervalMillis(100).withHeartbeatTimeoutMillis(500);
        try (m2; LocalSupervisor supervisor = new LocalSupervisor(addresses, settings,
                new NetworkMemberControl(500, 2000, null))) {
            supervisor.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> "127.0.0.2".equals(m2.member().state().primaryHost()));
            assertThat(supervisor.currentPrimary()).isEqualTo("m1");

            m1.close();

            await().atMost(Duration.ofSeconds(10)).until(() -> m2.member().state().role() == Role.PRIMARY);
            assertThat(m2.member().state().epoch()).isEqualTo(2);
            assertThat(supervisor.currentPrimary()).isEqualTo("m2");
            assertThat(supervisor.failovers()).isEqualTo(1);
        } finally {
            m1.close();
        }
    }
}
