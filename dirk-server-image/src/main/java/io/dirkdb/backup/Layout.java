package io.dirkdb.backup;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where objects live in a repository (docs/backup.md, "Repository layout"):
 * {@code backups/<backupId>/{snapshot.snap,log.chunk,manifest.json}} and
 * {@code wal/<historyId>/<firstLsn>-<lastLsn>-<afterEpoch>-<lastEpoch>-<createdMillis>-<sha256>.chunk} (LSNs in 20
 * digits), and {@code wal/<historyId>/status.json} (the archiver's progress).
 */
final class Layout {
    static final String BACKUPS = "backups/";
    static final String WAL = "wal/";
    static final String MANIFEST = "manifest.json";
    private static final Pattern CHUNK = Pattern.compile(
            "wal/([0-9a-f-]{36})/(\\d{20})-(\\d{20})-(\\d+)-(\\d+)-(\\d+)-([0-9a-f]{64})\\.chunk");

    private Layout() {}

    /** An archived chunk as its name describes it. */
    record ChunkName(String name, String historyId, long firstLsn, long lastLsn, long afterEpoch, long lastEpoch,
                     long createdMillis, String sha256, long size) {
        long afterLsn() {
            return firstLsn - 1;
        }
    }

    static String backupObject(String backupId, String object) {
        return BACKUPS + backupId + "/" + object;
    }

    static String chunkName(String historyId, LogChunk.Finished chunk) {
        LogChunk.Header h = chunk.header();
        return String.format(Locale.ROOT, "%s%s/%020d-%020d-%d-%d-%d-%s.chunk", WAL, historyId, h.firstLsn(), h.lastLsn(),
                h.afterEpoch(), chunk.lastEpoch(), System.currentTimeMillis(), chunk.sha256());
    }

    static ChunkName parseChunk(Repository.Entry entry) {
        Matcher m = CHUNK.matcher(entry.name());
        if (!m.matches()) {
            return null;
        }
        return new ChunkName(entry.name(), m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), m.group(7), entry.size());
    }

    /** The backup id an object of {@code backups/} belongs to, or null. */
    static String backupIdOf(String name) {
        if (!name.startsWith(BACKUPS)) {
            return null;
        }
        int slash = name.indexOf('/', BACKUPS.length());
        return slash < 0 ? null : name.substring(BACKUPS.length(), slash);
    }
}
