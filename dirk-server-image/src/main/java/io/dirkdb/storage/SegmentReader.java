package io.dirkdb.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/** Reads the records of one segment file in order, checking each frame. */
final class SegmentReader implements Closeable {

    /** A frame that is cut short or fails its checks; {@code offset} is where it starts. */
    static final class BadFrameException extends Exception {
        final long offset;

        BadFrameException(long offset, String reason) {
            super(reason, null, false, false);
            this.offset = offset;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer buffer = ByteBuffer.allocate(64 << 10).flip();
    /** File offset of {@code buffer.position()}: the start of the next frame. */
    private long offset;
    private String historyId;

    private SegmentReader(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * Opens a segment and checks its header.
     *
     * @throws BadFrameException   if the file is shorter than a header or its header is all zeros (a
     *                             segment torn while being created)
     * @throws CorruptLogException if the header is complete but wrong
     */
    static SegmentReader open(Path file, long firstLsn) throws IOException, BadFrameException {
        SegmentReader reader = new SegmentReader(file, FileChannel.open(file, StandardOpenOption.READ));
        try {
            reader.checkHeader(firstLsn);
            return reader;
        } catch (IOException | BadFrameException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private void checkHeader(long firstLsn) throws IOException, BadFrameException {
        if (!fill(LogSegments.SEGMENT_HEADER_V1_BYTES)) {
            throw new BadFrameException(0, "segment header cut short (" + buffer.remaining() + " bytes)");
        }
        int at = buffer.position();
        if (buffer.getLong(at) == 0 && buffer.getLong(at + 8) == 0) {
            // Created but its header never reached the disk (a crash right after creation): like a torn write.
            throw new BadFrameException(0, "segment header is all zeros (created, never written)");
        }
        int magic = buffer.getInt();
        int version = buffer.getInt();
        long first = buffer.getLong();
        offset = LogSegments.SEGMENT_HEADER_V1_BYTES;
        FileLayout.requireMagic(file, "log segment", magic, LogSegments.SEGMENT_MAGIC);
        FileLayout.requireVersionUpTo(file, "log", version, LogSegments.SEGMENT_VERSION);
        if (version >= 2) {
            if (!fill(16)) {
                throw new BadFrameException(0, "segment header cut short (" + (16 + buffer.remaining()) + " bytes)");
            }
            historyId = FileLayout.getHistory(buffer);
            offset = LogSegments.SEGMENT_HEADER_BYTES;
        }
        if (first != firstLsn) {
            throw new CorruptLogException(file + " says it starts at LSN " + first + " but is named for LSN " + firstLsn);
        }
    }

    Path file() {
        return file;
    }

    /** The history id in the segment's header; null for a version 1 segment or one written before it was known. */
    String historyId() {
        return historyId;
    }

    /** File offset just past the last record returned: where a cut would go. */
    long offset() {
        return offset;
    }

    /** The next record, or null at a clean end of file (exactly at a frame boundary). */
    LogRecord next() throws IOException, BadFrameException {
        long frameStart = offset;
        if (!fill(LogSegments.FRAME_PREFIX_BYTES)) {
            if (!buffer.hasRemaining()) {
                return null;
            }
            throw new BadFrameException(frameStart, "record cut short (" + buffer.remaining() + " bytes left)");
        }
        int at = buffer.position();
        int bodyLength = buffer.getInt(at);
        int expectedCrc = buffer.getInt(at + 4);
        if (bodyLength < LogSegments.BODY_FIXED_BYTES || bodyLength > LogSegments.MAX_BODY_BYTES) {
            throw new BadFrameException(frameStart, "impossible record length " + bodyLength);
        }
        int frameLength = LogSegments.FRAME_PREFIX_BYTES + bodyLength;
        if (!fill(frameLength)) {
            throw new BadFrameException(frameStart, "record of " + frameLength + " bytes cut short ("
                    + buffer.remaining() + " bytes left)");
        }
        at = buffer.position();
        crc.reset();
        crc.update(buffer.slice(at + LogSegments.FRAME_PREFIX_BYTES, bodyLength));
        if ((int) crc.getValue() != expectedCrc) {
            throw new BadFrameException(frameStart, "checksum mismatch");
        }
        long lsn = buffer.getLong(at + LogSegments.FRAME_PREFIX_BYTES);
        long epoch = buffer.getLong(at + LogSegments.FRAME_PREFIX_BYTES + 8);
        byte[] payload = new byte[bodyLength - LogSegments.BODY_FIXED_BYTES];
        buffer.get(at + LogSegments.FRAME_PREFIX_BYTES + LogSegments.BODY_FIXED_BYTES, payload);
        buffer.position(at + frameLength);
        offset += frameLength;
        return new LogRecord(lsn, epoch, payload);
    }

    /** Makes at least {@code needed} bytes available in the buffer unless the file ends first. */
    private boolean fill(int needed) throws IOException {
        if (buffer.remaining() >= needed) {
            return true;
        }
        if (buffer.capacity() < needed) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(needed, buffer.capacity() * 2));
            larger.put(buffer);
            buffer = larger;
        } else {
            buffer.compact();
        }
        try {
            while (buffer.position() < needed) {
                if (channel.read(buffer) < 0) {
                    break;
                }
            }
        } finally {
            buffer.flip();
        }
        return buffer.remaining() >= needed;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
