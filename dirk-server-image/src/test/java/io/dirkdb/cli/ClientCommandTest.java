package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `dirk client` in scripted mode against a running server (fake engine). */
class ClientCommandTest {
    @TempDir
    Path directory;

    private FakeDatabase database;
    private MemberServer server;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void startServer() throws IOException {
        start(ServerSettings.loopback(0));
    }

    private void start(ServerSettings settings) throws IOException {
        if (server != null) {
            server.close();
        }
        database = new FakeDatabase();
        server = MemberServer.start(Member.start("m1", database, directory, Role.PRIMARY), settings);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private int client(String stdin, Map<String, String> environment, String... args) {
        ClientCommand command = new ClientCommand(environment,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CommandLine(command).execute(args);
    }

    private int client(String stdin, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "127.0.0.1";
        all[1] = String.valueOf(server.port());
        System.arraycopy(args, 0, all, 2, args.length);
        return client(stdin, Map.of(), all);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void scriptFromStandardInputPrintsEachResult() {
        int exit = client("say hello;\n-- a comment\nnumbers 3;\n");
        assertThat(exit).isZero();
        assertThat(out()).isEqualTo("hello\n"
                + "+----+\n| id |\n+----+\n|  1 |\n|  2 |\n|  3 |\n+----+\n(3 rows)\n");
        assertThat(err()).isEmpty();
    }

    @Test
    void resultOfManyPagesIsPrintedWhole() {
        assertThat(client("numbers 65;")).isZero();
        assertThat(out()).contains("| 65 |").endsWith("(65 rows)\n");
    }

    @Test
    void firstErrorStopsTheScriptWithExitCode1() {
        int exit = client("put a; nonsense; put b;");
        assertThat(exit).isEqualTo(1);
        assertThat(err()).isEqualTo("Hadisoana : unknown statement: nonsense\n");
        assertThat(database.writes).containsExactly("a");
    }

    @Test
    void continueRunsEveryStatementButStillReportsTheFailure() {
        int exit = client("put a; nonsense; put b;", "--continue");
        assertThat(exit).isEqualTo(1);
        assertThat(database.writes).containsExactly("a", "b");
    }

    @Test
    void scriptFileIsRunAndALastStatementWithoutSemicolonCounts() throws IOException {
        Path script = directory.resolve("setup.dirkdb");
        Files.writeString(script, "put 'x;y';\nput last\n");
        assertThat(client("", "-f", script.toString())).isZero();
        assertThat(database.writes).containsExactly("'x;y'", "last");
    }

    @Test
    void quitCommandEndsTheScript() {
        assertThat(client("put a;\nmiala;\nput b;")).isZero();
        assertThat(database.writes).containsExactly("a");
    }

    @Test
    void passwordFromTheEnvironmentAuthenticatesFirst() throws IOException {
        start(ServerSettings.loopback(0).withPassword("pw'1"));
        String[] target = {"127.0.0.1", String.valueOf(server.port())};
        assertThat(client("put a;", Map.of(), target)).isEqualTo(1);
        assertThat(err()).contains("Hadisoana : authentication required");
        assertThat(client("put a;", Map.of("DIRK_PASSWORD", "pw'1"), target)).isZero();
        assertThat(database.writes).containsExactly("a");
    }

    @Test
    void anEmptyPasswordVariableIsABadConfigurationNotNoPassword() throws IOException {
        // An empty Secret key or a script's typo: connecting without a password would hide it behind
        // "authentication required" (or, on a member without one, write unauthenticated).
        start(ServerSettings.loopback(0));
        String[] target = {"127.0.0.1", String.valueOf(server.port())};
        assertThat(client("put a;", Map.of("DIRK_PASSWORD", ""), target)).isEqualTo(2);
        assertThat(err()).contains("$DIRK_PASSWORD is set but empty");
        assertThat(database.writes).isEmpty();
    }

    @Test
    void unreachableServerIsExitCode2() throws IOException {
        int freePort;
        try (ServerSocket probe = new ServerSocket(0)) {
            freePort = probe.getLocalPort();
        }
        assertThat(client("say x;", Map.of(), "127.0.0.1", String.valueOf(freePort))).isEqualTo(2);
        assertThat(err()).startsWith("dirk client: cannot connect to 127.0.0.1:" + freePort);
    }

    @Test
    void missingScriptFileIsExitCode2() {
        assertThat(client("", "-f", directory.resolve("none.dirkdb").toString())).isEqualTo(2);
        assertThat(err()).contains("none.dirkdb: file not found");
    }
}
