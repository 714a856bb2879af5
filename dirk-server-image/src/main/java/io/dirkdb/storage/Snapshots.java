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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.zip.CRC32C;

/** The on-disk layout of snapshot files (see docs/storage-format.md). */
final class Snapshots {
    private Snapshots() {}

    static final String SUFFIX = ".snap";
    /** "DSNP" */
    static final int MAGIC = 0x44534E50;
    /** Version 2 adds the history id; version 1 snapshots (no history) are still read. */
    static final int VERSION = 2;
    /** Version 1: magic, version, lsn, epoch, content length, content CRC32C, header CRC32C. */
    static final int HEADER_V1_BYTES = 40;
    /** Version 2: magic, version, lsn, epoch, history id (16 bytes), content length, content CRC32C, header CRC32C. */
    static final int HEADER_BYTES = 56;
    private static final int COPY_BUFFER_BYTES = 64 << 10;
    private static final int RECEIVE_CHUNK_BYTES = 1 << 20;

    /** @param historyId null when none is recorded; @param headerBytes the header's size on disk (by version) */
    record Header(long lsn, long epoch, String historyId, long contentLength, int contentChecksum, int headerBytes) {
        Header withHistory(String id) {
            return new Header(lsn, epoch, id, contentLength, contentChecksum, headerBytes);
        }

        Header withHeaderBytes(int bytes) {
            return new Header(lsn, epoch, historyId, contentLength, contentChecksum, bytes);
        }
    }

    static String fileName(long lsn) {
        return FileLayout.fileName(lsn, SUFFIX);
    }

    /** The LSN a snapshot file name stands for, or -1 if the name is not a snapshot's. */
    static long lsnOf(Path file) {
        return FileLayout.lsnOf(file, SUFFIX);
    }

