package io.dirkdb.testing;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;

/**
 * A client writing through the proxy without pause, as an application would during a failover: each
 * write is sent once, a failed one is counted and the next one tried (on a new connection if the
 * old one broke). Records every acknowledged write with when it was sent and acknowledged. Used by
 * the data plane's failover tests and by the operator's.
 */
public final class ContinuousWriter implements AutoCloseable {
    /** A write the proxy acknowledged: its number and {@link System#nanoTime()} of its send and its answer. */
    public record Ack(long number, long sentNanos, long ackedNanos) {}

    /** A write (or the connection it needed) that failed: its number, when it failed, and what the client got. */
    public record Failure(long number, long failedNanos, String error) {}

    /** Failures kept with their message; past this many only the count grows. */
    private static final int KEPT_FAILURES = 1000;

    private final String host;
    private final int port;
    private final String password;
    private final List<String> setup;
    private final LongFunction<String> statement;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Failure> failed = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    /** @param setup statements run on every new connection (e.g. {@code ampiasao d}) */
    public ContinuousWriter(String host, int port, List<String> setup, LongFunction<String> statement) {
        this(host, port, null, setup, statement);
    }

    /**
     * @param password sent with {@code dirk auth} on every new connection; null when none is needed
     * @param setup    statements run on every new connection (e.g. {@code ampiasao d})
     */
    public ContinuousWriter(String host, int port, String password, List<String> setup, LongFunction<String> statement) {
        this.host = host;
        this.port = port;
        this.password = password;
        this.setup = setup;
        this.statement = statement;
        this.thread = new Thread(this::writeUntilStopped, "continuous-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void writeUntilStopped() {
        DirkConnection connection = null;
        while (running.get()) {
            long number = -1;
            try {
                if (connection == null) {
                    connection = connect();
                }
                number = next.getAndIncrement();
                long sent = System.nanoTime();
                Reply reply = connection.execute(statement.apply(number));
                if (reply.isError()) {
                    fail(number, reply.errorMessage());
                } else {
                    acks.add(new Ack(number, sent, System.nanoTime()));
                }
            } catch (IOException | RuntimeException e) {
                fail(number, String.valueOf(e));
                closeQuietly(connection);
                connection = null;
            }
        }
        closeQuietly(connection);
    }

    private void fail(long number, String error) {
        if (failures.incrementAndGet() <= KEPT_FAILURES) {
            failed.add(new Failure(number, System.nanoTime(), error));
        }
        lastError.set(error);
    }

    private DirkConnection connect() throws IOException {
        DirkConnection connection = DirkConnection.open(host, port, 15_000);
        try {
            if (password != null) {
                refuseError(connection.authenticate(password));
            }
            for (String text : setup) {
                refuseError(connection.execute(text));
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    private static void refuseError(Reply reply) throws IOException {
        if (reply.isError()) {
            throw new IOException("setup refused: " + reply.errorMessage());
        }
    }

    private static void closeQuietly(DirkConnection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException e) {
                // broken already
            }
        }
    }

    public List<Ack> acks() {
        return List.copyOf(acks);
    }

    public long failures() {
        return failures.get();
    }

    /** What the last failed write or connection attempt said, for a test's failure message. */
    public String lastError() {
        return lastError.get();
    }

    /** The first failures with what the client got (write number -1: the connection or its setup failed). */
    public List<Failure> failed() {
        return List.copyOf(failed);
    }

    /**
     * Each distinct error with how many writes got it, most frequent first, for a test's failure message:
     * e.g. {@code 52 x "member ... failed during the request (connection refused)"}.
     */
    public String failureSummary() {
        java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
        for (Failure f : failed) {
            counts.merge(f.error(), 1L, Long::sum);
        }
        StringBuilder summary = new StringBuilder();
        counts.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> summary.append(summary.length() == 0 ? "" : "; ").append(e.getValue()).append(" x \"")
                        .append(e.getKey()).append('"'));
        return summary.length() == 0 ? "none" : summary.toString();
    }

    /** The first write sent after {@code nanos} that was acknowledged, if any. */
    public Ack firstAckSentAfter(long nanos) {
        return acks.stream().filter(a -> a.sentNanos() - nanos > 0)
                .min((a, b) -> Long.compare(a.sentNanos(), b.sentNanos())).orElse(null);
    }

    /** Stops writing; returns once the write in flight is answered. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(30_000);
    }
}
