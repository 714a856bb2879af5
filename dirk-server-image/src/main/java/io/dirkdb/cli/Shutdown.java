package io.dirkdb.cli;

import java.time.Duration;
import java.util.function.IntSupplier;

/** How a long-running command stops on SIGTERM (or SIGINT): its own steps, then a clean exit. */
final class Shutdown {

    private Shutdown() {
    }

    /**
     * Runs {@code stop} when the JVM is asked to stop, then exits with the status it returns.
     * A JVM stopped by a signal would exit 130 or 143; a clean stop on a signal is a success, hence the halt.
     */
    static void onSignal(String threadName, IntSupplier stop) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            int status = stop.getAsInt();
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(status);
        }, threadName));
    }

    /** Something a command waits on until it has stopped. */
    @FunctionalInterface
    interface Stopped {
        void await() throws InterruptedException;
    }

    /** Blocks until {@code stopped} returns (normally never: the hook halts the JVM), then gives {@link ExitCodes#OK}. */
    static int runUntil(Stopped stopped) {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitCodes.OK;
    }

    /** The grace period of {@code --shutdown-grace-seconds}; a negative value means none. */
    static Duration grace(int seconds) {
        return Duration.ofSeconds(Math.max(0, seconds));
    }
}
