package io.dirkdb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Pokes at a data directory's files the way crashes and bad disks do. */
final class StorageFiles {
    private StorageFiles() {}

    static List<Path> segments(Path dataDirectory) throws IOException {
        return new ArrayList<>(LogSegments.list(dataDirectory.resolve(Storage.WAL_DIR)).values());
    }

    static Path lastSegment(Path dataDirectory) throws IOException {
        List<Path> all = segments(dataDirectory);
        return all.get(all.size() - 1);
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offset);
            one.flip();
            byte flipped = (byte) (one.get() ^ 0x5A);
            ch.write(ByteBuffer.wrap(new byte[] {flipped}), offset);
        }
    }

    /** Offset of the frame of the {@code index}-th record (0-based) in a segment of equal-sized records. */
    static long frameOffset(int index, int payloadLength) {
        return LogSegments.SEGMENT_HEADER_BYTES + (long) index * LogSegments.frameBytes(payloadLength);
    }
}
