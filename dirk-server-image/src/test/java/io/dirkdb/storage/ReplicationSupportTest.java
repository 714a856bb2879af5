package io.dirkdb.storage;

import static io.dirkdb.storage.RecordingMachine.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicationSupportTest {
    @TempDir
    Path primaryDir;
    @TempDir
    Path secondaryDir;

    /** Appends and applies, as the engine does. */
    private static long write(Storage storage, RecordingMachine machine, long epoch, String payload) throws IOException {
        long lsn = storage.append(epoch, bytes(payload));
        machine.apply(new LogRecord(lsn, epoch, bytes(payload)));
        storage.awaitDurable(lsn);
        return lsn;
    }

    @Test
    void replicatedRecordsKeepTheirLsnAndEpochAndMustFollowTheLastOne() throws IOException {
        try (Storage storage = Storage.open(secondaryDir, new RecordingMachine())) {
            storage.appendReplicated(new LogRecord(1, 3, bytes("a")));
            storage.appendReplicated(new LogRecord(2, 4, bytes("b")));
            assertThatThrownBy(() -> storage.appendReplicated(new LogRecord(4, 4, bytes("gap"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expects LSN 3");
            storage.awaitDurable(2);
            assertThat(storage.lastEpoch()).isEqualTo(4);
        }
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(secondaryDir, machine)) {
            assertThat(machine.payloads).containsExactly("a", "b");
            try (LogReader reader = storage.readFrom(1)) {
                assertThat(reader.next()).extracting(LogRecord::lsn, LogRecord::epoch).containsExactly(1L, 3L);
            }
        }
    }

    @Test
    void truncateAfterCutsTheLogAndRebuildsTheStateUpToTheForkPoint() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(secondaryDir, machine)) {
            for (int i = 1; i <= 4; i++) {
                write(storage, machine, 1, "common-" + i);
            }
            storage.checkpoint(4, 1, machine::writeSnapshot);
            for (int i = 5; i <= 9; i++) {
                write(storage, machine, 1, "diverged-" + i);
            }

            storage.truncateAfter(6);

            assertThat(storage.lastLsn()).isEqualTo(6);
            assertThat(storage.durableLsn()).isEqualTo(6);
            assertThat(machine.payloads).containsExactly("common-1", "common-2", "common-3", "common-4",
                    "diverged-5", "diverged-6");
            storage.appendReplicated(new LogRecord(7, 2, bytes("primary-7")));
            storage.awaitDurable(7);

            assertThatThrownBy(() -> storage.truncateAfter(3))
                    .isInstanceOf(LogNotRetainedException.class)
                    .hasMessageContaining("snapshot already covers up to LSN 4");
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage storage = Storage.open(secondaryDir, reopened)) {
            assertThat(reopened.payloads).containsExactly("common-1", "common-2", "common-3", "common-4",
                    "diverged-5", "diverged-6", "primary-7");
            assertThat(storage.lastEpoch()).isEqualTo(2);
        }
    }

    @Test
    void truncateAfterDownToTheSnapshotLeavesAnEmptyLogThatContinues() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(secondaryDir, machine)) {
            write(storage, machine, 1, "a");
            write(storage, machine, 1, "b");
            storage.checkpoint(2, 1, machine::writeSnapshot);
            write(storage, machine, 1, "c");

            storage.truncateAfter(2);

            assertThat(machine.payloads).containsExactly("a", "b");
            assertThat(storage.append(2, bytes("d"))).isEqualTo(3);
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage ignored = Storage.open(secondaryDir, reopened)) {
            assertThat(reopened.payloads).containsExactly("a", "b", "d");
        }
    }

    @Test
    void shippedSnapshotReplacesTheSecondarysStateAndLog() throws IOException {
        RecordingMachine primaryMachine = new RecordingMachine();
        RecordingMachine secondaryMachine = new RecordingMachine();
        try (Storage primary = Storage.open(primaryDir, primaryMachine);
             Storage secondary = Storage.open(secondaryDir, secondaryMachine)) {
            for (int i = 1; i <= 5; i++) {
                write(primary, primaryMachine, 2, "p" + i);
            }
            primary.checkpoint(5, 2, primaryMachine::writeSnapshot);
            write(primary, primaryMachine, 2, "p6");
            for (int i = 1; i <= 8; i++) {
                write(secondary, secondaryMachine, 1, "stale" + i);
            }

            SnapshotFile shipped = primary.latestSnapshot().orElseThrow();
            assertThat(shipped.lsn()).isEqualTo(5);
            assertThat(shipped.size()).isEqualTo(Files.size(shipped.path()));
            try (InputStream in = Files.newInputStream(shipped.path())) {
                SnapshotFile installed = secondary.installSnapshot(in);
                assertThat(installed.checksum()).isEqualTo(shipped.checksum());
            }

            assertThat(secondaryMachine.payloads).containsExactly("p1", "p2", "p3", "p4", "p5");
            assertThat(secondary.lastLsn()).isEqualTo(5);
            assertThat(secondary.lastEpoch()).isEqualTo(2);
            assertThatThrownBy(() -> secondary.readFrom(3)).isInstanceOf(LogNotRetainedException.class);
            try (LogReader tail = primary.readFrom(secondary.lastLsn() + 1)) {
                tail.forEachRemaining(record -> {
                    try {
                        secondary.appendReplicated(record);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            secondary.awaitDurable(6);
        }
        RecordingMachine reopened = new RecordingMachine();
        try (Storage secondary = Storage.open(secondaryDir, reopened)) {
            assertThat(reopened.payloads).containsExactly("p1", "p2", "p3", "p4", "p5", "p6");
            assertThat(secondary.lastLsn()).isEqualTo(6);
        }
    }

    @Test
    void shippedSnapshotDamagedInTransitIsRefusedAndChangesNothing() throws IOException {
        RecordingMachine primaryMachine = new RecordingMachine();
        RecordingMachine secondaryMachine = new RecordingMachine();
        try (Storage primary = Storage.open(primaryDir, primaryMachine);
             Storage secondary = Storage.open(secondaryDir, secondaryMachine)) {
            write(primary, primaryMachine, 1, "p1");
            primary.checkpoint(1, 1, primaryMachine::writeSnapshot);
            write(secondary, secondaryMachine, 1, "mine");

            byte[] bytes = Files.readAllBytes(primary.latestSnapshot().orElseThrow().path());
            bytes[bytes.length - 1] ^= 0x01;
            assertThatThrownBy(() -> secondary.installSnapshot(new ByteArrayInputStream(bytes)))
                    .isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining("checksum");
            byte[] cut = java.util.Arrays.copyOf(Files.readAllBytes(primary.latestSnapshot().orElseThrow().path()), 45);
            assertThatThrownBy(() -> secondary.installSnapshot(new ByteArrayInputStream(cut)))
                    .isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining("cut short");

            assertThat(secondaryMachine.payloads).containsExactly("mine");
            assertThat(secondary.lastLsn()).isEqualTo(1);
            assertThat(secondary.append(1, bytes("still writable"))).isEqualTo(2);
            try (var files = Files.list(secondaryDir.resolve(Storage.SNAPSHOT_DIR))) {
                assertThat(files.filter(AtomicFile::isTemporary)).isEmpty();
            }
        }
    }

    @Test
    void shippedSnapshotItsMachineCannotDecodeChangesNothingAndLeavesNoFile() throws IOException {
        RecordingMachine primaryMachine = new RecordingMachine();
        RecordingMachine kept = new RecordingMachine();
        // Reads the whole content (the fsync of the file runs meanwhile), then fails as a damaged catalog would.
        StateMachine refusing = new StateMachine() {
            @Override
            public void apply(LogRecord record) {
                kept.apply(record);
            }

            @Override
            public void writeSnapshot(java.io.OutputStream out) throws IOException {
                kept.writeSnapshot(out);
            }

            @Override
            public void readSnapshot(InputStream in) throws IOException {
                kept.readSnapshot(in);
            }

            @Override
            public DecodedSnapshot decodeSnapshot(InputStream in) throws IOException {
                in.readAllBytes();
                throw new IOException("cannot decode this catalog");
            }
        };
        try (Storage primary = Storage.open(primaryDir, primaryMachine);
             Storage secondary = Storage.open(secondaryDir, refusing)) {
            write(primary, primaryMachine, 1, "p1");
            primary.checkpoint(1, 1, primaryMachine::writeSnapshot);
            write(secondary, kept, 1, "mine");

            try (InputStream in = Files.newInputStream(primary.latestSnapshot().orElseThrow().path())) {
                assertThatThrownBy(() -> secondary.installSnapshot(in)).hasMessageContaining("cannot decode");
            }
            assertThat(kept.payloads).containsExactly("mine");
            assertThat(secondary.lastLsn()).isEqualTo(1);
            assertThat(secondary.append(1, bytes("still writable"))).isEqualTo(2);
            try (var files = Files.list(secondaryDir.resolve(Storage.SNAPSHOT_DIR))) {
                assertThat(files.filter(AtomicFile::isTemporary)).isEmpty();
            }
        }
    }

    @Test
    void shippedSnapshotOlderThanTheSecondarysOwnReplacesItToo() throws IOException {
        RecordingMachine primaryMachine = new RecordingMachine();
        RecordingMachine secondaryMachine = new RecordingMachine();
        try (Storage primary = Storage.open(primaryDir, primaryMachine);
             Storage secondary = Storage.open(secondaryDir, secondaryMachine)) {
            for (int i = 1; i <= 3; i++) {
                write(primary, primaryMachine, 2, "p" + i);
            }
            primary.checkpoint(3, 2, primaryMachine::writeSnapshot);
            // A member of an older epoch that went far past the fork point and checkpointed there.
            for (int i = 1; i <= 8; i++) {
                write(secondary, secondaryMachine, 1, "stale" + i);
            }
            secondary.checkpoint(8, 1, secondaryMachine::writeSnapshot);

            try (InputStream in = Files.newInputStream(primary.latestSnapshot().orElseThrow().path())) {
                secondary.installSnapshot(in);
            }
            assertThat(secondaryMachine.payloads).containsExactly("p1", "p2", "p3");
            assertThat(secondary.latestSnapshot()).get().extracting(SnapshotFile::lsn).isEqualTo(3L);
            assertThat(secondary.append(2, bytes("p4"))).isEqualTo(4);
        }
        assertThat(secondaryDir.resolve(Storage.SNAPSHOT_DIR).toFile().list()).containsExactly(Snapshots.fileName(3));
        RecordingMachine reopened = new RecordingMachine();
        try (Storage ignored = Storage.open(secondaryDir, reopened)) {
            assertThat(reopened.payloads).containsExactly("p1", "p2", "p3", "p4");
        }
    }

    @Test
    void checkpointKeepsTheSegmentsAStreamingSecondaryStillNeedsUpToTheCap() throws IOException {
        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(primaryDir, machine, 256)) {
            storage.retainLogFor(() -> 5, 1L << 20); // a secondary holds LSN 5 and needs what follows
            for (int i = 1; i <= 60; i++) {
                write(storage, machine, 1, "record-" + i);
            }
            storage.checkpoint(60, 1, machine::writeSnapshot);
            try (LogReader reader = storage.readFrom(5)) {
                assertThat(reader.next().lsn()).isEqualTo(5);
            }
            assertThat(storage.oldestRetainedLsn()).isLessThanOrEqualTo(5);
            // Past the cap the secondary is given up (it needs a resync) and the log is cut as before.
            storage.retainLogFor(() -> 5, 300);
            write(storage, machine, 1, "record-61");
            storage.checkpoint(61, 1, machine::writeSnapshot);
            assertThatThrownBy(() -> storage.readFrom(6)).isInstanceOf(LogNotRetainedException.class);
        }
    }
}
