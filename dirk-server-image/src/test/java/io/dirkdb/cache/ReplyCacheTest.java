package io.dirkdb.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReplyCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ReplyCache cache = new ReplyCache(3000, 200, 4096, registry, now::get);

    private static byte[] relation(String name) {
        return ("RELATION_JSON_PAGE 1/1\n{\"type\":\"relation\",\"name\":\"" + name
                + "\",\"page\":1,\"totalPages\":1,\"columns\":[],\"rows\":[]}\nRELATION_JSON_END\nRESULT_MESSAGE\nOK\nEND\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private void store(String database, String text, String... tables) {
        assertThat(cache.put(database, text, Set.of(tables), relation(text), cache.ticket(database))).isTrue();
    }

    @Test
    void aReadIsAnsweredFromTheCacheWithinItsTimeToLive() {
        store("shop", "alaivo * ao@ t", "t");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2999));

        assertThat(cache.get("shop", "alaivo * ao@ t")).isEqualTo(relation("alaivo * ao@ t"));
        assertThat(cache.hitCount()).isEqualTo(1);
    }

    @Test
    void anEntryExpiresAfterItsTimeToLive() {
        store("shop", "alaivo * ao@ t", "t");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(3000));

        assertThat(cache.get("shop", "alaivo * ao@ t")).isNull();
        assertThat(cache.size()).isZero();
        assertThat(registry.counter("dirk.cache.evictions", "reason", "expired").count()).isEqualTo(1);
    }

    @Test
    void theKeyIsTheCurrentDatabaseAndTheExactText() {
        store("shop", "alaivo * ao@ t", "t");

        assertThat(cache.get("school", "alaivo * ao@ t")).isNull();
        assertThat(cache.get("shop", "alaivo *  ao@ t")).isNull();
        assertThat(cache.missCount()).isEqualTo(2);
    }

    @Test
    void aWriteDropsOnlyTheEntriesThatReadItsTable() {
        store("shop", "alaivo * ao@ t", "t");
        store("shop", "alaivo * ao@ u", "u");
        store("other", "alaivo * ao@ t", "t");
        cache.beginWrite("shop", Set.of("u"));
        cache.endWrite("shop", Set.of("u"), true);
        store("shop", "alaivo * ao@ u", "u");

        cache.beginWrite("shop", Set.of("t"));
        cache.endWrite("shop", Set.of("t"), true);

        assertThat(cache.get("shop", "alaivo * ao@ t")).isNull();
        assertThat(cache.get("shop", "alaivo * ao@ u")).isNotNull();
        assertThat(cache.get("other", "alaivo * ao@ t")).isNotNull();
    }

    @Test
    void aWriteDropsReadsOfNamesNotKnownAsBaseTablesBecauseTheyMayBeViews() {
        cache.beginWrite("shop", Set.of("t"));
        cache.endWrite("shop", Set.of("t"), true);
        store("shop", "alaivo * ao@ v_of_t", "v_of_t");
        store("shop", "alaivo * ao@ u", "u");

        cache.beginWrite("shop", Set.of("t"));
        cache.endWrite("shop", Set.of("t"), true);

        assertThat(cache.get("shop", "alaivo * ao@ v_of_t")).isNull();
        assertThat(cache.get("shop", "alaivo * ao@ u")).isNull();
    }

    @Test
    void aSchemaChangeDropsEveryEntry() {
        store("shop", "alaivo * ao@ t", "t");
        store("other", "asehoy ny tabilao");

        cache.beginSchemaChange();
        cache.endSchemaChange();

        assertThat(cache.size()).isZero();
    }

    @Test
    void errorsAreNeverCached() {
        byte[] error = "RESULT_MESSAGE\nHadisoana : no table t\nEND\n".getBytes(StandardCharsets.UTF_8);

        assertThat(cache.put("shop", "alaivo * ao@ t", Set.of("t"), error, cache.ticket("shop"))).isFalse();
        assertThat(cache.get("shop", "alaivo * ao@ t")).isNull();
    }

    @Test
    void aReplyThatAWriteOverlappedIsNotStored() {
        ReplyCache.Ticket ticket = cache.ticket("shop");
        cache.beginWrite("shop", Set.of("t"));
        cache.endWrite("shop", Set.of("t"), true);

        assertThat(cache.put("shop", "alaivo * ao@ t", Set.of("t"), relation("old"), ticket)).isFalse();
    }

    @Test
    void aReplyIsNotStoredWhileAWriteIsInFlight() {
        cache.beginWrite("shop", Set.of("t"));

        assertThat(cache.put("shop", "alaivo * ao@ t", Set.of("t"), relation("x"), cache.ticket("shop"))).isFalse();
    }

    @Test
    void theLeastRecentlyUsedEntryGoesWhenTheBoundIsReached() {
        SimpleMeterRegistry smallRegistry = new SimpleMeterRegistry();
        ReplyCache small = new ReplyCache(3000, 2, 4096, smallRegistry, now::get);
        small.put("d", "a", Set.of("a"), relation("a"), small.ticket("d"));
        small.put("d", "b", Set.of("b"), relation("b"), small.ticket("d"));
        small.get("d", "a");
        small.put("d", "c", Set.of("c"), relation("c"), small.ticket("d"));

        assertThat(small.size()).isEqualTo(2);
        assertThat(small.get("d", "b")).isNull();
        assertThat(small.get("d", "a")).isNotNull();
        assertThat(small.get("d", "c")).isNotNull();
        assertThat(smallRegistry.counter("dirk.cache.evictions", "reason", "lru").count()).isEqualTo(1);
    }

    @Test
    void aReplyLargerThanTheEntryBoundIsNotCached() {
        byte[] large = relation("x".repeat(5000));

        assertThat(cache.put("shop", "alaivo * ao@ t", Set.of("t"), large, cache.ticket("shop"))).isFalse();
        assertThat(cache.size()).isZero();
    }
}
