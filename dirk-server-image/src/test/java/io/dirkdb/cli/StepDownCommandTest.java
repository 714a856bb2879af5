package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `dirk step-down`, the member pods' preStop hook: a stopping primary waits for its hand-over. */
class StepDownCommandTest {
    @TempDir
    Path directory;

    private Member member;
    private MemberServer server;

    private void start(Role role) throws IOException {
        member = Member.start("m1", new FakeDatabase(), directory, role);
        server = MemberServer.start(member, ServerSettings.loopback(0));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private CompletableFuture<Integer> stepDown(int handoverSeconds) {
        return CompletableFuture.supplyAsync(() -> Dirk.commandLine().execute("step-down", "--port",
                Integer.toString(server.port()), "--handover-seconds", Integer.toString(handoverSeconds), "--poll-ms", "20"));
    }

    @Test
    void aPrimaryNobodyHandsOverFencesItselfBeforeItStops() throws Exception {
        start(Role.PRIMARY);
        assertThat(stepDown(1).get(30, TimeUnit.SECONDS)).isZero();
        assertThat(member.state().role()).isEqualTo(Role.FENCED);
    }

    @Test
    void aFencedPrimaryWaitsUntilItFollowsTheNewPrimary() throws Exception {
        start(Role.PRIMARY);
        member.fence(); // the operator's switchover began
        CompletableFuture<Integer> hook = stepDown(60);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .untilAsserted(() -> assertThat(hook).as("still waiting for the hand-over").isNotDone());
        member.follow("127.0.0.1", 1); // the operator promoted another member and points this one at it
        assertThat(hook.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(member.state().role()).isEqualTo(Role.SECONDARY);
    }

    @Test
    void aSecondaryMayStopAtOnce() throws Exception {
        start(Role.SECONDARY);
        assertThat(stepDown(60).get(30, TimeUnit.SECONDS)).isZero();
        assertThat(member.state().role()).isEqualTo(Role.SECONDARY);
    }
}
