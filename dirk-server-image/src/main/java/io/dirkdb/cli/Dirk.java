package io.dirkdb.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point: {@code dirk server|client|bench|...}. */
@Command(name = "dirk", mixinStandardHelpOptions = true, version = "dirk 0.1.0",
        description = "DirkDB: server, client and cluster tools.",
        subcommands = {ServerCommand.class, ClientCommand.class, BenchCommand.class, ProxyCommand.class,
                CacheCommand.class, ResyncCommand.class, StepDownCommand.class, DemoCommand.class,
                BackupCommand.class, RestoreCommand.class, ArchiveCommand.class})
public final class Dirk implements Runnable {

    public static void main(String[] args) {
        // One line per log record, unless the user configured logging.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
        }
        // Members are known by DNS names whose address changes when a pod restarts: a primary checks a stream's
        // source against them, so it must not keep an old address for the JVM's default 30 s (unless configured).
        if (java.security.Security.getProperty("networkaddress.cache.ttl") == null
                && System.getProperty("sun.net.inetaddr.ttl") == null) {
            java.security.Security.setProperty("networkaddress.cache.ttl", "5");
        }
        exitWithParent(System.getenv(DemoCluster.PARENT_PID_VARIABLE));
        System.exit(commandLine().execute(args));
    }

    /**
     * A piece started by {@code dirk demo} stops (cleanly, as on SIGTERM) when the demo's process is gone, however it
     * went: a {@code kill -9} of the demo must not leave members holding its ports and data directories.
     */
    private static void exitWithParent(String pid) {
        if (pid == null || pid.isBlank()) {
            return;
        }
        long parent;
        try {
            parent = Long.parseLong(pid.strip());
        } catch (NumberFormatException e) {
            System.err.println("dirk: $" + DemoCluster.PARENT_PID_VARIABLE + " is not a process id: " + pid);
            System.exit(ExitCodes.CONFIG);
            return;
        }
        java.util.Optional<ProcessHandle> handle = ProcessHandle.of(parent);
        if (handle.isEmpty()) {
            System.exit(ExitCodes.OK); // already gone: nobody to serve
        }
        handle.get().onExit().thenRun(() -> System.exit(ExitCodes.OK));
    }

    /** The command tree, for tests that run a command in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new Dirk());
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
