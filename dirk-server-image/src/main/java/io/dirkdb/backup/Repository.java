package io.dirkdb.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Where backups and archived log live: a directory or an S3 bucket prefix. Objects are named by
 * slash-separated paths relative to the repository; an object is either wholly there or not at all
 * (a directory writes a temporary file and renames it; S3 makes an upload visible only once complete).
 */
public interface Repository extends AutoCloseable {

    /** One object: its name relative to the repository, and its size in bytes. */
    record Entry(String name, long size) {}

    /** Stores the content of {@code file} as {@code name}, replacing any object of that name. */
    void put(String name, Path file) throws IOException;

    /** Stores {@code bytes} as {@code name}, replacing any object of that name. */
    void put(String name, byte[] bytes) throws IOException;

    /**
     * Opens object {@code name} for reading.
     *
     * @throws java.nio.file.NoSuchFileException if there is no such object
     */
    InputStream get(String name) throws IOException;

    /** Every object whose name starts with {@code prefix}, in name order. */
    List<Entry> list(String prefix) throws IOException;

    /** Deletes object {@code name}; nothing happens if it is not there. */
    void delete(String name) throws IOException;

    /** Deletes every object of {@code names}, in that order (a store may batch them). */
    default void deleteAll(List<String> names) throws IOException {
        for (String name : names) {
            delete(name);
        }
    }

    /** Where this repository is, for messages (no credentials). */
    String describe();

    @Override
    default void close() {}
}
