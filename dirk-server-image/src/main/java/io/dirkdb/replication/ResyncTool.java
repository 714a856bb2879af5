package io.dirkdb.replication;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * What {@code dirk resync --from --to} does: tells the target to rebuild itself from the source
 * ({@code dirk resync 'host' port;}), then polls the target's heartbeat, printing progress,
 * until the target is streaming from the source, not diverged, and has caught up with the LSN
 * the source had at that moment. Re-running it after an interruption starts (or joins) a resync.
 */
public final class ResyncTool {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Polls are frequent so the end is seen soon after it happens; progress lines need not be. */
    private static final long PROGRESS_EVERY_NANOS = Duration.ofSeconds(1).toNanos();

    /** How the run ended: success, or a one-line reason. */
    public record Outcome(boolean consistent, String message) {}

    public record Endpoint(String host, int port) {
        /** Parses {@code HOST:PORT}. @throws IllegalArgumentException with a line for the user */
        public static Endpoint parse(String text) {
            int colon = text == null ? -1 : text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
            }
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected HOST:PORT with a numeric port, got '" + text + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
            }
            return new Endpoint(text.substring(0, colon), port);
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    private final Endpoint source;
    private final Endpoint target;
    private final String password;
    private final Duration timeout;
    private final Duration pollInterval;
    private final PrintStream progress;
    private final boolean deflate;
    private final TlsSettings tls;
    private final TlsSettings sourceTls;
    private final java.util.List<String> fallbackPasswords;

    public ResyncTool(Endpoint source, Endpoint target, String password, Duration timeout, Duration pollInterval,
                      PrintStream progress) {
        this(source, target, password, timeout, pollInterval, progress, false);
    }

    /** @param deflate ship the snapshot deflated: pays on links slower than deflate itself (~350 MB/s), not on loopback */
    public ResyncTool(Endpoint source, Endpoint target, String password, Duration timeout, Duration pollInterval,
                      PrintStream progress, boolean deflate) {
        this(source, target, password, timeout, pollInterval, progress, deflate, null);
    }

    /** As above, talking to both members over TLS with {@code tls} (null: plain TCP). */
    public ResyncTool(Endpoint source, Endpoint target, String password, Duration timeout, Duration pollInterval,
                      PrintStream progress, boolean deflate, TlsSettings tls) {
        this(source, target, password, timeout, pollInterval, progress, deflate, tls, null);
    }

    /**
     * As above; {@code fallbackPasswords} (maybe empty) are tried in turn when a member refuses {@code password}: the
     * application password, which a member not yet restarted with separate credentials takes for every role.
     */
    public ResyncTool(Endpoint source, Endpoint target, String password, Duration timeout, Duration pollInterval,
                      PrintStream progress, boolean deflate, TlsSettings tls, java.util.List<String> fallbackPasswords) {
        this(source, target, password, timeout, pollInterval, progress, deflate, tls, fallbackPasswords, null);
    }

    /**
     * As above; {@code tls}'s server name (if any) checks the target's certificate only: the source's is checked
     * against {@code sourceServerName}, else the source's host name (one name cannot be both members').
     */
    public ResyncTool(Endpoint source, Endpoint target, String password, Duration timeout, Duration pollInterval,
                      PrintStream progress, boolean deflate, TlsSettings tls, java.util.List<String> fallbackPasswords,
                      String sourceServerName) {
        this.fallbackPasswords = fallbackPasswords == null ? java.util.List.of() : java.util.List.copyOf(fallbackPasswords);
        this.tls = tls;
        this.sourceTls = tls == null ? null : tls.withServerName(sourceServerName);
        this.deflate = deflate;
        this.source = source;
        this.target = target;
        this.password = password;
        this.timeout = timeout;
        this.pollInterval = pollInterval;
        this.progress = progress;
    }

