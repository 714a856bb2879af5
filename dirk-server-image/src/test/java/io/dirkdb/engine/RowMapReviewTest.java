package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Review of issue 13: what the LinkedHashMap of rows guaranteed and a caller may rely on. */
class RowMapReviewTest {

    private static RowMap filled(int n) {
        RowMap rows = new RowMap(0);
        for (long id = 1; id <= n; id++) {
            rows.put(id, new Object[] {id});
        }
        return rows;
    }

    /**
     * Deleting rows while walking them (a future DELETE that deletes as it scans) must fail loudly as the
     * LinkedHashMap did: a compaction in the middle of the walk would otherwise shift rows under the
     * iterator and skip some of them without a word.
     */
    @Test
    void removingWhileIteratingFailsInsteadOfSkippingRows() {
        RowMap rows = filled(1000);
        assertThatThrownBy(() -> {
            for (Map.Entry<Long, Object[]> entry : rows.entrySet()) {
                rows.remove(entry.getKey());
            }
        }).isInstanceOf(ConcurrentModificationException.class);
        RowMap appended = filled(10);
        Iterator<Object[]> values = appended.values().iterator();
        values.next();
        appended.put(11L, new Object[] {11L});
        assertThatThrownBy(values::next).isInstanceOf(ConcurrentModificationException.class);
    }

    /** Replacing a row (an UPDATE) is not a structural change: a walk goes on, as with the LinkedHashMap. */
    @Test
    void replacingRowsWhileIteratingIsAllowed() {
        RowMap rows = filled(100);
        int seen = 0;
        for (Map.Entry<Long, Object[]> entry : rows.entrySet()) {
            rows.put(entry.getKey(), new Object[] {"updated"});
            seen++;
        }
        assertThat(seen).isEqualTo(100);
    }

    /**
     * A table that once held many rows and now holds few must give the slots back: the memory estimate
     * counts only the rows held, so slots kept for rows long deleted are heap nobody accounts for.
     */
    @Test
    void deletingMostRowsGivesTheSlotsBack() throws ReflectiveOperationException {
        RowMap rows = filled(100_000);
        for (long id = 1; id <= 99_990; id++) {
            rows.remove(id);
        }
        assertThat(rows.size()).isEqualTo(10);
        java.lang.reflect.Field ids = RowMap.class.getDeclaredField("ids");
        ids.setAccessible(true);
        assertThat(((long[]) ids.get(rows)).length).isLessThan(1000);
        for (long id = 99_991; id <= 100_000; id++) {
            assertThat(rows.get(id)).containsExactly(id);
        }
    }
}
