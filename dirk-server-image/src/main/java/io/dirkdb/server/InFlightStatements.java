package io.dirkdb.server;

import java.time.Duration;

/** Counts statements being run, so a stop can wait for them and refuse new ones. */
final class InFlightStatements {
    private int running;
    private boolean closed;

    /** @return false when the server is stopping and the statement must not start */
    synchronized boolean enter() {
        if (closed) {
            return false;
        }
        running++;
        return true;
    }

    synchronized void exit() {
        if (--running == 0) {
            notifyAll();
        }
    }

    /** Refuses new statements, then waits up to {@code grace} for the running ones. @return true if all finished */
    synchronized boolean closeAndAwait(Duration grace) throws InterruptedException {
        closed = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (running > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
