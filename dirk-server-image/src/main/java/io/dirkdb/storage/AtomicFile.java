package io.dirkdb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Replaces a file so that a crash leaves either the old or the new content, never a mix. */
public final class AtomicFile {
    private AtomicFile() {}

    /** Streams a file's content into an open channel; the channel is forced and closed by the caller. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    public static void write(Path target, byte[] content) throws IOException {
        write(target, channel -> writeFully(channel, ByteBuffer.wrap(content)));
    }

    public static void write(Path target, Content content) throws IOException {
        moveIntoPlace(writeTemporary(target, content), target);
    }

    /**
     * First half of {@link #write}: writes {@code content} next to {@code target} under a temporary
     * name and fsyncs it. Callers that must do something between writing and publishing (deleting
     * what the new file replaces) call {@link #moveIntoPlace} themselves.
     */
    public static Path writeTemporary(Path target, Content content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = temporaryFor(target);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            content.writeTo(ch);
            ch.force(true);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    /** Second half of {@link #write}: renames the fsynced temporary file over the target and makes the rename durable. */
    public static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** The name {@link #writeTemporary} uses; a file by that name left after a crash is garbage. */
    public static Path temporaryFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp");
    }

    public static boolean isTemporary(Path file) {
        return file.getFileName().toString().endsWith(".tmp");
    }

    /** Makes a rename, a new file or a deletion in {@code dir} durable. */
    public static void syncDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            // Some platforms cannot open a directory at all; a rename there is as durable as they allow.
            return;
        }
        try (ch) {
            ch.force(true);
        } catch (IOException e) {
            // A failed fsync of the directory may have lost a rename, a new file or a deletion: as for a
            // file, report it (the caller stops writing) instead of carrying on. Only a file system that
            // does not support syncing a directory at all (EINVAL) is let through, as PostgreSQL does.
            if (!String.valueOf(e.getMessage()).contains("Invalid argument")) {
                throw new IOException("fsync of directory " + dir + " failed: " + e.getMessage(), e);
            }
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }
}
