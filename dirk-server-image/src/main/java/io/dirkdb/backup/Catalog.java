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
            try (InputStream in = repository.get(Layout.backupObject(id, Layout.MANIFEST))) {
                catalog.backups.add(Manifest.read(in));
            } catch (IOException e) {
                throw new BackupException("the manifest of backup " + id + " in " + repository.describe()
                        + " cannot be read: " + e.getMessage(), e);
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
