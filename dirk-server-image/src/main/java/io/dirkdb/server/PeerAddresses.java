package io.dirkdb.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Whether a name or an address belongs to a member of the configuration, decided from the names' resolutions
 * (given as a {@link Resolver}, so the rules are tested without a DNS server or a hosts file).
 */
public final class PeerAddresses {
    /** Every address a host name (or literal address) resolves to; empty when it does not resolve. */
    @FunctionalInterface
    public interface Resolver {
        Set<InetAddress> resolve(String host);
    }

    /** The system's resolver (the JVM caches answers for 30 s). */
    public static final Resolver SYSTEM = host -> {
        try {
            return Set.copyOf(Arrays.asList(InetAddress.getAllByName(host.strip())));
        } catch (UnknownHostException | RuntimeException e) {
            return Set.of();
        }
    };

    private PeerAddresses() {
    }

    /**
     * Why a stream that names member {@code memberId}, configured at {@code configuredHost}, cannot come from it:
     * its source address {@code source} is none of the addresses that host resolves to. Null when it is one of
     * them, or when the host does not resolve now (nothing to compare with: the stream is taken).
     */
    public static String streamFromElsewhere(String memberId, String configuredHost, InetAddress source,
                                             Resolver resolver) {
        Set<InetAddress> addresses = resolver.resolve(configuredHost);
        if (addresses.isEmpty() || addresses.contains(source)) {
            return null;
        }
        return "the stream names member " + memberId + ", which the configuration places at " + configuredHost
                + " (" + list(addresses) + "), but it comes from " + source.getHostAddress()
                + "; a member streams from an address its configured host resolves to";
    }

    /**
     * Why a stream naming member {@code memberId}, configured at {@code configuredHost}, cannot be that member's with
     * the client certificate it presented on {@code socket}: none of the certificate's subject alternative names
     * covers that host (a host written as an IP address only by an iPAddress SAN of that address; a name only by a dNSName SAN equal to it, or a wildcard for its first label; never the one by the other).
     * Null when one does, or when no client certificate was asked (plain TCP, or TLS without mutual TLS).
     */
    public static String certificateNotFor(String memberId, String configuredHost, java.net.Socket socket) {
        if (!(socket instanceof javax.net.ssl.SSLSocket ssl)) {
            return null;
        }
        java.security.cert.Certificate[] chain;
        try {
            chain = ssl.getSession().getPeerCertificates();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return null; // no client certificate asked
        }
        if (chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate leaf)) {
            return null;
        }
        Set<String> names = new TreeSet<>();
        boolean covered = false;
        try {
            java.util.Collection<java.util.List<?>> alternatives = leaf.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (java.util.List<?> alternative : alternatives) {
                    Object type = alternative.get(0);
                    if ((Integer.valueOf(2).equals(type) || Integer.valueOf(7).equals(type))
                            && alternative.get(1) instanceof String name) {
                        names.add(name);
                        covered |= Integer.valueOf(7).equals(type) ? coversAddress(name, configuredHost)
                                : coversName(name, configuredHost);
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // no readable names: covers nothing
        }
        if (covered) {
            return null;
        }
        return "the stream names member " + memberId + ", which the configuration places at " + configuredHost
                + ", but its client certificate is for " + (names.isEmpty() ? "no name" : String.join(", ", names))
                + "; with mutual TLS a member streams with a certificate for its configured host";
    }

    /** An iPAddress SAN covers only a host written as that address (RFC 6125: never a DNS name, never shorthand). */
    private static boolean coversAddress(String certificateAddress, String host) {
        String wanted = canonical(host);
        if (!isAddressLiteral(wanted)) {
            return false;
        }
        try {
            return InetAddress.getByName(certificateAddress).equals(InetAddress.getByName(wanted)); // literals: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A dNSName SAN covers only a host written as a name: equal, or matched by a wildcard for its first label. */
    private static boolean coversName(String certificateName, String host) {
        String name = canonical(certificateName);
        String wanted = canonical(host);
        if (isAddressLiteral(wanted)) {
            return false; // a DNS name made of digits and dots ("127.1") is not an address
        }
        if (name.startsWith("*.")) {
            int dot = wanted.indexOf('.');
            return dot > 0 && wanted.substring(dot + 1).equals(name.substring(2));
        }
        return name.equals(wanted);
    }

    /** A dotted-quad IPv4 address or an IPv6 address, as a member's configured host is written. */
    private static boolean isAddressLiteral(String host) {
        return host.matches("(\\d{1,3}\\.){3}\\d{1,3}") || host.contains(":");
    }

    /**
     * Whether {@code requested} (a host named in {@code dirk follow} or {@code dirk resync}) names the member
     * configured at {@code memberHost}: the same name (case and a final dot aside), or a name or address that
     * resolves only to addresses of that member. A name with one address of the member and another one elsewhere
     * does not: a connection may use either.
     */
    public static boolean names(String requested, String memberHost, Resolver resolver) {
        if (canonical(requested).equals(canonical(memberHost))) {
            return true;
        }
        Set<InetAddress> wanted = resolver.resolve(requested);
        return !wanted.isEmpty() && resolver.resolve(memberHost).containsAll(wanted);
    }

    private static String canonical(String host) {
        String lower = host.strip().toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static String list(Set<InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).collect(Collectors.toCollection(TreeSet::new))
                .stream().collect(Collectors.joining(", "));
    }
}
