package io.dirkdb.storage;

import static io.dirkdb.storage.RecordingMachine.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
    private static final int THREADS = 8;
    private static final int RECORDS_PER_THREAD = 250;

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void concurrentWritersAreAllDurableWithFarFewerFsyncsThanRecords() throws Exception {
        // An fsync of at least half a millisecond, as on a real disk, whatever this machine's is.
        Storage.Options realisticDisk = new Storage.Options(Storage.DEFAULT_SEGMENT_BYTES,
                (file, options) -> new FaultyChannel(FileChannel.open(file, options), new AtomicReference<>(), 500_000));
        long syncs;
        try (Storage storage = Storage.open(dir, new RecordingMachine(), realisticDisk)) {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                writers.add(pool.submit((Callable<Void>) () -> {
                    for (int i = 0; i < RECORDS_PER_THREAD; i++) {
                        long lsn = storage.append(1, bytes(thread + ":" + i));
                        storage.awaitDurable(lsn);
                        assertThat(storage.durableLsn()).isGreaterThanOrEqualTo(lsn);
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get(60, TimeUnit.SECONDS);
            }
            syncs = storage.syncCount();
            assertThat(storage.durableLsn()).isEqualTo(THREADS * RECORDS_PER_THREAD);
        }
        assertThat(syncs).isLessThan(THREADS * RECORDS_PER_THREAD / 2);

        RecordingMachine machine = new RecordingMachine();
        try (Storage ignored = Storage.open(dir, machine)) {
            assertThat(machine.payloads).hasSize(THREADS * RECORDS_PER_THREAD);
            for (int t = 0; t < THREADS; t++) {
                String prefix = t + ":";
                List<String> own = machine.payloads.stream().filter(p -> p.startsWith(prefix)).toList();
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < RECORDS_PER_THREAD; i++) {
                    expected.add(prefix + i);
                }
                assertThat(own).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    void failedFsyncReachesEveryWaiterAndLaterAppendsAreRefused() throws Exception {
        AtomicReference<IOException> fault = new AtomicReference<>();
        Storage.Options faulty = new Storage.Options(Storage.DEFAULT_SEGMENT_BYTES,
                (file, options) -> new FaultyChannel(FileChannel.open(file, options), fault));
        Storage storage = Storage.open(dir, new RecordingMachine(), faulty);
        try {
            long beforeFault = storage.append(1, bytes("safe"));
            storage.awaitDurable(beforeFault);

            fault.set(new IOException("No space left on device"));
            List<Long> lsns = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                lsns.add(storage.append(1, bytes("doomed-" + i)));
            }
            List<Future<?>> waiters = new ArrayList<>();
            for (long lsn : lsns) {
                waiters.add(pool.submit((Callable<Void>) () -> {
                    storage.awaitDurable(lsn);
                    return null;
                }));
            }
            for (Future<?> waiter : waiters) {
                assertThatThrownBy(() -> waiter.get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("no space left")
                        .hasMessageContaining("refuses further writes");
            }
            storage.awaitDurable(beforeFault);
            assertThat(storage.durableLsn()).isEqualTo(beforeFault);

            fault.set(null);
            assertThatThrownBy(() -> storage.append(1, bytes("after")))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("refusing to append")
                    .hasMessageContaining("no space left");
            assertThatThrownBy(() -> storage.checkpoint(1, 1, out -> { }))
                    .isInstanceOf(IOException.class);
        } finally {
            storage.close();
        }
        RecordingMachine machine = new RecordingMachine();
        try (Storage reopened = Storage.open(dir, machine)) {
            assertThat(machine.payloads).startsWith("safe");
        }
    }
}
