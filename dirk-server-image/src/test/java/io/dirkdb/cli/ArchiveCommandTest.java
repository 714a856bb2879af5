package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** dirk archive's flags: a lease time out of range is a usage error that touches nothing. */
class ArchiveCommandTest {
    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"1", "0", "-5", "NaN", "86401"})
    void aLeaseTimeOutOfRangeIsRefusedBeforeTheRepositoryIsOpened(String seconds) {
        Path repository = directory.resolve("repo");
        ArchiveCommand command = new ArchiveCommand(Map.of());
        new CommandLine(command).parseArgs("--members", "127.0.0.1:1", "--repository", repository.toString(),
                "--lease-seconds", seconds);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream before = System.err;
        int exit;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            exit = command.call();
        } finally {
            System.setErr(before);
        }
        assertThat(exit).isEqualTo(ExitCodes.CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--lease-seconds from 2 to 86400");
        assertThat(Files.exists(repository)).as("the repository, untouched").isFalse();
    }
}
