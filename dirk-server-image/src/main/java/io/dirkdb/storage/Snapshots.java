package io.dirkdb.storage;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/** The on-disk layout of snapshot files (see docs/storage-format.md). */
final class Snapshots {
    private Snapshots() {}

    static final String SUFFIX = ".snap";
    /** "DSNP" */
    static final int MAGIC = 0x44534E50;
    static final int VERSION = 1;
    /** magic, version, lsn, epoch, content length, content CRC32C, header CRC32C. */
    static final int HEADER_BYTES = 40;
    private static final int COPY_BUFFER_BYTES = 64 << 10;
    private static final int RECEIVE_CHUNK_BYTES = 1 << 20;

    record Header(long lsn, long epoch, long contentLength, int contentChecksum) {}

    static String fileName(long lsn) {
        return FileLayout.fileName(lsn, SUFFIX);
    }

    /** The LSN a snapshot file name stands for, or -1 if the name is not a snapshot's. */
    static long lsnOf(Path file) {
        return FileLayout.lsnOf(file, SUFFIX);
    }

    static ByteBuffer encodeHeader(Header header) {
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES);
        out.putInt(MAGIC).putInt(VERSION).putLong(header.lsn()).putLong(header.epoch())
                .putLong(header.contentLength()).putInt(header.contentChecksum());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, HEADER_BYTES - 4);
        out.putInt((int) crc.getValue()).flip();
        return out;
    }

    static Header decodeHeader(byte[] bytes, String source) throws CorruptLogException {
        if (bytes.length < HEADER_BYTES) {
            throw new CorruptLogException(source + " is cut short: " + bytes.length + " bytes, not even a snapshot header");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, HEADER_BYTES);
        int magic = in.getInt();
        int version = in.getInt();
        Header header = new Header(in.getLong(), in.getLong(), in.getLong(), in.getInt());
        int headerChecksum = in.getInt();
        FileLayout.requireMagic(source, "snapshot", magic, MAGIC);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, HEADER_BYTES - 4);
        if ((int) crc.getValue() != headerChecksum) {
            throw new CorruptLogException(source + " has a damaged header (checksum mismatch)");
        }
        FileLayout.requireVersion(source, "snapshot", version, VERSION);
        if (header.contentLength() < 0 || header.lsn() < 0) {
            throw new CorruptLogException(source + " has an impossible header");
        }
        return header;
    }

    /** Writes a snapshot atomically into {@code dir}; the previous snapshot files are left alone. */
    static SnapshotFile write(Path dir, long lsn, long epoch, Storage.SnapshotWriter writer) throws IOException {
        Path target = dir.resolve(fileName(lsn));
        Header[] written = new Header[1];
        AtomicFile.write(target, channel -> {
            channel.position(HEADER_BYTES);
            ChecksummedOutput out = new ChecksummedOutput(channel);
            writer.write(out);
            out.flush();
            written[0] = new Header(lsn, epoch, out.count, out.checksum());
            AtomicFile.writeFully(channel, encodeHeader(written[0]), 0);
        });
        return describe(target, written[0]);
    }

    /**
     * Copies a shipped snapshot (header and content) into a fsynced temporary file next to where it
     * belongs, checking it on the way, then has {@code machine} decode it into a state kept aside.
     * Returns the temporary file, what it holds and the decoded state, not in use yet. Decoding
     * comes after the checksum held and before anything is replaced, so a snapshot that fails
     * either changes nothing. (Decoding on another thread while the bytes arrive was measured
     * slower on two busy cores, so it is not done.)
     */
    static ShippedSnapshot receive(Path dir, InputStream shipped, StateMachine machine) throws IOException {
        Header header = decodeHeader(shipped.readNBytes(HEADER_BYTES), "the shipped snapshot");
        Path target = dir.resolve(fileName(header.lsn()));
        Path tmp = AtomicFile.writeTemporary(target, channel -> {
            AtomicFile.writeFully(channel, encodeHeader(header));
            // One pass: each chunk is checksummed and written as it arrives, in large writes.
            CRC32C crc = new CRC32C();
            byte[] chunk = new byte[RECEIVE_CHUNK_BYTES];
            long left = header.contentLength();
            while (left > 0) {
                int wanted = (int) Math.min(chunk.length, left);
                int n = shipped.readNBytes(chunk, 0, wanted);
                crc.update(chunk, 0, n);
                AtomicFile.writeFully(channel, ByteBuffer.wrap(chunk, 0, n));
                left -= n;
                if (n < wanted) {
                    throw new CorruptLogException("the shipped snapshot is cut short: "
                            + (header.contentLength() - left) + " of " + header.contentLength() + " content bytes arrived");
                }
            }
            if ((int) crc.getValue() != header.contentChecksum()) {
                throw new CorruptLogException("the shipped snapshot fails its checksum (damaged in transit?)");
            }
        });
        SnapshotFile received = describe(target, header);
        StateMachine.DecodedSnapshot decoded;
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.READ)) {
            channel.position(HEADER_BYTES); // just written: read back from the page cache
            decoded = machine.decodeSnapshot(new BoundedInput(Channels.newInputStream(channel), header.contentLength()));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return new ShippedSnapshot(tmp, target, received, decoded);
    }

    /** A received snapshot, durable under its temporary name, and its content decoded but not in use yet. */
    record ShippedSnapshot(Path temporary, Path target, SnapshotFile file, StateMachine.DecodedSnapshot decoded) {}

    private static SnapshotFile describe(Path target, Header header) {
        return new SnapshotFile(target, header.lsn(), header.epoch(), HEADER_BYTES + header.contentLength(),
                header.contentChecksum());
    }

    /** Reads a snapshot's header and checks its whole content against the checksum. */
    static SnapshotFile verify(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Header header = decodeHeader(in.readNBytes(HEADER_BYTES), file.toString());
            long size = Files.size(file);
            if (size != HEADER_BYTES + header.contentLength()) {
                throw new CorruptLogException(file + " should hold " + (HEADER_BYTES + header.contentLength())
                        + " bytes but holds " + size);
            }
            CRC32C crc = new CRC32C();
            byte[] chunk = new byte[COPY_BUFFER_BYTES];
            for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                crc.update(chunk, 0, n);
            }
            if ((int) crc.getValue() != header.contentChecksum()) {
                throw new CorruptLogException(file + " fails its checksum");
            }
            return describe(file, header);
        }
    }

    /** Feeds a verified snapshot's content (without the header) to the state machine. */
    static void load(SnapshotFile snapshot, StateMachine machine) throws IOException {
        try (FileChannel channel = FileChannel.open(snapshot.path(), StandardOpenOption.READ)) {
            channel.position(HEADER_BYTES);
            InputStream content = new BoundedInput(Channels.newInputStream(channel), snapshot.size() - HEADER_BYTES);
            machine.readSnapshot(content);
        }
    }

    /** Writes through to the channel in chunks, counting bytes and computing CRC32C; close only flushes. */
    private static final class ChecksummedOutput extends OutputStream {
        private final FileChannel channel;
        private final byte[] chunk = new byte[COPY_BUFFER_BYTES];
        private final CRC32C crc = new CRC32C();
        private int used;
        long count;

        ChecksummedOutput(FileChannel channel) {
            this.channel = channel;
        }

        int checksum() {
            return (int) crc.getValue();
        }

        @Override
        public void write(int b) throws IOException {
            if (used == chunk.length) {
                flush();
            }
            chunk[used++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (used == chunk.length) {
                    flush();
                }
                int n = Math.min(len, chunk.length - used);
                System.arraycopy(b, off, chunk, used, n);
                used += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public void flush() throws IOException {
            if (used > 0) {
                crc.update(chunk, 0, used);
                AtomicFile.writeFully(channel, ByteBuffer.wrap(chunk, 0, used));
                count += used;
                used = 0;
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Lets the state machine read exactly the content, never past it; close leaves the file to the caller. */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInput(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new EOFException("snapshot content ends early");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("snapshot content ends early");
            }
            left -= n;
            return n;
        }

        @Override
        public void close() {
            // the caller closes the file
        }
    }
}
