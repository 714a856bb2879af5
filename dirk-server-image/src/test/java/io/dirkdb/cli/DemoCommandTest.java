package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `dirk demo` refusals that happen before anything starts (run in this JVM). */
class DemoCommandTest {
    @TempDir
    Path directory;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine command = new CommandLine(new DemoCommand());
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        return command.execute(args);
    }

    @Test
    void portAlreadyInUseIsOneLineNamingItAndExitCode2() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            Path data = directory.resolve("data");

            int exit = run("--no-shell", "--no-http", "--base-port", Integer.toString(port), "--data-dir", data.toString());

            assertThat(exit).isEqualTo(2);
            assertThat(err.toString()).isEqualTo("dirk demo: port " + port + " (m1) on 127.0.0.1 is already in use"
                    + System.lineSeparator());
            assertThat(data.resolve("m1")).as("nothing was started").doesNotExist();
        }
    }

    @Test
    void httpPortInUseIsNamedAsTheHttpPortOfItsPiece() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();

            int exit = run("--no-shell", "--base-port", "0", "--http-base-port", Integer.toString(port - 2),
                    "--data-dir", directory.toString());

            assertThat(exit).isEqualTo(2);
            assertThat(err.toString()).contains("port " + port + " (m2 HTTP) on 127.0.0.1 is already in use");
        }
    }

    @Test
    void unknownReplicationModeIsRefusedWithExitCode2() {
        assertThat(run("--no-shell", "--replication", "eventually", "--data-dir", directory.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--replication: replication mode must be async or sync");
        assertThat(Files.exists(directory.resolve("m1"))).isFalse();
    }

    @Test
    void planPutsThePiecesOnTheOriginalPortsByDefault() {
        DemoCommand demo = new DemoCommand();
        new CommandLine(demo).parseArgs();
        DemoCluster.Plan plan = demo.plan();
        assertThat(DemoCluster.Piece.M1.port(plan.basePort())).isEqualTo(3948);
        assertThat(DemoCluster.Piece.PROXY.port(plan.basePort())).isEqualTo(3949);
        assertThat(DemoCluster.Piece.M2.port(plan.basePort())).isEqualTo(3950);
        assertThat(DemoCluster.Piece.CACHE.port(plan.basePort())).isEqualTo(3951);
        assertThat(plan.httpBasePort()).isEqualTo(8080);
        assertThat(plan.dataDirectory()).isEqualTo(Path.of("dirk-demo-data").toAbsolutePath());
        assertThat(plan.supervisor().heartbeatIntervalMillis()).isEqualTo(500);
        assertThat(plan.supervisor().failureThreshold()).isEqualTo(3);
    }
}
