package io.dirkdb.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-address count of failed {@code dirk auth} attempts: its limit, its memory and its bounds. */
class AddressAuthenticationThrottleTest {
    private final AtomicLong now = new AtomicLong(-5_000_000_000L); // System.nanoTime may be negative
    private final AtomicLong slept = new AtomicLong();
    private final AddressAuthenticationThrottle throttle = new AddressAuthenticationThrottle(now::get, slept::addAndGet, 3);

    private static InetAddress address(int last) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
    }

    private void fail(InetAddress address, int times) {
        for (int i = 0; i < times; i++) {
            throttle.failed(address);
        }
    }

    @Test
    void turnsPastTheFreeFailuresAreSpacedAndOneTooFarAwayIsRefused() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, AddressAuthenticationThrottle.FREE_FAILURES - 1);
        assertThat(throttle.awaitTurn(guesser)).isNull();
        throttle.failed(guesser);
        // Connections asking at the same moment: each turn is reserved later than the one before, until one is
        // too far away.
        String refusal = null;
        int turns = 0;
        while (refusal == null && turns < 100) {
            slept.set(0);
            refusal = throttle.awaitTurn(guesser);
            turns++;
        }
        assertThat(turns).isGreaterThan(2);
        assertThat(refusal).contains("too many failed dirk auth attempts from 10.0.0.1");
        slept.set(0);
        assertThat(throttle.awaitTurn(address(2))).as("another address").isNull();
        assertThat(slept.get()).isZero();
    }

    @Test
    void theSpacingDoublesWithEachFailurePastTheFreeOnes() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, AddressAuthenticationThrottle.FREE_FAILURES);
        assertThat(throttle.awaitTurn(guesser)).isNull(); // the first turn is now
        assertThat(throttle.awaitTurn(guesser)).isNull();
        assertThat(slept.get()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));

        InetAddress another = address(2);
        fail(another, AddressAuthenticationThrottle.FREE_FAILURES + 1);
        slept.set(0);
        assertThat(throttle.awaitTurn(another)).isNull();
        assertThat(throttle.awaitTurn(another)).isNull();
        assertThat(slept.get()).as("one failure more: twice the spacing").isEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    }

    @Test
    void anAddressIsForgottenAMinuteAfterItsLastFailure() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, 20);
        assertThat(throttle.failures(guesser)).isEqualTo(20);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(AddressAuthenticationThrottle.MEMORY_MILLIS + 1));
        assertThat(throttle.failures(guesser)).isZero();
        assertThat(throttle.awaitTurn(guesser)).isNull();
    }

    @Test
    void atMostTheCapacityOfAddressesIsKeptTheLeastRecentlySeenGoingFirst() throws Exception {
        for (int i = 1; i <= 10; i++) {
            fail(address(i), 1);
        }
        assertThat(throttle.size()).isEqualTo(3);
        assertThat(throttle.failures(address(10))).isEqualTo(1);
        assertThat(throttle.failures(address(1))).isZero();
    }

    @Test
    void aSuccessTakesTwoFailuresOff() throws Exception {
        InetAddress rotating = address(1);
        fail(rotating, 3);
        throttle.succeeded(rotating);
        assertThat(throttle.failures(rotating)).isEqualTo(1);
    }
}
