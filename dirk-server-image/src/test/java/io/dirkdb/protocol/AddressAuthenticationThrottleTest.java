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
    private final AddressAuthenticationThrottle throttle = new AddressAuthenticationThrottle(now::get, 3);

    private static InetAddress address(int last) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
    }

    private void fail(InetAddress address, int times) {
        for (int i = 0; i < times; i++) {
            throttle.failed(address);
        }
    }

    @Test
    void anAttemptBeforeItsAddressesTurnIsRefusedAtOnceUnchecked() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, AddressAuthenticationThrottle.FREE_FAILURES - 1);
        assertThat(throttle.checkTurn(guesser)).isNull();
        throttle.failed(guesser);
        assertThat(throttle.checkTurn(guesser)).as("the first turn is now").isNull();
        // Connections asking at the same moment: the next is refused at once, without any wait.
        assertThat(throttle.checkTurn(guesser)).contains("too many failed dirk auth attempts from 10.0.0.1")
                .contains("not checked").contains("retry after 100 ms");
        assertThat(throttle.checkTurn(address(2))).as("another address").isNull();
    }

    @Test
    void theSpacingDoublesWithEachFailurePastTheFreeOnes() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, AddressAuthenticationThrottle.FREE_FAILURES);
        assertThat(throttle.checkTurn(guesser)).isNull(); // the first turn is now
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(99));
        assertThat(throttle.checkTurn(guesser)).as("1 ms early: the turn moves a spacing after it")
                .contains("retry after 100 ms");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(throttle.checkTurn(guesser)).as("retried when told").isNull();

        InetAddress another = address(2);
        fail(another, AddressAuthenticationThrottle.FREE_FAILURES + 1);
        assertThat(throttle.checkTurn(another)).isNull();
        assertThat(throttle.checkTurn(another)).as("one failure more: twice the spacing").contains("retry after 200 ms");
    }

    @Test
    void anAddressIsForgottenAMinuteAfterItsLastFailure() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, 20);
        assertThat(throttle.failures(guesser)).isEqualTo(20);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(AddressAuthenticationThrottle.MEMORY_MILLIS + 1));
        assertThat(throttle.failures(guesser)).isZero();
        assertThat(throttle.checkTurn(guesser)).isNull();
    }

    @Test
    void atMostTheCapacityOfAddressesIsKeptTheOthersSharingTheirNetworksCount() throws Exception {
        for (int i = 1; i <= 10; i++) {
            fail(address(i), 1);
        }
        assertThat(throttle.size()).isEqualTo(3);
        assertThat(throttle.failures(address(1))).as("kept").isEqualTo(1);
        assertThat(throttle.failures(address(10))).as("the count of 10.0.0.0/24, shared by the seven without an entry").isEqualTo(7);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(AddressAuthenticationThrottle.MEMORY_MILLIS + 1));
        fail(address(10), 1);
        assertThat(throttle.failures(address(10))).as("an entry of its own once the others are forgotten").isEqualTo(1);
    }

    @Test
    void aSuccessTakesTwoFailuresOff() throws Exception {
        InetAddress rotating = address(1);
        fail(rotating, 3);
        throttle.succeeded(rotating);
        assertThat(throttle.failures(rotating)).isEqualTo(1);
    }

    /**
     * Review r-12: the table is least-recently-seen with a fixed capacity, so a guesser rotating over one address
     * more than it holds (4097 addresses: a /20 of IPv4, a sliver of any IPv6 /64) has each entry evicted before it
     * comes round again: no address ever reaches its free failures, and every guess is evaluated at once.
     */
    @Test
    void guessingFromMoreAddressesThanTheTableHoldsIsThrottledAllTheSame() throws Exception {
        AddressAuthenticationThrottle production = new AddressAuthenticationThrottle(now::get,
                AddressAuthenticationThrottle.CAPACITY);
        int addresses = AddressAuthenticationThrottle.CAPACITY + 1;
        int evaluatedAtOnce = 0;
        int refused = 0;
        for (int round = 0; round < 3 * AddressAuthenticationThrottle.FREE_FAILURES; round++) {
            for (int a = 0; a < addresses; a++) {
                InetAddress from = InetAddress.getByAddress(new byte[] {10, 1, (byte) (a >> 8), (byte) a});
                String refusal = production.checkTurn(from); // never waits: evaluated at once or refused
                if (refusal != null) {
                    refused++;
                    continue;
                }
                evaluatedAtOnce++;
                production.failed(from);
                now.addAndGet(TimeUnit.MICROSECONDS.toNanos(10)); // 100,000 guesses a second
            }
        }
        assertThat(evaluatedAtOnce + refused).isEqualTo(addresses * 3 * AddressAuthenticationThrottle.FREE_FAILURES);
        assertThat(evaluatedAtOnce)
                .as("guesses evaluated without any wait, of %d, from %d addresses in %d rounds",
                        addresses * 3 * AddressAuthenticationThrottle.FREE_FAILURES, addresses,
                        3 * AddressAuthenticationThrottle.FREE_FAILURES)
                .isLessThanOrEqualTo(addresses * AddressAuthenticationThrottle.FREE_FAILURES + addresses);
    }

    /**
     * Review r-12: one attacker that has burnt its free failures and already waits its turns evicts its own entry by
     * failing once from each of as many other addresses as the table holds (here 3), and starts afresh.
     */
    @Test
    void aThrottledAddressKeepsItsCountWhenOtherAddressesFailOnce() throws Exception {
        InetAddress guesser = address(1);
        fail(guesser, 40);
        for (int i = 2; i <= 4; i++) {
            fail(address(i), 1);
        }
        assertThat(throttle.failures(guesser)).as("the guesser's failures after three single ones elsewhere")
                .isEqualTo(40);
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    /**
     * Review 12: a guesser spraying failures from more addresses than the table holds made every address without
     * an entry share one throttled count, a client that never failed included: its right password was then refused
     * unchecked ("retry after ...") until the spray's entries were forgotten.
     */
    @Test
    void aNewAddressOfAnotherNetworkIsNotThrottledWhileASprayFillsTheTable() throws Exception {
        for (int i = 1; i <= 50; i++) {
            fail(address(i), 1); // 10.0.0.0/24
        }
        assertThat(throttle.checkTurn(address(51))).as("the spray's turn").isNull();
        assertThat(throttle.checkTurn(ip("192.168.7.5"))).as("an address of another network that never failed")
                .isNull();
        assertThat(throttle.failures(ip("192.168.7.5"))).isZero();
        assertThat(throttle.checkTurn(address(52))).as("the spray's network waits its turns")
                .contains("too many failed dirk auth attempts from 10.0.0.0/24");
    }

    @Test
    void anIpv6SprayOverOneSlash64IsThrottledAsOneNetwork() throws Exception {
        for (int i = 1; i <= 50; i++) {
            fail(ip("2001:db8:0:1::" + Integer.toHexString(i)), 1);
        }
        assertThat(throttle.checkTurn(ip("2001:db8:0:1::fffe"))).isNull(); // the spray's turn
        assertThat(throttle.checkTurn(ip("2001:db8:0:2::1"))).as("another /64").isNull();
        assertThat(throttle.checkTurn(ip("2001:db8:0:1::ffff"))).contains("from 2001:db8:0:1:0:0:0:0/64");
    }

    /**
     * Past as many networks as the table holds, failing addresses count by their wider network (/16, /48); past as
     * many of those, they share one count, the last resort.
     */
    @Test
    void aSprayOverMoreNetworksThanTheTableHoldsCountsByTheWiderNetworkThenAsOne() throws Exception {
        for (int network = 1; network <= 4; network++) {
            for (int i = 1; i <= 15; i++) {
                fail(InetAddress.getByAddress(new byte[] {10, 0, (byte) network, (byte) i}), 1);
            }
        }
        assertThat(throttle.failures(ip("10.0.1.200"))).as("the first /24 past the addresses kept").isEqualTo(12);
        assertThat(throttle.failures(ip("10.0.4.200"))).as("the fourth /24, counted in 10.0.0.0/16").isEqualTo(15);
        assertThat(throttle.checkTurn(ip("10.0.4.200"))).isNull(); // its first turn
        assertThat(throttle.checkTurn(ip("10.0.9.1"))).contains("from 10.0.0.0/16");
        assertThat(throttle.checkTurn(ip("10.1.0.1"))).as("another /16").isNull();
        for (int network = 1; network <= 4; network++) {
            fail(InetAddress.getByAddress(new byte[] {(byte) (20 + network), 0, 0, 1}), 3);
        }
        assertThat(throttle.failures(ip("22.0.0.9"))).as("the third /16 kept").isEqualTo(3);
        assertThat(throttle.failures(ip("24.0.0.9"))).as("past three /16 networks too: the shared count")
                .isEqualTo(6);
    }

    /** Once the table has room again, a failing address of a network with a count gets an entry of its own. */
    @Test
    void anAddressOfACountedNetworkGetsAnEntryOfItsOwnOnceTheTableHasRoom() throws Exception {
        for (int i = 1; i <= 20; i++) {
            fail(address(i), 1);
        }
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(AddressAuthenticationThrottle.MEMORY_MILLIS + 1));
        assertThat(throttle.failures(address(30))).as("the network's count, forgotten").isZero();
        throttle.failed(address(30));
        assertThat(throttle.failures(address(30))).isEqualTo(1);
        assertThat(throttle.size()).isEqualTo(1);
    }
}
