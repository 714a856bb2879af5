package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A table's rows keep the behaviour of the insertion-ordered map they replaced. */
class RowMapTest {

    private static Object[] row(long id) {
        return new Object[] {id, "text-" + id};
    }

    @Test
    void holdsRowsInIdOrderThroughUpdatesDeletesAndCompaction() {
        RowMap rows = new RowMap(0);
        Map<Long, Object[]> expected = new LinkedHashMap<>();
        Random random = new Random(42);
        long nextId = 1;
        for (int step = 0; step < 20_000; step++) {
            int action = random.nextInt(10);
            if (action < 5 || expected.isEmpty()) {
                long id = nextId;
                nextId += 1 + random.nextInt(3);
                Object[] added = row(id);
                assertThat(rows.put(id, added)).isNull();
                expected.put(id, added);
            } else {
                List<Long> ids = new ArrayList<>(expected.keySet());
                long id = ids.get(random.nextInt(ids.size()));
                if (action < 7) {
                    Object[] replacement = {id, "updated"};
                    assertThat(rows.put(id, replacement)).isEqualTo(expected.put(id, replacement));
                } else {
                    assertThat(rows.remove(id)).isEqualTo(expected.remove(id));
                    assertThat(rows.remove(id)).isNull();
                }
            }
        }
        assertThat(rows.size()).isEqualTo(expected.size());
        assertThat(new ArrayList<>(rows.keySet())).containsExactlyElementsOf(expected.keySet());
        assertThat(new ArrayList<>(rows.values())).containsExactlyElementsOf(expected.values());
        for (Map.Entry<Long, Object[]> entry : expected.entrySet()) {
            assertThat(rows.get(entry.getKey())).isSameAs(entry.getValue());
        }
        assertThat(rows.get(nextId + 5)).isNull();
        assertThat(rows.containsKey(0L)).isFalse();
    }

    @Test
    void anIdBelowTheHighestIsStillKeptInIdOrder() {
        RowMap rows = new RowMap(2);
        rows.put(10L, row(10));
        rows.put(30L, row(30));
        rows.put(20L, row(20));
        rows.remove(30L);
        rows.put(30L, row(30)); // refills its hole
        rows.put(5L, row(5));
        assertThat(new ArrayList<>(rows.keySet())).containsExactly(5L, 10L, 20L, 30L);
        assertThat(rows.size()).isEqualTo(4);
        rows.clear();
        assertThat(rows).isEmpty();
        assertThat(rows.entrySet()).isEmpty();
    }
}
