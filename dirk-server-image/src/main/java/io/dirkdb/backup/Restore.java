package io.dirkdb.backup;

import io.dirkdb.DirkException;
import io.dirkdb.engine.Engine;
import io.dirkdb.server.MemberState;
import io.dirkdb.server.Role;
import io.dirkdb.storage.AtomicFile;
import io.dirkdb.storage.LogRecord;
import io.dirkdb.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Builds a member's data directory from a base backup plus the archived log up to a target ({@code dirk restore}).
 * Everything is written through {@link Engine}/{@link Storage} into a temporary sibling of the data directory, under a
 * new history id, and renamed into place at the end: an interrupted restore leaves nothing that looks like data.
 */
public final class Restore {
    private static final System.Logger LOG = System.getLogger(Restore.class.getName());
    /** Left in a data directory that is a mount point while the restored files are moved in; a re-run clears it. */
    static final String INCOMPLETE_MARKER = ".dirk-restore-incomplete";

    /** Where to stop: everything (both null), up to an LSN (included), or up to a commit time (included). */
    public record Target(Long lsn, Instant time) {
        public static final Target LATEST = new Target(null, null);

        boolean includes(LogRecord record, long commitMillis) {
            if (lsn != null) {
                return record.lsn() <= lsn;
            }
            if (time != null) {
                return commitMillis <= time.toEpochMilli(); // -1: written before commit times, older than any
            }
            return true;
        }

        @Override
        public String toString() {
            return lsn != null ? "LSN " + lsn : time != null ? "time " + time : "the latest archived state";
        }
    }

    /** What a restore did. */
    public record Outcome(String backupId, String historyId, long lastLsn, long lastEpoch, long lastCommitMillis,
                          long records, Path dataDirectory) {}

    private final Repository repository;
    private final PrintSink progress;

    /** Where progress lines go (stderr for the CLI). */
    @FunctionalInterface
    public interface PrintSink {
        void println(String line);
    }

    public Restore(Repository repository, PrintSink progress) {
        this.repository = repository;
        this.progress = progress;
    }

    /** Whether {@code dataDirectory} already holds a member's data (a complete one: not an interrupted restore). */
    public static boolean holdsData(Path dataDirectory) throws IOException {
        if (!Files.isDirectory(dataDirectory) || Files.exists(dataDirectory.resolve(INCOMPLETE_MARKER))) {
            return false;
        }
        if (Files.exists(dataDirectory.resolve(MemberState.FILE_NAME))) {
            return true;
        }
        Path wal = dataDirectory.resolve("wal");
        if (Files.isDirectory(wal)) {
            try (Stream<Path> files = Files.list(wal)) {
                return files.anyMatch(f -> f.getFileName().toString().endsWith(".log"));
            }
        }
        return false;
    }

    /**
     * Restores {@code backupId} (null: chosen by the target) up to {@code target} into {@code dataDirectory}, stamped
     * with history {@code newHistoryId} (null: a new random one).
     */
    public Outcome run(String backupId, Target target, Path dataDirectory, String newHistoryId) throws IOException {
        Path data = dataDirectory.toAbsolutePath().normalize();
        if (Files.exists(data) && !Files.isDirectory(data)) {
            throw new BackupException(data + " is not a directory; restore into an empty or new directory");
        }
        if (holdsData(data)) {
            throw new BackupException(data + " already holds a member's data; restore into an empty or new directory "
                    + "(or use --if-empty to leave it as it is)");
        }
        if (Files.isDirectory(data) && !Files.exists(data.resolve(INCOMPLETE_MARKER))) {
            try (Stream<Path> files = Files.list(data)) {
                if (files.anyMatch(f -> !f.getFileName().toString().equals("lost+found"))) {
                    throw new BackupException(data + " is not empty; restore into an empty or new directory");
                }
            }
        }
        Catalog catalog = Catalog.read(repository);
        Manifest backup = choose(catalog, backupId, target);
        if (newHistoryId != null && (catalog.backups.stream().anyMatch(b -> b.historyId().equals(newHistoryId))
                || catalog.chunks.stream().anyMatch(c -> c.historyId().equals(newHistoryId)))) {
            // The restored member would share a history with the cluster it came from: it could join that cluster,
            // and its archive would mix with the old one's.
            throw new BackupException("the repository already holds history " + newHistoryId + "; a restore starts a new "
                    + "history: give --history-id a new UUID, or leave it out");
        }
        String history = newHistoryId != null ? newHistoryId : UUID.randomUUID().toString();
        progress.println("restoring backup " + backup.backupId() + " (history " + backup.historyId() + ", LSN "
                + backup.startLsn() + " to " + backup.endLsn() + ") up to " + target + " into " + data
                + " as new history " + history);
        Path staging = data.resolveSibling(data.getFileName() + ".restoring");
        if (Files.exists(staging)) {
            progress.println("removing " + staging + ", left by an interrupted restore");
            BaseBackup.deleteTree(staging);
        }
        Files.createDirectories(staging);
        try {
            return build(catalog, backup, target, history, staging, data);
        } catch (IOException | RuntimeException e) {
            // A refusal or failure leaves nothing behind; a killed restore leaves the staging directory to the next run.
            BaseBackup.deleteTree(staging);
            throw e;
        }
    }

