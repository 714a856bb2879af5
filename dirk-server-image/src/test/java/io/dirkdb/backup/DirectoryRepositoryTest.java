package io.dirkdb.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory repository while objects come and go, as an archiver renewing its lease makes them. */
class DirectoryRepositoryTest {
    @TempDir
    Path root;

    /**
     * A listing beside a writer that keeps replacing and deleting one object: the object is listed or not, and the
     * listing never fails. Before, the walk failed with NoSuchFileException when the object went between the
     * directory's listing and its attributes (a prune's or restore's listing beside a running archiver).
     */
    @Test
    void aListingBesideObjectsThatComeAndGoNeverFails() throws Exception {
        Repository repo = new DirectoryRepository(root);
        repo.put("backups/b1/manifest.json", "{}".getBytes(StandardCharsets.UTF_8));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    repo.put(ArchiverLease.NAME, ("{\"renewal\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                    repo.put("wal/h/status.json", ("{\"lastLsn\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                    repo.delete(ArchiverLease.NAME);
                    repo.delete("wal/h/status.json");
                }
            } catch (IOException | RuntimeException e) {
                writerFailed.set(e);
            }
        }, "repository-churn");
        writer.start();
        try {
            for (int i = 0; i < 300; i++) {
                assertThat(repo.list("")).extracting(Repository.Entry::name).contains("backups/b1/manifest.json")
                        .allMatch(name -> name.equals("backups/b1/manifest.json") || name.equals(ArchiverLease.NAME)
                                || name.equals("wal/h/status.json"));
            }
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
        assertThat(writerFailed.get()).isNull();
        // Each write went through a temporary name of its own, and none is left behind.
        try (Stream<Path> left = Files.walk(root)) {
            assertThat(left.map(Path::toString)).noneMatch(name -> name.endsWith(".partial"));
        }
    }
}
