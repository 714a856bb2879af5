package io.dirkdb.replication;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.storage.LogRecord;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.zip.InflaterInputStream;

/**
 * A client of a member's replication side that is not a member: it asks for the latest snapshot
 * ({@code dirk snapshot}) or for the log after a position ({@code dirk stream} naming no member, so its
 * acknowledgements confirm nothing and count for no lease). Backups and the log archiver use it.
 */
public final class LogSource implements AutoCloseable {
    /** The member sends a keepalive every 500 ms while streaming: silence this long means it is gone. */
    private static final int READ_TIMEOUT_MILLIS = 15_000;

    /** What a stream or snapshot request was answered (the member's JSON reply). */
    public record Answer(JsonNode reply) {
        public boolean refused() {
            return reply.hasNonNull("refused");
        }

        public String refusal() {
            return reply.path("refused").asText(null);
        }
    }

    /** One read from a stream: the records it brought (maybe none, for a keepalive) and the member's durable log end. */
    public record Received(List<LogRecord> records, long memberLastLsn, long writtenAtMillis) {}

    private final PeerChannel channel;
    private ReplicationFrames.FrameReader frames;
    private long lastReceived;

    private LogSource(PeerChannel channel) {
        this.channel = channel;
    }

    /** Connects (TLS when {@code tls} is not null) and authenticates with {@code password}, then each fallback. */
    public static LogSource open(TlsSettings tls, String host, int port, String password, List<String> fallbacks)
            throws IOException {
        return new LogSource(PeerChannel.open(tls, host, port, password, fallbacks == null ? List.of() : fallbacks,
                READ_TIMEOUT_MILLIS));
    }

    /** Asks for the latest snapshot; on success {@link #snapshotBytes()} then delivers the file, header included. */
    public JsonNode requestSnapshot() throws IOException {
        return channel.requestJson("dirk snapshot;");
    }

    /** The {@code size} bytes of the snapshot file announced by {@link #requestSnapshot()}. */
    public InputStream snapshotBytes(JsonNode answer) {
        return answer.path("deflate").asBoolean() ? new InflaterInputStream(channel.in) : channel.in;
    }

    /** Asks for the log after {@code fromLsn} (whose record has {@code epochAtFromLsn}), as a non-member. */
    public Answer startStream(long fromLsn, long epochAtFromLsn, long knownEpoch, String historyId) throws IOException {
        JsonNode reply = channel.requestJson("dirk stream " + fromLsn + " " + epochAtFromLsn + " " + knownEpoch
                + (historyId == null ? "" : " history '" + historyId + "'") + ";");
        Answer answer = new Answer(reply);
        if (!answer.refused()) {
            frames = new ReplicationFrames.FrameReader(channel.in);
            lastReceived = fromLsn;
        }
        return answer;
    }

    /** Blocks for the next batch or keepalive of a started stream and acknowledges it (confirming nothing). */
    public Received next() throws IOException {
        Object frame = frames.next();
        if (frame instanceof ReplicationFrames.Keepalive keepalive) {
            ReplicationFrames.writeAck(channel.out, lastReceived);
            return new Received(List.of(), keepalive.primaryLastLsn(), 0);
        }
        ReplicationFrames.Batch batch = (ReplicationFrames.Batch) frame;
        if (!batch.records().isEmpty()) {
            lastReceived = batch.records().get(batch.records().size() - 1).lsn();
        }
        ReplicationFrames.writeAck(channel.out, lastReceived);
        return new Received(batch.records(), batch.primaryLastLsn(), batch.writtenAtMillis());
    }

    /** Sets how long a read may wait (milliseconds) before it fails. */
    public void readTimeout(int millis) throws IOException {
        channel.socket.setSoTimeout(millis);
    }

    @Override
    public void close() {
        if (frames != null) {
            frames.close();
        }
        channel.close();
    }
}
