package io.dirkdb.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;

/**
 * Makes certificate authorities and certificates for tests in-process, with the JDK alone: a
 * little DER writer builds X.509 v3 certificates (basic constraints, subject alternative names)
 * signed with ECDSA P-256, and writes them as the PEM files of a {@code kubernetes.io/tls} Secret.
 */
public final class TestCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

    private TestCertificates() {
    }

    /** A self-signed certificate authority. */
    public static Authority authority(String name) {
        KeyPair keys = keyPair("EC");
        byte[] extensions = sequence(extension("2.5.29.19", true, sequence(bool(true))));
        return new Authority(name, keys, sign(keys.getPrivate(), name, name, keys, extensions));
    }

    /** A CA and the certificates it signed. */
    public record Authority(String name, KeyPair keys, X509Certificate certificate) {
        /** An RSA certificate for {@code names}: each a DNS name or an IP address. */
        public Issued issueRsa(String commonName, String... names) {
            return issue(commonName, "RSA", names);
        }

        private Issued issue(String commonName, String keyAlgorithm, String[] names) {
            KeyPair leafKeys = keyPair(keyAlgorithm);
            ByteArrayOutputStream alternatives = new ByteArrayOutputStream();
            for (String alternative : names) {
                if (alternative.startsWith("dns:")) { // a DNS name written as given, even digits and dots
                    alternatives.writeBytes(tagged(0x82, alternative.substring(4).getBytes(StandardCharsets.US_ASCII)));
                } else if (alternative.matches("[0-9.]+") || alternative.contains(":")) {
                    try {
                        alternatives.writeBytes(tagged(0x87, InetAddress.getByName(alternative).getAddress()));
                    } catch (IOException e) {
                        throw new IllegalArgumentException(alternative, e);
                    }
                } else {
                    alternatives.writeBytes(tagged(0x82, alternative.getBytes(StandardCharsets.US_ASCII)));
                }
            }
            byte[] extensions = sequence(extension("2.5.29.19", false, sequence()),
                    extension("2.5.29.17", false, tagged(0x30, alternatives.toByteArray())));
            return new Issued(sign(keys.getPrivate(), name, commonName, leafKeys, extensions), leafKeys.getPrivate(), this);
        }

        /** An EC certificate for {@code names}: each a DNS name or an IP address (digits and dots, or a colon). */
        public Issued issue(String commonName, String... names) {
            return issue(commonName, "EC", names);
        }

        public Path writeCertificate(Path file) throws IOException {
            return write(file, pem("CERTIFICATE", encoded(certificate)));
        }
    }

    /** A certificate, its key and the CA that signed it. */
    public record Issued(X509Certificate certificate, PrivateKey key, Authority authority) {
        /**
         * Writes {@code tls.crt}, {@code tls.key} (PKCS#8) and {@code ca.crt} into {@code directory}, as a
         * mounted {@code kubernetes.io/tls} Secret holds them; returns the directory.
         */
        public Path writeSecret(Path directory) throws IOException {
            Files.createDirectories(directory);
            write(directory.resolve("tls.crt"), pem("CERTIFICATE", encoded(certificate)));
            write(directory.resolve("tls.key"), pem("PRIVATE KEY", key.getEncoded()));
            authority.writeCertificate(directory.resolve("ca.crt"));
            return directory;
        }

        /** The key in its traditional encoding: PKCS#1 for RSA, SEC1 (with the curve named) for EC. */
        public Path writeTraditionalKey(Path file) throws IOException {
            byte[] inner = pkcs8Inner(key.getEncoded());
            if (key.getAlgorithm().equals("RSA")) {
                return write(file, pem("RSA PRIVATE KEY", inner));
            }
            // The JDK leaves the curve out of the inner SEC1 structure (PKCS#8 names it): put it back, as openssl does.
            byte[][] fields = elements(contentOf(inner));
            byte[] sec1 = tagged(0x30, concat(fields[0], fields[1], tagged(0xa0, oid("1.2.840.10045.3.1.7"))));
            return write(file, pem("EC PRIVATE KEY", sec1));
        }
    }

    private static KeyPair keyPair(String algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) {
                generator.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                generator.initialize(2048);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(PrivateKey issuerKey, String issuer, String subject, KeyPair subjectKeys,
            byte[] extensions) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        byte[] algorithm = sequence(oid(ECDSA_WITH_SHA256));
        byte[] tbs = sequence(
                tagged(0xa0, tagged(0x02, new byte[] {2})),
                tagged(0x02, new BigInteger(63, RANDOM).add(BigInteger.ONE).toByteArray()),
                algorithm,
                name(issuer),
                sequence(time(now.minusHours(1)), time(now.plusDays(30))),
                name(subject),
                subjectKeys.getPublic().getEncoded(),
                tagged(0xa3, extensions));
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(issuerKey);
            signer.update(tbs);
            byte[] signature = signer.sign();
            byte[] bits = concat(new byte[] {0}, signature);
            byte[] der = sequence(tbs, algorithm, tagged(0x03, bits));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] name(String commonName) {
        return sequence(tagged(0x31, sequence(oid("2.5.4.3"), tagged(0x0c, commonName.getBytes(StandardCharsets.UTF_8)))));
    }

    private static byte[] time(ZonedDateTime when) {
        return tagged(0x17, when.format(DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? sequence(oid(oid), bool(true), tagged(0x04, value)) : sequence(oid(oid), tagged(0x04, value));
    }

    private static byte[] bool(boolean value) {
        return new byte[] {0x01, 0x01, (byte) (value ? 0xff : 0)};
    }

    private static byte[] oid(String dotted) {
        String[] parts = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
        for (int i = 2; i < parts.length; i++) {
            long value = Long.parseLong(parts[i]);
            byte[] groups = new byte[10];
            int n = 0;
            do {
                groups[n++] = (byte) (value & 0x7f);
                value >>>= 7;
            } while (value > 0);
            for (int j = n - 1; j >= 0; j--) {
                out.write(groups[j] | (j > 0 ? 0x80 : 0));
            }
        }
        return tagged(0x06, out.toByteArray());
    }

    private static byte[] sequence(byte[]... parts) {
        return tagged(0x30, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else {
            out.write(0x82);
            out.write(length >>> 8);
            out.write(length);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** The content of one DER element (its tag and length skipped). */
    private static byte[] contentOf(byte[] element) {
        int length = element[1] & 0xff;
        int start = 2;
        if (length >= 0x80) {
            int bytes = length & 0x7f;
            length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (element[2 + i] & 0xff);
            }
            start = 2 + bytes;
        }
        return Arrays.copyOfRange(element, start, start + length);
    }

    /** The successive whole elements of a DER content. */
    private static byte[][] elements(byte[] content) {
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        int position = 0;
        while (position < content.length) {
            byte[] rest = Arrays.copyOfRange(content, position, content.length);
            int length = rest[1] & 0xff;
            int header = 2;
            if (length >= 0x80) {
                int bytes = length & 0x7f;
                length = 0;
                for (int i = 0; i < bytes; i++) {
                    length = (length << 8) | (rest[2 + i] & 0xff);
                }
                header = 2 + bytes;
            }
            out.add(Arrays.copyOfRange(rest, 0, header + length));
            position += header + length;
        }
        return out.toArray(new byte[0][]);
    }

    /** PKCS#8 PrivateKeyInfo ::= SEQUENCE { version, algorithm, OCTET STRING privateKey }: the privateKey. */
    private static byte[] pkcs8Inner(byte[] pkcs8) {
        byte[][] fields = elements(contentOf(pkcs8));
        return contentOf(fields[2]);
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        return file;
    }
}
