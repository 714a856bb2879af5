package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.testing.TestCertificates;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The TLS flags of `dirk server`: what they make, and the one line a wrong combination gets. */
class TlsOptionsTest {
    @TempDir
    Path directory;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine command = new CommandLine(new ServerCommand(Map.of()));
        command.setErr(new PrintWriter(err, true));
        command.setOut(new PrintWriter(new StringWriter(), true));
        return command.execute(args);
    }

    @Test
    void memberWithTlsFlagsListensWithThemAndUsesThemTowardItsPeers() throws Exception {
        Path secret = TestCertificates.authority("flags CA").issue("m1", "127.0.0.1").writeSecret(directory.resolve("tls"));
        ServerCommand server = new ServerCommand(Map.of());
        new CommandLine(server).parseArgs("--data-dir", directory.resolve("d").toString(),
                "--tls-cert", secret.resolve("tls.crt").toString(), "--tls-key", secret.resolve("tls.key").toString(),
                "--tls-ca", secret.resolve("ca.crt").toString(), "--tls-client-auth", "required");
        ServerCommand.Plan plan = server.plan();
        assertThat(plan.settings().tls().clientAuth()).isEqualTo(TlsSettings.ClientAuth.REQUIRED);
        assertThat(plan.replication().peerTls().certificateChain()).isEqualTo(secret.resolve("tls.crt"));
        assertThat(plan.replication().peerTls().trustedCertificates()).isEqualTo(secret.resolve("ca.crt"));
    }

    @Test
    void wrongTlsFlagsAreOneLineAndExitCode2() {
        assertThat(run("--data-dir", directory.toString(), "--tls-key", "k.pem")).isEqualTo(2);
        assertThat(err.toString()).contains("--tls-key, --tls-ca and --tls-client-auth need --tls-cert");
        err.getBuffer().setLength(0);
        assertThat(run("--data-dir", directory.toString(), "--tls-cert", "c.pem", "--tls-key", "k.pem",
                "--tls-client-auth", "required")).isEqualTo(2);
        assertThat(err.toString()).contains("--tls-client-auth required needs --tls-ca");
        err.getBuffer().setLength(0);
        assertThat(run("--data-dir", directory.toString(), "--tls-cert", directory.resolve("missing.crt").toString(),
                "--tls-key", "k.pem")).isEqualTo(2);
        assertThat(err.toString()).contains("missing.crt").doesNotContain("Exception");
        assertThat(err.toString().lines()).hasSize(1);
    }
}
