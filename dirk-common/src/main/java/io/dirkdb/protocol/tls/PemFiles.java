package io.dirkdb.protocol.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files a Kubernetes {@code kubernetes.io/tls} Secret or cert-manager gives
 * ({@code tls.crt}, {@code tls.key}, {@code ca.crt}) with the JDK alone. Private keys may be PKCS#8
 * ({@code BEGIN PRIVATE KEY}: RSA, EC or Ed25519), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}, cert-manager's
 * default encoding) or SEC1 EC ({@code BEGIN EC PRIVATE KEY}); the last two are rewrapped as PKCS#8.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** rsaEncryption, 1.2.840.113549.1.1.1, as DER. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** id-ecPublicKey, 1.2.840.10045.2.1, as a DER object identifier. */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PemFiles() {
    }

    /** Every certificate of a PEM file, in order (a chain: the leaf first). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(file)) {
                if (block.type().equals("CERTIFICATE")) {
                    certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
                }
            }
        } catch (CertificateException e) {
            throw new IOException(file + " holds a certificate that cannot be read: " + e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return certificates;
    }

    /** The private key of a PEM file. */
    public static PrivateKey privateKey(Path file) throws IOException {
        for (Block block : blocks(file)) {
            switch (block.type()) {
                case "PRIVATE KEY":
                    return pkcs8(file, block.der());
                case "RSA PRIVATE KEY":
                    return pkcs8(file, Der.sequence(Der.integer0(), RSA_ALGORITHM, Der.octetString(block.der())));
                case "EC PRIVATE KEY":
                    return pkcs8(file, sec1ToPkcs8(file, block.der()));
                case "ENCRYPTED PRIVATE KEY":
                    throw new IOException(file + " holds an encrypted private key; DirkDB reads only unencrypted keys "
                            + "(PKCS#8 BEGIN PRIVATE KEY, PKCS#1 BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)");
                default:
                    // another block (a certificate next to the key): look further
            }
        }
        throw new IOException(file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----, "
                + "-----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IOException(file + " holds a private key that is neither RSA, EC nor Ed25519, or is damaged");
    }

    /**
     * SEC1 ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters (the curve), [1]
     * publicKey }: PKCS#8 needs the curve in its algorithm identifier, so it is taken out of [0].
     */
    private static byte[] sec1ToPkcs8(Path file, byte[] sec1) throws IOException {
        try {
            Der.Reader outer = new Der.Reader(sec1);
            Der.Reader fields = new Der.Reader(outer.next(0x30));
            fields.next(0x02);
            fields.next(0x04);
            byte[] curve = null;
            while (fields.hasMore()) {
                int tag = fields.peekTag();
                byte[] content = fields.next(tag);
                if (tag == 0xa0) {
                    curve = content;
                }
            }
            if (curve == null) {
                throw new IOException(file + ": the EC private key does not name its curve");
            }
            byte[] algorithm = Der.sequence(EC_PUBLIC_KEY_OID, curve);
            return Der.sequence(Der.integer0(), algorithm, Der.octetString(sec1));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": the EC private key is damaged (" + e.getMessage() + ")", e);
        }
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Block> blocks = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(text);
        while (matcher.find()) {
            try {
                blocks.add(new Block(matcher.group(1), Base64.getMimeDecoder().decode(matcher.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": a PEM block " + matcher.group(1) + " is not valid base64", e);
            }
        }
        return blocks;
    }

    /** The little DER this class needs to rewrap keys. */
    static final class Der {
        private Der() {
        }

        static byte[] integer0() {
            return new byte[] {0x02, 0x01, 0x00};
        }

        static byte[] octetString(byte[] content) {
            return tagged(0x04, content);
        }

        static byte[] sequence(byte[]... parts) {
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (byte[] part : parts) {
                content.writeBytes(part);
            }
            return tagged(0x30, content.toByteArray());
        }

        static byte[] tagged(int tag, byte[] content) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
            out.write(tag);
            int length = content.length;
            if (length < 0x80) {
                out.write(length);
            } else {
                int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
                out.write(0x80 | bytes);
                for (int i = bytes - 1; i >= 0; i--) {
                    out.write(length >>> (8 * i));
                }
            }
            out.writeBytes(content);
            return out.toByteArray();
        }

        /** Reads the elements of one level of DER, each as its content (or, for [0], its whole inner encoding). */
        static final class Reader {
            private final byte[] der;
            private int position;

            Reader(byte[] der) {
                this.der = der;
            }

            boolean hasMore() {
                return position < der.length;
            }

            int peekTag() {
                return der[position] & 0xff;
            }

            /** The content of the next element, which must carry {@code tag}. */
            byte[] next(int tag) {
                if (position + 2 > der.length || (der[position] & 0xff) != tag) {
                    throw new IllegalArgumentException("expected DER tag " + Integer.toHexString(tag));
                }
                position++;
                int length = der[position++] & 0xff;
                if (length >= 0x80) {
                    int bytes = length & 0x7f;
                    if (bytes < 1 || bytes > 4 || position + bytes > der.length) {
                        throw new IllegalArgumentException("bad DER length");
                    }
                    length = 0;
                    for (int i = 0; i < bytes; i++) {
                        length = (length << 8) | (der[position++] & 0xff);
                    }
                }
                if (length < 0 || position + length > der.length) {
                    throw new IllegalArgumentException("DER element longer than its container");
                }
                byte[] content = java.util.Arrays.copyOfRange(der, position, position + length);
                position += length;
                return content;
            }
        }
    }
}
