package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which names `dirk follow` and `dirk resync` accept as a member of the configuration, and which source address a
 * stream naming a member may come from, decided from injected resolutions (no DNS server or hosts file here).
 */
class PeerAddressesTest {
    private final Map<String, Set<InetAddress>> records = new HashMap<>();
    private final PeerAddresses.Resolver resolver = host -> records.getOrDefault(host, Set.of());

    private void resolves(String host, String... addresses) throws UnknownHostException {
        java.util.Set<InetAddress> all = new java.util.HashSet<>();
        for (String address : addresses) {
            all.add(InetAddress.getByName(address));
        }
        records.put(host, Set.copyOf(all));
    }

    @Test
    void theMembersOwnNameIsAcceptedAsWrittenWhateverItResolvesTo() {
        assertThat(PeerAddresses.names("m2.demo-members.ns.svc", "m2.demo-members.ns.svc", resolver)).isTrue();
        assertThat(PeerAddresses.names("M2.Demo-Members.ns.svc.", "m2.demo-members.ns.svc", resolver)).isTrue();
    }

    @Test
    void anAddressOfTheMemberIsAccepted() throws UnknownHostException {
        resolves("m2.demo-members.ns.svc", "10.1.0.12");
        resolves("10.1.0.12", "10.1.0.12");
        assertThat(PeerAddresses.names("10.1.0.12", "m2.demo-members.ns.svc", resolver)).isTrue();
    }

    @Test
    void aNameWithOneAddressOfTheMemberAndOneElsewhereIsRefused() throws UnknownHostException {
        // Two A records: one is m2's, the other an attacker's machine a connection may reach instead.
        resolves("m2.demo-members.ns.svc", "10.1.0.12");
        resolves("mixed.example.com", "10.1.0.12", "203.0.113.7");
        assertThat(PeerAddresses.names("mixed.example.com", "m2.demo-members.ns.svc", resolver)).isFalse();
    }

    @Test
    void aNameResolvingOnlyToAddressesOfTheMemberIsAccepted() throws UnknownHostException {
        resolves("m2.demo-members.ns.svc", "10.1.0.12", "fd00::12");
        resolves("m2-alias.example.com", "10.1.0.12", "fd00::12");
        assertThat(PeerAddresses.names("m2-alias.example.com", "m2.demo-members.ns.svc", resolver)).isTrue();
    }

    @Test
    void aNameThatDoesNotResolveIsRefused() throws UnknownHostException {
        resolves("m2.demo-members.ns.svc", "10.1.0.12");
        assertThat(PeerAddresses.names("nowhere.example.com", "m2.demo-members.ns.svc", resolver)).isFalse();
    }

    @Test
    void aStreamNamingAMemberIsTakenOnlyFromOneOfItsAddresses() throws UnknownHostException {
        resolves("m2.demo-members.ns.svc", "10.1.0.12", "10.2.0.12");
        assertThat(PeerAddresses.streamFromElsewhere("m2", "m2.demo-members.ns.svc",
                InetAddress.getByName("10.2.0.12"), resolver)).isNull();
        assertThat(PeerAddresses.streamFromElsewhere("m2", "m2.demo-members.ns.svc",
                InetAddress.getByName("10.9.9.9"), resolver))
                .contains("member m2").contains("10.1.0.12, 10.2.0.12").contains("comes from 10.9.9.9");
        // Not resolvable now (a pod not yet published in DNS): nothing to compare with, so it is taken.
        assertThat(PeerAddresses.streamFromElsewhere("m3", "m3.demo-members.ns.svc",
                InetAddress.getByName("10.9.9.9"), resolver)).isNull();
    }
}
