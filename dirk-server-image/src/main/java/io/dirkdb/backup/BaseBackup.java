package io.dirkdb.backup;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.replication.LogSource;
import io.dirkdb.storage.LogRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Takes one base backup ({@code dirk backup}): the latest snapshot of a caught-up secondary (else the primary), plus
 * the log after it up to that member's durable log end at that moment, so the backup alone restores to its endLsn.
 * Both are staged in a local temporary directory, uploaded, and the manifest is uploaded last.
 */
public final class BaseBackup {
    private static final System.Logger LOG = System.getLogger(BaseBackup.class.getName());
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    /** A secondary's checkpoint may drop the log between the snapshot and the stream: then the backup starts again. */
    private static final int ATTEMPTS = 3;

    private final MemberAccess access;
    private final Repository repository;

    /** When the backup {@code backupId} started (its id begins with it), or null for an id this tool did not make. */
    static Instant startedAt(String backupId) {
        int dash = backupId.indexOf('-');
        try {
            return Instant.from(ID_TIME.parse(dash < 0 ? backupId : backupId.substring(0, dash)));
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    public BaseBackup(MemberAccess access, Repository repository) {
        this.access = access;
        this.repository = repository;
    }

    /** Takes the backup; returns its manifest once stored. */
    public Manifest take() throws IOException {
        BackupException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            MemberAccess.Observed source = access.backupSource();
            try {
                return takeFrom(source);
            } catch (LogGoneException e) {
                last = e;
                LOG.log(Level.WARNING, "backup from {0}: {1}; starting again", source.endpoint(), e.getMessage());
            }
        }
        throw last;
    }

    private static final class LogGoneException extends BackupException {
        LogGoneException(String message) {
            super(message);
        }
    }

    private Manifest takeFrom(MemberAccess.Observed source) throws IOException {
        Instant started = Instant.now();
        Path staging = Files.createTempDirectory("dirk-backup-");
        try {
            Path snapshotFile = staging.resolve(Manifest.SNAPSHOT);
            JsonNode header;
            String snapshotSha;
            try (LogSource member = access.open(source.endpoint())) {
                header = member.requestSnapshot();
                if (header.hasNonNull("refused") || !header.has("size")) {
                    throw new BackupException(source.endpoint() + " did not ship its snapshot: " + header);
                }
                MessageDigest sha = LogChunk.sha256();
                long size = header.path("size").asLong();
                try (InputStream in = member.snapshotBytes(header);
                     OutputStream out = new DigestOutputStream(Files.newOutputStream(snapshotFile), sha)) {
                    long copied = copy(in, out, size);
                    if (copied != size) {
                        throw new BackupException(source.endpoint() + " stopped sending its snapshot after " + copied
                                + " of " + size + " bytes");
                    }
                }
                snapshotSha = HexFormat.of().formatHex(sha.digest());
            }
            String historyId = header.path("historyId").asText(null);
            if (historyId == null) {
                throw new BackupException(source.endpoint() + " does not say which history its data belongs to");
            }
            long startLsn = header.path("lsn").asLong();
            long startEpoch = header.path("epoch").asLong();
            Path logFile = staging.resolve(Manifest.LOG);
            long endLsn;
            long epoch;
            LogChunk.Finished log;
            try (LogSource member = access.open(source.endpoint());
                 LogChunk.Writer chunk = new LogChunk.Writer(logFile, historyId, startLsn, startEpoch)) {
                LogSource.Answer answer = member.startStream(startLsn, startEpoch, startEpoch, historyId);
                if (answer.refused()) {
                    String why = answer.reply().path("reason").asText(answer.refusal());
                    if ("needsResync".equals(answer.refusal())) {
                        throw new LogGoneException(why);
                    }
                    throw new BackupException(source.endpoint() + " refused to stream its log after its snapshot: " + why);
                }
                endLsn = answer.reply().path("lastLsn").asLong();
                epoch = answer.reply().path("epoch").asLong();
                while (chunk.lastLsn() < endLsn) {
                    for (LogRecord record : member.next().records()) {
                        if (record.lsn() <= endLsn) {
                            chunk.add(record);
                        }
                    }
                }
                log = chunk.finish();
            }
            Instant snapshotTaken = started;
            long endCommit = log.header().lastCommitMillis() >= 0 ? log.header().lastCommitMillis() : snapshotTaken.toEpochMilli();
            String backupId = ID_TIME.format(started) + "-" + String.format(Locale.ROOT, "%020d", endLsn);
            long snapshotSize = Files.size(snapshotFile);
            repository.put(Layout.backupObject(backupId, Manifest.SNAPSHOT), snapshotFile);
            repository.put(Layout.backupObject(backupId, Manifest.LOG), logFile);
            Manifest manifest = new Manifest(Manifest.FORMAT, backupId, historyId, startLsn, startEpoch, endLsn,
                    log.lastEpoch(), Math.max(epoch, log.lastEpoch()), endCommit, started.toString(), Instant.now().toString(),
                    source.endpoint().toString(), snapshotSize + log.size(),
                    List.of(new Manifest.StoredObject(Manifest.SNAPSHOT, snapshotSize, snapshotSha),
                            new Manifest.StoredObject(Manifest.LOG, log.size(), log.sha256())));
            repository.put(Layout.backupObject(backupId, Layout.MANIFEST), manifest.toBytes());
            // A prune that took this backup for an interrupted one may have deleted its objects meanwhile: then it is
            // not stored, whatever the manifest says.
            List<String> stored = repository.list(Layout.backupObject(backupId, "")).stream().map(Repository.Entry::name)
                    .toList();
            if (!stored.contains(Layout.backupObject(backupId, Manifest.SNAPSHOT))
                    || !stored.contains(Layout.backupObject(backupId, Manifest.LOG))) {
                repository.delete(Layout.backupObject(backupId, Layout.MANIFEST));
                throw new BackupException("backup " + backupId + "'s objects were deleted from " + repository.describe()
                        + " while it was written (a prune running meanwhile?); it is not stored: run it again");
            }
            LOG.log(Level.INFO, "base backup {0} from {1}: snapshot at LSN {2}, log to LSN {3}, {4} bytes", backupId,
                    source.endpoint(), String.valueOf(startLsn), String.valueOf(endLsn), String.valueOf(manifest.bytes()));
            return manifest;
        } finally {
            deleteTree(staging);
        }
    }

    static long copy(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buffer = new byte[1 << 20];
        long copied = 0;
        while (copied < limit) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - copied));
            if (n < 0) {
                break;
            }
            out.write(buffer, 0, n);
            copied += n;
        }
        return copied;
    }

    static void deleteTree(Path root) {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "cannot delete {0}: {1}", file, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete {0}: {1}", root, e.getMessage());
        }
    }
}
