package io.dirkdb.cli;

import io.dirkdb.backup.Archiver;
import io.dirkdb.backup.Repository;
import io.dirkdb.http.HealthHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dirk archive}: ships the log to the repository continuously, following the primary across failovers. */
@Command(name = "archive", mixinStandardHelpOptions = true,
        description = {"Runs until stopped: streams the log from the primary and stores it in the repository in chunks,",
                "each within --flush-seconds of its records' arrival; resumes from the repository after a restart and",
                "follows the primary across failovers. Takes a base backup first when the repository holds none of the",
                "cluster's history, and again when the primary's log no longer continues the archive."})
public final class ArchiveCommand implements Callable<Integer> {
    private final Map<String, String> environment;

    public ArchiveCommand() {
        this(System.getenv());
    }

    ArchiveCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Mixin
    BackupOptions.RepositoryOptions repository = new BackupOptions.RepositoryOptions();

    @Mixin
    BackupOptions.MemberOptions members = new BackupOptions.MemberOptions();

    @Option(names = "--flush-seconds", paramLabel = "S", defaultValue = "5",
            description = "store a chunk at most S seconds after its first record arrived (default: ${DEFAULT-VALUE})")
    double flushSeconds;

    @Option(names = "--chunk-mib", paramLabel = "N", defaultValue = "16",
            description = "store a chunk once it holds N MiB (default: ${DEFAULT-VALUE})")
    int chunkMib;

    @Option(names = "--lease-seconds", paramLabel = "S", defaultValue = "20",
            description = {"one archiver per repository: this one holds the repository's lease (archiver-lease.json),",
                    "writes it again every S/3 seconds, and another archiver of the repository waits as a standby until",
                    "it goes S seconds unchanged or is released at a clean stop; 2 to 86400 (default: ${DEFAULT-VALUE})"})
    double leaseSeconds;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "serve /metrics (Prometheus) and /health (200 while archiving, 503 as a standby) on this port")
    Integer httpPort;

    @Option(names = "--http-host", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "the address of --http-port (default: ${DEFAULT-VALUE})")
    String httpHost;

    @Override
    public Integer call() {
        if (!(flushSeconds > 0) || chunkMib < 1 || !(leaseSeconds >= 2 && leaseSeconds <= 86_400)) {
            System.err.println("dirk archive: --flush-seconds and --chunk-mib must be positive, --lease-seconds from 2 to "
                    + "86400");
            return ExitCodes.CONFIG;
        }
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        try (Repository repo = repository.open(environment)) {
            Archiver archiver = new Archiver(members.access("dirk archive", environment), repo,
                    Duration.ofMillis((long) (flushSeconds * 1000)), (long) chunkMib << 20, registry,
                    Duration.ofMillis((long) (leaseSeconds * 1000)));
            HealthHttpServer http = null;
            if (httpPort != null) {
                http = HealthHttpServer.start(httpHost, httpPort, registry, () -> archiver.archiving()
                        ? HealthHttpServer.Readiness.ready("archiving up to LSN " + archiver.archivedLsn())
                        : HealthHttpServer.Readiness.notReady("not archiving: " + archiver.problem()));
            }
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            // On SIGTERM: stop, and give the chunk being filled the time to be stored before the JVM exits.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                archiver.stop();
                try {
                    done.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "dirk-archive-stop"));
            System.err.println("dirk archive: archiving to " + repo.describe()
                    + (http != null ? "; /metrics and /health on port " + http.port() : ""));
            try {
                archiver.run();
            } finally {
                done.countDown();
            }
            if (http != null) {
                http.close();
            }
            return ExitCodes.OK;
        } catch (IOException | RuntimeException e) {
            System.err.println("dirk archive: " + e.getMessage());
            return ExitCodes.FAILURE;
        }
    }
}
