package io.dirkdb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.bench.ChildProcesses;
import io.dirkdb.bench.ThrowawayPostgres;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.storage.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dirk bench compare}: DirkDB next to a throwaway PostgreSQL on this machine, each server in its own
 * process, each measure from a client process of its own, printed as one table with the ratio.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Runs the same workloads against a throwaway PostgreSQL (pgbench -M simple) and a DirkDB member",
                "(dirk bench in a separate JVM), each server in its own process, and prints one table:",
                "workload | PostgreSQL | DirkDB | ratio. Without PostgreSQL it prints DirkDB's figures and says why."})
public final class BenchCompareCommand implements Callable<Integer> {
    private static final String HOST = "127.0.0.1";
    private static final String DATABASE = "bench_compare";
    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)[ ,]");
    private static final Pattern RATE = Pattern.compile("= (\\d+)/s$", Pattern.MULTILINE);

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "10", description = "length of each measure (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--warm-up-seconds", defaultValue = "2",
            description = "the same work run before each measure, not counted (default: ${DEFAULT-VALUE})")
    int warmUpSeconds;

    @Option(names = "--rows", defaultValue = "100000", description = "rows of the lookup table (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--hot-keys", defaultValue = "100",
            description = "distinct ids read through the cache, so that reads are hits (default: ${DEFAULT-VALUE})")
    int hotKeys;

    @Option(names = "--insert-connections", defaultValue = "8",
            description = "connections of the parallel insert measure (default: ${DEFAULT-VALUE})")
    int insertConnections;

    @Option(names = "--lookup-connections", defaultValue = "4",
            description = "connections of the parallel lookup measures (default: ${DEFAULT-VALUE})")
    int lookupConnections;

    @Option(names = "--pg-bin", paramLabel = "DIR",
            description = "directory holding initdb, postgres and pgbench (default: the PATH, then /usr/lib/postgresql/*/bin)")
    Path pgBin;

    @Option(names = "--temp-dir", paramLabel = "DIR",
            description = "where the temporary directory of both servers' data is made; use a disk, not a tmpfs "
                    + "(default: the JVM's java.io.tmpdir)")
    Path tempDir;

    @Option(names = "--server-java-option", paramLabel = "OPTION",
            description = "JVM option for the DirkDB member, proxy and cache processes, as --server-java-option=-Xmx2g (repeatable)")
    List<String> serverJavaOptions = new ArrayList<>();

    /** One line of the table; NaN where a side was not measured. */
    record Row(String workload, double postgres, double dirk) {}

    /** Set by the shutdown hook: errors of processes it kills are not the user's news. */
    private volatile boolean interrupted;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (seconds < 1 || warmUpSeconds < 0 || rows < 1 || hotKeys < 1 || hotKeys > rows || insertConnections < 1
                || lookupConnections < 1) {
            return ExitCodes.fail(err, "dirk bench compare: --seconds, --rows, --hot-keys (at most --rows) and the "
                    + "connections must be positive, --warm-up-seconds 0 or more", ExitCodes.CONFIG);
        }
        ThrowawayPostgres.Search search = ThrowawayPostgres.find(pgBin, System.getenv("PATH"));
        Path work;
        try {
            work = Files.createTempDirectory(tempDir != null ? tempDir : Path.of(System.getProperty("java.io.tmpdir")),
                    "dirk-bench-compare-");
        } catch (IOException e) {
            return ExitCodes.fail(err, "dirk bench compare: cannot make a temporary directory: " + e.getMessage(),
                    ExitCodes.CONFIG);
        }
        ChildProcesses processes;
        try {
            processes = new ChildProcesses(work.resolve("logs"));
        } catch (IOException e) {
            deleteDirectory(work, err);
            return ExitCodes.fail(err, "dirk bench compare: " + e.getMessage(), ExitCodes.FAILURE);
        }
        // Ctrl-C or SIGTERM: every server and client stops and the directory goes, as on a normal end.
        Thread cleanUp = new Thread(() -> {
            interrupted = true;
            cleanUp(processes, work, err);
        }, "dirk-bench-compare-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            return compare(search, work, processes, out);
        } catch (IOException | RuntimeException e) {
            if (interrupted) {
                return ExitCodes.FAILURE;
            }
            return ExitCodes.fail(err, "dirk bench compare: " + e.getMessage(), ExitCodes.FAILURE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.FAILURE;
        } finally {
            cleanUp(processes, work, err);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
            } catch (IllegalStateException e) {
                // the JVM is stopping: the hook runs (or ran) anyway
            }
        }
    }

    /** Stops every process, then deletes the directory; from the command's end or the shutdown hook, once. */
    private static synchronized void cleanUp(ChildProcesses processes, Path work, PrintWriter err) {
        processes.close();
        deleteDirectory(work, err);
    }

    private static void deleteDirectory(Path work, PrintWriter err) {
        try {
            FileTrees.delete(work);
        } catch (IOException e) {
            err.println("dirk bench compare: could not delete " + work + ": " + e.getMessage());
            err.flush();
        }
    }

    private int compare(ThrowawayPostgres.Search search, Path work, ChildProcesses processes, PrintWriter out)
            throws IOException, InterruptedException {
        out.printf(Locale.ROOT, "data of both servers in %s (%s file system); each measure %d s after %d s of "
                + "warm-up; %s%n", work, Files.getFileStore(work).type(), seconds, warmUpSeconds, machineLoad());
        ThrowawayPostgres postgres = null;
        if (search instanceof ThrowawayPostgres.Binaries binaries) {
            postgres = ThrowawayPostgres.start(binaries, work.resolve("postgres"), processes);
            postgres.load(rows);
            out.printf(Locale.ROOT, "PostgreSQL: %s (%s) as %s on %s:%d, fsync on, synchronous_commit on; "
                    + "measured with pgbench -M simple (statements sent as text, as DirkDB's protocol does)%n",
                    postgres.version(), binaries.postgres().toRealPath().getParent(), postgres.runsAs(), HOST, postgres.port());
        }
        out.flush();
        DirkServers dirk = startDirk(work.resolve("dirk"), processes);
        dirk.load(rows);
        out.printf(Locale.ROOT, "DirkDB: member on %s:%d, proxy on port %d, cache on port %d, each a process of its "
                + "own; measured with dirk bench --workload in a JVM of its own%n", HOST, dirk.memberPort,
                dirk.proxyPort, dirk.cachePort);
        out.flush();

        // Each workload on PostgreSQL, then on DirkDB: side by side, so that the load of the machine weighs on both.
        List<Row> table = new ArrayList<>();
        for (int connections : new int[] {1, insertConnections}) {
            String name = connections == 1 ? "ins1" : "insn";
            double pg = postgres == null ? Double.NaN : postgres.inserts(name, connections, seconds, warmUpSeconds);
            double dk = dirk.measure(dirk.memberPort, "inserts", "--connections", connections);
            table.add(new Row("durable single-row inserts, " + connections(connections), pg, dk));
        }
        double straight = Double.NaN;
        for (int connections : new int[] {1, lookupConnections}) {
            double pg = postgres == null ? Double.NaN : postgres.lookups(rows, connections, seconds, warmUpSeconds);
            double dk = dirk.lookups(dirk.memberPort, rows, connections);
            table.add(new Row(String.format(Locale.ROOT, "point lookups on %,d rows, %s", rows, connections(connections)),
                    pg, dk));
            straight = dk;
        }
        double postgresStraight = table.get(table.size() - 1).postgres();
        double throughProxy = dirk.lookups(dirk.proxyPort, rows, lookupConnections);
        table.add(new Row(String.format(Locale.ROOT, "the same through the proxy (*), %s",
                connections(lookupConnections)), postgresStraight, throughProxy));
        double pgHot = postgres == null ? Double.NaN
                : postgres.lookups(hotKeys, lookupConnections, seconds, warmUpSeconds);
        double cacheHits = dirk.lookups(dirk.cachePort, hotKeys, lookupConnections);
        table.add(new Row(String.format(Locale.ROOT, "lookups of %d hot ids through the cache (*), %s",
                hotKeys, connections(lookupConnections)), pgHot, cacheHits));

        print(table, out);
        out.printf(Locale.ROOT, "ratio: DirkDB / PostgreSQL in operations per second, above 1.00x DirkDB is faster; "
                + "one run, noisy where other work shares the machine%n");
        out.printf(Locale.ROOT, "(*) DirkDB through its proxy (and cache in front of it), each a process of its own; "
                + "PostgreSQL straight, nothing in front of it%n");
        out.printf(Locale.ROOT, "DirkDB alone: through the proxy %.0f%% of straight to the member (target >= 85%%); "
                + "cache hits %.2fx a read through the proxy (target >= 2x)%n", 100 * throughProxy / straight,
                cacheHits / throughProxy);
        out.printf(Locale.ROOT, "at the end: %s%n", machineLoad());
        if (search instanceof ThrowawayPostgres.Missing missing) {
            out.println(missing.sentence());
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The load average next to the processor count: other work on the machine weighs on every figure. */
    private static String machineLoad() {
        String processors = Runtime.getRuntime().availableProcessors() + " processors";
        try {
            String[] load = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return "load average " + load[0] + " " + load[1] + " " + load[2] + " on " + processors;
        } catch (IOException | RuntimeException e) {
            return processors;
        }
    }

    private static String connections(int connections) {
        return connections + (connections == 1 ? " connection" : " connections");
    }

    private static void print(List<Row> rows, PrintWriter out) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"workload", "PostgreSQL", "DirkDB", "ratio"});
        for (Row row : rows) {
            cells.add(new String[] {row.workload(), perSecond(row.postgres()), perSecond(row.dirk()),
                    Double.isNaN(row.postgres()) || Double.isNaN(row.dirk()) ? "-"
                            : String.format(Locale.ROOT, "%.2fx", row.dirk() / row.postgres())});
        }
        int[] widths = new int[4];
        for (String[] line : cells) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        for (int l = 0; l < cells.size(); l++) {
            String[] line = cells.get(l);
            out.printf(Locale.ROOT, "| %-" + widths[0] + "s | %" + widths[1] + "s | %" + widths[2] + "s | %"
                    + widths[3] + "s |%n", (Object[]) line);
            if (l == 0) {
                out.printf(Locale.ROOT, "|%s|%s:|%s:|%s:|%n", "-".repeat(widths[0] + 2), "-".repeat(widths[1] + 1),
                        "-".repeat(widths[2] + 1), "-".repeat(widths[3] + 1));
            }
        }
    }

    private static String perSecond(double figure) {
        return Double.isNaN(figure) ? "-" : String.format(Locale.ROOT, "%,.0f/s", figure);
    }

    /** A DirkDB member, the proxy in front of it and the cache in front of that, each `dirk` in its own JVM. */
    private final class DirkServers {
        final ChildProcesses processes;
        final int memberPort;
        final int proxyPort;
        final int cachePort;

        private DirkServers(ChildProcesses processes, int memberPort, int proxyPort, int cachePort) {
            this.processes = processes;
            this.memberPort = memberPort;
            this.proxyPort = proxyPort;
            this.cachePort = cachePort;
        }

        /** Loads the lookup table through the member, then waits until the proxy serves reads of it. */
        void load(int rows) throws IOException, InterruptedException {
            run("dirk-bench-load", memberPort, "load", "--lookup-rows", rows);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String lastError = "no answer";
            while (System.nanoTime() < deadline) {
                try (DirkConnection connection = DirkConnection.open(HOST, proxyPort)) {
                    Reply used = connection.execute("ampiasao " + DATABASE);
                    Reply read = used.isError() ? used : connection.execute("alaivo v #ao@ look #rehefa id = 0");
                    if (!read.isError()) {
                        return;
                    }
                    lastError = read.errorMessage();
                } catch (IOException e) {
                    lastError = e.getMessage();
                }
                Thread.sleep(100); // the proxy learns the primary from its next heartbeat
            }
            throw new IOException("the proxy did not serve reads within 60 s: " + lastError);
        }

        double lookups(int port, int keys, int connections) throws IOException, InterruptedException {
            return measure(port, "lookups", "--lookup-rows", rows, "--keys", keys, "--lookup-connections", connections);
        }

        double measure(int port, String workload, Object... options) throws IOException, InterruptedException {
            String output = run("dirk-bench-" + workload, port, workload, options);
            Matcher rate = RATE.matcher(output);
            if (!rate.find()) {
                throw new IOException("dirk bench printed no figure: " + output.strip());
            }
            return Double.parseDouble(rate.group(1));
        }

        private String run(String name, int port, String workload, Object... options)
                throws IOException, InterruptedException {
            // Every option as --name=value, so that no value is taken for a subcommand's name.
            List<String> arguments = new ArrayList<>(List.of("bench", "--host=" + HOST, "--port=" + port,
                    "--workload=" + workload, "--database=" + DATABASE, "--seconds=" + seconds,
                    "--warm-up-seconds=" + warmUpSeconds));
            for (int i = 0; i < options.length; i += 2) {
                arguments.add(options[i] + "=" + options[i + 1]);
            }
            ChildProcesses.Finished finished = processes.run(name, dirkCommand(List.of(), arguments), dirkEnvironment(),
                    Duration.ofSeconds(seconds + warmUpSeconds + 300L));
            if (finished.exitCode() != 0) {
                throw new IOException("dirk bench --workload " + workload + " failed (exit " + finished.exitCode() + "): "
                        + finished.output().strip());
            }
            return finished.output();
        }
    }

    /** Starts the member, then the proxy (config.json naming the member), then the cache in front of the proxy. */
    private DirkServers startDirk(Path directory, ChildProcesses processes) throws IOException, InterruptedException {
        Path data = Files.createDirectories(directory.resolve("data"));
        int memberPort = startServer(processes, "dirk-server", List.of("server", "--data-dir", data.toString(),
                "--host", HOST, "--port", "0"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("configVersion", 1);
        ObjectNode member = config.putArray("instances").addObject();
        member.put("id", "m1").put("role", "MASTER").put("host", HOST).put("port", memberPort);
        Path configFile = directory.resolve("config.json");
        Files.write(configFile, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
        int proxyPort = startServer(processes, "dirk-proxy", List.of("proxy", "--config", configFile.toString(),
                "--host", HOST, "--port", "0", "--heartbeat-interval-ms", "200", "--config-reload-interval-ms", "0"));
        // A long time-to-live and room for every hot id: the cache row measures hits.
        int cachePort = startServer(processes, "dirk-cache", List.of("cache", HOST, Integer.toString(proxyPort), "0",
                "3600000", Integer.toString(Math.max(200, 2 * hotKeys))));
        return new DirkServers(processes, memberPort, proxyPort, cachePort);
    }

    /** Starts a long-running {@code dirk} command; the port it printed it listens on. */
    private int startServer(ChildProcesses processes, String name, List<String> arguments)
            throws IOException, InterruptedException {
        ChildProcesses.Child child = processes.start(name, dirkCommand(serverJavaOptions, arguments), dirkEnvironment());
        return Integer.parseInt(ChildProcesses.awaitLine(child, LISTENING, Duration.ofMinutes(2)).group(1));
    }

    /** The user's DIRK_* variables (a config path, passwords) would change what the children run: removed. */
    private static Map<String, String> dirkEnvironment() {
        Map<String, String> removed = new java.util.HashMap<>();
        System.getenv().keySet().stream().filter(name -> name.startsWith("DIRK_")).forEach(name -> removed.put(name, ""));
        return removed;
    }

    /** {@code dirk ARGUMENTS} in a new JVM of this one's installation and class path. */
    private static List<String> dirkCommand(List<String> javaOptions, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Dirk.class.getName()));
        command.addAll(arguments);
        return command;
    }
}
