package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

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

    /** What the last {@link #stepDown} said on its standard output. */
    private final StringWriter said = new StringWriter();

    private CompletableFuture<Integer> stepDown(int handoverSeconds) {
        CommandLine command = Dirk.commandLine();
        command.setOut(new PrintWriter(said, true));
        return CompletableFuture.supplyAsync(() -> command.execute("step-down", "--port",
                Integer.toString(server.port()), "--handover-seconds", Integer.toString(handoverSeconds), "--poll-ms", "20"));
    }

    /** Sends {@code statement} as the operator does, over the network. */
    private String send(String statement) throws IOException {
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port(), 2000)) {
            Reply reply = connection.execute(statement);
            assertThat(reply.isError()).as("%s: %s", statement, reply.errorMessage()).isFalse();
            return reply.messageText();
        }
    }

    @Test
    void aMemberFencedByAHeldFenceMayStopAtOnce() throws Exception {
        start(Role.PRIMARY);
        send("dirk fence hold;"); // the user's fence or hibernation's: no hand-over will come
        // Well inside the hand-over wait: it did not wait for one.
        assertThat(stepDown(60).get(30, TimeUnit.SECONDS)).isZero();
        assertThat(said.toString()).isEqualTo("dirk step-down: the member is fenced at epoch 1 by a held fence (the "
                + "user's or hibernation's), which no hand-over ends; it may stop" + System.lineSeparator());
        assertThat(member.state().role()).isEqualTo(Role.FENCED);
    }

    @Test
    void aMemberFencedByAPlainFenceStillWaitsOutTheHandOver() throws Exception {
        start(Role.PRIMARY);
        send("dirk fence;"); // a switchover's fence: the hand-over follows
        assertThat(stepDown(2).get(30, TimeUnit.SECONDS)).isZero();
        assertThat(said.toString()).isEqualTo("dirk step-down: still fenced after 2 s; it may stop"
                + System.lineSeparator());
    }

    @Test
    void aHeldFenceEndedByAFollowThenAPlainFenceIsAHandOversAgain() throws Exception {
        start(Role.PRIMARY);
        send("dirk fence hold;");
        send("dirk follow '127.0.0.1' 1;"); // the user unfenced it
        send("dirk fence;"); // then a switchover's fence
        CompletableFuture<Integer> hook = stepDown(60);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .untilAsserted(() -> assertThat(hook).as("still waiting for the hand-over").isNotDone());
        member.follow("127.0.0.1", 1);
        assertThat(hook.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(said.toString()).startsWith("dirk step-down: the member is secondary");
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
