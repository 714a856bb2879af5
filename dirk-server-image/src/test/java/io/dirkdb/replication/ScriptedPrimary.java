package io.dirkdb.replication;

import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.storage.LogRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One end of the replication stream played from a script, for tests of a following member against a primary that
 * lies, misorders or stalls: it answers each {@code dirk stream} request with a scripted JSON reply, then sends the
 * scripted frames (batches of records, keepalives) and records every acknowledgement the follower sends back.
 * <pre>
 *   try (ScriptedPrimary primary = ScriptedPrimary.start("127.0.0.31")
 *           .answer("{\"streaming\":true,\"epoch\":1,\"lastLsn\":2}")
 *           .batch(2, record(1, 1, payload), record(2, 1, payload))) {
 *       member.follow(primary.host(), primary.port());
 *       primary.awaitAck(2, Duration.ofSeconds(10));
 *   }
 * </pre>
 */
final class ScriptedPrimary implements AutoCloseable {
    private interface Step {
        void play(DataOutputStream out, ReplicationFrames.BatchWriter batches) throws IOException;
    }

    private final ServerSocket server;
    private final List<Step> steps = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Long> acks = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile String answer = "{\"streaming\":true,\"epoch\":1,\"lastLsn\":0}";

    private ScriptedPrimary(ServerSocket server) {
        this.server = server;
        this.thread = new Thread(this::serve, "scripted-primary");
        thread.setDaemon(true);
    }

    /** Listens on {@code host} (a loopback address), any free port; the script may be given before or after. */
    static ScriptedPrimary start(String host) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(host, 0));
        ScriptedPrimary primary = new ScriptedPrimary(server);
        primary.thread.start();
        return primary;
    }

    String host() {
        return server.getInetAddress().getHostAddress();
    }

    int port() {
        return server.getLocalPort();
    }

    /** The JSON reply to every {@code dirk stream} request (a refusal, or a hello before the frames). */
    ScriptedPrimary answer(String json) {
        this.answer = json;
        return this;
    }

    /** A batch frame of these records, announcing {@code primaryLastLsn} as the primary's log end. */
    ScriptedPrimary batch(long primaryLastLsn, LogRecord... records) {
        steps.add((out, batches) -> {
            for (LogRecord record : records) {
                batches.add(record);
            }
            batches.send(primaryLastLsn, System.currentTimeMillis());
        });
        return this;
    }

    ScriptedPrimary keepalive(long primaryLastLsn, long primaryEpoch) {
        steps.add((out, batches) -> ReplicationFrames.writeKeepalive(out, primaryLastLsn, primaryEpoch));
        return this;
    }

    /** Raw bytes on the stream, such as a frame no version of the protocol has. */
    ScriptedPrimary raw(byte[] bytes) {
        steps.add((out, batches) -> {
            out.write(bytes);
            out.flush();
        });
        return this;
    }

    static LogRecord record(long lsn, long epoch, byte[] payload) {
        return new LogRecord(lsn, epoch, payload);
    }

    /** The {@code dirk stream} requests received, as text. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    /** Waits until the follower acknowledged at least {@code lsn}; false if it did not within {@code timeout}. */
    boolean awaitAck(long lsn, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Long ack = left <= 0 ? null : acks.poll(left, TimeUnit.NANOSECONDS);
            if (ack == null) {
                return false;
            }
            if (ack >= lsn) {
                return true;
            }
        }
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                InputStream in = socket.getInputStream();
                String request = readRequest(in);
                requests.add(request);
                if (!request.startsWith("dirk stream")) {
                    continue; // a heartbeat or an auth: this peer only plays streams
                }
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.write(ReplyWriter.encodeMessage(answer));
                out.flush();
                if (answer.contains("\"refused\"")) {
                    continue;
                }
                Thread reader = new Thread(() -> readAcks(socket), "scripted-primary-acks");
                reader.setDaemon(true);
                reader.start();
                try (ReplicationFrames.BatchWriter batches = new ReplicationFrames.BatchWriter(out)) {
                    for (Step step : new ArrayList<>(steps)) {
                        step.play(out, batches);
                    }
                }
                reader.join(); // until the follower hangs up
            } catch (IOException | InterruptedException e) {
                // the follower hung up, or the test ends
            }
        }
    }

    private void readAcks(Socket socket) {
        try {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            while (true) {
                acks.add(ReplicationFrames.readAck(in));
            }
        } catch (IOException e) {
            // the stream ended
        }
    }

    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0 && b != ';'; b = in.read()) {
            text.write(b);
        }
        return text.toString(StandardCharsets.UTF_8).strip();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
