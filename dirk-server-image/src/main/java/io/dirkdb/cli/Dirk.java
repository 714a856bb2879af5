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
        System.exit(commandLine().execute(args));
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
