package io.dirkdb.engine;

import io.dirkdb.DirkException;
import io.dirkdb.sql.ControlStatement;
import io.dirkdb.sql.Parser;
import io.dirkdb.sql.Query;
import io.dirkdb.sql.SqlStatement;
import io.dirkdb.sql.Statement;
import io.dirkdb.storage.LogRecord;
import io.dirkdb.storage.StateMachine;
import io.dirkdb.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The database engine of one member: the catalog and its data, kept in memory and made
 * durable through {@link io.dirkdb.storage.Storage}.
 *
 * <p>Concurrency: one read-write lock. Queries share the read lock; a WRITE or SCHEMA
 * statement takes the write lock to validate its whole change, append it to the log as one
 * record, and apply it to memory; it then releases the lock and waits for the record to be
 * fsynced, so concurrent writers share fsyncs (group commit). A reader may therefore see a
 * change whose record is not durable yet; it is never half applied, and the read's rows are
 * returned only once every record it saw is durable (in sync mode the server also waits for a
 * secondary to confirm them).
 *
 * <p>Storage failure: if appending or syncing fails (disk full, I/O error), the statement gets
 * {@code the write could not be made durable: ...} and, since memory may be ahead of the disk (the
 * failed record is applied, and so may be others of its group commit), the engine serves nothing,
 * reads included, until it is restarted and recovers from its log (PostgreSQL's rule: no retry of a
 * failed fsync), or a resync replaces its state and log.
 */
