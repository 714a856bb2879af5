package io.dirkdb.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The durable state of one DirkDB member: a write-ahead log of opaque records plus snapshots,
 * in one data directory (format and recovery rules: docs/storage-format.md).
 *
 * <p>Writes: {@link #append} buffers a record and hands out its LSN; {@link #awaitDurable} returns
 * once the record is fsynced. Waiters share fsyncs (group commit): a waiter that finds no fsync
 * under way becomes the leader and writes and fsyncs everything buffered so far, for everyone;
 * waiters arriving meanwhile sleep, and their records go out together in the next round. After a
 * failed write or fsync the log is in an unknown state on disk, so this object refuses every
 * further write until the member restarts and recovers.
 *
 * <p>Threads: append, awaitDurable, readFrom and the getters may be called from any thread.
 * Checkpoint, truncateAfter and installSnapshot serialize among themselves; the last two also
 * rebuild the state machine, so the caller keeps its own threads off it meanwhile.
 */
public final class Storage implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Storage.class.getName());

    static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    /** The largest payload one log record holds; a statement whose change is larger is refused before logging. */
    public static final int MAX_RECORD_PAYLOAD_BYTES = LogSegments.MAX_PAYLOAD_BYTES;
    static final String LOCK_FILE = "LOCK";
    static final String WAL_DIR = "wal";
    static final String SNAPSHOT_DIR = "snapshots";
    /** Past this much unflushed data, append flushes itself so a caller that never awaits cannot exhaust memory. */
    private static final int PENDING_LIMIT_BYTES = 8 << 20;
    private static final int INITIAL_BUFFER_BYTES = 256 << 10;

    /** Writes a snapshot's content; storage adds the header and checksum. */
    @FunctionalInterface
    public interface SnapshotWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Opens the channel a log segment is written through; tests put faults in here. */
    @FunctionalInterface
    interface ChannelOpener {
        FileChannel open(Path file, Set<? extends OpenOption> options) throws IOException;
    }

    record Options(long segmentBytes, ChannelOpener opener) {
        static final Options DEFAULTS = new Options(DEFAULT_SEGMENT_BYTES, FileChannel::open);
    }

    private final Path dataDirectory;
    private final Path walDirectory;
    private final Path snapshotDirectory;
    private final StateMachine machine;
    private final Options options;
    private final FileChannel lockChannel;
    private final FileLock lock;

    /** Segment files by first LSN; the last one is the one being written. */
    private final ConcurrentSkipListMap<Long, Path> segments = new ConcurrentSkipListMap<>();
    /** Guards the buffer of appended records and the LSN counter. */
    private final ReentrantLock appendLock = new ReentrantLock();
    /** Guards {@code logOwned}; waiters for durability sleep on {@code logReleased}. */
    private final ReentrantLock syncLock = new ReentrantLock();
    private final Condition logReleased = syncLock.newCondition();
    /** True while one thread owns the log file: the group-commit leader, or a truncate/install/close. */
    private boolean logOwned;
    /** Serializes checkpoints, truncations and snapshot installs. */
    private final ReentrantLock maintenanceLock = new ReentrantLock();
    private final AtomicLong syncCount = new AtomicLong();

    // guarded by appendLock
    private ByteBuffer pending = ByteBuffer.allocate(INITIAL_BUFFER_BYTES);
    private long pendingFirstLsn;
    private volatile long lastLsn;
    private volatile long lastEpoch;

    // owned by the thread that set logOwned
    private ByteBuffer flushing = ByteBuffer.allocate(INITIAL_BUFFER_BYTES);
    private FileChannel active;
    private long activeBytes;

    private volatile long durableLsn;
    private volatile IOException failure;
    private volatile boolean closed;
    private volatile SnapshotFile latestSnapshot;
    /** The history id stamped on new snapshots and segments; null until the member knows it. */
    private volatile String historyId;
    /** The LSN after which replication still wants the log kept (see {@link #retainLogFor}). */
    private volatile LongSupplier retentionFloor = () -> Long.MAX_VALUE;
    private volatile long retentionCapBytes;
    /** Bumped when the log is cut back or replaced, so open readers stop instead of reading the new history. */
    private volatile long logGeneration;

    /**
     * A seam for fault tests only, off unless the environment says {@code DIRK_TEST_SLOW_FSYNC=1}: then
     * every fsync of the log first sleeps for the milliseconds written in the file {@code <data
     * directory>.slow-fsync} next to the data directory, when it exists (a slow or failing disk, without
     * FUSE). Never set it in production.
     */
    private static final boolean SLOW_FSYNC_SEAM = "1".equals(System.getenv("DIRK_TEST_SLOW_FSYNC"));

    private void slowFsyncSeam() {
        if (!SLOW_FSYNC_SEAM || dataDirectory.getFileName() == null) {
            return;
        }
        Path delayFile = dataDirectory.resolveSibling(dataDirectory.getFileName() + ".slow-fsync");
        try {
            long millis = Long.parseLong(Files.readString(delayFile).strip());
            if (millis > 0) {
                Thread.sleep(millis);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // no delay asked for now
        } catch (IOException | NumberFormatException e) {
            LOG.log(Level.WARNING, "the test-only slow-fsync file {0} is unreadable: {1}", delayFile, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Storage(Path dataDirectory, StateMachine machine, Options options, FileChannel lockChannel, FileLock lock) {
        this.dataDirectory = dataDirectory;
        this.walDirectory = dataDirectory.resolve(WAL_DIR);
        this.snapshotDirectory = dataDirectory.resolve(SNAPSHOT_DIR);
        this.machine = machine;
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Locks the data directory (creating it if needed), loads the latest valid snapshot into
     * {@code machine} and replays the log after it. A torn tail of the last segment is cut; any
     * other damage fails with {@link CorruptLogException}.
     */
    public static Storage open(Path dataDirectory, StateMachine machine) throws IOException {
        return open(dataDirectory, machine, Options.DEFAULTS);
    }

    /** The same with log segments of {@code segmentBytes} (tests that need many segments). */
    public static Storage open(Path dataDirectory, StateMachine machine, long segmentBytes) throws IOException {
        return open(dataDirectory, machine, new Options(segmentBytes, Options.DEFAULTS.opener()));
    }

    static Storage open(Path dataDirectory, StateMachine machine, Options options) throws IOException {
        Objects.requireNonNull(machine, "machine");
        Path dir = dataDirectory.toAbsolutePath();
        Files.createDirectories(dir.resolve(WAL_DIR));
        Files.createDirectories(dir.resolve(SNAPSHOT_DIR));
        AtomicFile.syncDirectory(dir);
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String holder = new String(Files.readAllBytes(lockFile), StandardCharsets.UTF_8).trim();
            lockChannel.close();
            throw new IOException("data directory " + dir + " is already in use by another DirkDB server"
                    + (holder.isEmpty() ? "" : " (process " + holder + ")") + "; stop it or choose another directory");
        }
        Storage storage = new Storage(dir, machine, options, lockChannel, lock);
        try {
            lockChannel.truncate(0);
            AtomicFile.writeFully(lockChannel, ByteBuffer.wrap(
                    Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)), 0);
            storage.recover();
            return storage;
        } catch (IOException | RuntimeException | Error e) {
            storage.releaseLock();
            throw e;
        }
    }

    // ---------------------------------------------------------------- recovery

    private void recover() throws IOException {
        deleteTemporaryFiles(snapshotDirectory);
        deleteTemporaryFiles(walDirectory);
        TreeMap<Long, Path> found = LogSegments.list(walDirectory);
        SnapshotFile snapshot = chooseSnapshot(found);
        if (snapshot == null && found.isEmpty()) {
            // A fresh directory: an empty snapshot at LSN 0 means there is always a state to rebuild from.
            snapshot = Snapshots.write(snapshotDirectory, 0, 0, null, machine::writeSnapshot);
        }
        long snapshotLsn = 0;
        long epoch = 0;
        if (snapshot != null) {
            Snapshots.load(snapshot, machine);
            snapshotLsn = snapshot.lsn();
            epoch = snapshot.epoch();
            latestSnapshot = snapshot;
            noteHistory(snapshot.historyId(), snapshot.path());
        }
        if (!found.isEmpty() && found.firstKey() > snapshotLsn + 1) {
            throw new CorruptLogException("the log starts at LSN " + found.firstKey() + " but the snapshot covers only up to LSN "
                    + snapshotLsn + "; records in between are missing");
        }
        long expected = found.isEmpty() ? snapshotLsn + 1 : found.firstKey();
        int index = 0;
        for (Map.Entry<Long, Path> segment : found.entrySet()) {
            boolean last = ++index == found.size();
            if (segment.getKey() != expected) {
                throw new CorruptLogException("log segment " + segment.getValue() + " starts at LSN " + segment.getKey()
                        + " but the segment before it ends at LSN " + (expected - 1) + "; records are missing");
            }
            long[] lastEpochSeen = {epoch};
            expected = replaySegment(segment.getKey(), segment.getValue(), expected, snapshotLsn, last, lastEpochSeen);
            epoch = lastEpochSeen[0];
            segments.put(segment.getKey(), segment.getValue());
        }
        long logEnd = expected - 1;
        if (segments.isEmpty() || logEnd < snapshotLsn) {
            // No log, or everything left in it is inside the snapshot: start a fresh segment after it.
            for (Path file : found.descendingMap().values()) {
                Files.deleteIfExists(file);
            }
            segments.clear();
            if (logEnd < snapshotLsn) {
                logEnd = snapshotLsn;
                epoch = snapshot.epoch();
            }
            startSegment(snapshotLsn + 1);
        } else {
            Map.Entry<Long, Path> tail = segments.lastEntry();
            active = options.opener().open(tail.getValue(), EnumSet.of(StandardOpenOption.WRITE));
            activeBytes = active.size();
            active.position(activeBytes);
            // What was replayed may have reached only the page cache before the crash: make it durable before
            // it counts as durable (it is applied, shipped and built upon from here on).
            active.force(true);
        }
        AtomicFile.syncDirectory(walDirectory);
        lastLsn = logEnd;
        durableLsn = logEnd;
        lastEpoch = epoch;
        tidySnapshotsAfterRecovery(snapshotLsn);
        LOG.log(Level.INFO, "storage in {0} recovered: snapshot at LSN {1}, log up to LSN {2}", dataDirectory,
                snapshotLsn, logEnd);
    }

    /** The newest snapshot that passes its checksum and from which the log still continues. */
    private SnapshotFile chooseSnapshot(TreeMap<Long, Path> found) throws IOException {
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> files = Files.list(snapshotDirectory)) {
            files.filter(f -> Snapshots.lsnOf(f) >= 0).forEach(candidates::add);
        }
        candidates.sort((a, b) -> Long.compare(Snapshots.lsnOf(b), Snapshots.lsnOf(a)));
        long logStart = found.isEmpty() ? Long.MAX_VALUE : found.firstKey();
        CorruptLogException damage = null;
        for (Path candidate : candidates) {
            try {
                SnapshotFile snapshot = Snapshots.verify(candidate);
                if (damage != null && logStart > snapshot.lsn() + 1) {
                    break;
                }
                return snapshot;
            } catch (CorruptLogException e) {
                LOG.log(Level.WARNING, "skipping damaged snapshot: {0}", e.getMessage());
                damage = damage == null ? e : damage;
            }
        }
        if (damage != null && logStart != 1) {
            throw new CorruptLogException(damage.getMessage()
                    + ", and the log no longer reaches back to an older snapshot; rebuild this member by a resync");
        }
        if (logStart != Long.MAX_VALUE && logStart != 1 && damage == null) {
            throw new CorruptLogException("no snapshot in " + snapshotDirectory + " but the log starts at LSN " + logStart
                    + "; records before it are missing");
        }
        return null;
    }

    /** Replays one segment and returns the next expected LSN; cuts a torn tail if this is the last segment. */
    private long replaySegment(long firstLsn, Path file, long expected, long snapshotLsn, boolean last,
                               long[] lastEpochSeen) throws IOException {
        SegmentReader reader;
        try {
            reader = SegmentReader.open(file, firstLsn);
        } catch (SegmentReader.BadFrameException e) {
            if (!last) {
                throw new CorruptLogException("log segment " + file + " is damaged: " + e.getMessage()
                        + ", and later segments exist");
            }
            if (LogSegments.validFrameAfter(file, 0, firstLsn)) {
                throw new CorruptLogException("log segment " + file + " has a damaged header (" + e.getMessage()
                        + ") but holds valid records; this is not a segment torn while being created");
            }
            // Crashed while creating the segment: it holds no record yet, so write its header again.
            LOG.log(Level.WARNING, "log segment {0} was torn while being created ({1}); rewriting its header", file,
                    e.getMessage());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                AtomicFile.writeFully(ch, LogSegments.header(firstLsn, historyId));
                ch.force(true);
            }
            return expected;
        }
        try (reader) {
            noteHistory(reader.historyId(), file);
            while (true) {
                LogRecord record;
                try {
                    record = reader.next();
                } catch (SegmentReader.BadFrameException e) {
                    if (!last) {
                        throw new CorruptLogException("log segment " + file + " is damaged at offset " + e.offset + " ("
                                + e.getMessage() + ", record LSN " + expected + "), and later segments exist");
                    }
                    if (LogSegments.validFrameAfter(file, e.offset, expected)) {
                        throw new CorruptLogException("log segment " + file + " is damaged at offset " + e.offset + " ("
                                + e.getMessage() + ", record LSN " + expected
                                + ") but valid records follow it; this is not a torn tail");
                    }
                    cutTornTail(file, e.offset, e.getMessage());
                    return expected;
                }
                if (record == null) {
                    return expected;
                }
                if (record.lsn() != expected) {
                    throw new CorruptLogException("log segment " + file + " holds LSN " + record.lsn() + " where LSN "
                            + expected + " belongs");
                }
                if (record.lsn() > snapshotLsn) {
                    machine.apply(record);
                }
                lastEpochSeen[0] = record.epoch();
                expected++;
            }
        }
    }

    /** Recovery found {@code id} in {@code file}'s header: every file of one directory is of one history. */
    private void noteHistory(String id, Path file) throws CorruptLogException {
        if (id == null) {
            return;
        }
        if (historyId != null && !historyId.equals(id)) {
            throw new CorruptLogException(file + " belongs to history " + id + " but other files of " + dataDirectory
                    + " belong to history " + historyId + "; files of two clusters were mixed: rebuild this member");
        }
        historyId = id;
    }

    /** The history id found in this directory's snapshot and segment headers (or recorded since); null if none. */
    public String historyId() {
        return historyId;
    }

    /**
     * Stamps new snapshots and segments with {@code id} from now on (files written before keep what they
     * have; zeros mean "not known yet").
     *
     * @throws IllegalArgumentException if this directory already belongs to another history
     */
    public void recordHistory(String id) {
        Objects.requireNonNull(id, "id");
        synchronized (this) {
            if (historyId != null && !historyId.equals(id)) {
                throw new IllegalArgumentException("the data directory " + dataDirectory + " belongs to history "
                        + historyId + ", not " + id);
            }
            historyId = id;
        }
    }

    private static void cutTornTail(Path file, long offset, String reason) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long dropped = ch.size() - offset;
            ch.truncate(offset);
            ch.force(true);
            LOG.log(Level.WARNING, "cut the torn tail of log segment {0}: dropped {1} bytes after offset {2} ({3})",
                    file, dropped, offset, reason);
        }
    }

    private static void deleteTemporaryFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (AtomicFile.isTemporary(file)) {
                    LOG.log(Level.INFO, "deleting {0}, left by an interrupted write", file);
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /**
     * Deletes snapshots older than the one recovery used (a crash after a checkpoint's rename left
     * them) and renames newer ones, which failed their checksum, to "*.damaged" for inspection.
     */
    private void tidySnapshotsAfterRecovery(long usedLsn) throws IOException {
        try (Stream<Path> files = Files.list(snapshotDirectory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                long lsn = Snapshots.lsnOf(file);
                if (lsn >= 0 && lsn < usedLsn) {
                    Files.deleteIfExists(file);
                } else if (lsn > usedLsn || (lsn == usedLsn && latestSnapshot == null)) {
                    Path aside = file.resolveSibling(file.getFileName() + ".damaged");
                    Files.move(file, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    LOG.log(Level.WARNING, "moved damaged snapshot {0} aside to {1}", file, aside);
                }
            }
        }
    }

    private void deleteSnapshotsFrom(long lsn) throws IOException {
        boolean deleted = false;
        try (Stream<Path> files = Files.list(snapshotDirectory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Snapshots.lsnOf(file) >= lsn) {
                    deleted |= Files.deleteIfExists(file);
                }
            }
        }
        if (deleted) {
            AtomicFile.syncDirectory(snapshotDirectory); // nothing deleted (an empty member): nothing to make durable
        }
    }

    private void deleteSnapshotsOtherThan(SnapshotFile keep) throws IOException {
        try (Stream<Path> files = Files.list(snapshotDirectory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Snapshots.lsnOf(file) >= 0 && !file.getFileName().equals(keep.path().getFileName())) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Buffers a record and returns its LSN (the previous one plus one). Cheap: no I/O unless a
     * large amount is buffered. The caller calls it in apply order and then {@link #awaitDurable}.
     *
     * @throws IOException if an earlier write failed (the storage then refuses every append)
     */
    public long append(long epoch, byte[] payload) throws IOException {
        return appendRecord(false, 0, epoch, payload);
    }

    /**
     * Appends a record received from the primary with its own LSN and epoch; the LSN must be
     * {@link #lastLsn()} + 1. Durability as for {@link #append}.
     */
    public void appendReplicated(LogRecord record) throws IOException {
        appendRecord(true, record.lsn(), record.epoch(), record.payload());
    }

    private long appendRecord(boolean replicated, long requiredLsn, long epoch, byte[] payload) throws IOException {
        Objects.requireNonNull(payload, "payload");
        if (payload.length > LogSegments.MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("a log record holds at most " + LogSegments.MAX_PAYLOAD_BYTES
                    + " bytes; this one has " + payload.length);
        }
        long lsn;
        boolean flushNow;
        appendLock.lock();
        try {
            checkWritable();
            lsn = lastLsn + 1;
            if (replicated && requiredLsn != lsn) {
                throw new IllegalArgumentException("replicated record has LSN " + requiredLsn + " but the log expects LSN " + lsn);
            }
            int frameBytes = LogSegments.frameBytes(payload.length);
            if (pending.remaining() < frameBytes) {
                ByteBuffer larger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + frameBytes));
                pending.flip();
                larger.put(pending);
                pending = larger;
            }
            LogSegments.putFrame(pending, lsn, epoch, payload);
            if (pendingFirstLsn == 0) {
                pendingFirstLsn = lsn;
            }
            lastLsn = lsn;
            lastEpoch = epoch;
            flushNow = pending.position() >= PENDING_LIMIT_BYTES;
        } finally {
            appendLock.unlock();
        }
        if (flushNow) {
            awaitDurable(lsn);
        }
        return lsn;
    }

    /**
     * Returns once every record up to {@code lsn} is fsynced. Concurrent callers share fsyncs.
     *
     * @throws IOException if writing or fsyncing the log failed; every waiter whose record was not
     *                     yet durable gets it, and the storage refuses further appends
     */
    public void awaitDurable(long lsn) throws IOException {
        if (lsn <= durableLsn) {
            return;
        }
        if (lsn > lastLsn) {
            throw new IllegalArgumentException("LSN " + lsn + " was never appended (last LSN is " + lastLsn + ")");
        }
        syncLock.lock();
        try {
            while (true) {
                if (lsn <= durableLsn) {
                    return;
                }
                IOException failed = failure;
                if (failed != null) {
                    throw new IOException(failed.getMessage(), failed);
                }
                if (closed) {
                    throw new IllegalStateException("storage in " + dataDirectory + " is closed");
                }
                if (!logOwned) {
                    break;
                }
                // Someone is fsyncing; records appended meanwhile go out together in the next round.
                logReleased.awaitUninterruptibly();
            }
            logOwned = true;
        } finally {
            syncLock.unlock();
        }
        try {
            flushBuffered();
        } finally {
            releaseLog();
        }
    }

    /** Waits until no thread writes the log and takes it over; pair with {@link #releaseLog()}. */
    private void ownLog() {
        syncLock.lock();
        try {
            while (logOwned) {
                logReleased.awaitUninterruptibly();
            }
            logOwned = true;
        } finally {
            syncLock.unlock();
        }
    }

    private void releaseLog() {
        syncLock.lock();
        try {
            logOwned = false;
            logReleased.signalAll();
        } finally {
            syncLock.unlock();
        }
    }

    /** Writes and fsyncs everything appended so far. Caller owns the log. */
    private void flushBuffered() throws IOException {
        long upTo;
        long firstLsn;
        appendLock.lock();
        try {
            if (pending.position() == 0) {
                return;
            }
            ByteBuffer batch = pending;
            pending = flushing;
            flushing = batch;
            upTo = lastLsn;
            firstLsn = pendingFirstLsn;
            pendingFirstLsn = 0;
        } finally {
            appendLock.unlock();
        }
        try {
            if (activeBytes >= options.segmentBytes()) {
                startSegment(firstLsn);
            }
            flushing.flip();
            int bytes = flushing.remaining();
            AtomicFile.writeFully(active, flushing);
            activeBytes += bytes;
            slowFsyncSeam();
            active.force(false);
            syncCount.incrementAndGet();
            durableLsn = upTo;
        } catch (IOException e) {
            failure = describeFailure(e);
            throw new IOException(failure.getMessage(), e);
        } finally {
            flushing.clear();
            if (flushing.capacity() > PENDING_LIMIT_BYTES * 2) {
                flushing = ByteBuffer.allocate(INITIAL_BUFFER_BYTES);
            }
        }
    }

    private IOException describeFailure(IOException e) {
        String text = String.valueOf(e.getMessage());
        String what = text.toLowerCase(java.util.Locale.ROOT).contains("no space left")
                ? "no space left on the device holding " + walDirectory
                : "writing the log in " + walDirectory + " failed (" + e + ")";
        IOException described = new IOException(what
                + "; the log is in an unknown state on disk, so this member refuses further writes until it restarts and recovers", e);
        LOG.log(Level.ERROR, described.getMessage(), e);
        return described;
    }

    /** Starts a new segment for records from {@code firstLsn}. Caller owns the log (or is recovering). */
    private void startSegment(long firstLsn) throws IOException {
        Path file = walDirectory.resolve(LogSegments.fileName(firstLsn));
        FileChannel channel = options.opener().open(file,
                EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        try {
            AtomicFile.writeFully(channel, LogSegments.header(firstLsn, historyId));
            channel.force(true);
            AtomicFile.syncDirectory(walDirectory);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        FileChannel previous = active;
        active = channel;
        activeBytes = LogSegments.SEGMENT_HEADER_BYTES;
        segments.put(firstLsn, file);
        if (previous != null) {
            previous.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("storage in " + dataDirectory + " is closed");
        }
    }

    private void checkWritable() throws IOException {
        checkOpen();
        IOException failed = failure;
        if (failed != null) {
            throw new IOException("refusing to append: " + failed.getMessage(), failed);
        }
    }

    /** LSN of the last record appended (durable or not); 0 for an empty log. */
    public long lastLsn() {
        return lastLsn;
    }

    /** Epoch of the last record appended, or of the snapshot if no record follows it. */
    public long lastEpoch() {
        return lastEpoch;
    }

    /** Every record up to this LSN is fsynced. */
    public long durableLsn() {
        return durableLsn;
    }

    /** How many times the log has been fsynced since open; with group commit, far fewer than records. */
    public long syncCount() {
        return syncCount.get();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * Writes a snapshot covering every record up to {@code lsn} (which becomes durable first), puts
     * it in place atomically, then deletes older snapshots and the log segments it makes redundant.
     * Never calls back into the state machine: {@code writer} writes the content.
     */
    public void checkpoint(long lsn, long epoch, SnapshotWriter writer) throws IOException {
        Objects.requireNonNull(writer, "writer");
        maintenanceLock.lock();
        try {
            checkWritable();
            if (lsn > lastLsn) {
                throw new IllegalArgumentException("cannot checkpoint at LSN " + lsn + ": the log ends at " + lastLsn);
            }
            SnapshotFile previous = latestSnapshot;
            if (previous != null && lsn < previous.lsn()) {
                throw new IllegalArgumentException("cannot checkpoint at LSN " + lsn
                        + ": a snapshot already covers up to LSN " + previous.lsn());
            }
            awaitDurable(lsn);
            SnapshotFile written = Snapshots.write(snapshotDirectory, lsn, epoch, historyId, writer);
            latestSnapshot = written;
            deleteSnapshotsOtherThan(written);
            deleteSegmentsCoveredBy(lsn);
            LOG.log(Level.INFO, "checkpoint at LSN {0} in {1} ({2} bytes)", lsn, dataDirectory, written.size());
        } finally {
            maintenanceLock.unlock();
        }
    }

    /**
     * Makes checkpoints keep the log after {@code floor} (the lowest LSN a secondary still holds, read
     * at each checkpoint; {@code Long.MAX_VALUE} for none) as long as the segments kept for it beyond
     * the snapshot stay within {@code capBytes}; past that they are deleted and such a secondary needs
     * a resync.
     */
    public void retainLogFor(LongSupplier floor, long capBytes) {
        this.retentionFloor = Objects.requireNonNull(floor, "floor");
        this.retentionCapBytes = capBytes;
    }

    /**
     * Deletes sealed segments whose records are all at or below {@code lsn}, except those replication
     * still wants (within the cap); never the one being written.
     */
    private void deleteSegmentsCoveredBy(long lsn) throws IOException {
        long floor = retentionFloor.getAsLong();
        long deleteUpTo = lsn;
        if (floor < lsn) {
            long heldBytes = 0;
            for (Map.Entry<Long, Path> segment : segments.entrySet()) {
                Long next = segments.higherKey(segment.getKey());
                if (next == null || next - 1 > lsn) {
                    break;
                }
                if (next - 1 > floor) {
                    heldBytes += Files.size(segment.getValue());
                }
            }
            if (heldBytes <= retentionCapBytes) {
                deleteUpTo = floor;
            } else {
                LOG.log(Level.WARNING, "a secondary still needs the log after LSN {0}, but keeping it would hold {1} "
                        + "bytes of log behind the snapshot (cap {2}): deleting it; that secondary needs dirk resync",
                        String.valueOf(floor), String.valueOf(heldBytes), String.valueOf(retentionCapBytes));
            }
        }
        boolean deleted = false;
        for (Map.Entry<Long, Path> segment : segments.entrySet()) {
            Long next = segments.higherKey(segment.getKey());
            if (next == null || next - 1 > deleteUpTo) {
                break;
            }
            segments.remove(segment.getKey());
            Files.deleteIfExists(segment.getValue());
            deleted = true;
        }
        if (deleted) {
            AtomicFile.syncDirectory(walDirectory);
        }
    }

    /**
     * A shipped snapshot (the bytes of a snapshot file, as {@code dirk snapshot} sends them) with its header
     * rewritten to say history {@code historyId}; the content and its checksum are passed on unchanged. A
     * restore uses it so the data it builds starts a new history. The header's own checksum is checked first.
     */
    public static InputStream snapshotOfHistory(InputStream shipped, String historyId) throws IOException {
        Objects.requireNonNull(historyId, "historyId");
        Snapshots.Header header = Snapshots.readHeader(shipped, "the snapshot");
        ByteBuffer rewritten = Snapshots.encodeHeader(header.withHistory(historyId).withHeaderBytes(Snapshots.HEADER_BYTES));
        byte[] bytes = new byte[rewritten.remaining()];
        rewritten.get(bytes);
        return new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(bytes), shipped);
    }

    /** The snapshot recovery would start from, to ship to a secondary being rebuilt. */
    public Optional<SnapshotFile> latestSnapshot() {
        return Optional.ofNullable(latestSnapshot);
    }

    /**
     * Replaces this member's state and log by a snapshot shipped from another member (the bytes of
     * its snapshot file, header included), checking its checksum first. Afterwards the log is empty
     * and continues at the snapshot's LSN + 1, and the state machine has read the snapshot. The
     * caller keeps every other thread off the state machine meanwhile.
     */
    public SnapshotFile installSnapshot(InputStream shipped) throws IOException {
        maintenanceLock.lock();
        try {
            // Allowed after a storage failure: the log it failed to write is replaced as a whole.
            checkOpen();
            // Received before taking the log, so appends and fsyncs go on during the transfer.
            Snapshots.ShippedSnapshot received = Snapshots.receive(snapshotDirectory, shipped, machine, historyId);
            try {
                ownLog();
            } catch (RuntimeException | Error e) {
                Files.deleteIfExists(received.temporary());
                throw e;
            }
            try {
                return replaceLogBy(received);
            } finally {
                releaseLog();
            }
        } finally {
            maintenanceLock.unlock();
        }
    }

    /** Caller owns the log and holds the maintenance lock. */
    private SnapshotFile replaceLogBy(Snapshots.ShippedSnapshot received) throws IOException {
        appendLock.lock();
        try {
            try {
                // Under the append lock, so no record slips in between this flush and the replacement.
                checkOpen();
                if (failure == null) {
                    flushBuffered();
                } else {
                    pending.clear(); // never durable, and the log they were meant for is being replaced
                    pendingFirstLsn = 0;
                }
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(received.temporary());
                throw e;
            }
            SnapshotFile installed = received.file();
            try {
                // Old log goes first, newest segment first, then any snapshot at or past the new one (a
                // diverged member may have checkpointed beyond the fork): a crash at any step leaves an
                // older snapshot with a prefix of its log, or nothing, both consistent states.
                active.close();
                active = null;
                for (Path file : segments.descendingMap().values()) {
                    Files.deleteIfExists(file);
                }
                segments.clear();
                AtomicFile.syncDirectory(walDirectory);
                deleteSnapshotsFrom(installed.lsn());
                AtomicFile.moveIntoPlace(received.temporary(), received.target());
                latestSnapshot = installed;
                deleteSnapshotsOtherThan(installed);
                if (installed.historyId() != null) {
                    historyId = installed.historyId(); // checked against ours when it was received
                }
                startSegment(installed.lsn() + 1);
            } catch (IOException e) {
                failure = describeFailure(e);
                throw e;
            }
            lastLsn = installed.lsn();
            lastEpoch = installed.epoch();
            durableLsn = installed.lsn();
            logGeneration++;
            if (failure != null) {
                LOG.log(Level.WARNING, "the shipped snapshot replaced the log that failed ({0}); writing again",
                        failure.getMessage());
                failure = null;
            }
            received.decoded().install(); // decoded while it arrived; checked and on disk by now
            LOG.log(Level.INFO, "installed a shipped snapshot at LSN {0} in {1}", installed.lsn(), dataDirectory);
            return installed;
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Cuts the log back so that {@code lsn} is its last record (a secondary that went past the fork
     * point of a new primary), then rebuilds the state machine from the latest snapshot and the log
     * left. The caller keeps every other thread off the state machine meanwhile.
     *
     * @throws LogNotRetainedException if {@code lsn} is below the latest snapshot: only a resync helps
     */
    public void truncateAfter(long lsn) throws IOException {
        maintenanceLock.lock();
        ownLog();
        try {
            appendLock.lock();
            try {
                // Under the append lock, so no record slips in between this flush and the cut.
                checkWritable();
                flushBuffered();
                if (lsn >= lastLsn) {
                    return;
                }
                SnapshotFile snapshot = latestSnapshot;
                if (snapshot == null) {
                    throw new CorruptLogException("cannot cut the log back to LSN " + lsn
                            + ": there is no valid snapshot to rebuild the state from; this member needs a resync");
                }
                long snapshotLsn = snapshot.lsn();
                if (lsn < snapshotLsn) {
                    throw new LogNotRetainedException("cannot cut the log back to LSN " + lsn
                            + ": the latest snapshot already covers up to LSN " + snapshotLsn
                            + "; this member needs a resync", lsn, snapshotLsn);
                }
                long epoch;
                try {
                    epoch = cutLogAfter(lsn, snapshot);
                } catch (IOException e) {
                    failure = describeFailure(e);
                    throw e;
                }
                lastLsn = lsn;
                lastEpoch = epoch;
                durableLsn = lsn;
                logGeneration++;
                Snapshots.load(snapshot, machine);
                try (LogReader replay = new LogReader(this, snapshotLsn + 1)) {
                    while (replay.hasNext()) {
                        machine.apply(replay.next());
                    }
                }
                LOG.log(Level.WARNING, "cut the log in {0} back to LSN {1}", dataDirectory, lsn);
            } finally {
                appendLock.unlock();
            }
        } finally {
            releaseLog();
            maintenanceLock.unlock();
        }
    }

    /** Deletes and truncates segments so the log ends with {@code lsn}; returns that record's epoch. */
    private long cutLogAfter(long lsn, SnapshotFile snapshot) throws IOException {
        active.close();
        active = null;
        for (Map.Entry<Long, Path> segment : segments.descendingMap().entrySet()) {
            if (segment.getKey() <= lsn) {
                break;
            }
            Files.deleteIfExists(segment.getValue());
            segments.remove(segment.getKey());
        }
        AtomicFile.syncDirectory(walDirectory);
        Map.Entry<Long, Path> holder = segments.lastEntry();
        if (holder == null) {
            startSegment(lsn + 1);
            return snapshot.epoch();
        }
        long epoch = snapshot.epoch();
        long end;
        try (SegmentReader reader = SegmentReader.open(holder.getValue(), holder.getKey())) {
            end = reader.offset();
            for (LogRecord record = reader.next(); record != null && record.lsn() <= lsn; record = reader.next()) {
                epoch = record.epoch();
                end = reader.offset();
            }
        } catch (SegmentReader.BadFrameException e) {
            throw new CorruptLogException("log segment " + holder.getValue() + " is damaged at offset " + e.offset
                    + " (" + e.getMessage() + ")");
        }
        FileChannel channel = options.opener().open(holder.getValue(), EnumSet.of(StandardOpenOption.WRITE));
        channel.truncate(end);
        channel.force(true);
        channel.position(end);
        active = channel;
        activeBytes = end;
        return epoch;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads the log from {@code fromLsn} on, while appends go on. The reader yields durable records
     * only; {@code hasNext()} turns false when it has caught up, and true again once more records
     * are durable.
     *
     * @throws LogNotRetainedException if {@code fromLsn} is older than the oldest segment kept: the
     *                                 reader's owner needs a resync from the latest snapshot
     */
    public LogReader readFrom(long fromLsn) throws IOException {
        return new LogReader(this, fromLsn);
    }

    /** The oldest LSN {@link #readFrom} can start at. */
    public long oldestRetainedLsn() {
        return segments.firstKey();
    }

    long logGeneration() {
        return logGeneration;
    }

    Map.Entry<Long, Path> segmentHolding(long lsn) {
        return segments.floorEntry(lsn);
    }

    Path segmentStartingAt(long lsn) {
        return segments.get(lsn);
    }

    // ---------------------------------------------------------------- closing

    /** Flushes and fsyncs what was appended, then releases the data directory. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        ownLog();
        try {
            if (closed) {
                return;
            }
            try {
                if (failure == null) {
                    flushBuffered();
                }
            } finally {
                closed = true;
                try {
                    if (active != null) {
                        active.close();
                    }
                } finally {
                    releaseLock();
                }
            }
        } finally {
            releaseLog();
        }
    }

    private void releaseLock() throws IOException {
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }
}
