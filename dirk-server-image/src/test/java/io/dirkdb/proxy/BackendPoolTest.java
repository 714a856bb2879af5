package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendPoolTest {
    @TempDir
    Path data;

    @Test
    void connectionIdleLongerThanAMemberKeepsItIsNotReused() throws Exception {
        try (MemberServer server = MemberServer.start(Member.start("m1", new FakeDatabase(), data, Role.PRIMARY),
                ServerSettings.loopback(0))) {
            MemberAddress member = new MemberAddress("m1", "127.0.0.1", server.port());
            try (BackendPool pool = new BackendPool(List.of(member), 2, null, 5000)) {
                UpstreamConnection first = pool.acquire(member, null);
                pool.release(first);
                assertThat(pool.acquire(member, null)).isSameAs(first);
                pool.release(first);
                // As if it had sat in the pool for longer than the reuse limit: the member may have closed it.
                first.idleSinceNanos -= BackendPool.MAX_IDLE_REUSE_NANOS + 1;
                UpstreamConnection next = pool.acquire(member, null);
                assertThat(next).isNotSameAs(first);
                pool.release(next);
            }
        }
    }

    @Test
    void connectionAMemberClosedForIdlenessIsNotReusedWithinTheReuseLimit() throws Exception {
        try (MemberServer server = MemberServer.start(Member.start("m1", new FakeDatabase(), data, Role.PRIMARY),
                ServerSettings.loopback(0).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)))) {
            MemberAddress member = new MemberAddress("m1", "127.0.0.1", server.port());
            try (BackendPool pool = new BackendPool(List.of(member), 2, null, 5000)) {
                UpstreamConnection first = pool.acquire(member, null);
                assertThat(first.execute("say hello").isError()).isFalse();
                pool.release(first);
                // The member's idle timeout (1 s) is far shorter than the pool's reuse limit.
                await().atMost(Duration.ofSeconds(10)).until(first::closedByFarSide);

                UpstreamConnection next = pool.acquire(member, null);

                assertThat(next).isNotSameAs(first);
                assertThat(next.execute("say again").isError()).isFalse();
                pool.release(next);
            }
        }
    }
}
