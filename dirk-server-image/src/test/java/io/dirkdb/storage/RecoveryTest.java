package io.dirkdb.storage;

import static io.dirkdb.storage.RecordingMachine.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryTest {
    /** Every payload here is "rec-NN": the same length, so frame offsets are easy to compute. */
    private static final int PAYLOAD_LENGTH = 6;

    @TempDir
    Path dir;

    private void writeRecords(int count) throws IOException {
        try (Storage storage = Storage.open(dir, new RecordingMachine())) {
            for (int i = 1; i <= count; i++) {
                storage.append(1, bytes(String.format("rec-%02d", i)));
            }
            storage.awaitDurable(count);
        }
    }

    @Test
    void recordCutShortAtTheEndIsDroppedAndAppendsContinueAfterTheLastWholeRecord() throws IOException {
        writeRecords(5);
        Path segment = StorageFiles.lastSegment(dir);
        StorageFiles.truncate(segment, StorageFiles.frameOffset(4, PAYLOAD_LENGTH) + 11);

        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            assertThat(machine.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04");
            assertThat(Files.size(segment)).isEqualTo(StorageFiles.frameOffset(4, PAYLOAD_LENGTH));
            assertThat(storage.append(1, bytes("rec-05"))).isEqualTo(5);
            storage.awaitDurable(5);
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage storage = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04", "rec-05");
        }
    }

    @Test
    void lastRecordFailingItsChecksumIsDroppedAndAppendsContinue() throws IOException {
        writeRecords(5);
        Path segment = StorageFiles.lastSegment(dir);
        StorageFiles.flipByte(segment, Files.size(segment) - 1);

        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            assertThat(machine.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04");
            assertThat(storage.lastLsn()).isEqualTo(4);
            assertThat(storage.append(1, bytes("new-05"))).isEqualTo(5);
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage ignored = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04", "new-05");
        }
    }

    @Test
    void damagedRecordFollowedByValidOnesIsAnErrorNotACut() throws IOException {
        writeRecords(5);
        Path segment = StorageFiles.lastSegment(dir);
        long sizeBefore = Files.size(segment);
        StorageFiles.flipByte(segment, StorageFiles.frameOffset(1, PAYLOAD_LENGTH) + 26);

        assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("record LSN 2")
                .hasMessageContaining("valid records follow");
        assertThat(Files.size(segment)).isEqualTo(sizeBefore);
    }

    @Test
    void damagedLengthFieldInTheMiddleIsAnError() throws IOException {
        writeRecords(5);
        StorageFiles.flipByte(StorageFiles.lastSegment(dir), StorageFiles.frameOffset(2, PAYLOAD_LENGTH) + 1);

        assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("valid records follow");
    }

    @Test
    void damageInAnEarlierSegmentIsAnErrorEvenAtItsEnd() throws IOException {
        Storage.Options smallSegments = new Storage.Options(100, java.nio.channels.FileChannel::open);
        try (Storage storage = Storage.open(dir, new RecordingMachine(), smallSegments)) {
            for (int i = 1; i <= 12; i++) {
                storage.awaitDurable(storage.append(1, bytes(String.format("rec-%02d", i))));
            }
        }
        Path first = StorageFiles.segments(dir).get(0);
        StorageFiles.truncate(first, Files.size(first) - 3);

        assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine(), smallSegments))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("later segments exist");
    }

    @Test
    void segmentTornWhileBeingCreatedIsReusedForTheNextRecords() throws IOException {
        writeRecords(3);
        Path torn = dir.resolve(Storage.WAL_DIR).resolve(LogSegments.fileName(4));
        Files.write(torn, new byte[] {0x44, 0x57});

        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            assertThat(machine.payloads).containsExactly("rec-01", "rec-02", "rec-03");
            storage.awaitDurable(storage.append(1, bytes("rec-04")));
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage ignored = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04");
        }
    }

    @Test
    void snapshotLeftAsTemporaryFileByACrashIsIgnoredAndThePreviousOneUsed() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            for (int i = 1; i <= 6; i++) {
                long lsn = storage.append(1, bytes("rec-0" + i));
                machine.apply(new LogRecord(lsn, 1, bytes("rec-0" + i)));
                if (lsn == 3) {
                    storage.checkpoint(3, 1, machine::writeSnapshot);
                }
            }
            storage.awaitDurable(6);
        }
        // The crash came after the new snapshot's temporary file was written, before the rename.
        Path snapshots = dir.resolve(Storage.SNAPSHOT_DIR);
        Path stray = AtomicFile.temporaryFor(snapshots.resolve(Snapshots.fileName(6)));
        Files.write(stray, new byte[] {1, 2, 3, 4, 5});

        RecordingMachine reopened = new RecordingMachine();
        try (Storage storage = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04", "rec-05", "rec-06");
            assertThat(storage.latestSnapshot()).get().extracting(SnapshotFile::lsn).isEqualTo(3L);
        }
        assertThat(stray).doesNotExist();
    }

    @Test
    void damagedSnapshotWithNoLogBeforeItIsAnError() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        Storage.Options smallSegments = new Storage.Options(100, java.nio.channels.FileChannel::open);
        try (Storage storage = Storage.open(dir, machine, smallSegments)) {
            for (int i = 1; i <= 12; i++) {
                long lsn = storage.append(1, bytes(String.format("rec-%02d", i)));
                storage.awaitDurable(lsn);
                machine.apply(new LogRecord(lsn, 1, bytes("x")));
            }
            storage.checkpoint(10, 1, machine::writeSnapshot);
        }
        Path snapshot;
        try (Stream<Path> files = Files.list(dir.resolve(Storage.SNAPSHOT_DIR))) {
            snapshot = files.findFirst().orElseThrow();
        }
        StorageFiles.flipByte(snapshot, Files.size(snapshot) - 2);

        assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine(), smallSegments))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("fails its checksum")
                .hasMessageContaining("resync");
    }

    @Test
    void damagedSnapshotIsSetAsideWhenTheLogStillReachesBackToTheStart() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            for (int i = 1; i <= 5; i++) {
                long lsn = storage.append(1, bytes("rec-0" + i));
                machine.apply(new LogRecord(lsn, 1, bytes("rec-0" + i)));
            }
            storage.checkpoint(5, 1, machine::writeSnapshot);
            storage.awaitDurable(storage.append(1, bytes("rec-06")));
        }
        Path snapshot = dir.resolve(Storage.SNAPSHOT_DIR).resolve(Snapshots.fileName(5));
        StorageFiles.flipByte(snapshot, Files.size(snapshot) - 1);

        RecordingMachine reopened = new RecordingMachine();
        try (Storage storage = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).containsExactly("rec-01", "rec-02", "rec-03", "rec-04", "rec-05", "rec-06");
            assertThat(reopened.snapshotsRead).isZero();
            assertThat(storage.latestSnapshot()).isEmpty();
        }
        assertThat(snapshot).doesNotExist();
        assertThat(snapshot.resolveSibling(snapshot.getFileName() + ".damaged")).exists();
    }

    @Test
    void allZeroHeaderOfANewLastSegmentIsTreatedAsATornTail() throws IOException {
        writeRecords(5);
        // A crash right after the segment was created: its length reached the disk, its header did not.
        Path created = dir.resolve(Storage.WAL_DIR).resolve(LogSegments.fileName(6));
        Files.write(created, new byte[4096]);

        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            assertThat(machine.payloads).hasSize(5);
            assertThat(storage.append(1, bytes("rec-06"))).isEqualTo(6);
            storage.awaitDurable(6);
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage storage = Storage.open(dir, reopened)) {
            assertThat(reopened.payloads).hasSize(6).endsWith("rec-06");
        }
    }

    @Test
    void allZeroHeaderBeforeValidRecordsIsDamageNotATornTail() throws IOException {
        writeRecords(5);
        Path segment = StorageFiles.lastSegment(dir);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(segment,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(LogSegments.SEGMENT_HEADER_BYTES), 0);
        }
        assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine())).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("holds valid records");
    }

    @Test
    void recoveryFsyncsTheReplayedTailBeforeCallingItDurable() throws IOException {
        writeRecords(5);
        java.util.List<FaultyChannel> opened = new java.util.ArrayList<>();
        Storage.Options counting = new Storage.Options(Storage.DEFAULT_SEGMENT_BYTES, (file, options) -> {
            FaultyChannel channel = new FaultyChannel(java.nio.channels.FileChannel.open(file, options),
                    new java.util.concurrent.atomic.AtomicReference<>());
            opened.add(channel);
            return channel;
        });
        try (Storage storage = Storage.open(dir, new RecordingMachine(), counting)) {
            assertThat(storage.durableLsn()).isEqualTo(5);
            assertThat(opened).hasSize(1);
            assertThat(opened.get(0).forces.get()).as("fsyncs of the replayed tail during recovery").isPositive();
        }
    }

    @Test
    void failedDirectoryFsyncIsReported() {
        assertThatThrownBy(() -> AtomicFile.syncDirectory(dir.resolve("gone")))
                .isInstanceOf(IOException.class);
    }
}
