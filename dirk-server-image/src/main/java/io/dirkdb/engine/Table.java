package io.dirkdb.engine;

import io.dirkdb.sql.TypeSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A table's definition and rows. Rows are kept by row id in insertion order ({@link RowMap}); row
 * ids only grow, so ascending ids are insertion order. Changes happen only under the engine's write lock;
 * readers share the read lock, and may build an equality index concurrently (see {@link #index}).
 */
final class Table {
    /** Below this many rows a scan is as cheap as building an index. */
    static final int INDEX_THRESHOLD = 1000;

    record Column(String name, TypeSpec type) {}

    final String name;
    final List<Column> columns;
    final RowMap rows;
    long nextRowId = 1;
    private final Map<Integer, HashIndex> indexes = new ConcurrentHashMap<>();
    /** The estimated heap of the rows ({@link DataSizes#row}), kept up to date by every change. */
    private long rowBytes;

    Table(String name, List<Column> columns) {
        this(name, columns, 0);
    }

    /** @param expectedRows rows about to be loaded (a snapshot's count), so the map is sized once */
    Table(String name, List<Column> columns, int expectedRows) {
        this.name = name;
        this.columns = List.copyOf(columns);
        this.rows = new RowMap(expectedRows);
    }

    int columnIndex(String column) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(column)) {
                return i;
            }
        }
        return -1;
    }

    /** The estimated heap the table takes: its rows and the entries of the indexes built so far. */
    long estimatedBytes() {
        return DataSizes.SCHEMA_OBJECT + rowBytes + (long) indexes.size() * rows.size() * DataSizes.INDEX_ENTRY;
    }

    /** How much {@code rows} would add to {@link #estimatedBytes()} as new rows. */
    long growthOfInsert(List<Object[]> added) {
        long bytes = 0;
        for (Object[] row : added) {
            bytes += DataSizes.row(row) + (long) indexes.size() * DataSizes.INDEX_ENTRY;
        }
        return bytes;
    }

    /** How much replacing the rows {@code rowIds} by {@code replacements} would add (negative: it frees). */
    long growthOfUpdate(long[] rowIds, List<Object[]> replacements) {
        long bytes = 0;
        for (int i = 0; i < rowIds.length; i++) {
            Object[] old = rows.get(rowIds[i]);
            bytes += DataSizes.row(replacements.get(i)) - (old == null ? 0 : DataSizes.row(old));
        }
        return bytes;
    }

    /** Adds a row read from a snapshot (no index exists yet). */
    void restore(long rowId, Object[] row) {
        rows.put(rowId, row);
        rowBytes += DataSizes.row(row);
    }

    void insert(long rowId, Object[] row) {
        rows.put(rowId, row);
        rowBytes += DataSizes.row(row);
        nextRowId = Math.max(nextRowId, rowId + 1);
        for (Map.Entry<Integer, HashIndex> index : indexes.entrySet()) {
            index.getValue().add(row[index.getKey()], rowId);
        }
    }

    void update(long rowId, Object[] row) {
        Object[] old = rows.put(rowId, row);
        if (old == null) {
            throw new IllegalStateException("update of missing row " + rowId + " in " + name);
        }
        rowBytes += DataSizes.row(row) - DataSizes.row(old);
        for (Map.Entry<Integer, HashIndex> index : indexes.entrySet()) {
            int column = index.getKey();
            if (!java.util.Objects.equals(old[column], row[column])) {
                index.getValue().remove(old[column], rowId);
                index.getValue().add(row[column], rowId);
            }
        }
    }

    void delete(long rowId) {
        Object[] old = rows.remove(rowId);
        if (old == null) {
            throw new IllegalStateException("delete of missing row " + rowId + " in " + name);
        }
        rowBytes -= DataSizes.row(old);
        for (Map.Entry<Integer, HashIndex> index : indexes.entrySet()) {
            index.getValue().remove(old[index.getKey()], rowId);
        }
    }

    /**
     * The equality index of a column, built on first use when the table is big enough;
     * null for small tables. Safe under the read lock: building is serialized on the table, and
     * an index is published only once complete.
     */
    HashIndex index(int column) {
        HashIndex index = indexes.get(column);
        if (index != null || rows.size() < INDEX_THRESHOLD) {
            return index;
        }
        synchronized (this) {
            index = indexes.get(column);
            if (index == null) {
                index = new HashIndex();
                for (Map.Entry<Long, Object[]> row : rows.entrySet()) {
                    index.add(row.getValue()[column], row.getKey());
                }
                indexes.put(column, index);
            }
            return index;
        }
    }

    /** Row ids and rows whose ids are listed, in insertion order. */
    List<Map.Entry<Long, Object[]>> rowsWithIds(Collection<Long> ids) {
        long[] sorted = new long[ids.size()];
        int n = 0;
        for (Long id : ids) {
            sorted[n++] = id;
        }
        Arrays.sort(sorted);
        List<Map.Entry<Long, Object[]>> result = new ArrayList<>(n);
        for (long id : sorted) {
            Object[] row = rows.get(id);
            if (row != null) {
                result.add(Map.entry(id, row));
            }
        }
        return result;
    }

    /** Maps a column's values (in {@link Values#key} form, nulls left out) to the ids of their rows. */
    static final class HashIndex {
        private final Map<Object, Object> entries = new HashMap<>();

        void add(Object value, long rowId) {
            if (value == null) {
                return;
            }
            Object key = Values.key(value);
            Object existing = entries.get(key);
            if (existing == null) {
                entries.put(key, rowId);
            } else if (existing instanceof Long single) {
                Set<Long> ids = new HashSet<>(4);
                ids.add(single);
                ids.add(rowId);
                entries.put(key, ids);
            } else {
                @SuppressWarnings("unchecked")
                Set<Long> ids = (Set<Long>) existing;
                ids.add(rowId);
            }
        }

        void remove(Object value, long rowId) {
            if (value == null) {
                return;
            }
            Object key = Values.key(value);
            Object existing = entries.get(key);
            if (existing instanceof Long single) {
                if (single == rowId) {
                    entries.remove(key);
                }
            } else if (existing != null) {
                @SuppressWarnings("unchecked")
                Set<Long> ids = (Set<Long>) existing;
                ids.remove(rowId);
                if (ids.isEmpty()) {
                    entries.remove(key);
                }
            }
        }

        /** Ids of the rows holding {@code value}; empty when none. */
        @SuppressWarnings("unchecked")
        Collection<Long> lookup(Object value) {
            Object existing = entries.get(Values.key(value));
            if (existing == null) {
                return List.of();
            }
            return existing instanceof Long single ? List.of(single) : (Set<Long>) existing;
        }
    }
}
