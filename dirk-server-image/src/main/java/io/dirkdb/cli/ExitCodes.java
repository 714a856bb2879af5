package io.dirkdb.cli;

import java.io.PrintWriter;

/** The exit codes every {@code dirk} command shares, and the one way a command reports why it ends. */
final class ExitCodes {
    /** The command ran and stopped cleanly. */
    static final int OK = 0;
    /** It started but failed (a port in use, a disk error, a lost connection). */
    static final int FAILURE = 1;
    /** Its flags or config file are wrong; nothing was started. */
    static final int CONFIG = 2;

    private ExitCodes() {
    }

    /** Prints {@code message} on its own line and gives {@code exitCode} back, for {@code return fail(...)}. */
    static int fail(PrintWriter err, String message, int exitCode) {
        err.println(message);
        err.flush();
        return exitCode;
    }
}
