package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `dirk resync` and `dirk step-down` read a password variable that is set but empty as `dirk server` does: a
 * configuration error naming the variable, never "no password".
 */
class ControlCommandPasswordTest {
    @TempDir
    Path directory;

    private MemberServer server;
    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Runs {@code command} with {@code args}, returning its exit code; what it printed on stderr goes to {@link #errors}. */
    private int run(Callable<Integer> command, String... args) {
        PrintStream saved = System.err;
        System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
        try {
            return new CommandLine(command).execute(args);
        } finally {
            System.setErr(saved);
        }
    }

    private String errors() {
        return errors.toString(StandardCharsets.UTF_8);
    }

    @Test
    void stepDownWithAnEmptyAdminPasswordVariableIsAConfigurationErrorAndFencesNothing() throws Exception {
        // A member without a password: today an empty variable means "no password", and the fence goes through.
        Member member = Member.start("m1", new FakeDatabase(), directory, Role.PRIMARY);
        server = MemberServer.start(member, ServerSettings.loopback(0));
        int exit = run(new StepDownCommand(Map.of("DIRK_ADMIN_PASSWORD", "")), "--port", Integer.toString(server.port()),
                "--handover-seconds", "0", "--poll-ms", "20");
        assertThat(exit).isEqualTo(ExitCodes.CONFIG);
        assertThat(errors()).contains("$DIRK_ADMIN_PASSWORD is set but empty");
        assertThat(member.state().role()).isEqualTo(Role.PRIMARY);
    }

    @Test
    void stepDownWithAnEmptyApplicationPasswordVariableNamesIt() throws Exception {
        Member member = Member.start("m1", new FakeDatabase(), directory, Role.PRIMARY);
        server = MemberServer.start(member, ServerSettings.loopback(0));
        int exit = run(new StepDownCommand(Map.of("DIRK_PASSWORD", "")), "--port", Integer.toString(server.port()),
                "--handover-seconds", "0", "--poll-ms", "20");
        assertThat(exit).isEqualTo(ExitCodes.CONFIG);
        assertThat(errors()).contains("$DIRK_PASSWORD is set but empty");
        assertThat(member.state().role()).isEqualTo(Role.PRIMARY);
    }

    @Test
    void resyncWithAnEmptyAdminPasswordVariableIsAConfigurationError() {
        int exit = run(new ResyncCommand(Map.of("DIRK_ADMIN_PASSWORD", "", "DIRK_PASSWORD", "app")),
                "--from", "127.0.0.1:1", "--to", "127.0.0.1:2", "--timeout-seconds", "1");
        assertThat(exit).isEqualTo(ExitCodes.CONFIG);
        assertThat(errors()).contains("$DIRK_ADMIN_PASSWORD is set but empty");
    }

    @Test
    void resyncWithAnEmptyPreviousPasswordVariableNamesIt() {
        int exit = run(new ResyncCommand(Map.of("DIRK_ADMIN_PASSWORD", "admin", "DIRK_PREVIOUS_ADMIN_PASSWORD", "")),
                "--from", "127.0.0.1:1", "--to", "127.0.0.1:2", "--timeout-seconds", "1");
        assertThat(exit).isEqualTo(ExitCodes.CONFIG);
        assertThat(errors()).contains("$DIRK_PREVIOUS_ADMIN_PASSWORD is set but empty");
    }

    @Test
    void anEmptyPasswordFlagIsAConfigurationError() {
        int exit = run(new ResyncCommand(Map.of()), "--password", "", "--from", "127.0.0.1:1", "--to", "127.0.0.1:2",
                "--timeout-seconds", "1");
        assertThat(exit).isEqualTo(ExitCodes.CONFIG);
        assertThat(errors()).contains("--password is empty");
    }
}
