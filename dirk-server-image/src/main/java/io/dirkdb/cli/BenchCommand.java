package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.bench.ServerBenchmark;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dirk bench}: prints the speed figures of a server. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {ReplicationBenchCommand.class, ProxyBenchCommand.class},
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

    @Override
    public Integer call() throws Exception {
        String secret = password != null ? password : System.getenv("DIRK_PASSWORD");
        if (secret != null && secret.isEmpty()) {
            secret = null;
        }
        if (inserts < 1 || connections < 1 || lookupRows < 1 || lookups < 1 || lookupConnections < 1 || startupRows < 0) {
            System.err.println("dirk bench: counts must be positive");
            return 2;
        }
        ServerBenchmark.Settings settings = new ServerBenchmark.Settings(host, port, secret, inserts, connections,
                lookupRows, lookups, lookupConnections, embedded ? startupRows : 0);
        try {
            if (!embedded) {
                System.out.println("server " + host + ":" + port + " (start-up is measured with --embedded only)");
                new ServerBenchmark(settings, System.out).runAgainstServer();
                return 0;
            }
            Path directory = dataDirectory != null ? dataDirectory : Files.createTempDirectory("dirk-bench");
            try {
                ServerBenchmark.runEmbedded(settings, directory, System.out);
            } finally {
                if (dataDirectory == null) {
                    deleteTree(directory);
                }
            }
            return 0;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            System.err.println("dirk bench: " + (cause instanceof DirkException ? cause.getMessage() : cause.toString()));
            return 1;
        } catch (DirkException | IOException e) {
            System.err.println("dirk bench: " + e.getMessage());
            return 1;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
