package io.dirkdb.backup;

import io.dirkdb.engine.Engine;
import io.dirkdb.storage.LogRecord;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * An archived run of consecutive log records (docs/backup.md, "Log chunks"). Layout, big-endian:
 * <pre>
 * int32 magic "DARC", int32 version 1, 16 bytes history id,
 * int64 firstLsn, int64 lastLsn, int64 afterLsn, int64 afterEpoch, int64 firstCommitMillis, int64 lastCommitMillis,
 * int32 CRC32C of the header bytes before it,
 * then per record: int32 payload length, int32 CRC32C of the 16 + length bytes after it, int64 lsn, int64 epoch, payload
 * </pre>
 * {@code after} is the record just before the first one (which the serving member matched when the stream
 * started). The SHA-256 of the whole object is in its name, so a damaged object is caught before it is read.
 */
public final class LogChunk {
    static final int MAGIC = 0x44415243; // "DARC"
    static final int VERSION = 1;
    static final int HEADER_BYTES = 4 + 4 + 16 + 6 * 8 + 4;

    /** What a chunk's header says; {@code sha256} comes from its name. */
    public record Header(String historyId, long firstLsn, long lastLsn, long afterLsn, long afterEpoch,
                         long firstCommitMillis, long lastCommitMillis) {}

    private LogChunk() {}

    /** Writes records to a local file, then says what it holds; {@link #finish} gives the header and SHA-256. */
    public static final class Writer implements AutoCloseable {
        private final Path file;
        private final Path body;
        private final DataOutputStream out;
        private final String historyId;
        private final long afterLsn;
        private final long afterEpoch;
        private long firstLsn = -1;
        private long lastLsn;
        private long lastEpoch;
        private long firstCommit = -1;
        private long lastCommit = -1;
        private long count;
        private long bytes;

        /** @param after the position (lsn, epoch) the first record follows */
        public Writer(Path file, String historyId, long afterLsn, long afterEpoch) throws IOException {
            this.file = file;
            this.body = file.resolveSibling(file.getFileName() + ".body");
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(body), 256 << 10));
            this.historyId = historyId;
            this.afterLsn = afterLsn;
            this.afterEpoch = afterEpoch;
            this.lastLsn = afterLsn;
            this.lastEpoch = afterEpoch;
        }

        public void add(LogRecord record) throws IOException {
            if (record.lsn() != lastLsn + 1) {
                throw new IOException("record " + record.lsn() + " does not follow record " + lastLsn + " in the archive");
            }
            long commit = Engine.commitTimeMillis(record.payload());
            CRC32C crc = new CRC32C();
            byte[] head = java.nio.ByteBuffer.allocate(16).putLong(record.lsn()).putLong(record.epoch()).array();
            crc.update(head);
            crc.update(record.payload());
            out.writeInt(record.payload().length);
            out.writeInt((int) crc.getValue());
            out.write(head);
            out.write(record.payload());
            if (firstLsn < 0) {
                firstLsn = record.lsn();
                firstCommit = commit;
            }
            lastLsn = record.lsn();
            lastEpoch = record.epoch();
            lastCommit = commit;
            count++;
            bytes += 24 + record.payload().length;
        }

        public long count() {
            return count;
        }

        public long bytes() {
            return bytes;
        }

        public long lastLsn() {
            return lastLsn;
        }

        public long lastEpoch() {
            return lastEpoch;
        }

        public long lastCommitMillis() {
            return lastCommit;
        }

        /** Closes the file and returns its header and SHA-256 (hex); an empty chunk has firstLsn = afterLsn + 1 > lastLsn. */
        public Finished finish() throws IOException {
            out.close();
            Header header = new Header(historyId, firstLsn < 0 ? afterLsn + 1 : firstLsn, lastLsn, afterLsn, afterEpoch,
                    firstCommit, lastCommit);
            MessageDigest sha = sha256();
            try (OutputStream whole = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file)), sha)) {
                whole.write(encodeHeader(header));
                Files.copy(body, whole);
            }
            Files.deleteIfExists(body);
            return new Finished(file, header, lastEpoch, HexFormat.of().formatHex(sha.digest()), Files.size(file));
        }

        @Override
        public void close() throws IOException {
            out.close();
            Files.deleteIfExists(body);
        }
    }

    /** A written chunk file: its header, the epoch of its last record, its SHA-256 and size. */
    public record Finished(Path file, Header header, long lastEpoch, String sha256, long size) {}

    static byte[] encodeHeader(Header header) {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(HEADER_BYTES);
        out.putInt(MAGIC).putInt(VERSION);
        UUID id = UUID.fromString(header.historyId());
        out.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
        out.putLong(header.firstLsn()).putLong(header.lastLsn()).putLong(header.afterLsn()).putLong(header.afterEpoch())
                .putLong(header.firstCommitMillis()).putLong(header.lastCommitMillis());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, HEADER_BYTES - 4);
        out.putInt((int) crc.getValue());
        return out.array();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a verified chunk file (its SHA-256 already checked): the header, then the records in order. */
    public static final class Reader implements AutoCloseable {
        private final DataInputStream in;
        private final String source;
        private final Header header;
        private long expected;

        public Reader(InputStream stream, String source) throws IOException {
            this.in = new DataInputStream(new BufferedInputStream(stream, 256 << 10));
            this.source = source;
            byte[] bytes = new byte[HEADER_BYTES];
            try {
                in.readFully(bytes);
            } catch (EOFException e) {
                throw new BackupException(source + " is cut short: not even a chunk header");
            }
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            if (buffer.getInt() != MAGIC || buffer.getInt() != VERSION) {
                throw new BackupException(source + " is not a DirkDB log chunk of version " + VERSION);
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, HEADER_BYTES - 4);
            if (buffer.getInt(HEADER_BYTES - 4) != (int) crc.getValue()) {
                throw new BackupException(source + " has a damaged header (checksum mismatch)");
            }
            String history = new UUID(buffer.getLong(), buffer.getLong()).toString();
            header = new Header(history, buffer.getLong(), buffer.getLong(), buffer.getLong(), buffer.getLong(),
                    buffer.getLong(), buffer.getLong());
            expected = header.firstLsn();
        }

        public Header header() {
            return header;
        }

        /** The next record, or null after the last one. */
        public LogRecord next() throws IOException {
            if (expected > header.lastLsn()) {
                if (in.read() >= 0) {
                    throw new BackupException(source + " holds bytes after its last record " + header.lastLsn());
                }
                return null;
            }
            try {
                int length = in.readInt();
                int checksum = in.readInt();
                if (length < 0 || length > io.dirkdb.storage.Storage.MAX_RECORD_PAYLOAD_BYTES) {
                    throw new BackupException(source + ": record " + expected + " has an impossible length");
                }
                byte[] head = new byte[16];
                in.readFully(head);
                byte[] payload = new byte[length];
                in.readFully(payload);
                CRC32C crc = new CRC32C();
                crc.update(head);
                crc.update(payload);
                if ((int) crc.getValue() != checksum) {
                    throw new BackupException(source + ": record " + expected + " fails its checksum");
                }
                java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(head);
                long lsn = h.getLong();
                long epoch = h.getLong();
                if (lsn != expected) {
                    throw new BackupException(source + " holds record " + lsn + " where record " + expected + " belongs");
                }
                expected++;
                return new LogRecord(lsn, epoch, payload);
            } catch (EOFException e) {
                throw new BackupException(source + " is cut short at record " + expected);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
