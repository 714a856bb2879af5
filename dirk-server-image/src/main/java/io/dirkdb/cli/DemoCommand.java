package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.cli.DemoCluster.Piece;
import io.dirkdb.client.ClientSession;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.client.InteractiveShell;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dirk demo}: the whole topology on one machine, with automatic failover and a shell. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts the original's topology on 127.0.0.1, each piece a process of its own: m1 primary (3948),",
                "proxy (3949), m2 secondary (3950), cache (3951); a supervisor doing heartbeats and automatic failover,",
                "which starts a killed piece again; HTTP health and metrics ports, and a client shell on the cache.",
                "miala, Ctrl-D or Ctrl-C at an empty prompt stops it all."})
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "./dirk-demo-data",
            description = "where m1/, m2/, config.json and the log go (default: ${DEFAULT-VALUE})")
    Path dataDirectory;

    @Option(names = "--base-port", paramLabel = "PORT", defaultValue = "3948",
            description = "m1's port; the proxy, m2 and the cache take the next three; 0 for any free ports (default: ${DEFAULT-VALUE})")
    int basePort;

    @Option(names = "--http-base-port", paramLabel = "PORT", defaultValue = "8080",
            description = "HTTP health/metrics port of m1; the proxy, m2 and the cache take the next three; 0 for any free ports (default: ${DEFAULT-VALUE})")
    int httpBasePort;

    @Option(names = "--no-http", description = "serve no HTTP health/metrics ports")
    boolean noHttp;

    @Option(names = "--no-shell",
            description = "no client shell: print `dirk demo ready: client port N` and run until SIGTERM or SIGINT")
    boolean noShell;

    @Option(names = "--heartbeat-interval-ms", paramLabel = "MILLIS", defaultValue = "500",
            description = "how often the supervisor and the proxy send `dirk heartbeat` to every member (default: ${DEFAULT-VALUE})")
    long heartbeatIntervalMillis;

    @Option(names = "--heartbeat-timeout-ms", paramLabel = "MILLIS",
            description = "a member slower than this to answer missed its heartbeat (default: the interval)")
    Integer heartbeatTimeoutMillis;

    @Option(names = "--failure-threshold", paramLabel = "N", defaultValue = "3",
            description = "heartbeats the primary misses in a row before it is lost (default: ${DEFAULT-VALUE})")
    int failureThreshold;

    @Option(names = "--failover-delay-ms", paramLabel = "MILLIS", defaultValue = "0",
            description = "how long a lost primary stays lost before it is replaced (default: ${DEFAULT-VALUE})")
    long failoverDelayMillis;

    @Option(names = "--replication", paramLabel = "MODE", defaultValue = "sync",
            description = "sync or async: decides which secondary may be promoted without losing acknowledged writes (default: ${DEFAULT-VALUE})")
    String replication;

    @Option(names = "--allow-data-loss",
            description = "in sync mode, promote even when a silent secondary may hold the newest acknowledged writes")
    boolean allowDataLoss;

    @Option(names = "--write-wait-ms", paramLabel = "MILLIS", defaultValue = "10000",
            description = "with no primary (during a failover), how long the proxy holds a write (default: ${DEFAULT-VALUE})")
    long writeWaitMillis;

    @Option(names = "--cache-ttl-ms", paramLabel = "MILLIS", defaultValue = "3000",
            description = "how long the cache keeps a read's reply (default: ${DEFAULT-VALUE})")
    long cacheTtlMillis;

    @Option(names = "--cache-max-entries", paramLabel = "N", defaultValue = "200",
            description = "replies the cache keeps at most (default: ${DEFAULT-VALUE})")
    int cacheMaxEntries;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DemoCluster.Plan plan;
        try {
            plan = plan();
        } catch (DirkException | IllegalArgumentException e) {
            return ExitCodes.fail(err, "dirk demo: " + e.getMessage(), ExitCodes.CONFIG);
        }
        out.println("dirk demo: data in " + plan.dataDirectory());
        out.flush();
        Path logFile = plan.dataDirectory().resolve("dirk-demo.log");
        DemoCluster cluster;
        try {
            java.nio.file.Files.createDirectories(plan.dataDirectory());
            if (!noShell) {
                logTo(logFile); // log lines would garble the shell's prompt
            }
            cluster = DemoCluster.start(plan);
        } catch (DemoCluster.PortInUse e) {
            return ExitCodes.fail(err, "dirk demo: " + e.getMessage(), ExitCodes.CONFIG);
        } catch (DirkException e) {
            return ExitCodes.fail(err, "dirk demo: " + e.getMessage(), ExitCodes.FAILURE);
        } catch (IOException e) {
            return ExitCodes.fail(err, "dirk demo: cannot start: " + e.getMessage(), ExitCodes.FAILURE);
        }
        Shutdown.onSignal("dirk-demo-shutdown", () -> {
            cluster.close();
            return ExitCodes.OK;
        });
        try {
            // The banner shows each member's role and epoch: once they have settled, not the moment they listen.
            cluster.awaitSettled(plan.writeWaitMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        describe(cluster, plan, out, noShell ? null : logFile);
        try {
            if (!cluster.awaitWritable(plan.writeWaitMillis())) {
                out.println("dirk demo: no primary yet; writes wait for one (see the log)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (noShell) {
            out.println("dirk demo ready: client port " + cluster.port(Piece.CACHE));
            out.flush();
            return Shutdown.runUntil(cluster::awaitStopped);
        }
        int exit = runShell(cluster, err);
        out.println("dirk demo: stopping");
        out.flush();
        cluster.close();
        return exit;
    }

    private int runShell(DemoCluster cluster, PrintWriter err) {
        String target = DemoCluster.HOST + ":" + cluster.port(Piece.CACHE);
        try (ClientSession session = new ClientSession(DirkConnection.open(DemoCluster.HOST,
                cluster.port(Piece.CACHE)))) {
            return new InteractiveShell(session, target, true).run();
        } catch (IOException e) {
            return ExitCodes.fail(err, "dirk demo: connection to the cache at " + target + " lost: " + e.getMessage(),
                    ExitCodes.FAILURE);
        }
    }

    private static void describe(DemoCluster cluster, DemoCluster.Plan plan, PrintWriter out, Path logFile) {
        for (Piece piece : Piece.values()) {
            String role = cluster.role(piece);
            int http = cluster.httpPort(piece);
            out.printf("  %-26s %s:%d   pid %-8d%s%n", piece.label + (role == null ? "" : " (" + role + ")"),
                    DemoCluster.HOST, cluster.port(piece), cluster.pid(piece),
                    http < 0 ? "" : "http://" + DemoCluster.HOST + ":" + http + "/health/ready");
        }
        out.println("  each piece is a process of its own: `kill -9` the primary's pid and the supervisor fails over;");
        out.println("  the demo starts a killed piece again and it rejoins. `dirk heartbeat;` shows every member.");
        SupervisorSettings watch = plan.supervisor();
        out.println("  supervisor: heartbeat every " + watch.heartbeatIntervalMillis() + " ms, failover after "
                + watch.failureThreshold() + " missed, " + watch.mode().wireName() + " replication");
        out.println("  config: " + cluster.configFile());
        out.println("  member passwords: " + cluster.credentialsDirectory() + "/{application,replication,administration}"
                + " (the proxy and cache take clients without one)");
        out.println("  logs: " + (logFile == null ? "" : logFile + " (supervisor), ") + cluster.logDirectory()
                + "/{m1,proxy,m2,cache}.log");
        out.flush();
    }

    DemoCluster.Plan plan() {
        OptionChecks.require(basePort == 0 || basePort >= 1 && basePort <= 65535 - 3,
                "--base-port: expected 0 or a port between 1 and 65532, got " + basePort);
        OptionChecks.require(noHttp || httpBasePort == 0 || httpBasePort >= 1 && httpBasePort <= 65535 - 3,
                "--http-base-port: expected 0 or a port between 1 and 65532, got " + httpBasePort);
        if (!noHttp && basePort != 0 && httpBasePort != 0 && Math.abs(basePort - httpBasePort) < 4) {
            throw new DirkException("--base-port " + basePort + " and --http-base-port " + httpBasePort
                    + " overlap: each needs four ports");
        }
        OptionChecks.atLeastOne("--heartbeat-interval-ms", heartbeatIntervalMillis);
        int timeout = heartbeatTimeoutMillis != null ? heartbeatTimeoutMillis
                : (int) Math.min(Integer.MAX_VALUE, heartbeatIntervalMillis);
        OptionChecks.atLeastOne("--heartbeat-timeout-ms", timeout);
        OptionChecks.atLeastOne("--failure-threshold", failureThreshold);
        OptionChecks.notNegative("--failover-delay-ms", failoverDelayMillis);
        OptionChecks.notNegative("--write-wait-ms", writeWaitMillis);
        OptionChecks.notNegative("--cache-ttl-ms", cacheTtlMillis);
        OptionChecks.atLeastOne("--cache-max-entries", cacheMaxEntries);
        ReplicationMode mode;
        try {
            mode = ReplicationMode.parse(replication);
        } catch (IllegalArgumentException e) {
            throw new DirkException("--replication: " + e.getMessage());
        }
        SupervisorSettings supervisor = new SupervisorSettings(heartbeatIntervalMillis, timeout, failureThreshold,
                Duration.ofMillis(failoverDelayMillis), mode, allowDataLoss);
        return new DemoCluster.Plan(dataDirectory.toAbsolutePath().normalize(), basePort, noHttp ? -1 : httpBasePort,
                supervisor, writeWaitMillis, cacheTtlMillis, cacheMaxEntries);
    }

    /** Sends every log record to {@code file} instead of the terminal. */
    private static void logTo(Path file) throws IOException {
        Logger root = LogManager.getLogManager().getLogger("");
        FileHandler handler = new FileHandler(file.toString(), true);
        handler.setFormatter(new SimpleFormatter());
        for (Handler existing : root.getHandlers()) {
            root.removeHandler(existing);
        }
        root.addHandler(handler);
    }
}
