package io.dirkdb.engine;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A table's rows by row id, in ascending id order (which is insertion order: ids only grow). Two
 * parallel arrays, ids and rows, looked up by binary search, instead of a map entry and a boxed id
 * per row: a table of a million rows is a few arrays the garbage collector moves as blocks, which
 * makes loading a snapshot (a resync, a restart) and holding the rows cheaper. A removed row leaves
 * a hole until holes outnumber rows, then the arrays are compacted (and shrunk when mostly empty).
 * Adding or removing a row while walking the rows fails the walk, as a LinkedHashMap's did. Not thread-safe: changed under
 * the engine's write lock, read under its read lock.
 */
final class RowMap extends AbstractMap<Long, Object[]> {
    private long[] ids;
    private Object[][] rows;
    /** Slots used, holes included. */
    private int end;
    /** Rows held (slots used minus holes). */
    private int size;
    /** Counts adds and removes (not replacements), so an iterator fails fast as a LinkedHashMap's did. */
    private int modCount;

    RowMap(int expectedRows) {
        int capacity = Math.max(16, expectedRows);
        ids = new long[capacity];
        rows = new Object[capacity][];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    public Object[] get(Object key) {
        if (!(key instanceof Long id)) {
            return null;
        }
        return get(id.longValue());
    }

    Object[] get(long id) {
        int slot = Arrays.binarySearch(ids, 0, end, id);
        return slot < 0 ? null : rows[slot];
    }

    @Override
    public Object[] put(Long key, Object[] row) {
        return put(key.longValue(), row);
    }

    /** Adds or replaces the row {@code id}; returns the row it replaced, or null. */
    Object[] put(long id, Object[] row) {
        if (row == null) {
            throw new NullPointerException("a row cannot be null");
        }
        if (end == 0 || id > ids[end - 1]) {
            append(id, row);
            return null;
        }
        int slot = Arrays.binarySearch(ids, 0, end, id);
        if (slot >= 0) {
            Object[] old = rows[slot];
            rows[slot] = row;
            if (old == null) {
                size++; // refills a hole
                modCount++;
            }
            return old;
        }
        // An id below the highest one, never held: kept in id order (ids are handed out ascending, so this is rare).
        int at = -slot - 1;
        grow();
        System.arraycopy(ids, at, ids, at + 1, end - at);
        System.arraycopy(rows, at, rows, at + 1, end - at);
        ids[at] = id;
        rows[at] = row;
        end++;
        size++;
        modCount++;
        return null;
    }

    private void append(long id, Object[] row) {
        grow();
        ids[end] = id;
        rows[end] = row;
        end++;
        size++;
        modCount++;
    }

    private void grow() {
        if (end == ids.length) {
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8, ids.length + (ids.length >> 1) + 1L);
            ids = Arrays.copyOf(ids, capacity);
            rows = Arrays.copyOf(rows, capacity);
        }
    }

    @Override
    public Object[] remove(Object key) {
        return key instanceof Long id ? remove(id.longValue()) : null;
    }

    Object[] remove(long id) {
        int slot = Arrays.binarySearch(ids, 0, end, id);
        if (slot < 0 || rows[slot] == null) {
            return null;
        }
        Object[] old = rows[slot];
        rows[slot] = null;
        size--;
        modCount++;
        if (end - size > 64 && end - size > size) {
            compact();
        }
        return old;
    }

    private void compact() {
        int kept = 0;
        for (int i = 0; i < end; i++) {
            if (rows[i] != null) {
                ids[kept] = ids[i];
                rows[kept++] = rows[i];
            }
        }
        Arrays.fill(rows, kept, end, null);
        end = kept;
        if (ids.length > 64 && kept < ids.length / 4) {
            // Give back the slots of rows deleted long ago: the memory estimate counts only rows held.
            int capacity = Math.max(16, kept * 2);
            ids = Arrays.copyOf(ids, capacity);
            rows = Arrays.copyOf(rows, capacity);
        }
    }

    @Override
    public void clear() {
        Arrays.fill(rows, 0, end, null);
        end = 0;
        size = 0;
        modCount++;
    }

    @Override
    public Set<Map.Entry<Long, Object[]>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<Long, Object[]>> iterator() {
                return new Slots<>() {
                    @Override
                    Map.Entry<Long, Object[]> at(int slot) {
                        return new AbstractMap.SimpleImmutableEntry<>(ids[slot], rows[slot]);
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    @Override
    public Collection<Object[]> values() {
        return new AbstractCollection<>() {
            @Override
            public Iterator<Object[]> iterator() {
                return new Slots<>() {
                    @Override
                    Object[] at(int slot) {
                        return rows[slot];
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    /** Walks the slots that hold a row, in id order. */
    private abstract class Slots<T> implements Iterator<T> {
        private int next = skipHoles(0);
        private final int expectedModCount = modCount;

        abstract T at(int slot);

        private int skipHoles(int from) {
            while (from < end && rows[from] == null) {
                from++;
            }
            return from;
        }

        @Override
        public boolean hasNext() {
            return next < end;
        }

        @Override
        public T next() {
            if (modCount != expectedModCount) {
                throw new ConcurrentModificationException("the rows changed while they were walked");
            }
            if (next >= end) {
                throw new NoSuchElementException();
            }
            T value = at(next);
            next = skipHoles(next + 1);
            return value;
        }
    }
}
