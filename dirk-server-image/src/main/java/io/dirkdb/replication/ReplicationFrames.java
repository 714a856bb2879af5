package io.dirkdb.replication;

import io.dirkdb.storage.LogRecord;
import io.dirkdb.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The binary frames of a streaming connection (docs/replication-protocol.md). Record batches are
 * deflated as one stream per connection, flushed at the end of every batch: later batches reuse
 * what earlier ones taught the compressor (table and column names, repeated values).
 */
final class ReplicationFrames {
    /**
     * The stream protocol this member speaks (the handshake and the frames below, docs/replication-protocol.md). A
     * secondary names the newest it reads ({@code protocol N}, 1 when left out); the primary answers with the one it
     * will speak, the lower of the two, so a rolling upgrade can add frames only both ends know.
     */
    static final int PROTOCOL_VERSION = 1;
    static final byte BATCH = 'B';
    static final byte KEEPALIVE = 'K';
    static final byte ACK = 'A';
    /** A batch is cut at this many raw bytes (or at the records durable so far). */
    static final int MAX_BATCH_BYTES = 256 << 10;
    private static final int RECORD_HEADER_BYTES = 8 + 8 + 4;
    /**
     * Refuse frames past this size: a bad peer must not make us allocate gigabytes. A batch is cut
     * once it reaches {@link #MAX_BATCH_BYTES}, so it holds at most that plus one record of the
     * largest size the log accepts: every record the log took must ship.
     */
    static final int MAX_FRAME_BYTES = MAX_BATCH_BYTES + RECORD_HEADER_BYTES + Storage.MAX_RECORD_PAYLOAD_BYTES;
    /** Deflate may grow incompressible input a little (about 5 bytes per 16 KiB stored block). */
    static final int MAX_WIRE_BYTES = MAX_FRAME_BYTES + MAX_FRAME_BYTES / 1000 + 4096;

    private ReplicationFrames() {}

    /** A batch as received: its records and what the primary said about its own log. */
    record Batch(List<LogRecord> records, long primaryLastLsn, long writtenAtMillis, int rawBytes, int wireBytes) {}

    record Keepalive(long primaryLastLsn, long primaryEpoch) {}

    /** Compresses the batches of one connection. */
    static final class BatchWriter implements AutoCloseable {
        private final DataOutputStream out;
        private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        private final ByteArrayOutputStream raw = new ByteArrayOutputStream(MAX_BATCH_BYTES + 1024);
        private byte[] compressed = new byte[64 << 10];
        private int count;

        BatchWriter(DataOutputStream out) {
            this.out = out;
        }

        void add(LogRecord record) {
            byte[] header = ByteBuffer.allocate(RECORD_HEADER_BYTES).putLong(record.lsn()).putLong(record.epoch())
                    .putInt(record.payload().length).array();
            raw.writeBytes(header);
            raw.writeBytes(record.payload());
            count++;
        }

        boolean full() {
            return raw.size() >= MAX_BATCH_BYTES;
        }

        boolean isEmpty() {
            return count == 0;
        }

        /** Sends the records added so far as one frame; returns {raw bytes, compressed bytes}. */
        long[] send(long primaryLastLsn, long writtenAtMillis) throws IOException {
            byte[] input = raw.toByteArray();
            deflater.setInput(input);
            int length = 0;
            while (true) {
                if (length == compressed.length) {
                    compressed = java.util.Arrays.copyOf(compressed, compressed.length * 2);
                }
                int space = compressed.length - length;
                int n = deflater.deflate(compressed, length, space, Deflater.SYNC_FLUSH);
                length += n;
                // SYNC_FLUSH is complete once deflate leaves room in the output buffer.
                if (n < space) {
                    break;
                }
            }
            out.writeByte(BATCH);
            out.writeInt(count);
            out.writeInt(input.length);
            out.writeInt(length);
            out.writeLong(primaryLastLsn);
            out.writeLong(writtenAtMillis);
            out.write(compressed, 0, length);
            out.flush();
            raw.reset();
            count = 0;
            return new long[] {input.length, length};
        }

        @Override
        public void close() {
            deflater.end();
        }
    }

    static void writeKeepalive(DataOutputStream out, long primaryLastLsn, long primaryEpoch) throws IOException {
        out.writeByte(KEEPALIVE);
        out.writeLong(primaryLastLsn);
        out.writeLong(primaryEpoch);
        out.flush();
    }

    static void writeAck(DataOutputStream out, long durableLsn) throws IOException {
        out.writeByte(ACK);
        out.writeLong(durableLsn);
        out.flush();
    }

    /** Reads an acknowledgement; throws EOFException when the secondary has closed the connection. */
    static long readAck(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("the secondary closed the stream");
        }
        if (type != ACK) {
            throw new IOException("expected an acknowledgement frame but got type " + type);
        }
        return in.readLong();
    }

    /** Decompresses the batches of one connection. */
    static final class FrameReader implements AutoCloseable {
        private final DataInputStream in;
        private final Inflater inflater = new Inflater();

        FrameReader(DataInputStream in) {
            this.in = in;
        }

        /** The next frame: a {@link Batch} or a {@link Keepalive}. */
        Object next() throws IOException {
            int type = in.read();
            if (type < 0) {
                throw new EOFException("the primary closed the stream");
            }
            if (type == KEEPALIVE) {
                return new Keepalive(in.readLong(), in.readLong());
            }
            if (type != BATCH) {
                throw new IOException("unexpected frame type " + type + " on the replication stream");
            }
            int count = in.readInt();
            int rawLength = in.readInt();
            int wireLength = in.readInt();
            long primaryLastLsn = in.readLong();
            long writtenAt = in.readLong();
            if (count < 0 || rawLength < 0 || wireLength < 0 || rawLength > MAX_FRAME_BYTES || wireLength > MAX_WIRE_BYTES) {
                throw new IOException("a replication frame announces an impossible size");
            }
            byte[] wire = in.readNBytes(wireLength);
            if (wire.length != wireLength) {
                throw new EOFException("the replication stream was cut inside a frame");
            }
            byte[] raw = new byte[rawLength];
            inflater.setInput(wire);
            try {
                int done = 0;
                while (done < rawLength) {
                    int n = inflater.inflate(raw, done, rawLength - done);
                    if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        throw new IOException("a replication frame is shorter than it announced");
                    }
                    done += n;
                }
            } catch (DataFormatException e) {
                throw new IOException("a replication frame cannot be decompressed: " + e.getMessage(), e);
            }
            ByteBuffer buffer = ByteBuffer.wrap(raw);
            List<LogRecord> records = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                if (buffer.remaining() < RECORD_HEADER_BYTES) {
                    throw new IOException("a replication frame holds fewer records than it announced");
                }
                long lsn = buffer.getLong();
                long epoch = buffer.getLong();
                int length = buffer.getInt();
                if (length < 0 || length > buffer.remaining()) {
                    throw new IOException("a record in a replication frame overruns it");
                }
                byte[] payload = new byte[length];
                buffer.get(payload);
                records.add(new LogRecord(lsn, epoch, payload));
            }
            return new Batch(records, primaryLastLsn, writtenAt, rawLength, wireLength + 1 + 4 + 4 + 4 + 8 + 8);
        }

        @Override
        public void close() {
            inflater.end();
        }
    }
}