    private Outcome build(Catalog catalog, Manifest backup, Target target, String history, Path staging, Path data)
            throws IOException {
        Path work = Files.createTempDirectory("dirk-restore-");
        Position position;
        try (Engine engine = Engine.open(staging)) {
            installSnapshot(engine, backup, history);
            position = new Position(backup.startLsn(), backup.startEpoch(), -1, 0);
            Path log = fetch(Layout.backupObject(backup.backupId(), Manifest.LOG), backup.object(Manifest.LOG).size(),
                    backup.object(Manifest.LOG).sha256(), work);
            position = applyChunk(engine, log, null, "backup " + backup.backupId() + "'s " + Manifest.LOG, backup.historyId(),
                    position, target);
            Files.deleteIfExists(log);
            if (position.lsn < backup.endLsn() && !position.stopped) {
                throw new BackupException("backup " + backup.backupId() + "'s log ends at LSN " + position.lsn
                        + " but its manifest says " + backup.endLsn());
            }
            if (!position.stopped) {
                position = walkArchive(engine, catalog, backup, position, target, work);
            }
            checkTargetReached(catalog, backup, position, target);
            engine.awaitDurable(engine.lastLsn());
        } catch (DirkException e) {
            throw new BackupException(e.getMessage(), e);
        } finally {
            BaseBackup.deleteTree(work);
        }
        // The restored member is the primary of a new history, one epoch past what it restored.
        long epoch = Math.max(1, position.epoch + 1);
        new MemberState(Role.PRIMARY, epoch, epoch, null, 0, history).save(staging);
        Files.deleteIfExists(staging.resolve("LOCK"));
        moveIntoPlace(staging, data);
        progress.println("restored " + position.records + " log records after the snapshot; the data ends at LSN "
                + position.lsn + " (epoch " + position.epoch + ")");
        return new Outcome(backup.backupId(), history, position.lsn, position.epoch, position.lastCommit, position.records, data);
    }

    private Manifest choose(Catalog catalog, String backupId, Target target) throws BackupException {
        if (catalog.backups.isEmpty()) {
            throw new BackupException("the repository " + repository.describe() + " holds no complete base backup");
        }
        if (backupId != null && catalog.damaged.containsKey(backupId)) {
            throw new BackupException("backup " + backupId + " is damaged: " + catalog.damaged.get(backupId));
        }
        if (backupId != null && !backupId.equals("latest")) {
            Manifest named = catalog.backups.stream().filter(b -> b.backupId().equals(backupId)).findFirst()
                    .orElseThrow(() -> new BackupException("the repository holds no complete backup " + backupId
                            + " (dirk backup list shows those it holds)"));
            if (!startsBefore(named, target)) {
                throw new BackupException("the target " + target + " is before the end of backup " + backupId
                        + " (LSN " + named.endLsn() + ", committed " + Instant.ofEpochMilli(named.endCommitMillis())
                        + "); choose an older backup, or leave out --backup to have one chosen");
            }
            return named;
        }
        List<Manifest> sorted = new ArrayList<>(catalog.backups);
        sorted.sort(Comparator.comparing(Manifest::backupId));
        if (backupId != null || (target.lsn() == null && target.time() == null)) {
            return sorted.get(sorted.size() - 1);
        }
        for (int i = sorted.size() - 1; i >= 0; i--) {
            if (startsBefore(sorted.get(i), target)) {
                return sorted.get(i);
            }
        }
        Manifest oldest = sorted.get(0);
        throw new BackupException("the target " + target + " is before the oldest backup " + oldest.backupId()
                + " (which ends at LSN " + oldest.endLsn() + ", committed " + Instant.ofEpochMilli(oldest.endCommitMillis())
                + "): the repository cannot restore to it");
    }

