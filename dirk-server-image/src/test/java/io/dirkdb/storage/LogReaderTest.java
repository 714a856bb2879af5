package io.dirkdb.storage;

import static io.dirkdb.storage.RecordingMachine.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogReaderTest {
    /** Small segments so a few hundred records span many of them. */
    private static final Storage.Options SMALL_SEGMENTS = new Storage.Options(512, FileChannel::open);

    @TempDir
    Path dir;

    @Test
    void readerFollowsAppendsAcrossSegmentsInLsnOrder() throws Exception {
        int total = 400;
        try (Storage storage = Storage.open(dir, new RecordingMachine(), SMALL_SEGMENTS);
             LogReader reader = storage.readFrom(1)) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 1; i <= total; i++) {
                        storage.awaitDurable(storage.append(2, bytes("p" + i)));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            List<LogRecord> read = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                while (reader.hasNext()) {
                    read.add(reader.next());
                }
                return read.size() == total;
            });
            writer.get(10, TimeUnit.SECONDS);

            assertThat(StorageFiles.segments(dir)).hasSizeGreaterThan(3);
            for (int i = 0; i < total; i++) {
                assertThat(read.get(i).lsn()).isEqualTo(i + 1);
                assertThat(read.get(i).epoch()).isEqualTo(2);
                assertThat(new String(read.get(i).payload(), StandardCharsets.UTF_8)).isEqualTo("p" + (i + 1));
            }
            assertThat(reader.hasNext()).isFalse();
            assertThat(reader.nextLsn()).isEqualTo(total + 1);
        }
    }

    @Test
    void readerStartsInTheMiddleOfASegmentAndStopsAtTheDurableEnd() throws IOException {
        try (Storage storage = Storage.open(dir, new RecordingMachine())) {
            for (int i = 1; i <= 10; i++) {
                storage.append(1, bytes("p" + i));
            }
            storage.awaitDurable(6);
            storage.append(1, bytes("p11"));
            try (LogReader reader = storage.readFrom(4)) {
                List<Long> lsns = new ArrayList<>();
                reader.forEachRemaining(r -> lsns.add(r.lsn()));
                assertThat(lsns).startsWith(4L, 5L, 6L).doesNotContain(1L, 2L, 3L);
                assertThat(lsns.get(lsns.size() - 1)).isEqualTo(storage.durableLsn());
            }
        }
    }

    @Test
    void readingFromAnLsnWhoseSegmentWasDeletedAsksForAResync() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine, SMALL_SEGMENTS)) {
            for (int i = 1; i <= 100; i++) {
                storage.awaitDurable(storage.append(1, bytes("p" + i)));
            }
            storage.checkpoint(80, 1, machine::writeSnapshot);
            long oldest = storage.oldestRetainedLsn();
            assertThat(oldest).isGreaterThan(1).isLessThanOrEqualTo(81);

            assertThatThrownBy(() -> storage.readFrom(1))
                    .isInstanceOfSatisfying(LogNotRetainedException.class, e -> {
                        assertThat(e.requestedLsn()).isEqualTo(1);
                        assertThat(e.oldestRetainedLsn()).isEqualTo(oldest);
                    })
                    .hasMessageContaining("resync");
            try (LogReader reader = storage.readFrom(oldest)) {
                assertThat(reader.next().lsn()).isEqualTo(oldest);
            }
        }
    }

    @Test
    void readerWhoseNextSegmentIsDeletedByACheckpointAsksForAResync() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine, SMALL_SEGMENTS)) {
            for (int i = 1; i <= 100; i++) {
                storage.awaitDurable(storage.append(1, bytes("p" + i)));
            }
            try (LogReader reader = storage.readFrom(1)) {
                assertThat(reader.next().lsn()).isEqualTo(1);
                storage.checkpoint(90, 1, machine::writeSnapshot);
                assertThatThrownBy(() -> {
                    while (reader.hasNext()) {
                        reader.next();
                    }
                }).isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(LogNotRetainedException.class);
            }
        }
    }

    @Test
    void checkpointDeletesSegmentsItCoversAndKeepsTheRest() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine, SMALL_SEGMENTS)) {
            for (int i = 1; i <= 100; i++) {
                long lsn = storage.append(1, bytes("p" + i));
                storage.awaitDurable(lsn);
                machine.apply(new LogRecord(lsn, 1, bytes("p" + i)));
            }
            int before = StorageFiles.segments(dir).size();
            // The snapshot must hold the state at LSN 60, not at LSN 100.
            machine.payloads.subList(60, 100).clear();
            machine.lsns.subList(60, 100).clear();
            storage.checkpoint(60, 1, machine::writeSnapshot);
            List<Path> after = StorageFiles.segments(dir);
            assertThat(after.size()).isLessThan(before);
            assertThat(LogSegments.firstLsnOf(after.get(0))).isLessThanOrEqualTo(61);
            assertThat(dir.resolve(Storage.SNAPSHOT_DIR).toFile().list()).containsExactly(Snapshots.fileName(60));
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage ignored = Storage.open(dir, reopened, SMALL_SEGMENTS)) {
            assertThat(reopened.snapshotsRead).isEqualTo(1);
            assertThat(reopened.payloads).hasSize(100).startsWith("p1").containsSequence("p59", "p60", "p61", "p62").endsWith("p100");
        }
    }
}
