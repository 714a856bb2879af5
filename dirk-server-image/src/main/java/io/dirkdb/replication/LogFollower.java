package io.dirkdb.replication;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.DirkException;
import io.dirkdb.engine.Engine;
import io.dirkdb.server.Epochs;
import io.dirkdb.server.Member;
import io.dirkdb.storage.LogRecord;
import io.dirkdb.storage.Storage;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.lang.System.Logger.Level;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The secondary's side of log shipping: one thread that connects to the primary, asks for the
 * log after its own last record, applies what arrives in order (logged durably with the
 * primary's LSN and epoch, then applied to the engine) and acknowledges its durable LSN. On a
 * connection failure it retries with exponential backoff; when the primary says the logs have
 * diverged or the records it needs are gone, it stops and waits for a resync.
 */
final class LogFollower {
    private static final System.Logger LOG = System.getLogger(LogFollower.class.getName());
    private static final long FIRST_BACKOFF_MILLIS = 100;
    /** The primary sends a keepalive at least this often; silence for longer means it is gone. */
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    /** What the primary answered instead of streaming. */
    enum Refusal { DIVERGED, NEEDS_RESYNC, STALE_PRIMARY, OTHER_HISTORY }

    private final String host;
    private final int port;
    private final Member member;
    private final Engine engine;
    private final Storage storage;
    private final ReplicationSettings settings;
    private final ReplicationMetrics metrics;
    private final Runnable onApplied;
    /** Held while a batch is applied; stop() takes it so no record lands after stop returns. */
    private final ReentrantLock applyLock = new ReentrantLock();
    private final Thread thread;

    private volatile boolean stopped;
    private volatile PeerChannel channel;
    private volatile boolean streaming;
    /** Whether the current connection attempt got to stream (only the follower's thread reads and writes it). */
    private boolean attemptStreamed;
    private long attemptStreamedAt;
    private boolean attemptApplied; // the current attempt applied a batch (follower thread only)
    private static final long STREAMED_LONG_ENOUGH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile Refusal refusal;
    private volatile String problem;
    private volatile long primaryLastLsn;
    private volatile long newestAppliedWrittenAt;

    LogFollower(String host, int port, Member member, Engine engine, Storage storage, ReplicationSettings settings,
                ReplicationMetrics metrics, Runnable onApplied) {
        this.host = host;
        this.port = port;
        this.member = member;
        this.engine = engine;
        this.storage = storage;
        this.settings = settings;
        this.metrics = metrics;
        this.onApplied = onApplied;
        this.thread = new Thread(this::run, "dirk-follow-" + host + ":" + port);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    String primary() {
        return host + ":" + port;
    }

    boolean streaming() {
        // A follower thread that died (an Error) streams nothing, whatever it last said.
        return streaming && thread.isAlive();
    }

    Refusal refusal() {
        return refusal;
    }

    String problem() {
        return problem;
    }

    long lagLsn() {
        return Math.max(0, primaryLastLsn - engine.lastLsn());
    }

    /** Time since the newest applied record was written on the primary; 0 when caught up. */
    long lagMillis() {
        if (lagLsn() == 0) {
            return 0;
        }
        long writtenAt = newestAppliedWrittenAt;
        return writtenAt == 0 ? 0 : Math.max(0, System.currentTimeMillis() - writtenAt);
    }

    /** Stops following; once this returns, no further record is applied. */
    void stop() {
        stopped = true;
        // Never interrupt the thread: an interrupt during a log write closes the channel and fails storage for good.
        synchronized (this) {
            notifyAll();
        }
        PeerChannel current = channel;
        if (current != null) {
            current.close();
        }
        applyLock.lock();
        applyLock.unlock();
        streaming = false;
    }

    private void run() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (!stopped) {
            attemptStreamed = false;
            attemptApplied = false;
            try {
                followOnce();
            } catch (RefusedException e) {
                refusal = e.refusal;
                problem = e.getMessage();
                streaming = false;
                LOG.log(Level.WARNING, "Erreur réplication sur {0}: {1}", primary(), e.getMessage());
                if (e.refusal != Refusal.STALE_PRIMARY) {
                    return; // only a resync (or another primary) helps; both replace this follower
                }
            } catch (IOException | DirkException | IllegalStateException | java.io.UncheckedIOException e) {
                if (stopped) {
                    return;
                }
                streaming = false;
                problem = e.getMessage();
                LOG.log(Level.WARNING, "Erreur réplication sur {0}: {1}", primary(), e.getMessage());
            } catch (RuntimeException e) {
                if (stopped) {
                    return;
                }
                // Unexpected: keep the details in the log, keep retrying like any other failure.
                streaming = false;
                problem = "internal error, see the member's log";
                LOG.log(Level.ERROR, "Erreur réplication sur " + primary() + ": unexpected failure", e);
            } catch (Error e) {
                // The thread ends here: the heartbeat and readiness must say so instead of "streaming".
                streaming = false;
                problem = "the follower stopped on an internal error, see the member's log";
                LOG.log(Level.ERROR, "Erreur réplication sur " + primary() + ": the follower stopped", e);
                throw e;
            } finally {
                PeerChannel current = channel;
                channel = null;
                if (current != null) {
                    current.close();
                }
            }
            if (stopped) {
                return;
            }
            // A stream that got somewhere and then broke (a fence, a promotion, a restart: it ends with an error,
            // never a return) starts the backoff over: it applied a batch, or ran a second. One that breaks as soon
            // as it starts (a full disk here, a record it cannot apply, a primary that closes at once) counts as a
            // failed attempt, so a fault that recurs does not retry every 100 ms.
            boolean ranAWhile = attemptApplied
                    || attemptStreamed && System.nanoTime() - attemptStreamedAt >= STREAMED_LONG_ENOUGH_NANOS;
            backoff = ranAWhile ? FIRST_BACKOFF_MILLIS : Math.min(backoff * 2, settings.maxBackoff().toMillis());
            try {
                synchronized (this) {
                    if (!stopped) {
                        wait(backoff);
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One connection, until it ends; {@link #attemptStreamed} says whether it got to stream. */
    private void followOnce() throws IOException {
        PeerChannel peer = PeerChannel.open(settings.peerTls(), settings.sourceAddress(), host, port, settings.peerPassword(),
                settings.fallbackPasswords(), READ_TIMEOUT_MILLIS);
        channel = peer;
        if (stopped) {
            return;
        }
        long fromLsn = storage.lastLsn();
        long epochAtFromLsn = storage.lastEpoch();
        long knownEpoch = member.state().highestEpochSeen();
        String history = member.state().historyId();
        JsonNode hello = peer.requestJson("dirk stream " + fromLsn + " " + epochAtFromLsn + " " + knownEpoch
                + (history == null ? "" : " history '" + history + "'")
                // Who it is: the primary counts one stream per member of its configuration towards its lease.
                + (io.dirkdb.server.ClusterConfig.INSTANCE_ID.matcher(member.id()).matches() ? " member '" + member.id() + "'" : "") + ";");
        String theirHistory = hello.path("historyId").isTextual() ? hello.path("historyId").asText() : null;
        if (hello.hasNonNull("refused")) {
            Refusal why = switch (hello.get("refused").asText()) {
                case "diverged" -> Refusal.DIVERGED;
                case "needsResync" -> Refusal.NEEDS_RESYNC;
                case "otherHistory" -> Refusal.OTHER_HISTORY;
                default -> Refusal.STALE_PRIMARY;
            };
            if (why != Refusal.OTHER_HISTORY && Epochs.plausible(hello.path("epoch").asLong(), knownEpoch)) {
                member.observeEpoch(hello.path("epoch").asLong()); // a newer primary's epoch is worth knowing even when it refuses
            }
            throw new RefusedException(why, hello.path("reason").asText("refused"));
        }
        if (history != null && !history.equals(theirHistory)) {
            // A primary of an older version does not check: this side does.
            throw new RefusedException(Refusal.OTHER_HISTORY, theirHistory == null
                    ? "the primary does not say which history it belongs to; this member belongs to history " + history
                    : member.otherHistory(theirHistory));
        }
        if (theirHistory != null && history == null) {
            member.adoptHistory(theirHistory); // the log matched (or is empty): this member's data is of that history
        }
        // Version 1 is what a member says nothing about (its request leaves the clause out, so it can stream from
        // members older than the clause); a primary that answers a version this member does not read is not followed.
        long protocol = hello.path("protocol").asLong(1);
        if (protocol != ReplicationFrames.PROTOCOL_VERSION) {
            throw new IOException("the primary answers stream protocol " + protocol + "; this member reads version "
                    + ReplicationFrames.PROTOCOL_VERSION);
        }
        long primaryEpoch = hello.path("epoch").asLong();
        member.observeEpoch(primaryEpoch);
        primaryLastLsn = hello.path("lastLsn").asLong();
        refusal = null;
        problem = null;
        streaming = true;
        attemptStreamed = true;
        attemptStreamedAt = System.nanoTime();
        LOG.log(Level.INFO, "streaming from {0} (epoch {1}) after LSN {2}", primary(), String.valueOf(primaryEpoch),
                String.valueOf(fromLsn));
        try (ReplicationFrames.FrameReader frames = new ReplicationFrames.FrameReader(peer.in)) {
            while (!stopped) {
                Object frame = frames.next();
                if (frame instanceof ReplicationFrames.Keepalive keepalive) {
                    primaryLastLsn = keepalive.primaryLastLsn();
                    ReplicationFrames.writeAck(peer.out, storage.durableLsn());
                } else {
                    apply((ReplicationFrames.Batch) frame, peer);
                }
            }
        }
    }

    private void apply(ReplicationFrames.Batch batch, PeerChannel peer) throws IOException {
        if (batch.records().isEmpty()) {
            return;
        }
        long highestEpoch = 0;
        for (LogRecord record : batch.records()) {
            highestEpoch = Math.max(highestEpoch, record.epoch());
        }
        // Outside the apply lock: recording an epoch takes the member's lock, which a promotion holds while it stops us.
        member.observeEpoch(highestEpoch);
        long last;
        applyLock.lock();
        try {
            if (stopped) {
                return;
            }
            for (LogRecord record : batch.records()) {
                long expected = engine.lastLsn() + 1;
                if (record.lsn() != expected) {
                    throw new IOException("the primary sent LSN " + record.lsn() + " where LSN " + expected + " was expected");
                }
                if (record.epoch() < storage.lastEpoch()) {
                    // Epochs only go up along a log: a lower one means the sender is on another history.
                    throw new RefusedException(Refusal.DIVERGED, "record " + record.lsn() + " has epoch " + record.epoch()
                            + " but this member's log is already at epoch " + storage.lastEpoch());
                }
                engine.applyReplicated(record);
            }
            last = engine.lastLsn();
        } finally {
            applyLock.unlock();
        }
        engine.awaitDurable(last);
        newestAppliedWrittenAt = batch.writtenAtMillis();
        primaryLastLsn = Math.max(primaryLastLsn, batch.primaryLastLsn());
        metrics.received(batch.rawBytes(), batch.wireBytes());
        ReplicationFrames.writeAck(peer.out, last);
        attemptApplied = true;
        onApplied.run();
    }

    static final class RefusedException extends IOException {
        final Refusal refusal;

        RefusedException(Refusal refusal, String reason) {
            super(reason);
            this.refusal = refusal;
        }
    }
}
