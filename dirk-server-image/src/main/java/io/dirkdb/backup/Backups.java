package io.dirkdb.backup;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Listing and pruning a repository ({@code dirk backup list}, {@code dirk backup prune}). */
public final class Backups {
    /** An interrupted backup is removed only once it started this long ago: a younger one may still be written. */
    static final Duration INCOMPLETE_GRACE = Duration.ofHours(24);

    private Backups() {}

    /** The complete backups, oldest first, and lines describing the archived log per history. */
    public record Listing(List<Manifest> backups, List<String> archiveSummary) {}

    public static Listing list(Repository repository) throws IOException {
        Catalog catalog = Catalog.read(repository);
        List<Manifest> backups = new ArrayList<>(catalog.backups);
        backups.sort(Comparator.comparing(Manifest::backupId));
        Map<String, long[]> perHistory = new HashMap<>();
        for (Layout.ChunkName chunk : catalog.chunks) {
            long[] span = perHistory.computeIfAbsent(chunk.historyId(), k -> new long[] {Long.MAX_VALUE, 0, 0, 0});
            span[0] = Math.min(span[0], chunk.firstLsn());
            span[1] = Math.max(span[1], chunk.lastLsn());
            span[2]++;
            span[3] += chunk.size();
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, long[]> history : perHistory.entrySet()) {
            long[] span = history.getValue();
            ArchiveStatus status = ArchiveStatus.read(repository, history.getKey());
            lines.add(String.format(Locale.ROOT, "archived log of history %s: LSN %d..%d in %d chunks, %,d bytes%s",
                    history.getKey(), span[0], span[1], span[2], span[3], status == null ? ""
                            : ", complete up to " + Instant.ofEpochMilli(status.completeUntilMillis())));
            for (long[] gap : gaps(catalog, history.getKey())) {
                lines.add(String.format(Locale.ROOT, "  gap in history %s: LSN %d..%d is in no chunk (the primary no "
                        + "longer held that log when archiving resumed); no restore can stop there", history.getKey(),
                        gap[0], gap[1]));
            }
        }
        for (Map.Entry<String, String> damaged : catalog.damaged.entrySet()) {
            lines.add("damaged backup " + damaged.getKey() + " (" + damaged.getValue() + "; ignored, kept by prune)");
        }
        for (String id : catalog.incomplete) {
            lines.add("incomplete backup " + id + " (no manifest: being written or interrupted; ignored, removed by prune once a day old)");
        }
        return new Listing(backups, lines);
    }

    /**
     * The LSN ranges of {@code historyId} a restore cannot stop in: after the oldest backup's end, held by no archived
     * chunk, before a later chunk or backup end (where the archiver resumed with a new base backup).
     */
    static List<long[]> gaps(Catalog catalog, String historyId) {
        List<long[]> spans = new ArrayList<>(); // [first, last] a restore can stop at
        for (Layout.ChunkName chunk : catalog.chunks(historyId)) {
            if (chunk.firstLsn() <= chunk.lastLsn()) {
                spans.add(new long[] {chunk.firstLsn(), chunk.lastLsn()});
            }
        }
        for (Manifest backup : catalog.backups) {
            if (backup.historyId().equals(historyId)) {
                spans.add(new long[] {backup.endLsn(), backup.endLsn()});
            }
        }
        long oldestEnd = catalog.backups.stream().filter(b -> b.historyId().equals(historyId))
                .mapToLong(Manifest::endLsn).min().orElse(Long.MAX_VALUE);
        spans.removeIf(span -> span[1] < oldestEnd);
        spans.sort(Comparator.comparingLong(span -> span[0]));
        List<long[]> gaps = new ArrayList<>();
        long reach = -1;
        for (long[] span : spans) {
            if (reach >= 0 && span[0] > reach + 1) {
                gaps.add(new long[] {reach + 1, span[0] - 1});
            }
            reach = Math.max(reach, span[1]);
        }
        return gaps;
    }

    /**
     * Deletes the backups beyond both limits (a null limit does not hold any back; the newest complete backup is
     * always kept), the archived chunks no kept backup needs, and interrupted backups older than the newest complete
     * one. Returns the deleted object names.
     */
    public static List<String> prune(Repository repository, Integer keepLast, Duration maxAge, boolean dryRun)
            throws IOException {
        Catalog catalog = Catalog.read(repository);
        List<Manifest> backups = new ArrayList<>(catalog.backups);
        backups.sort(Comparator.comparing(Manifest::backupId));
        Set<String> doomed = new HashSet<>();
        Instant now = Instant.now();
        for (int i = 0; i < backups.size() - 1; i++) { // never the newest
            Manifest backup = backups.get(i);
            boolean beyondCount = keepLast == null || backups.size() - i > keepLast;
            boolean beyondAge = maxAge == null || Instant.parse(backup.completedAt()).isBefore(now.minus(maxAge));
            if ((keepLast != null || maxAge != null) && beyondCount && beyondAge) {
                doomed.add(backup.backupId());
            }
        }
        List<String> deleted = new ArrayList<>();
        String newest = backups.isEmpty() ? null : backups.get(backups.size() - 1).backupId();
        Map<String, Long> keptFrom = new HashMap<>(); // per history: the lowest endLsn of a kept backup
        for (Manifest backup : backups) {
            if (!doomed.contains(backup.backupId())) {
                keptFrom.merge(backup.historyId(), backup.endLsn(), Math::min);
            }
        }
        for (Repository.Entry entry : catalog.entries) {
            String id = Layout.backupIdOf(entry.name());
            boolean delete;
            if (id != null) {
                Instant started = BaseBackup.startedAt(id);
                boolean leftover = catalog.incomplete.contains(id) && newest != null && id.compareTo(newest) < 0
                        && started != null && started.isBefore(now.minus(INCOMPLETE_GRACE));
                delete = doomed.contains(id) || leftover;
            } else {
                Layout.ChunkName chunk = Layout.parseChunk(entry);
                if (chunk == null) {
                    continue; // status.json and anything else stays
                }
                Long from = keptFrom.get(chunk.historyId());
                delete = !backups.isEmpty() && (from == null || chunk.lastLsn() <= from);
            }
            if (delete) {
                deleted.add(entry.name());
            }
        }
        // Manifests go first, so a backup is never seen complete with objects missing.
        deleted.sort(Comparator.comparing((String name) -> name.endsWith("/" + Layout.MANIFEST) ? 0 : 1)
                .thenComparing(Comparator.naturalOrder()));
        if (!dryRun) {
            repository.deleteAll(deleted);
        }
        return deleted;
    }
}
