package io.dirkdb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/** The on-disk layout of log segments and record frames (see docs/storage-format.md). */
final class LogSegments {
    private LogSegments() {}

    static final String SUFFIX = ".log";
    /** "DWAL" */
    static final int SEGMENT_MAGIC = 0x4457414C;
    /** Version 2 adds the history id; version 1 segments (no history) are still read. */
    static final int SEGMENT_VERSION = 2;
    /** Version 1: magic, version, first LSN. */
    static final int SEGMENT_HEADER_V1_BYTES = 16;
    /** Version 2: magic, version, first LSN, history id (16 bytes). */
    static final int SEGMENT_HEADER_BYTES = 32;

    /** length and CRC32C in front of every record body. */
    static final int FRAME_PREFIX_BYTES = 8;
    /** lsn and epoch at the start of every record body. */
    static final int BODY_FIXED_BYTES = 16;
    static final int MAX_PAYLOAD_BYTES = 64 << 20;
    static final int MAX_BODY_BYTES = BODY_FIXED_BYTES + MAX_PAYLOAD_BYTES;

    static String fileName(long firstLsn) {
        return FileLayout.fileName(firstLsn, SUFFIX);
    }

    /** The first LSN a segment file name stands for, or -1 if the name is not a segment's. */
    static long firstLsnOf(Path file) {
        return FileLayout.lsnOf(file, SUFFIX);
    }

    /** Segment files in {@code walDir} by first LSN. */
    static TreeMap<Long, Path> list(Path walDir) throws IOException {
        TreeMap<Long, Path> segments = new TreeMap<>();
        try (Stream<Path> files = Files.list(walDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                long first = firstLsnOf(file);
                if (first > 0) {
                    segments.put(first, file);
                }
            }
        }
        return segments;
    }

    /** A version 2 header; {@code historyId} null (not known yet) is written as zeros. */
    static ByteBuffer header(long firstLsn, String historyId) {
        ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
        header.putInt(SEGMENT_MAGIC).putInt(SEGMENT_VERSION).putLong(firstLsn);
        FileLayout.putHistory(header, historyId);
        return header.flip();
    }

    static int frameBytes(int payloadLength) {
        return FRAME_PREFIX_BYTES + BODY_FIXED_BYTES + payloadLength;
    }

    /** Appends one framed record to {@code out}, which must have room for {@link #frameBytes}. */
    static void putFrame(ByteBuffer out, long lsn, long epoch, byte[] payload) {
        int start = out.position();
        int bodyLength = BODY_FIXED_BYTES + payload.length;
        out.putInt(bodyLength).putInt(0).putLong(lsn).putLong(epoch).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(out.slice(start + FRAME_PREFIX_BYTES, bodyLength));
        out.putInt(start + 4, (int) crc.getValue());
    }

    /**
     * Whether a well-formed record with an LSN of at least {@code minLsn} starts anywhere after
     * {@code badOffset}. Used to tell a torn tail (nothing valid after the damage) from damage in
     * the middle of the log.
     */
    static boolean validFrameAfter(Path segment, long badOffset, long minLsn) throws IOException {
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            long start = badOffset + 1;
            long length = Math.min(ch.size() - start, Integer.MAX_VALUE);
            if (length < FRAME_PREFIX_BYTES + BODY_FIXED_BYTES) {
                return false;
            }
            MappedByteBuffer tail = ch.map(FileChannel.MapMode.READ_ONLY, start, length);
            int limit = tail.limit();
            long maxLsn = minLsn + limit / (FRAME_PREFIX_BYTES + BODY_FIXED_BYTES);
            CRC32C crc = new CRC32C();
            for (int at = 0; at + FRAME_PREFIX_BYTES + BODY_FIXED_BYTES <= limit; at++) {
                int bodyLength = tail.getInt(at);
                if (bodyLength < BODY_FIXED_BYTES || bodyLength > MAX_BODY_BYTES
                        || (long) at + FRAME_PREFIX_BYTES + bodyLength > limit) {
                    continue;
                }
                long lsn = tail.getLong(at + FRAME_PREFIX_BYTES);
                if (lsn < minLsn || lsn > maxLsn) {
                    continue;
                }
                crc.reset();
                crc.update(tail.slice(at + FRAME_PREFIX_BYTES, bodyLength));
                if ((int) crc.getValue() == tail.getInt(at + 4)) {
                    return true;
                }
            }
            return false;
        }
    }
}
