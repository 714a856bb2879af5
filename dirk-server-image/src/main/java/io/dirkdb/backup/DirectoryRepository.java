package io.dirkdb.backup;

import io.dirkdb.storage.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A repository in a directory (a mounted volume): each object is a file, written aside, fsynced and renamed. */
public final class DirectoryRepository implements Repository {
    private static final String TEMPORARY_SUFFIX = ".partial";
    private final Path root;

    /** The directory is created by the first object stored, not by reading (a mistyped path stays absent). */
    public DirectoryRepository(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    private Path resolve(String name) throws IOException {
        Path file = root.resolve(name).normalize();
        if (!file.startsWith(root) || name.isEmpty()) {
            throw new IOException("object name " + name + " leaves the repository");
        }
        return file;
    }

    @Override
    public void put(String name, Path source) throws IOException {
        Path target = resolve(name);
        Files.createDirectories(target.getParent());
        Path partial = partial(target);
        try {
            Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
            publish(partial, target);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial); // not left behind by a failed write (a full disk, an interrupt)
            throw e;
        }
    }

    @Override
    public void put(String name, byte[] bytes) throws IOException {
        Path target = resolve(name);
        Files.createDirectories(target.getParent());
        Path partial = partial(target);
        try {
            Files.write(partial, bytes);
            publish(partial, target);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
    }

    /** A temporary name of its own for each write: two writers of one object (two archivers) never mix bytes. */
    private static Path partial(Path target) {
        return target.resolveSibling(target.getFileName() + "." + java.util.UUID.randomUUID() + TEMPORARY_SUFFIX);
    }

    private static void publish(Path partial, Path target) throws IOException {
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        AtomicFile.syncDirectory(target.getParent());
    }

    @Override
    public InputStream get(String name) throws IOException {
        Path file = resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(name);
        }
        return Files.newInputStream(file);
    }

    @Override
    public List<Entry> list(String prefix) throws IOException {
        List<Entry> entries = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return entries;
        }
        // Objects come and go while it walks (an archiver renews its lease, stores a chunk, a prune deletes): one
        // gone between the directory's listing and its attributes is simply not listed.
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !file.getFileName().toString().endsWith(TEMPORARY_SUFFIX)) {
                    String name = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                    if (name.startsWith(prefix)) {
                        entries.add(new Entry(name, attrs.size()));
                    }
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        entries.sort(java.util.Comparator.comparing(Entry::name));
        return entries;
    }

    @Override
    public void delete(String name) throws IOException {
        Path file = resolve(name);
        Files.deleteIfExists(file);
        // Leaves no empty directories behind a pruned backup.
        for (Path dir = file.getParent(); dir != null && !dir.equals(root); dir = dir.getParent()) {
            try (Stream<Path> left = Files.list(dir)) {
                if (left.findAny().isPresent()) {
                    break;
                }
            } catch (NoSuchFileException e) {
                continue;
            }
            Files.deleteIfExists(dir);
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }
}
