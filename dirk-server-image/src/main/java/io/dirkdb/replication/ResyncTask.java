package io.dirkdb.replication;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.engine.Engine;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.server.Member;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Rebuilds a member from another one's latest snapshot ({@code dirk snapshot}), then makes it
 * follow that member for the log after the snapshot. Runs on its own thread; its progress is in
 * the member's heartbeat under {@code "resync"}.
 */
final class ResyncTask {
    private static final System.Logger LOG = System.getLogger(ResyncTask.class.getName());
    /** A source silent for this long is given up on (a re-run starts afresh). */
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    private static final int INFLATE_BUFFER_BYTES = 256 << 10;

    private final String host;
    private final int port;
    private final boolean deflate;
    private final Member member;
    private final Engine engine;
    private final String password;
    private final TlsSettings tls;
    private final java.util.List<String> fallbackPasswords;
    private final Runnable afterFailure;
    private final Thread thread;
    private volatile String phase = "connecting";
    private volatile long bytes;
    private volatile long totalBytes;
    private volatile long snapshotLsn;
    private volatile String error;
    private volatile boolean running = true;
    private volatile boolean cancelled;
    private volatile PeerChannel channel;

    /** @param afterFailure runs when the copy failed: the member goes back to what it followed before */
    /** @param deflate ask for the snapshot deflated on the wire (pays on links slower than deflate, ~350 MB/s) */
    ResyncTask(String host, int port, boolean deflate, Member member, Engine engine, String password, TlsSettings tls,
            java.util.List<String> fallbackPasswords, Runnable afterFailure) {
        this.tls = tls;
        this.fallbackPasswords = fallbackPasswords == null ? java.util.List.of() : java.util.List.copyOf(fallbackPasswords);
        this.host = host;
        this.port = port;
        this.deflate = deflate;
        this.member = member;
        this.engine = engine;
        this.password = password;
        this.afterFailure = afterFailure;
        this.thread = new Thread(this::run, "dirk-resync");
        this.thread.setDaemon(true);
    }

    String host() {
        return host;
    }

    /** Stops the copy without waiting for the task to end. */
    void cancelNow() {
        cancelled = true;
        PeerChannel current = channel;
        if (current != null) {
            current.close();
        }
    }

    int port() {
        return port;
    }

    boolean running() {
        return running;
    }

    void start() {
        thread.start();
    }

    /** Stops the copy by closing its connection; returns false if the task did not end within 10 s. */
    boolean cancel() {
        cancelNow();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    void describe(ObjectNode node) {
        node.put("source", host + ":" + port);
        node.put("phase", phase);
        node.put("bytes", bytes);
        node.put("totalBytes", totalBytes);
        node.put("snapshotLsn", snapshotLsn);
        node.put("deflate", deflate);
        if (error != null) {
            node.put("error", error);
        }
    }

    private void run() {
        Inflater inflater = null;
        try (PeerChannel source = PeerChannel.open(tls, host, port, password, fallbackPasswords, READ_TIMEOUT_MILLIS)) {
            channel = source;
            if (cancelled) {
                throw new IOException("cancelled");
            }
            JsonNode header = source.requestJson(deflate ? "dirk snapshot deflate;" : "dirk snapshot;");
            totalBytes = header.path("size").asLong();
            snapshotLsn = header.path("lsn").asLong();
            String own = member.state().historyId();
            String theirs = header.path("historyId").isTextual() ? header.path("historyId").asText() : null;
            if (own != null && !own.equals(theirs)) {
                // Replacing this member's data by another cluster's would wipe it: never.
                throw new DirkException("refusing to resync from " + host + ":" + port + ": " + (theirs == null
                        ? "it does not say which history it belongs to; this member belongs to history " + own
                        : member.otherHistory(theirs)));
            }
            String noRoom = header.has("dataBytes") ? engine.resyncRefusal(header.path("dataBytes").asLong()) : null;
            if (noRoom != null) {
                // Installing it would run out of heap half-way, this member's own data already dropped.
                throw new DirkException("refusing to resync from " + host + ":" + port + ": " + noRoom);
            }
            member.observeEpoch(header.path("epoch").asLong());
            if (theirs != null) {
                member.adoptHistory(theirs);
            }
            phase = "copying";
            LOG.log(Level.INFO, "resync from {0}: copying the snapshot at LSN {1} ({2} bytes)", host + ":" + port,
                    String.valueOf(snapshotLsn), String.valueOf(totalBytes));
            // The header says whether the bytes are deflated; the checksum is over the inflated ones.
            inflater = header.path("deflate").asBoolean() ? new Inflater() : null;
            InputStream wire = inflater != null ? new InflaterInputStream(source.in, inflater, INFLATE_BUFFER_BYTES) : source.in;
            engine.installSnapshot(new FilterInputStream(wire) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        bytes++;
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = super.read(buffer, offset, length);
                    if (n > 0) {
                        bytes += n;
                    }
                    return n;
                }
            });
            phase = "streaming";
        } catch (IOException | DirkException | UncheckedIOException e) {
            error = e.getMessage();
            phase = "failed";
            LOG.log(Level.WARNING, "Erreur réplication sur {0}: resync failed: {1}", host + ":" + port, e.getMessage());
        } finally {
            if (inflater != null) {
                inflater.end();
            }
            running = false;
        }
        if (cancelled) {
            return; // the resync that replaced this one decides what comes next
        }
        if (!"failed".equals(phase)) {
            // Persists the new primary and starts following it, unless the member was promoted meanwhile.
            member.followUnlessPrimary(host, port);
        } else {
            afterFailure.run();
        }
    }
}
