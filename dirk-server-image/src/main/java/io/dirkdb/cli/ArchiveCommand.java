package io.dirkdb.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dirk archive}: placeholder until the archiver lands. */
@Command(name = "archive", mixinStandardHelpOptions = true, description = "Ships the log to the repository continuously.")
public final class ArchiveCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("dirk archive: not built yet");
        return ExitCodes.FAILURE;
    }
}