    private static boolean startsBefore(Manifest backup, Target target) {
        if (target.lsn() != null) {
            return backup.endLsn() <= target.lsn();
        }
        if (target.time() != null) {
            return backup.endCommitMillis() <= target.time().toEpochMilli();
        }
        return true;
    }

    private void installSnapshot(Engine engine, Manifest backup, String history) throws IOException {
        Manifest.StoredObject object = backup.object(Manifest.SNAPSHOT);
        String name = Layout.backupObject(backup.backupId(), Manifest.SNAPSHOT);
        MessageDigest sha = LogChunk.sha256();
        long[] read = new long[1];
        try (InputStream raw = open(name);
             InputStream counted = new java.io.FilterInputStream(new DigestInputStream(raw, sha)) {
                 @Override
                 public int read() throws IOException {
                     int b = super.read();
                     if (b >= 0) {
                         read[0]++;
                     }
                     return b;
                 }

                 @Override
                 public int read(byte[] buffer, int offset, int length) throws IOException {
                     int n = super.read(buffer, offset, length);
                     if (n > 0) {
                         read[0] += n;
                     }
                     return n;
                 }
             }) {
            try {
                engine.installSnapshot(Storage.snapshotOfHistory(counted, history));
            } catch (DirkException | IOException e) {
                throw new BackupException("backup " + backup.backupId() + "'s " + Manifest.SNAPSHOT + " is damaged: "
                        + e.getMessage() + "; nothing was restored", e);
            }
            // The rest (normally nothing), up to one byte past the stored size: a longer object is damaged.
            BaseBackup.copy(counted, OutputStream.nullOutputStream(), Math.max(0, object.size() - read[0]) + 1);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (read[0] != object.size() || !actual.equals(object.sha256())) {
            throw new BackupException("backup " + backup.backupId() + "'s " + Manifest.SNAPSHOT + " is damaged: it holds "
                    + read[0] + " bytes of SHA-256 " + actual + " but the manifest says " + object.size() + " bytes of "
                    + object.sha256() + "; nothing was restored");
        }
    }

    private InputStream open(String name) throws IOException {
        try {
            return repository.get(name);
        } catch (NoSuchFileException e) {
            throw new BackupException("the object " + name + " is missing from " + repository.describe());
        }
    }

    /** Downloads an object into {@code work}, checking its size and SHA-256. */
    private Path fetch(String name, long size, String sha256, Path work) throws IOException {
        Path file = work.resolve(name.replace('/', '_'));
        MessageDigest sha = LogChunk.sha256();
        long copied;
        try (InputStream in = new DigestInputStream(open(name), sha);
             OutputStream out = Files.newOutputStream(file)) {
            copied = BaseBackup.copy(in, out, size + 1); // one byte more tells a larger object, without reading it all
        }
        if (copied > size) {
            throw new BackupException("the object " + name + " is damaged: it holds more than the " + size
                    + " bytes that were stored; nothing was restored");
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        long actualSize = Files.size(file);
        if (actualSize != size || !actual.equals(sha256)) {
            throw new BackupException("the object " + name + " is damaged: it holds " + actualSize + " bytes of SHA-256 "
                    + actual + " where " + size + " bytes of SHA-256 " + sha256 + " were stored; nothing was restored");
        }
        return file;
    }

    private static final class Position {
        long lsn;
        long epoch;
        long lastCommit;
        long records;
        boolean stopped;

        Position(long lsn, long epoch, long lastCommit, long records) {
            this.lsn = lsn;
            this.epoch = epoch;
            this.lastCommit = lastCommit;
            this.records = records;
        }
    }

    /**
     * Applies the records of a verified chunk after {@code position}, up to the target. The chunk must continue
     * from the position: its record at the position's LSN (or its {@code after}) has the position's epoch.
     *
     * @return the new position, or null if the chunk does not continue from {@code position} (another branch)
     */
    private Position applyChunk(Engine engine, Path file, Layout.ChunkName named, String source, String historyId,
                                Position position, Target target) throws IOException {
        try (LogChunk.Reader reader = new LogChunk.Reader(Files.newInputStream(file), source)) {
            LogChunk.Header header = reader.header();
            // The walk chose the chunk by its name: a name that does not say what the chunk holds is refused.
            if (named != null && (!header.historyId().equals(named.historyId()) || header.firstLsn() != named.firstLsn()
                    || header.lastLsn() != named.lastLsn() || header.afterEpoch() != named.afterEpoch())) {
                throw new BackupException(source + " is damaged: its name says history " + named.historyId() + ", LSN "
                        + named.firstLsn() + ".." + named.lastLsn() + " after epoch " + named.afterEpoch()
                        + ", but it holds history " + header.historyId() + ", LSN " + header.firstLsn() + ".."
                        + header.lastLsn() + " after epoch " + header.afterEpoch());
            }
            if (!header.historyId().equals(historyId)) {
                throw new BackupException(source + " belongs to history " + header.historyId() + ", not " + historyId);
            }
            boolean matched = header.afterLsn() == position.lsn && header.afterEpoch() == position.epoch;
            if (header.afterLsn() > position.lsn) {
                return null;
            }
            List<LogRecord> batch = new ArrayList<>();
            for (LogRecord record = reader.next(); record != null; record = reader.next()) {
                if (record.lsn() < position.lsn) {
                    continue;
                }
                if (record.lsn() == position.lsn) {
                    matched = record.epoch() == position.epoch;
                    if (!matched) {
                        return null;
                    }
                    continue;
                }
                if (!matched) {
                    return null;
                }
                if (record.epoch() < position.epoch) {
                    throw new BackupException(source + ": record " + record.lsn() + " has epoch " + record.epoch()
                            + ", lower than the record before it (" + position.epoch + ")");
                }
                long commit = Engine.commitTimeMillis(record.payload());
                if (!target.includes(record, commit)) {
                    position.stopped = true;
                    break;
                }
                engine.applyReplicated(record);
                position.lsn = record.lsn();
                position.epoch = record.epoch();
                position.lastCommit = Math.max(position.lastCommit, commit);
                position.records++;
                if (target.lsn() != null && record.lsn() == target.lsn()) {
                    position.stopped = true;
                    break;
                }
            }
            return position;
        }
    }

    private Position walkArchive(Engine engine, Catalog catalog, Manifest backup, Position position, Target target,
                                 Path work) throws IOException {
        List<Layout.ChunkName> chunks = catalog.chunks(backup.historyId());
        while (!position.stopped) {
            long at = position.lsn;
            long epoch = position.epoch;
            // Chunks that may continue from here: they hold record at + 1, and their epochs bracket ours.
            List<Layout.ChunkName> candidates = new ArrayList<>(chunks.stream()
                    .filter(c -> c.firstLsn() <= at + 1 && c.lastLsn() > at && c.afterEpoch() <= epoch && c.lastEpoch() >= epoch)
                    .toList());
            if (candidates.isEmpty()) {
                break;
            }
            // Two chunks continuing from one point: a failover lost records the archive had. The later epoch survived; at
            // equal epochs the chunk written later does (the archiver goes back to an earlier point only once refused).
            candidates.sort(Comparator.comparingLong(Layout.ChunkName::lastEpoch).reversed()
                    .thenComparing(Comparator.comparingLong(Layout.ChunkName::createdMillis).reversed()));
            boolean advanced = false;
            for (Layout.ChunkName chunk : candidates) {
                LOG.log(Level.DEBUG, "fetching {0}", chunk.name());
                Path file = fetch(chunk.name(), chunk.size(), chunk.sha256(), work);
                Position next = applyChunk(engine, file, chunk, chunk.name(), backup.historyId(), position, target);
                Files.deleteIfExists(file);
                if (next != null) {
                    position = next;
                    advanced = position.lsn > at || position.stopped;
                    break;
                }
            }
            if (!advanced) {
                break;
            }
        }
        if (!position.stopped) {
            long at = position.lsn;
            long epoch = position.epoch;
            // Records after ours on our branch have our epoch or a later one: a chunk ending in an earlier epoch is a
            // branch a failover lost, however far it reaches, and no gap.
            long furthest = chunks.stream().filter(c -> c.lastEpoch() >= epoch).mapToLong(Layout.ChunkName::lastLsn)
                    .max().orElse(0);
            // A later base backup of this history (the archiver took one when the primary no longer had the log).
            furthest = Math.max(furthest, catalog.backups.stream().filter(b -> b.historyId().equals(backup.historyId())
                    && b.endEpoch() >= epoch).mapToLong(Manifest::endLsn).max().orElse(0));
            if (furthest > at) {
                throw new BackupException("the archived log has a gap: no archived chunk of history " + backup.historyId()
                        + " continues from LSN " + at + " (epoch " + position.epoch + "), though the archive reaches LSN "
                        + furthest + "; a chunk is missing from " + repository.describe() + ", or the primary no longer "
                        + "held that log when archiving resumed (dirk backup list shows such gaps); restore to a target "
                        + "at or before LSN " + at + ", or after the next backup");
            }
        }
        return position;
    }

    private void checkTargetReached(Catalog catalog, Manifest backup, Position position, Target target)
            throws BackupException {
        if (position.stopped || (target.lsn() == null && target.time() == null)) {
            return;
        }
        if (target.lsn() != null && position.lsn < target.lsn()) {
            throw new BackupException("the target LSN " + target.lsn() + " is beyond what the repository holds for history "
                    + backup.historyId() + ": its log ends at LSN " + position.lsn);
        }
        if (target.time() != null) {
            // No record after the target was seen: the archive must be known complete up to it.
            long complete = ArchiveStatus.completeUntil(repository, backup.historyId(), position.lsn);
            if (complete < target.time().toEpochMilli()) {
                throw new BackupException("the target time " + target.time() + " is beyond what the repository holds for"
                        + " history " + backup.historyId() + ": its log ends at LSN " + position.lsn
                        + (position.lastCommit > 0 ? " (committed " + Instant.ofEpochMilli(position.lastCommit) + ")" : "")
                        + (complete > 0 ? " and is known complete up to " + Instant.ofEpochMilli(complete) : ""));
            }
        }
    }

    /** Renames the staged directory to the data directory (or, for a mount point, moves its content in). */
    private void moveIntoPlace(Path staging, Path data) throws IOException {
        AtomicFile.syncDirectory(staging);
        if (Files.isDirectory(data)) {
            try {
                Files.delete(data); // empty (checked above) or holding only an earlier attempt's marker
            } catch (FileSystemException e) {
                moveContentInto(staging, data);
                return;
            }
        }
        Files.createDirectories(data.getParent());
        Files.move(staging, data, StandardCopyOption.ATOMIC_MOVE);
        AtomicFile.syncDirectory(data.getParent());
    }

    private void moveContentInto(Path staging, Path data) throws IOException {
        LOG.log(Level.INFO, "{0} cannot be replaced (a mount point?): moving the restored files into it", data);
        Files.write(data.resolve(INCOMPLETE_MARKER), new byte[0]);
        AtomicFile.syncDirectory(data);
        try (Stream<Path> left = Files.list(data)) {
            for (Path file : (Iterable<Path>) left::iterator) {
                String name = file.getFileName().toString();
                if (!name.equals(INCOMPLETE_MARKER) && !name.equals("lost+found")) {
                    BaseBackup.deleteTree(file);
                }
            }
        }
        List<Path> moved;
        try (Stream<Path> files = Files.list(staging)) {
            moved = files.sorted(Comparator.comparing(p -> p.getFileName().toString().equals(MemberState.FILE_NAME) ? 1 : 0))
                    .toList();
        }
        for (Path file : moved) {
            Files.move(file, data.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
        AtomicFile.syncDirectory(data);
        Files.delete(data.resolve(INCOMPLETE_MARKER));
        AtomicFile.syncDirectory(data);
        Files.delete(staging);
    }
}
