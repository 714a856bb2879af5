package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.server.Role;
import io.dirkdb.testing.ConfigFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How `dirk server` reads its flags, config file and environment (without starting a member). */
class ServerCommandTest {
    private static final String CONFIG = """
            {"configVersion": 1,
             "instances": [
               {"id": "m1", "role": "MASTER", "host": "127.0.0.2", "port": 3948, "dataDirectory": "data/m1"},
               {"id": "m2", "role": "REPLICA", "host": "127.0.0.3", "port": 3950, "dataDirectory": "data/m2"}]}
            """;

    @TempDir
    Path directory;

    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> environment, String... args) {
        CommandLine command = new CommandLine(new ServerCommand(environment));
        command.setErr(new PrintWriter(err, true));
        command.setOut(new PrintWriter(new StringWriter(), true));
        return command.execute(args);
    }

    private ServerCommand.Plan plan(Map<String, String> environment, String... args) {
        ServerCommand server = new ServerCommand(environment);
        new CommandLine(server).parseArgs(args);
        return server.plan();
    }

    @Test
    void missingConfigFileIsOneLineOnStderrAndExitCode2() {
        Path file = directory.resolve("absent.json");
        assertThat(run(Map.of(), "--config", file.toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(file + ": file not found" + System.lineSeparator());
    }

    @Test
    void wrongFieldTypeInConfigIsOneLineNamingFileAndField() throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG.replace("\"port\": 3950", "\"port\": \"abc\""));
        assertThat(run(Map.of(), "--config", file.toString(), "--id", "m1")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(file + ": instances[1].port: expected a number, got \"abc\""
                + System.lineSeparator());
    }

    @Test
    void badJsonInConfigFromTheEnvironmentIsOneLine() throws IOException {
        Path file = ConfigFiles.write(directory, "{\"instances\": [");
        assertThat(run(Map.of("DIRK_CONFIG_PATH", file.toString(), "DIRK_INSTANCE_ID", "m1"))).isEqualTo(2);
        assertThat(err.toString()).startsWith(file + ": malformed JSON at line 1").endsWith(System.lineSeparator());
        assertThat(err.toString().strip()).doesNotContain("\n");
    }

    @Test
    void unknownInstanceIdIsAConfigError() throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG);
        assertThat(run(Map.of(), "--config", file.toString(), "--id", "m7")).isEqualTo(2);
        assertThat(err.toString()).startsWith(file + ": instances: no instance with id \"m7\"");
    }

    @Test
    void replicaInstanceStartsAsSecondaryOnItsConfiguredAddress() throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG);
        ServerCommand.Plan plan = plan(Map.of("DIRK_INSTANCE_ID", "m2"), "--config", file.toString());
        assertThat(plan.memberId()).isEqualTo("m2");
        assertThat(plan.role()).isEqualTo(Role.SECONDARY);
        assertThat(plan.dataDirectory()).isEqualTo(Path.of("data/m2"));
        assertThat(plan.settings().host()).isEqualTo("127.0.0.3");
        assertThat(plan.settings().port()).isEqualTo(3950);
    }

    @Test
    void flagsOverrideTheConfig() throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG);
        ServerCommand.Plan plan = plan(Map.of(), "--config", file.toString(), "--id", "m1", "--host", "127.0.0.9",
                "--port", "0", "--data-dir", directory.resolve("d").toString(), "--max-connections", "3",
                "--max-request-bytes", "100");
        assertThat(plan.role()).isEqualTo(Role.PRIMARY);
        assertThat(plan.dataDirectory()).isEqualTo(directory.resolve("d"));
        assertThat(plan.settings().host()).isEqualTo("127.0.0.9");
        assertThat(plan.settings().port()).isZero();
        assertThat(plan.settings().maxConnections()).isEqualTo(3);
        assertThat(plan.settings().maxRequestBytes()).isEqualTo(100);
    }

    @Test
    void withoutConfigItIsAStandalonePrimaryOnLoopback() {
        ServerCommand.Plan plan = plan(Map.of(), "--data-dir", directory.toString());
        assertThat(plan.memberId()).isEqualTo("standalone");
        assertThat(plan.role()).isEqualTo(Role.PRIMARY);
        assertThat(plan.settings().host()).isEqualTo("127.0.0.1");
        assertThat(plan.settings().port()).isEqualTo(3948);
        assertThat(plan.settings().password()).isNull();
        assertThat(plan.settings().maxConnections()).isEqualTo(256);
        assertThat(plan.settings().maxRequestBytes()).isEqualTo(1 << 20);
        assertThat(plan.settings().reservedConnections()).isEqualTo(8);
        assertThat(plan.settings().unauthenticatedPerAddress()).isEqualTo(4);
        assertThat(plan.settings().authenticationTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(plan.settings().idleTimeout()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(plan.statementLimits()).isEqualTo(io.dirkdb.engine.StatementLimits.DEFAULTS);
    }

    @Test
    void unauthenticatedShareOfOneAddressComesFromItsFlag() {
        ServerCommand.Plan plan = plan(Map.of(), "--data-dir", directory.toString(), "--reserved-connections", "2",
                "--max-unauthenticated-per-address", "3");
        assertThat(plan.settings().unauthenticatedPerAddress()).isEqualTo(3);
    }

    @Test
    void connectionAndStatementLimitsComeFromTheirFlags() {
        ServerCommand.Plan plan = plan(Map.of(), "--data-dir", directory.toString(), "--reserved-connections", "2",
                "--authentication-timeout-seconds", "3", "--idle-timeout-seconds", "0", "--statement-max-rows", "10",
                "--statement-max-bytes", "2048", "--statement-timeout-ms", "1500");
        assertThat(plan.settings().reservedConnections()).isEqualTo(2);
        assertThat(plan.settings().unauthenticatedPerAddress()).isEqualTo(1);
        assertThat(plan.settings().authenticationTimeout()).isEqualTo(java.time.Duration.ofSeconds(3));
        assertThat(plan.settings().idleTimeout()).isZero();
        assertThat(plan.statementLimits()).isEqualTo(new io.dirkdb.engine.StatementLimits(10, 2048,
                java.time.Duration.ofMillis(1500)));
    }

    /**
     * Review 12: an empty password file is refused, but an empty $DIRK_PASSWORD (a Secret key present but empty,
     * a template that rendered nothing) silently turns authentication off: every connection, to a member of a
     * cluster listening on its pod address, holds the administration role. The same mistake in a file fails.
     */
    @Test
    void emptyPasswordInTheEnvironmentIsRefusedLikeAnEmptyFileNotAuthenticationOff() throws IOException {
        Path file = directory.resolve("config.json");
        Files.writeString(file, CONFIG);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> plan(Map.of("DIRK_PASSWORD", ""), "--config",
                file.toString(), "--id", "m1")).isInstanceOf(io.dirkdb.DirkException.class);
    }

    @Test
    void passwordComesFromItsFileElseTheEnvironment() throws IOException {
        Path secret = directory.resolve("pw");
        Files.writeString(secret, "hunter2\n");
        assertThat(plan(Map.of("DIRK_PASSWORD", "env"), "--data-dir", "d", "--password-file", secret.toString())
                .settings().password()).isEqualTo("hunter2");
        assertThat(plan(Map.of("DIRK_PASSWORD", "env"), "--data-dir", "d").settings().password()).isEqualTo("env");
    }

    @Test
    void replicationAndAdministrationPasswordsComeFromTheirFilesElseTheEnvironment() throws IOException {
        Path replication = Files.writeString(directory.resolve("repl"), "repl-file\n");
        var credentials = plan(Map.of("DIRK_PASSWORD", "app", "DIRK_REPLICATION_PASSWORD", "repl-env",
                "DIRK_ADMIN_PASSWORD", "admin-env"), "--data-dir", "d", "--replication-password-file", replication.toString())
                .settings().credentials();
        assertThat(credentials).isEqualTo(new io.dirkdb.server.Credentials("app", "repl-file", "admin-env"));
        // The member gives the replication password to the member it follows or copies.
        assertThat(plan(Map.of("DIRK_PASSWORD", "app", "DIRK_REPLICATION_PASSWORD", "repl", "DIRK_ADMIN_PASSWORD", "admin"),
                "--data-dir", "d").replication().peerPassword()).isEqualTo("repl");
        assertThat(plan(Map.of("DIRK_PASSWORD", "app"), "--data-dir", "d").replication().peerPassword()).isEqualTo("app");
    }

    @Test
    void anAdministrationPasswordWithoutAReplicationOneIsAConfigurationError() {
        assertThat(run(Map.of("DIRK_PASSWORD", "app", "DIRK_ADMIN_PASSWORD", "admin"), "--data-dir", "d")).isEqualTo(2);
        assertThat(err.toString()).contains("separate credentials need all three passwords").contains("missing: replication");
    }

    @Test
    void withAConfigFollowAndResyncNameOnlyItsOtherInstances() throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG);
        assertThat(plan(Map.of(), "--config", file.toString(), "--id", "m2").clusterMembers())
                .containsExactly(new io.dirkdb.server.Member.Peer("127.0.0.2", 3948, "m1"));
        assertThat(plan(Map.of(), "--data-dir", "d").clusterMembers()).isNull();
    }

    @Test
    void withoutDataDirectoryItSaysWhatIsMissing() {
        assertThat(run(Map.of())).isEqualTo(2);
        assertThat(err.toString()).contains("no data directory: give --data-dir");
    }

    @Test
    void memberOfAClusterKnowsItsPeersForTheBootstrapAndHasALease() throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG);
        String history = "3f2c8a1e-5b7d-4c1a-9e2f-0a1b2c3d4e5f";
        ServerCommand.Plan plan = plan(Map.of("DIRK_HISTORY_ID", history), "--config", file.toString(), "--id", "m1");
        assertThat(plan.bootstrap().peers()).containsExactly(new io.dirkdb.heartbeat.MemberAddress("m2", "127.0.0.3", 3950));
        assertThat(plan.bootstrap().historyId()).isEqualTo(history);
        assertThat(plan.primaryLease()).isEqualTo(java.time.Duration.ofMillis(2000));
        assertThat(plan(Map.of(), "--config", file.toString(), "--id", "m1", "--primary-lease-ms", "0").primaryLease())
                .isZero();
    }

    @Test
    void standaloneMemberStartsItsHistoryAloneAndHasNoLease() {
        ServerCommand.Plan plan = plan(Map.of(), "--data-dir", directory.toString());
        assertThat(plan.bootstrap().peers()).isEmpty();
        assertThat(plan.primaryLease()).isZero();
    }

    @Test
    void aHeapShareOutsideZeroToOneIsAConfigError() {
        for (String share : new String[] {"0", "1.5", "-0.2"}) {
            assertThat(run(Map.of(), "--data-dir", directory.toString(), "--max-heap-share", share)).as(share).isEqualTo(2);
        }
        assertThat(err.toString()).contains("--max-heap-share must be above 0 and at most 1 (0.8: 80% of the heap), got 1.5");
    }

    @Test
    void historyIdThatIsNoUuidIsAConfigError() {
        assertThat(run(Map.of(), "--data-dir", directory.toString(), "--history-id", "prod")).isEqualTo(2);
        assertThat(err.toString()).contains("a history id is a UUID").contains("'prod'");
    }
}
