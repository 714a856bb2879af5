package io.dirkdb.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository lease of dirk archive, on a directory repository, each archiver with a clock the test moves. */
class ArchiverLeaseTest {
    private static final Duration TTL = Duration.ofSeconds(1);

    @TempDir
    Path root;

    private final AtomicLong clockA = new AtomicLong();
    private final AtomicLong clockB = new AtomicLong(1_000_000_000_000L); // the archivers' clocks need not agree

    private static void advance(AtomicLong clock, Duration by) {
        clock.addAndGet(by.toNanos());
    }

    @Test
    void aStandbyTakesOverOnlyOnceTheLeaseWentUnchangedForItsTimeToLive() throws IOException {
        Repository repo = new DirectoryRepository(root);
        ArchiverLease a = new ArchiverLease(repo, TTL, clockA::get);
        ArchiverLease b = new ArchiverLease(repo, TTL, clockB::get);
        assertThat(a.tryAcquire()).isNull();
        assertThat(a.held()).isTrue();
        assertThat(b.tryAcquire()).contains("held by another archiver");

        // a renews before its time runs out: b's count starts again from the change it sees.
        advance(clockA, Duration.ofMillis(900));
        advance(clockB, Duration.ofMillis(900));
        a.renew();
        assertThat(b.tryAcquire()).contains("held by another archiver");
        advance(clockA, Duration.ofMillis(900));
        advance(clockB, Duration.ofMillis(900));
        assertThat(b.tryAcquire()).as("unchanged for 900 ms only").contains("held by another archiver");
        assertThat(a.held()).as("a's renewal was 900 ms ago").isTrue();

        // a stops renewing (killed, paused): after its time to live it holds nothing, and b takes over.
        advance(clockA, Duration.ofMillis(200));
        advance(clockB, Duration.ofMillis(200));
        assertThat(a.held()).isFalse();
        assertThat(b.tryAcquire()).isNull();
        assertThatThrownBy(a::renew).isInstanceOf(ArchiverLease.Lost.class);
        assertThat(a.taken()).isFalse();
    }

    @Test
    void aCleanStopLetsTheStandbyTakeTheLeaseAtItsNextLook() throws IOException {
        Repository repo = new DirectoryRepository(root);
        ArchiverLease a = new ArchiverLease(repo, TTL, clockA::get);
        ArchiverLease b = new ArchiverLease(repo, TTL, clockB::get);
        assertThat(a.tryAcquire()).isNull();
        assertThat(b.tryAcquire()).contains("held by another archiver");
        a.release();
        assertThat(repo.list(ArchiverLease.NAME)).isEmpty();
        assertThat(b.tryAcquire()).isNull();
        a.release(); // not a's any more: b's lease stays
        assertThat(repo.list(ArchiverLease.NAME)).hasSize(1);
    }

    /**
     * A lease that is not an archiver's (a read cut short, a file written by hand) is neither free nor lost: a
     * standby waits until it has stayed the same for a lease's time, and the holder takes the read for a failed one.
     */
    @Test
    void anUnreadableLeaseIsNeitherFreeNorLost() throws IOException {
        Repository repo = new DirectoryRepository(root);
        ArchiverLease a = new ArchiverLease(repo, TTL, clockA::get);
        ArchiverLease b = new ArchiverLease(repo, TTL, clockB::get);
        assertThat(a.tryAcquire()).isNull();
        repo.put(ArchiverLease.NAME, "{\"holder\":".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(a::renew).isInstanceOf(IOException.class).isNotInstanceOf(ArchiverLease.Lost.class);
        assertThat(a.taken()).isTrue();
        assertThat(b.tryAcquire()).contains("an unknown host");
        advance(clockB, Duration.ofMillis(1100));
        assertThat(b.tryAcquire()).isNull();
    }
}