    public Outcome run() throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        try {
            heartbeat(source);
        } catch (IOException e) {
            return new Outcome(false, "cannot reach the source " + source + ": " + e.getMessage());
        }
        try (DirkConnection connection = open(target)) {
            Reply reply = connection.execute("dirk resync " + DirkConnection.quote(source.host()) + " " + source.port()
                    + (deflate ? " deflate" : ""));
            if (reply.isError()) {
                return new Outcome(false, "the target " + target + " refused: " + reply.errorMessage());
            }
            progress.println(reply.messageText());
        } catch (IOException e) {
            return new Outcome(false, "cannot reach the target " + target + ": " + e.getMessage());
        }
        long lastPrinted = -1;
        long lastPrintedAt = 0;
        long unreachableSince = 0;
        while (System.nanoTime() < deadline) {
            Thread.sleep(pollInterval.toMillis());
            JsonNode beat;
            try {
                beat = heartbeat(target);
                unreachableSince = 0;
            } catch (IOException e) {
                if (unreachableSince == 0) {
                    unreachableSince = System.nanoTime();
                } else if (System.nanoTime() - unreachableSince > Duration.ofSeconds(10).toNanos()) {
                    return new Outcome(false, "the target " + target + " stopped answering: " + e.getMessage()
                            + " (run dirk resync again once it is back)");
                }
                continue;
            }
            JsonNode resync = beat.path("resync");
            String phase = resync.path("phase").asText("");
            if (phase.equals("failed")) {
                return new Outcome(false, "the target could not copy the snapshot: " + resync.path("error").asText());
            }
            if (phase.equals("copying") || phase.equals("connecting")) {
                long bytes = resync.path("bytes").asLong();
                long total = resync.path("totalBytes").asLong();
                long now = System.nanoTime();
                boolean due = lastPrinted < 0 || bytes == total || now - lastPrintedAt >= PROGRESS_EVERY_NANOS;
                if (bytes != lastPrinted && due) {
                    lastPrintedAt = now;
                    double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
                    progress.printf(Locale.ROOT, "copied %,d of %,d bytes (%.0f%%), %.1f MB/s%n", bytes, total,
                            total == 0 ? 0.0 : 100.0 * bytes / total, bytes / seconds / 1e6);
                    lastPrinted = bytes;
                }
                continue;
            }
            if (!resync.isMissingNode() && !phase.equals("streaming")) {
                continue;
            }
            if (beat.path("diverged").asBoolean() || beat.path("needsResync").asBoolean()) {
                return new Outcome(false, "the target reports " + (beat.path("diverged").asBoolean() ? "diverged" : "needsResync")
                        + ": " + beat.path("replicationError").asText(""));
            }
            if (!beat.path("streaming").asBoolean() || !(source.toString()).equals(beat.path("primary").asText())) {
                continue;
            }
            long sourceLsn;
            try {
                sourceLsn = heartbeat(source).path("lsn").asLong();
            } catch (IOException e) {
                return new Outcome(false, "the source " + source + " stopped answering: " + e.getMessage());
            }
            // The source's LSN is read after the target's, so re-read the target's before comparing.
            long targetLsn;
            try {
                targetLsn = heartbeat(target).path("lsn").asLong();
            } catch (IOException e) {
                continue;
            }
            if (targetLsn >= sourceLsn) {
                double seconds = (System.nanoTime() - started) / 1e9;
                return new Outcome(true, String.format(Locale.ROOT,
                        "target %s is consistent with %s at LSN %d and streaming (%.1f s)", target, source, targetLsn, seconds));
            }
            progress.printf(Locale.ROOT, "catching up: LSN %d of %d%n", targetLsn, sourceLsn);
        }
        return new Outcome(false, "the target was not consistent and streaming within " + timeout.toSeconds() + " s");
    }

    private JsonNode heartbeat(Endpoint endpoint) throws IOException {
        try (DirkConnection connection = open(endpoint)) {
            connection.setReadTimeoutMillis(10_000);
            Reply reply = connection.execute("dirk heartbeat");
            if (reply.isError()) {
                throw new IOException(reply.errorMessage());
            }
            return JSON.readTree(reply.messageText());
        }
    }

    /** The TLS settings toward the source or the target, each checked against its own name. */
    TlsSettings tlsTowards(Endpoint endpoint) {
        return endpoint == source ? sourceTls : tls;
    }

    private DirkConnection open(Endpoint endpoint) throws IOException {
        DirkConnection connection = DirkConnection.open(tlsTowards(endpoint), endpoint.host(), endpoint.port());
        if (password != null) {
            Reply auth = connection.authenticate(password, fallbackPasswords);
            if (auth.isError()) {
                connection.close();
                throw new IOException(auth.errorMessage());
            }
        }
        return connection;
    }
}
