package io.dirkdb.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point: {@code dirk server|client|...}. */
@Command(name = "dirk", mixinStandardHelpOptions = true, version = "dirk 0.1.0",
        description = "DirkDB: server, client and cluster tools.")
public final class Dirk implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Dirk()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
