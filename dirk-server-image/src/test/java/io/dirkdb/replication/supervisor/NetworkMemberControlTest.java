package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The held fence the operator sends for the user's fences and hibernation, to members new and old. */
class NetworkMemberControlTest {
    private MemberServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private MemberAddress start(io.dirkdb.server.MemberDatabase database) throws Exception {
        server = MemberServer.start(Member.start("m1", database, null, Role.PRIMARY), ServerSettings.loopback(0));
        return new MemberAddress("m1", "127.0.0.1", server.port());
    }

    @Test
    void aHeldFenceIsSaidHeldInTheHeartbeat() throws Exception {
        MemberAddress member = start(EngineDatabase.inMemory());
        try (NetworkMemberControl control = new NetworkMemberControl(2000, 2000, null)) {
            assertThat(control.fenceHeld(member)).startsWith("fenced at epoch 1: writes are refused");
            HeartbeatReport heartbeat = control.heartbeat(member);
            assertThat(heartbeat.role()).isEqualTo(HeartbeatReport.FENCED);
            assertThat(heartbeat.isHeldFenced()).isTrue();
        }
    }

    @Test
    void aMemberTooOldForTheHeldFenceIsFencedPlainly() throws Exception {
        FakeDatabase old = new FakeDatabase();
        old.refusesHeldFences = true;
        MemberAddress member = start(old);
        try (NetworkMemberControl control = new NetworkMemberControl(2000, 2000, null)) {
            assertThat(control.fenceHeld(member)).startsWith("fenced at epoch 1: writes are refused");
            HeartbeatReport heartbeat = control.heartbeat(member);
            assertThat(heartbeat.role()).isEqualTo(HeartbeatReport.FENCED);
            assertThat(heartbeat.isHeldFenced()).isFalse();
        }
        assertThat(server.member().state().role()).isEqualTo(Role.FENCED);
    }

    @Test
    void aMemberFencedPlainlyIsMadeHeldAndOneTooOldKeepsItsFence() throws Exception {
        MemberAddress member = start(EngineDatabase.inMemory());
        try (NetworkMemberControl control = new NetworkMemberControl(2000, 2000, null)) {
            control.fence(member); // a hand-over's fence, or one from before a restart
            assertThat(control.heartbeat(member).isHeldFenced()).isFalse();
            assertThat(control.holdFence(member)).isTrue();
            assertThat(control.heartbeat(member).isHeldFenced()).isTrue();
        }
        server.close();

        FakeDatabase old = new FakeDatabase();
        old.refusesHeldFences = true;
        member = start(old);
        try (NetworkMemberControl control = new NetworkMemberControl(2000, 2000, null)) {
            control.fence(member);
            assertThat(control.holdFence(member)).isFalse();
            assertThat(control.heartbeat(member).role()).isEqualTo(HeartbeatReport.FENCED);
        }
    }
}
