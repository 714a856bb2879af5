package io.dirkdb.protocol;

/**
 * Slows password guessing on one connection: each failed {@code dirk auth} is answered after a wait that doubles
 * with every failure (50, 100, 200, 400, 800 ms), and the fifth closes the connection. Only the connection's own
 * thread waits; a new connection starts with none.
 */
public final class FailedAuthentications {
    /** Failed attempts a connection gets; the last one is answered, then the connection is closed. */
    public static final int MAX = 5;
    static final long FIRST_DELAY_MILLIS = 50;

    private int count; // only the connection's thread touches it

    /**
     * Records a failure and waits its delay.
     *
     * @return the error that closes the connection when this was its last allowed failure, else null
     * @throws InterruptedException when the wait is interrupted (the server is stopping)
     */
    public String failed() throws InterruptedException {
        count++;
        Thread.sleep(FIRST_DELAY_MILLIS << Math.min(count - 1, 10));
        return count >= MAX ? "authentication failed: " + count + " failed attempts on this connection, so it is "
                + "closed; open a new connection to try again" : null;
    }

    public int count() {
        return count;
    }
}
