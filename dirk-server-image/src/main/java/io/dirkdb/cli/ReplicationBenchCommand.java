package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.bench.ReplicationBenchmark;
import io.dirkdb.storage.FileTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dirk bench replication}: lag, compression ratio and resync speed of members run in this process. */
@Command(name = "replication", mixinStandardHelpOptions = true,
        description = {"Measures replication lag at a steady write rate (async), the compression ratio of the",
                "shipped log, and resync speed next to cp -r, with members on loopback in this process."})
public final class ReplicationBenchCommand implements Callable<Integer> {

    @Option(names = "--writes-per-second", defaultValue = "1000", description = "write rate of the lag measure (default: ${DEFAULT-VALUE})")
    int writesPerSecond;

    @Option(names = "--seconds", defaultValue = "10", description = "length of the lag measure (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--writers", defaultValue = "8", description = "connections sharing the write rate (default: ${DEFAULT-VALUE})")
    int writers;

    @Option(names = "--resync-rows", defaultValue = "500000", description = "rows in the member that is resynced (default: ${DEFAULT-VALUE})")
    int resyncRows;

    @Override
    public Integer call() throws Exception {
        if (writesPerSecond < 1 || seconds < 1 || writers < 1 || resyncRows < 1) {
            System.err.println("dirk bench replication: counts must be positive");
            return ExitCodes.CONFIG;
        }
        Path work = Files.createTempDirectory("dirk-bench-replication");
        try {
            new ReplicationBenchmark(new ReplicationBenchmark.Settings(writesPerSecond, seconds, writers, resyncRows), work,
                    System.out).run();
            return ExitCodes.OK;
        } catch (DirkException e) {
            System.err.println("dirk bench replication: " + e.getMessage());
            return ExitCodes.FAILURE;
        } finally {
            FileTrees.delete(work);
        }
    }
}