public final class Engine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Journal journal;
    private final ExecutorService checkpointer;
    private final AtomicBoolean checkpointRunning = new AtomicBoolean();
    private final Machine machine = new Machine();
    /**
     * Held by a checkpoint from capture to the end of its write, and by snapshot installs and log
     * cuts: a snapshot captured before the log is replaced or cut must not be written after it.
     */
    private final Object maintenance = new Object();

    // Guarded by lock (written under the write lock).
    private Catalog catalog = new Catalog();
    private volatile long appliedLsn;
    /** The newest commit time logged or replayed (epoch millis): a new record's is never earlier. Guarded by lock. */
    private long lastCommitMillis;
    private volatile long epoch = 1;
    private volatile String writeRefusal;
    private volatile String storageFailure;
    private volatile long recordsSinceCheckpoint;
    private volatile long bytesSinceCheckpoint;
    private volatile StatementLimits limits = StatementLimits.DEFAULTS;
    private volatile MemoryLimit memoryLimit = MemoryLimit.ofHeapShare(MemoryLimit.DEFAULT_MAX_HEAP_SHARE);
    /** The catalog's {@link Catalog#dataBytes()}, published after every change for readers without the lock. */
    private volatile long dataBytes;
    /** The last refusal for memory, until a later change succeeds; null when none. */
    private volatile String memoryRefusal;
    private final java.util.concurrent.atomic.AtomicLong memoryRefusals = new java.util.concurrent.atomic.AtomicLong();
    /** The number of the last full collection before data was last freed: its heap figure is stale. */
    private volatile long staleFullCollection;
    private boolean closed;

    /** Opens a journal; storage replays into the engine's state machine while it opens. */
    @FunctionalInterface
    interface JournalOpener {
        Journal open(StateMachine machine) throws IOException;
    }

    private Engine(JournalOpener opener, boolean background) throws IOException {
        this.journal = opener.open(machine);
        this.appliedLsn = journal.lastLsn();
        this.epoch = Math.max(1, journal.lastEpoch());
        // Recovery replays every record without a memory check: a member over its limit comes up, then refuses writes.
        this.dataBytes = catalog.dataBytes();
        this.checkpointer = background ? Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "dirk-checkpoint");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    /**
     * Opens (recovering if needed) the engine whose files live in {@code dataDirectory}: the
     * latest snapshot, then every log record after it. Writes are allowed at the epoch of the
     * last record (at least 1) until {@link #refuseWrites} says otherwise.
     *
     * @throws DirkException when the directory cannot be opened or its log is damaged
     */
    public static Engine open(Path dataDirectory) {
        return open(dataDirectory, 0);
    }

    /** The same with log segments of {@code segmentBytes} (0: the default), for tests that need many. */
    public static Engine open(Path dataDirectory, long segmentBytes) {
        try {
            return new Engine(machine -> new StorageJournal(segmentBytes > 0 ? Storage.open(dataDirectory, machine, segmentBytes)
                    : Storage.open(dataDirectory, machine)), true);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot open data directory " + dataDirectory, e);
            throw new DirkException("cannot open the data directory " + dataDirectory + ": " + e.getMessage(), e);
        }
    }

    /** An engine without files, for tests of the language. */
    public static Engine inMemory() {
        return withJournal(new Journal.InMemory(), false);
    }

    /** An engine over any journal; tests use it to watch the records the engine writes. */
    static Engine withJournal(Journal journal) {
        return withJournal(journal, true);
    }

    private static Engine withJournal(Journal journal, boolean background) {
        try {
            return new Engine(machine -> journal, background);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // the journal is already open
        }
    }

    /** Parses and runs one statement (text without its closing {@code ;}). */
    public Result execute(Session session, String text) {
        return execute(session, Parser.parse(text));
    }

    /**
     * Runs a data or schema statement. A WRITE or SCHEMA statement returns only once its
     * log record is durable; it is atomic (all of it or nothing).
     *
     * @throws io.dirkdb.DirkException with a message for the user
     */
    public Result execute(Session session, Statement statement) {
        if (statement instanceof ControlStatement) {
            throw new DirkException("dirk control requests are answered by the server, not by the engine");
        }
        if (!(statement instanceof SqlStatement sql)) {
            throw new IllegalArgumentException("not a statement of the parser: " + statement);
        }
        if (sql instanceof SqlStatement.Use use) {
            lock.readLock().lock();
            try {
                if (storageFailure != null) {
                    throw new DirkException(Messages.storageFailed(storageFailure));
                }
                if (catalog.database(use.database()) == null) {
                    throw new DirkException(Messages.databaseMissing(use.database()));
                }
                session.useDatabase(use.database());
                return new Result.Message(Messages.use(use.database()));
            } finally {
                lock.readLock().unlock();
            }
        }
        if (!sql.kind().changesData()) {
            Result result;
            long seen;
            lock.readLock().lock();
            try {
                // Memory may hold a change whose record never reached the disk: nothing is served from it.
                String failed = storageFailure;
                if (failed != null) {
                    throw new DirkException(Messages.storageFailed(failed));
                }
                seen = appliedLsn;
                result = read(session, sql);
            } finally {
                lock.readLock().unlock();
            }
            session.recordRead(seen);
            awaitReadDurable(seen);
            return result;
        }
        return write(session, sql);
    }

    private Result read(Session session, SqlStatement statement) {
        if (statement instanceof SqlStatement.Show show) {
            List<String> names = new ArrayList<>();
            if (show.objectKind() == SqlStatement.ObjectKind.DATABASE) {
                names.addAll(catalog.databases.keySet());
            } else {
                Database database = ChangePlanner.currentDatabase(catalog, session.currentDatabase());
                switch (show.objectKind()) {
                    case TABLE -> names.addAll(database.tables.keySet());
                    case DOMAIN -> names.addAll(database.domains.keySet());
                    default -> names.addAll(database.views.keySet());
                }
            }
            List<List<Object>> rows = new ArrayList<>();
            for (String name : names) {
                rows.add(List.of(name));
            }
            return new Result.Relation(show.objectKind().word,
                    List.of(new Result.Column(Messages.SHOW_COLUMN, "")), rows);
        }
        Query query = (Query) statement;
        String name = session.currentDatabase();
        Database database = name == null ? null : catalog.database(name);
        String missing = name == null ? Messages.NO_DATABASE : Messages.databaseGone(name);
        QueryExecutor.Rows rows = new QueryExecutor(database, missing, StatementBudget.start(limits)).execute(query);
        List<Result.Column> columns = new ArrayList<>(rows.columns().size());
        for (QueryExecutor.Col column : rows.columns()) {
            columns.add(new Result.Column(column.name(), column.origin()));
        }
        List<List<Object>> out = new ArrayList<>(rows.rows().size());
        for (Object[] row : rows.rows()) {
            out.add(Collections.unmodifiableList(Arrays.asList(row)));
        }
        return new Result.Relation(rows.name(), columns, out);
    }

    private Result write(Session session, SqlStatement statement) {
        long lsn;
        ChangePlanner.Plan plan;
        lock.writeLock().lock();
        try {
            checkWritable();
            StatementBudget budget = StatementBudget.start(limits);
            plan = new ChangePlanner(catalog, budget).plan(statement, session.currentDatabase());
            if (plan.change() == null) {
                return new Result.Message(plan.message());
            }
            long growth = catalog.growth(plan.change());
            if (growth > 0) {
                String refusal = memoryLimit.refusal(dataBytes, growth, staleFullCollection);
                if (refusal != null) {
                    memoryRefusal = refusal;
                    memoryRefusals.incrementAndGet();
                    throw new DirkException(refusal);
                }
            }
            // Taken under the write lock and never going backwards, so commit times follow the log's order.
            lastCommitMillis = Math.max(lastCommitMillis, System.currentTimeMillis());
            byte[] payload = ChangeCodec.encode(plan.change(), lastCommitMillis);
            long changeLimit = Math.min(limits.maxBytes(), Storage.MAX_RECORD_PAYLOAD_BYTES);
            if (payload.length > changeLimit) {
                // Refused before anything is logged or applied: the member goes on taking writes.
                throw new DirkException(Messages.changeTooLarge(payload.length, changeLimit));
            }
            try {
                lsn = journal.append(epoch, payload);
            } catch (IOException | RuntimeException e) {
                throw storageFailed(e);
            }
            catalog.apply(plan.change());
            publishDataBytes();
            appliedLsn = lsn;
            session.recordWrite(lsn);
            recordsSinceCheckpoint++;
            bytesSinceCheckpoint += payload.length;
            if (plan.change() instanceof Change.DropDatabase drop
                    && drop.database().equals(session.currentDatabase())) {
                session.useDatabase(null);
            }
        } finally {
            lock.writeLock().unlock();
        }
        try {
            journal.awaitDurable(lsn);
        } catch (IOException | RuntimeException e) {
            throw storageFailed(e);
        }
        maybeCheckpoint();
        return new Result.Message(plan.message());
    }

    /**
     * A read may have seen changes whose records are not on disk yet (writers apply, then wait for the
     * group fsync): its rows go out only once they are, so no reply shows a write a crash would undo.
     */
    private void awaitReadDurable(long lsn) {
        try {
            journal.awaitDurable(lsn);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a read saw a write that could not be made durable", e);
            throw new DirkException("the rows read include a write that could not be made durable; they are not "
                    + "returned: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    private void checkWritable() {
        if (closed) {
            throw new DirkException("the engine is closed");
        }
        if (storageFailure != null) {
            throw new DirkException(Messages.STORAGE_FAILED);
        }
        if (writeRefusal != null) {
            throw new DirkException(Messages.writesRefused(writeRefusal));
        }
    }

    private DirkException storageFailed(Exception e) {
        storageFailure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        LOG.log(System.Logger.Level.ERROR, "a write could not be made durable; refusing writes until restart", e);
        return new DirkException(Messages.notDurable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }

    private void maybeCheckpoint() {
        if (checkpointer == null) {
            return;
        }
        // The counters are read without the lock: a stale value only delays a checkpoint a little.
        if (journal.wantsCheckpoint(recordsSinceCheckpoint, bytesSinceCheckpoint) && checkpointRunning.compareAndSet(false, true)) {
            checkpointer.execute(() -> {
                try {
                    checkpoint();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "background checkpoint failed", e);
                } finally {
                    checkpointRunning.set(false);
                }
            });
        }
    }

    /**
     * Writes a snapshot of the current state and lets storage drop the log before it. Writers
     * wait only while the catalog is captured (references, not data); the snapshot is then
     * encoded and written while statements go on.
     */
    public void checkpoint() {
        long lsn;
        long snapshotEpoch;
        List<ChangeCodec.DatabaseImage> image;
        synchronized (maintenance) {
            lock.readLock().lock();
            try {
                lsn = appliedLsn;
                // The snapshot carries the epoch of its last record (writers are held off, so that is the log's
                // last one): a secondary rebuilt from it proves its place in the history with that epoch.
                // Before any record there is no epoch to prove: LSN 0 is epoch 0 on every member.
                snapshotEpoch = lsn == 0 ? 0
                        : journal.lastLsn() == lsn && journal.lastEpoch() > 0 ? journal.lastEpoch() : epoch;
                image = ChangeCodec.capture(catalog);
                recordsSinceCheckpoint = 0;
                bytesSinceCheckpoint = 0;
            } finally {
                lock.readLock().unlock();
            }
            try {
                journal.checkpoint(lsn, snapshotEpoch, out -> ChangeCodec.writeSnapshot(image, out));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "checkpoint at LSN " + lsn + " failed", e);
                throw new DirkException("the checkpoint could not be written: " + e.getMessage(), e);
            }
        }
    }

    /** Sets the rows, bytes and time each later statement may use. */
    public void limitStatements(StatementLimits limits) {
        this.limits = java.util.Objects.requireNonNull(limits, "limits");
    }

    /** Sets the share of the heap past which writes that add data are refused (and a secondary stops following). */
    public void limitMemory(MemoryLimit limit) {
        this.memoryLimit = java.util.Objects.requireNonNull(limit, "limit");
    }

    /**
     * Why a snapshot whose source holds {@code sourceDataBytes} of data (its estimate) cannot be installed here, for
     * want of heap (it is decoded while this member's own data is still held); null when it can.
     */
    public String resyncRefusal(long sourceDataBytes) {
        return memoryLimit.resyncRefusal(dataBytes, sourceDataBytes);
    }

    /**
     * The estimated heap of the data, the JVM's heap figures and whether writes that add data are refused now
     * (the data is at its limit, or the last write or replicated record was refused for memory and nothing
     * changed since). Cheap, lock-free: heartbeats and metrics ask it.
     */
    public MemoryStatus memory() {
        MemoryLimit limit = memoryLimit;
        long data = dataBytes;
        String pressure = memoryRefusal; // the last refusal says most (a secondary's names its record)
        if (pressure == null) {
            pressure = limit.pressure(data, staleFullCollection);
        }
        return new MemoryStatus(data, java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
                limit.lastFullCollection().heapAfter(), limit.heapMax(), limit.limitBytes(), limit.maxHeapShare(), pressure,
                memoryRefusals.get());
    }

    /** After a change (under the write lock): the new data estimate; a change that freed data ends a refusal. */
    private void publishDataBytes() {
        long before = dataBytes;
        dataBytes = catalog.dataBytes();
        memoryRefusal = null;
        if (dataBytes < before) {
            // The heap left by the last full collection still counts what was just freed.
            staleFullCollection = memoryLimit.lastFullCollection().number();
        }
    }

    /** The LSN of the last record applied (0 when none). */
    public long lastLsn() {
        return appliedLsn;
    }

    /** The epoch stamped on the records this member appends. */
    public long epoch() {
        return epoch;
    }

    /** Lets WRITE and SCHEMA statements run again, stamping their records with {@code epoch}. */
    public void allowWrites(long epoch) {
        lock.writeLock().lock();
        try {
            this.epoch = epoch;
            this.writeRefusal = null;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Makes every later WRITE or SCHEMA statement fail with {@code reason} (a secondary, a fenced member). */
    public void refuseWrites(String reason) {
        lock.writeLock().lock();
        try {
            this.writeRefusal = reason;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Why a write or an fsync of the log failed, or null while storage works. Memory may then be ahead
     * of the disk, so the engine serves nothing until it restarts (recovering from its log) or a
     * resync replaces its state.
     */
    public String storageFailure() {
        return storageFailure;
    }

    /** True when WRITE and SCHEMA statements are accepted now. */
    public boolean writesAllowed() {
        return writeRefusal == null && storageFailure == null && !closed;
    }

    /**
     * Applies a record received from the primary, in LSN order: appends it to this member's log
     * with the primary's LSN and epoch, then applies it to memory. It does not wait for the
     * fsync, so a stream of records shares fsyncs: call {@link #awaitDurable} before
     * acknowledging. Works whether or not this member accepts client writes.
     *
     * @throws DirkException when the record cannot be logged (this member then refuses writes)
     */
    public void applyReplicated(LogRecord record) {
        lock.writeLock().lock();
        try {
            if (storageFailure != null) {
                throw new DirkException(Messages.STORAGE_FAILED);
            }
            Change change;
            try {
                change = ChangeCodec.decode(record.payload());
                if (change instanceof Change.CreateView view) {
                    Parser.parseQuery(view.queryText()); // checked before it is logged: a restart replays it
                }
            } catch (IOException | DirkException e) {
                throw new DirkException("log record " + record.lsn() + " from the primary cannot be applied: "
                        + e.getMessage(), e);
            }
            // Never dropped: refused whole before it is logged, so the follower retries it from this LSN.
            long growth = catalog.growth(change);
            if (growth > 0) {
                String refusal = memoryLimit.replicationRefusal(dataBytes, growth, record.lsn());
                if (refusal != null) {
                    if (memoryRefusal == null) {
                        memoryRefusals.incrementAndGet();
                    }
                    memoryRefusal = refusal;
                    throw new DirkException(refusal);
                }
            }
            try {
                journal.appendReplicated(record);
            } catch (IOException | RuntimeException e) {
                throw storageFailed(e);
            }
            catalog.apply(change);
            publishDataBytes();
            appliedLsn = record.lsn();
            epoch = Math.max(epoch, record.epoch());
            noteCommitTime(record.payload());
            recordsSinceCheckpoint++;
            bytesSinceCheckpoint += record.payload().length;
        } finally {
            lock.writeLock().unlock();
        }
        maybeCheckpoint();
    }

    /**
     * The commit time a log record's payload carries (epoch milliseconds, the primary's clock), or -1 for a
     * payload written before commit times were recorded. For restores to a point in time.
     *
     * @throws IOException if the payload is not one this version reads
     */
    public static long commitTimeMillis(byte[] payload) throws IOException {
        return ChangeCodec.commitTime(payload);
    }

    /** A record replayed or received keeps later commit times from going below its own (a clock set back, a failover). */
    private void noteCommitTime(byte[] payload) {
        try {
            lastCommitMillis = Math.max(lastCommitMillis, ChangeCodec.commitTime(payload));
        } catch (IOException e) {
            // decoded just before: cannot happen
        }
    }

    /** Blocks until every record up to {@code lsn} is on disk (for acknowledging replicated records). */
    public void awaitDurable(long lsn) {
        try {
            journal.awaitDurable(lsn);
        } catch (IOException | RuntimeException e) {
            throw storageFailed(e);
        }
    }

    /**
     * Replaces this member's whole state and log by a snapshot shipped from the primary (a
     * resync), keeping every statement out meanwhile. Afterwards {@link #lastLsn} is the
     * snapshot's LSN and the log continues after it.
     *
     * @throws DirkException when the snapshot is damaged or cannot be stored
     */
    public void installSnapshot(InputStream shipped) {
        synchronized (maintenance) {
            installSnapshotLocked(shipped);
        }
    }

    private void installSnapshotLocked(InputStream shipped) {
        lock.writeLock().lock();
        try {
            journal.installSnapshot(shipped);
            publishDataBytes();
            appliedLsn = journal.lastLsn();
            epoch = Math.max(epoch, journal.lastEpoch());
            // The whole state and log were replaced by a checked snapshot on a fresh log: nothing of the failure is left.
            storageFailure = null;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "installing a shipped snapshot failed", e);
            throw new DirkException("the shipped snapshot could not be installed: " + e.getMessage(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Forgets every record after {@code lsn} (this member went past the fork point of a new
     * primary) and rebuilds the state from the latest snapshot and the log left, keeping every
     * statement out meanwhile.
     *
     * @throws DirkException when the log cannot be cut back there (a resync is then needed)
     */
    public void truncateAfter(long lsn) {
        synchronized (maintenance) {
            truncateAfterLocked(lsn);
        }
    }

    private void truncateAfterLocked(long lsn) {
        lock.writeLock().lock();
        try {
            journal.truncateAfter(lsn);
            publishDataBytes();
            appliedLsn = journal.lastLsn();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cutting the log back to LSN " + lsn + " failed", e);
            throw new DirkException("the log could not be cut back to LSN " + lsn + ": " + e.getMessage(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The storage under this engine, for log shipping (reading records from an LSN, the latest
     * snapshot); empty for an in-memory engine. Change state only through the engine.
     */
    public java.util.Optional<Storage> storage() {
        return journal instanceof StorageJournal durable ? java.util.Optional.of(durable.storage()) : java.util.Optional.empty();
    }

    /** The state machine storage drives during recovery (and replication, later). */
    StateMachine stateMachine() {
        return machine;
    }

    /** Flushes the log and stops; statements already running finish first. */
    @Override
    public void close() {
        close(true);
    }

    /** Stops without the final checkpoint, as a crash after the last fsync would; for recovery tests. */
    void closeWithoutCheckpoint() {
        close(false);
    }

    private void close(boolean finalCheckpoint) {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.writeLock().unlock();
        }
        if (checkpointer != null) {
            checkpointer.shutdown();
            try {
                checkpointer.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (finalCheckpoint && storageFailure == null) {
                try {
                    checkpoint();
                } catch (DirkException e) {
                    LOG.log(System.Logger.Level.WARNING, "final checkpoint failed; the log still holds every change", e);
                }
            }
        }
        try {
            journal.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing storage failed", e);
        }
    }

    /** Recovery and replication enter here: records in LSN order, snapshots whole. */
    private final class Machine implements StateMachine {
        @Override
        public void apply(LogRecord record) {
            Change change;
            try {
                change = ChangeCodec.decode(record.payload());
            } catch (IOException e) {
                throw new IllegalStateException("log record " + record.lsn() + " cannot be decoded", e);
            }
            try {
                catalog.apply(change);
            } catch (RuntimeException | StackOverflowError e) {
                // A record an older version accepted (a view nested too deeply): say which one, never die silently.
                throw new IllegalStateException("log record " + record.lsn() + " (epoch " + record.epoch()
                        + ") cannot be replayed: " + (e instanceof StackOverflowError ? "it nests too deeply"
                        : e.getMessage()), e);
            }
            appliedLsn = record.lsn();
            epoch = Math.max(epoch, record.epoch());
            noteCommitTime(record.payload());
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            ChangeCodec.writeSnapshot(catalog, out);
        }

        @Override
        public void readSnapshot(InputStream in) throws IOException {
            catalog = ChangeCodec.readSnapshot(in);
        }

        @Override
        public DecodedSnapshot decodeSnapshot(InputStream in) throws IOException {
            Catalog decoded = ChangeCodec.readSnapshot(in); // a catalog of its own: the current one is untouched
            return () -> catalog = decoded;
        }
    }
}
