package io.dirkdb.storage;

import static io.dirkdb.storage.RecordingMachine.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageTest {
    @TempDir
    Path dir;

    @Test
    void durableRecordsAreReplayedInOrderAfterReopenAndLsnsContinue() throws IOException {
        try (Storage storage = Storage.open(dir, new RecordingMachine())) {
            for (int i = 1; i <= 5; i++) {
                long lsn = storage.append(7, bytes("r" + i));
                assertThat(lsn).isEqualTo(i);
            }
            storage.awaitDurable(5);
            assertThat(storage.durableLsn()).isEqualTo(5);
        }
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            assertThat(machine.payloads).containsExactly("r1", "r2", "r3", "r4", "r5");
            assertThat(machine.lsns).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(storage.lastLsn()).isEqualTo(5);
            assertThat(storage.lastEpoch()).isEqualTo(7);
            assertThat(storage.append(8, bytes("r6"))).isEqualTo(6);
        }
        RecordingMachine again = new RecordingMachine();
        try (Storage storage = Storage.open(dir, again)) {
            assertThat(again.payloads).containsExactly("r1", "r2", "r3", "r4", "r5", "r6");
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryFailsClearly() throws IOException {
        try (Storage first = Storage.open(dir, new RecordingMachine())) {
            assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("already in use");
        }
        try (Storage reopened = Storage.open(dir, new RecordingMachine())) {
            assertThat(reopened.lastLsn()).isZero();
        }
    }

    @Test
    void checkpointThenReopenLoadsSnapshotAndReplaysOnlyLaterRecords() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            for (int i = 1; i <= 3; i++) {
                machine.apply(new LogRecord(storage.append(1, bytes("a" + i)), 1, bytes("a" + i)));
            }
            storage.checkpoint(3, 1, machine::writeSnapshot);
            storage.append(1, bytes("a4"));
            storage.awaitDurable(4);
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage storage = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).containsExactly("a1", "a2", "a3", "a4");
            assertThat(reopened.snapshotsRead).isEqualTo(1);
            assertThat(storage.latestSnapshot()).get().extracting(SnapshotFile::lsn).isEqualTo(3L);
            assertThat(storage.lastLsn()).isEqualTo(4);
        }
    }

    @Test
    void closeMakesRecordsDurableEvenIfNobodyAwaitedThem() throws IOException {
        try (Storage storage = Storage.open(dir, new RecordingMachine())) {
            storage.append(1, bytes("x"));
            storage.append(1, bytes("y"));
            assertThat(storage.durableLsn()).isZero();
        }
        RecordingMachine machine = new RecordingMachine();
        try (Storage ignored = Storage.open(dir, machine)) {
            assertThat(machine.payloads).containsExactly("x", "y");
        }
    }

    @Test
    void awaitingAnLsnNeverAppendedIsAnError() throws IOException {
        try (Storage storage = Storage.open(dir, new RecordingMachine())) {
            storage.append(1, bytes("x"));
            assertThatThrownBy(() -> storage.awaitDurable(2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("never appended");
        }
    }

    @Test
    void closedStorageRefusesAppends() throws IOException {
        Storage storage = Storage.open(dir, new RecordingMachine());
        storage.close();
        assertThatThrownBy(() -> storage.append(1, bytes("late")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void checkpointBehindTheLatestSnapshotIsRefused() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            storage.append(1, bytes("a"));
            storage.append(1, bytes("b"));
            storage.checkpoint(2, 1, machine::writeSnapshot);
            assertThatThrownBy(() -> storage.checkpoint(1, 1, machine::writeSnapshot))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already covers up to LSN 2");
            assertThatThrownBy(() -> storage.checkpoint(3, 1, machine::writeSnapshot))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("log ends at 2");
        }
    }
}
