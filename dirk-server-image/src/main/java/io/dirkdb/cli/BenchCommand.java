package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.bench.ServerBenchmark;
import io.dirkdb.storage.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dirk bench}: prints the speed figures of a server. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {ReplicationBenchCommand.class, ProxyBenchCommand.class,
        BenchCompareCommand.class},
        description = {"Measures durable inserts/s (1 and N connections), point lookups/s and start-up time.",
                "Against a running server, or one started in this process with --embedded."})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "server to measure (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "3948", description = "its port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--password", description = "password for `dirk auth` (else $DIRK_PASSWORD)")
    String password;

    @Option(names = "--embedded",
            description = "start a server in this process on a temporary (or --data-dir) directory instead")
    boolean embedded;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "with --embedded: a fresh directory to use (default: a temporary one, deleted after)")
    Path dataDirectory;

    @Option(names = "--inserts", defaultValue = "10000", description = "single-row inserts per insert measure (default: ${DEFAULT-VALUE})")
    int inserts;

    @Option(names = "--connections", defaultValue = "8", description = "connections of the parallel insert measure (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--lookup-rows", defaultValue = "100000", description = "rows of the lookup table (default: ${DEFAULT-VALUE})")
    int lookupRows;

    @Option(names = "--lookups", defaultValue = "20000", description = "point lookups to run (default: ${DEFAULT-VALUE})")
    int lookups;

    @Option(names = "--lookup-connections", defaultValue = "4", description = "connections of the lookup measure (default: ${DEFAULT-VALUE})")
    int lookupConnections;

    @Option(names = "--startup-rows", defaultValue = "1000000",
            description = "with --embedded: rows in the directory whose start-up is timed, 0 to skip (default: ${DEFAULT-VALUE})")
    int startupRows;

    /** One measure alone, for `dirk bench compare` and scripts that time each measure in its own process. */
    enum Workload {
        /** create --database, its tables, and load --lookup-rows rows */
        load,
        /** durable single-row inserts on --connections connections (table ins1 on 1, insn on more) */
        inserts,
        /** point lookups of ids 0..--keys-1 on --lookup-connections connections */
        lookups
    }

    @Option(names = "--workload", paramLabel = "NAME",
            description = "run only this measure against --host/--port: ${COMPLETION-CANDIDATES}")
    Workload workload;

    @Option(names = "--database", paramLabel = "NAME", defaultValue = "bench",
            description = "with --workload: the database the measures share (default: ${DEFAULT-VALUE})")
    String database;

    @Option(names = "--seconds", defaultValue = "10",
            description = "with --workload inserts|lookups: how long the measure runs (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--warm-up-seconds", defaultValue = "1",
            description = "with --workload inserts|lookups: the same work run first, not counted (default: ${DEFAULT-VALUE})")
    int warmUpSeconds;

    @Option(names = "--keys", paramLabel = "N",
            description = "with --workload lookups: ids drawn from 0..N-1 (default: --lookup-rows)")
    Integer keys;

    @Override
    public Integer call() throws Exception {
        String secret;
        try {
            secret = Passwords.givenOrEnvironment(password, System.getenv());
        } catch (io.dirkdb.DirkException e) {
            System.err.println("dirk bench: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        if (inserts < 1 || connections < 1 || lookupRows < 1 || lookups < 1 || lookupConnections < 1 || startupRows < 0
                || seconds < 1 || warmUpSeconds < 0 || (keys != null && keys < 1)) {
            System.err.println("dirk bench: counts must be positive");
            return ExitCodes.CONFIG;
        }
        ServerBenchmark.Settings settings = new ServerBenchmark.Settings(host, port, secret, inserts, connections,
                lookupRows, lookups, lookupConnections, embedded ? startupRows : 0);
        try {
            if (workload != null) {
                if (embedded) {
                    System.err.println("dirk bench: --workload runs against --host/--port, not --embedded");
                    return ExitCodes.CONFIG;
                }
                runWorkload(new ServerBenchmark(settings, database, System.out));
                return ExitCodes.OK;
            }
            if (!embedded) {
                System.out.println("server " + host + ":" + port + " (start-up is measured with --embedded only)");
                new ServerBenchmark(settings, System.out).runAgainstServer();
                return ExitCodes.OK;
            }
            Path directory = dataDirectory != null ? dataDirectory : Files.createTempDirectory("dirk-bench");
            try {
                ServerBenchmark.runEmbedded(settings, directory, System.out);
            } finally {
                if (dataDirectory == null) {
                    FileTrees.delete(directory);
                }
            }
            return ExitCodes.OK;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            System.err.println("dirk bench: " + (cause instanceof DirkException ? cause.getMessage() : cause.toString()));
            return ExitCodes.FAILURE;
        } catch (DirkException | IOException e) {
            System.err.println("dirk bench: " + e.getMessage());
            return ExitCodes.FAILURE;
        }
    }

    private void runWorkload(ServerBenchmark benchmark) throws Exception {
        ServerBenchmark.Budget budget = ServerBenchmark.Budget.timed(Duration.ofSeconds(seconds),
                Duration.ofSeconds(warmUpSeconds));
        switch (workload) {
            case load -> benchmark.load(lookupRows);
            case inserts -> benchmark.measureInserts(connections == 1 ? "ins1" : "insn", connections, budget);
            case lookups -> benchmark.measureLookups(keys != null ? keys : lookupRows, lookupConnections, budget);
        }
    }
}
