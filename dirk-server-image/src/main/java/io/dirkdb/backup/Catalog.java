package io.dirkdb.backup;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What a repository holds: its complete base backups (those with a manifest) and its archived log chunks. */
final class Catalog {
    final List<Manifest> backups = new ArrayList<>();
    /** Backup ids with objects but no manifest: interrupted backups, ignored, removed by prune. */
    final Set<String> incomplete = new TreeSet<>();
    /** Backup ids whose manifest cannot be read or does not describe them, with why: ignored, kept, listed. */
    final java.util.Map<String, String> damaged = new java.util.TreeMap<>();
    final List<Layout.ChunkName> chunks = new ArrayList<>();
    final List<Repository.Entry> entries;

    private Catalog(List<Repository.Entry> entries) {
        this.entries = entries;
    }

    static Catalog read(Repository repository) throws IOException {
        List<Repository.Entry> entries = new ArrayList<>(repository.list(Layout.BACKUPS));
        entries.addAll(repository.list(Layout.WAL));
        Catalog catalog = new Catalog(entries);
        Set<String> ids = new TreeSet<>();
        Set<String> complete = new TreeSet<>();
        for (Repository.Entry entry : entries) {
            String id = Layout.backupIdOf(entry.name());
            if (id != null) {
                ids.add(id);
                if (entry.name().equals(Layout.backupObject(id, Layout.MANIFEST))) {
                    complete.add(id);
                }
            }
            Layout.ChunkName chunk = Layout.parseChunk(entry);
            if (chunk != null) {
                catalog.chunks.add(chunk);
            }
        }
        for (String id : complete) {
            // One damaged manifest must not stop the archiver, or every restore and prune of the repository.
            Manifest manifest;
            try (InputStream in = repository.get(Layout.backupObject(id, Layout.MANIFEST))) {
                manifest = Manifest.read(in);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                catalog.damaged.put(id, "its manifest is not valid JSON: " + e.getOriginalMessage());
                continue;
            }
            String problem = manifest.backupId() == null || !manifest.backupId().equals(id) ? "its manifest names backup "
                    + manifest.backupId() : manifest.historyId() == null ? "its manifest names no history"
                    : manifest.objects() == null ? "its manifest lists no objects" : null;
            if (problem != null) {
                catalog.damaged.put(id, problem);
            } else {
                catalog.backups.add(manifest);
            }
        }
        ids.removeAll(complete);
        catalog.incomplete.addAll(ids);
        return catalog;
    }

    /** The chunks of {@code historyId}. */
    List<Layout.ChunkName> chunks(String historyId) {
        return chunks.stream().filter(c -> c.historyId().equals(historyId)).toList();
    }
}
