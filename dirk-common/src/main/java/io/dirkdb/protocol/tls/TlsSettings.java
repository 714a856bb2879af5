package io.dirkdb.protocol.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS of one side of DirkDB connections, from PEM files: the certificate chain and private key
 * this process presents (a listener's certificate; a client's or a member's peer certificate for
 * mutual TLS), the certificate authorities it trusts (the JVM's own when none are given), and
 * whether a listener demands a client certificate. The files are read again when they change, so a
 * certificate renewed in a mounted Secret is used by the next connection without a restart.
 */
public final class TlsSettings {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.protocol");
    /** How often, at most, the files' modification times are looked at. */
    private static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final char[] IN_MEMORY_PASSWORD = "dirk".toCharArray();

    /** Whether a listener demands a certificate signed by one of its authorities from every client. */
    public enum ClientAuth {
        REQUIRED, NONE;

        /** From a flag's value: {@code required} or {@code none}. */
        public static ClientAuth parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "required" -> REQUIRED;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException("client authentication is 'required' or 'none', not '"
                        + text + "'");
            };
        }
    }

    private final Path certificateChain;
    private final Path privateKey;
    private final Path trustedCertificates;
    private final ClientAuth clientAuth;
    /** The name a client checks the server's certificate against, or null for the host it connects to. */
    private final String serverName;
    /** The files read, shared by the copies {@link #withServerName} makes. */
    private final Material material;

    private record Loaded(SSLContext context, List<Long> stamps, long checkedAtNanos) {
    }

    private static final class Material {
        final Object loadLock = new Object();
        volatile Loaded loaded;
    }

    /**
     * @param certificateChain    PEM certificate chain to present (leaf first), or null to present none
     * @param privateKey          its PEM private key, given exactly when the chain is
     * @param trustedCertificates PEM certificate authorities to trust, or null for the JVM's default ones
     */
    public TlsSettings(Path certificateChain, Path privateKey, Path trustedCertificates, ClientAuth clientAuth) {
        if ((certificateChain == null) != (privateKey == null)) {
            throw new IllegalArgumentException("a TLS certificate and its private key go together: give both or neither");
        }
        if (clientAuth == ClientAuth.REQUIRED && trustedCertificates == null) {
            throw new IllegalArgumentException("requiring client certificates needs the certificate authority that "
                    + "signs them (the CA file)");
        }
        this.certificateChain = certificateChain;
        this.privateKey = privateKey;
        this.trustedCertificates = trustedCertificates;
        this.clientAuth = Objects.requireNonNull(clientAuth);
        this.serverName = null;
        this.material = new Material();
    }

    private TlsSettings(TlsSettings base, String serverName) {
        this.certificateChain = base.certificateChain;
        this.privateKey = base.privateKey;
        this.trustedCertificates = base.trustedCertificates;
        this.clientAuth = base.clientAuth;
        this.serverName = serverName;
        this.material = base.material;
    }

    /**
     * The same settings, checking the server's certificate against {@code name} instead of the host
     * connected to: the operator reaches a member by its pod IP and checks its stable DNS name.
     */
    public TlsSettings withServerName(String name) {
        return new TlsSettings(this, name);
    }

    /** The name the server's certificate must carry, or null: the host connected to. */
    public String serverName() {
        return serverName;
    }

    /** A client's settings: trusts {@code trustedCertificates} (null: the JVM's), presents a certificate if given. */
    public static TlsSettings client(Path trustedCertificates, Path certificateChain, Path privateKey) {
        return new TlsSettings(certificateChain, privateKey, trustedCertificates, ClientAuth.NONE);
    }

    public Path certificateChain() {
        return certificateChain;
    }

    public Path privateKey() {
        return privateKey;
    }

    public Path trustedCertificates() {
        return trustedCertificates;
    }

    public ClientAuth clientAuth() {
        return clientAuth;
    }

    public boolean presentsCertificate() {
        return certificateChain != null;
    }

    /** These settings as a client of other members: the same certificate and authorities, no listener side. */
    public TlsSettings asClient() {
        TlsSettings client = client(trustedCertificates, certificateChain, privateKey);
        return serverName == null ? client : client.withServerName(serverName);
    }

    /** Reads the files now, so a process fails at its start with a clear message instead of at its first connection. */
    public TlsSettings check() throws IOException {
        context();
        return this;
    }

    /** The SSL context from the files as they are now (read again when one changed). */
    public SSLContext context() throws IOException {
        Loaded current = material.loaded;
        long now = System.nanoTime();
        if (current != null && now - current.checkedAtNanos() < RECHECK_NANOS) {
            return current.context();
        }
        synchronized (material.loadLock) {
            current = material.loaded;
            List<Long> stamps = stamps();
            if (current != null && current.stamps().equals(stamps)) {
                material.loaded = new Loaded(current.context(), stamps, now);
                return current.context();
            }
            try {
                SSLContext context = load();
                material.loaded = new Loaded(context, stamps, now);
                if (current != null) {
                    LOG.log(System.Logger.Level.INFO, "TLS certificates read again: {0}", this);
                }
                return context;
            } catch (IOException e) {
                if (current == null) {
                    throw e;
                }
                // A Secret being rewritten can be seen half-way: keep the certificates that worked.
                LOG.log(System.Logger.Level.WARNING, "keeping the TLS certificates in use: {0}", e.getMessage());
                material.loaded = new Loaded(current.context(), current.stamps(), now);
                return current.context();
            }
        }
    }

    private List<Long> stamps() {
        List<Long> stamps = new ArrayList<>();
        for (Path file : new Path[] {certificateChain, privateKey, trustedCertificates}) {
            if (file == null) {
                stamps.add(0L);
                continue;
            }
            try {
                stamps.add(Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file));
            } catch (IOException e) {
                stamps.add(-1L);
            }
        }
        return stamps;
    }

    private SSLContext load() throws IOException {
        try {
            KeyManagerFactory keys = null;
            if (certificateChain != null) {
                List<X509Certificate> chain = PemFiles.certificates(certificateChain);
                PrivateKey key = PemFiles.privateKey(privateKey);
                if (!belongTogether(key, chain.get(0))) {
                    throw new IOException("the private key in " + privateKey + " does not belong to the certificate in "
                            + certificateChain + " (its first certificate must be the one of this key)");
                }
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("dirk", key, IN_MEMORY_PASSWORD, chain.toArray(new X509Certificate[0]));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, IN_MEMORY_PASSWORD);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trustedCertificates != null) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int n = 0;
                for (X509Certificate authority : PemFiles.certificates(trustedCertificates)) {
                    store.setCertificateEntry("ca-" + n++, authority);
                }
                trust.init(store);
            } else {
                trust.init((KeyStore) null);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("the TLS files cannot be used (" + this + "): " + e.getMessage(), e);
        }
    }

    /** Signs a few bytes with the key and checks them with the certificate's public key. */
    private static boolean belongTogether(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true; // not checked here: the handshake will tell
        }
        try {
            byte[] probe = "dirk".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "certificate " + (certificateChain == null ? "none" : certificateChain)
                + ", key " + (privateKey == null ? "none" : privateKey)
                + ", CA " + (trustedCertificates == null ? "the JVM's" : trustedCertificates)
                + ", client certificates " + clientAuth.name().toLowerCase(Locale.ROOT)
                + (serverName == null ? "" : ", server name " + serverName);
    }
}
