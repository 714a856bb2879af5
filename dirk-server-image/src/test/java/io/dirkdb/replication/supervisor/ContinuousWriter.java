package io.dirkdb.replication.supervisor;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A client writing through the proxy without pause, as an application would during a failover: each
 * write is sent once, a failed one is counted and the next one tried (on a new connection if the
 * old one broke). Records every acknowledged write with when it was sent and acknowledged.
 */
final class ContinuousWriter implements AutoCloseable {
    /** A write the proxy acknowledged: its number and {@link System#nanoTime()} of its send and its answer. */
    record Ack(long number, long sentNanos, long ackedNanos) {}

    private final String host;
    private final int port;
    private final List<String> setup;
    private final LongFunction<String> statement;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    /** @param setup statements run on every new connection (e.g. {@code ampiasao d}) */
    ContinuousWriter(String host, int port, List<String> setup, LongFunction<String> statement) {
        this.host = host;
        this.port = port;
        this.setup = setup;
        this.statement = statement;
        this.thread = new Thread(this::writeUntilStopped, "continuous-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void writeUntilStopped() {
        DirkConnection connection = null;
        while (running.get()) {
            try {
                if (connection == null) {
                    connection = DirkConnection.open(host, port, 15_000);
                    for (String text : setup) {
                        connection.execute(text);
                    }
                }
                long number = next.getAndIncrement();
                long sent = System.nanoTime();
                Reply reply = connection.execute(statement.apply(number));
                if (reply.isError()) {
                    failures.incrementAndGet();
                } else {
                    acks.add(new Ack(number, sent, System.nanoTime()));
                }
            } catch (IOException e) {
                failures.incrementAndGet();
                closeQuietly(connection);
                connection = null;
            }
        }
        closeQuietly(connection);
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

    List<Ack> acks() {
        return List.copyOf(acks);
    }

    long failures() {
        return failures.get();
    }

    /** The first write sent after {@code nanos} that was acknowledged, if any. */
    Ack firstAckSentAfter(long nanos) {
        return acks.stream().filter(a -> a.sentNanos() - nanos > 0)
                .min((a, b) -> Long.compare(a.sentNanos(), b.sentNanos())).orElse(null);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(30_000);
    }
}