    /** A version 2 header, whatever the version {@code header} was read from. */
    static ByteBuffer encodeHeader(Header header) {
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES);
        out.putInt(MAGIC).putInt(VERSION).putLong(header.lsn()).putLong(header.epoch());
        FileLayout.putHistory(out, header.historyId());
        out.putLong(header.contentLength()).putInt(header.contentChecksum());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, HEADER_BYTES - 4);
        out.putInt((int) crc.getValue()).flip();
        return out;
    }

    /** Reads a header of either version from the start of {@code in}, and nothing after it. */
    static Header readHeader(InputStream in, String source) throws IOException {
        byte[] start = in.readNBytes(8);
        if (start.length < 8) {
            throw new CorruptLogException(source + " is cut short: " + start.length + " bytes, not even a snapshot header");
        }
        int version = ByteBuffer.wrap(start).getInt(4);
        int length = version == 1 ? HEADER_V1_BYTES : HEADER_BYTES;
        byte[] rest = in.readNBytes(length - 8);
        byte[] bytes = new byte[8 + rest.length];
        System.arraycopy(start, 0, bytes, 0, 8);
        System.arraycopy(rest, 0, bytes, 8, rest.length);
        return decodeHeader(bytes, source);
    }

    static Header decodeHeader(byte[] bytes, String source) throws CorruptLogException {
        if (bytes.length < HEADER_V1_BYTES) {
            throw new CorruptLogException(source + " is cut short: " + bytes.length + " bytes, not even a snapshot header");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int magic = in.getInt();
        int version = in.getInt();
        FileLayout.requireMagic(source, "snapshot", magic, MAGIC);
        FileLayout.requireVersionUpTo(source, "snapshot", version, VERSION);
        int length = version == 1 ? HEADER_V1_BYTES : HEADER_BYTES;
        if (bytes.length < length) {
            throw new CorruptLogException(source + " is cut short: " + bytes.length + " bytes, not even a snapshot header");
        }
        long lsn = in.getLong();
        long epoch = in.getLong();
        String history = version == 1 ? null : FileLayout.getHistory(in);
        Header header = new Header(lsn, epoch, history, in.getLong(), in.getInt(), length);
        int headerChecksum = in.getInt();
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length - 4);
        if ((int) crc.getValue() != headerChecksum) {
            throw new CorruptLogException(source + " has a damaged header (checksum mismatch)");
        }
        if (header.contentLength() < 0 || header.lsn() < 0) {
            throw new CorruptLogException(source + " has an impossible header");
        }
        return header;
    }

    /** Writes a snapshot atomically into {@code dir}; the previous snapshot files are left alone. */
    static SnapshotFile write(Path dir, long lsn, long epoch, String historyId, Storage.SnapshotWriter writer)
            throws IOException {
        Path target = dir.resolve(fileName(lsn));
        Header[] written = new Header[1];
        AtomicFile.write(target, channel -> {
            channel.position(HEADER_BYTES);
            ChecksummedOutput out = new ChecksummedOutput(channel);
            writer.write(out);
            out.flush();
            written[0] = new Header(lsn, epoch, historyId, out.count, out.checksum(), HEADER_BYTES);
            AtomicFile.writeFully(channel, encodeHeader(written[0]), 0);
        });
        return describe(target, written[0]);
    }

    /**
     * Copies a shipped snapshot (header and content) into a fsynced temporary file next to where it
     * belongs, checking it on the way, then has {@code machine} decode it into a state kept aside.
     * Returns the temporary file, what it holds and the decoded state, not in use yet. Decoding
     * comes after the checksum held and before anything is replaced, so a snapshot that fails
     * either changes nothing. The fsync of the file runs on a thread of its own while the content
     * is decoded from the page cache (the disk waits and the CPU decodes at once); both have ended,
     * and the fsync succeeded, before this returns. (Decoding on another thread while the bytes
     * arrive was measured slower on two busy cores, and would decode bytes not checked yet, so it
     * is not done.)
     */
    static ShippedSnapshot receive(Path dir, InputStream shipped, StateMachine machine, String ownHistory)
            throws IOException {
        Header read = readHeader(shipped, "the shipped snapshot");
        if (ownHistory != null && read.historyId() != null && !ownHistory.equals(read.historyId())) {
            throw new IOException("the shipped snapshot belongs to history " + read.historyId()
                    + " but this member's data belongs to history " + ownHistory + "; nothing was replaced");
        }
        // Written in this version's layout; a snapshot from a member of an older version takes our history.
        Header header = (read.historyId() == null ? read.withHistory(ownHistory) : read)
                .withHeaderBytes(HEADER_BYTES);
        Path target = dir.resolve(fileName(header.lsn()));
        Files.createDirectories(dir);
        Path tmp = AtomicFile.temporaryFor(target);
        StateMachine.DecodedSnapshot decoded;
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING)) {
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
            FutureTask<Void> durable = new FutureTask<>(() -> {
                channel.force(true);
                return null;
            });
            Thread syncing = new Thread(durable, "dirk-snapshot-fsync");
            syncing.setDaemon(true);
            syncing.start();
            try {
                channel.position(HEADER_BYTES); // just written: read back from the page cache
                decoded = machine.decodeSnapshot(new BoundedInput(Channels.newInputStream(channel), header.contentLength()));
            } catch (IOException | RuntimeException | Error e) {
                try {
                    awaitForce(durable, tmp); // the channel is closed next: let the fsync end first
                } catch (IOException alsoFailed) {
                    e.addSuppressed(alsoFailed);
                }
                throw e;
            }
            awaitForce(durable, tmp);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return new ShippedSnapshot(tmp, target, describe(target, header), decoded);
    }

    /** Waits for the fsync of a received snapshot; its failure is this receive's. */
    private static void awaitForce(FutureTask<Void> durable, Path file) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    durable.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the channel is still in use by the fsync: wait for it to end
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException("fsync of " + file + " failed: " + cause, cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A received snapshot, durable under its temporary name, and its content decoded but not in use yet. */
    record ShippedSnapshot(Path temporary, Path target, SnapshotFile file, StateMachine.DecodedSnapshot decoded) {}

    private static SnapshotFile describe(Path target, Header header) {
        return new SnapshotFile(target, header.lsn(), header.epoch(), header.headerBytes() + header.contentLength(),
                header.contentChecksum(), header.historyId(), header.headerBytes());
    }

    /** Reads a snapshot's header and checks its whole content against the checksum. */
    static SnapshotFile verify(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Header header = readHeader(in, file.toString());
            long size = Files.size(file);
            if (size != header.headerBytes() + header.contentLength()) {
                throw new CorruptLogException(file + " should hold " + (header.headerBytes() + header.contentLength())
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
            channel.position(snapshot.headerBytes());
            InputStream content = new BoundedInput(Channels.newInputStream(channel), snapshot.size() - snapshot.headerBytes());
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
