package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dirkdb.bench.ThrowawayPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The logic of `dirk bench compare`, not its speed: every row of the table is printed, a missing PostgreSQL is
 * named, and no process or directory outlives the command, whether it ends or is stopped by a signal.
 */
class BenchCompareCommandTest {
    /** The smallest run that still goes through every step. */
    private static final List<String> TINY = List.of("bench", "compare", "--seconds=1", "--warm-up-seconds=0",
            "--rows=1000", "--hot-keys=10", "--insert-connections=2", "--lookup-connections=2");
    private static final Pattern FIGURE = Pattern.compile("[0-9][0-9,]*/s");
    private static final List<String> WORKLOADS = List.of("durable single-row inserts, 1 connection ",
            "durable single-row inserts, 2 connections ", "point lookups on 1,000 rows, 1 connection ",
            "point lookups on 1,000 rows, 2 connections ", "the same through the proxy (*), 2 connections ",
            "lookups of 10 hot ids through the cache (*), 2 connections ");

    /** A directory others may pass through: postgres runs as nobody when the tests run as root. */
    private Path temp;

    @BeforeEach
    void passableByOthers(@TempDir Path junitTemp) throws Exception {
        Files.setPosixFilePermissions(junitTemp, PosixFilePermissions.fromString("rwx--x--x"));
        temp = Files.createDirectory(junitTemp.resolve("compare"));
    }

    private record Run(int exitCode, String out, String err) {}

    private Run compare(String... more) {
        List<String> arguments = new ArrayList<>(TINY);
        arguments.add("--temp-dir=" + temp);
        arguments.addAll(List.of(more));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = Dirk.commandLine();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        int exitCode = command.execute(arguments.toArray(String[]::new));
        return new Run(exitCode, out.toString(), err.toString());
    }

    private static List<ProcessHandle> aliveChildren() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    }

    private static boolean postgresInstalled() {
        return ThrowawayPostgres.find(null, System.getenv("PATH")) instanceof ThrowawayPostgres.Binaries;
    }

    /** The table's line for a workload, split into its cells. */
    private static String[] row(String output, String workload) {
        String line = output.lines().filter(l -> l.startsWith("| " + workload)).findFirst()
                .orElseThrow(() -> new AssertionError("no row \"" + workload.strip() + "\" in:\n" + output));
        return Stream.of(line.split("\\|")).map(String::strip).skip(1).toArray(String[]::new);
    }

    @Test
    void comparesEveryWorkloadWithPostgresAndLeavesNoProcessOrDirectory() throws Exception {
        assumeTrue(postgresInstalled(), "PostgreSQL (initdb, postgres, pgbench) not found: apt-get install postgresql");
        List<ProcessHandle> before = aliveChildren();

        Run run = compare();

        assertThat(run.exitCode()).as("stderr: %s", run.err()).isZero();
        assertThat(run.out()).contains("PostgreSQL: postgres (PostgreSQL)", "fsync on, synchronous_commit on",
                "pgbench -M simple").doesNotContain("not found");
        for (String workload : WORKLOADS) {
            String[] cells = row(run.out(), workload);
            assertThat(cells[1]).as("PostgreSQL's figure for %s", workload).matches(FIGURE);
            assertThat(cells[2]).as("DirkDB's figure for %s", workload).matches(FIGURE);
            assertThat(cells[3]).as("ratio for %s", workload).matches("[0-9]+\\.[0-9]{2}x");
        }
        assertThat(run.out()).contains("through the proxy", "% of straight to the member", "cache hits");
        assertThat(aliveChildren()).as("processes left behind").isEqualTo(before);
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left).as("directories left behind").isEmpty();
        }
    }

    @Test
    void withoutPostgresPrintsDirkFiguresAndNamesTheMissingBinary() throws Exception {
        Path empty = Files.createDirectory(temp.resolve("no-postgres-here"));
        List<ProcessHandle> before = aliveChildren();

        Run run = compare("--pg-bin=" + empty);

        assertThat(run.exitCode()).as("stderr: %s", run.err()).isZero();
        for (String workload : WORKLOADS) {
            String[] cells = row(run.out(), workload);
            assertThat(cells[1]).as("PostgreSQL's figure for %s", workload).isEqualTo("-");
            assertThat(cells[2]).as("DirkDB's figure for %s", workload).matches(FIGURE);
            assertThat(cells[3]).as("ratio for %s", workload).isEqualTo("-");
        }
        assertThat(run.out()).contains("PostgreSQL is not compared: `initdb` was not found (looked in --pg-bin "
                + empty + "); install it with `apt-get install postgresql`");
        assertThat(aliveChildren()).as("processes left behind").isEqualTo(before);
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left).as("directories left behind").containsExactly(empty);
        }
    }

    @Test
    void stoppedBySignalStopsEveryServerAndDeletesItsDirectory() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Dirk.class.getName()));
        command.addAll(TINY);
        command.set(command.indexOf("--seconds=1"), "--seconds=60"); // still measuring when the signal comes
        command.add("--temp-dir=" + temp);
        Path output = Files.createTempFile("compare-", ".out");
        Process compare = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.readString(output, StandardCharsets.UTF_8).contains("DirkDB: member on")) {
                assertThat(compare.isAlive()).as("dirk bench compare ended early: %s", Files.readString(output)).isTrue();
                assertThat(System.nanoTime()).as("servers not started: %s", Files.readString(output)).isLessThan(deadline);
                Thread.sleep(100); // its output file gives no signal to await
            }
            List<ProcessHandle> servers = compare.descendants().toList();
            assertThat(servers).as("servers and the running client").hasSizeGreaterThanOrEqualTo(3);

            compare.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the JVM's shutdown hooks run

            assertThat(compare.waitFor(2, TimeUnit.MINUTES)).as("dirk bench compare stopped").isTrue();
            assertThat(servers.stream().filter(ProcessHandle::isAlive).toList()).as("processes left behind").isEmpty();
            try (Stream<Path> left = Files.list(temp)) {
                assertThat(left).as("directories left behind").isEmpty();
            }
        } finally {
            compare.descendants().forEach(ProcessHandle::destroyForcibly);
            compare.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }
}
