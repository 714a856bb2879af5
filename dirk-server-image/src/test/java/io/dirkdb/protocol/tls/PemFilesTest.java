package io.dirkdb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key and certificate files of a Secret, in the encodings cert-manager and openssl write. */
class PemFilesTest {
    private static final TestCertificates.Authority CA = TestCertificates.authority("pem test CA");

    @TempDir
    Path root;

    @Test
    void pkcs1RsaKeyReadsAsTheSameKey() throws IOException {
        TestCertificates.Issued issued = CA.issueRsa("rsa", "rsa.example");
        Path file = issued.writeTraditionalKey(root.resolve("rsa.key"));
        assertThat(Files.readString(file)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(PemFiles.privateKey(file).getEncoded()).isEqualTo(issued.key().getEncoded());
    }

    @Test
    void sec1EcKeyReadsAsTheSameKey() throws IOException {
        TestCertificates.Issued issued = CA.issue("ec", "ec.example");
        Path file = issued.writeTraditionalKey(root.resolve("ec.key"));
        assertThat(Files.readString(file)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(PemFiles.privateKey(file).getAlgorithm()).isEqualTo("EC");
        assertThat(((java.security.interfaces.ECPrivateKey) PemFiles.privateKey(file)).getS())
                .isEqualTo(((java.security.interfaces.ECPrivateKey) issued.key()).getS());
    }

    @Test
    void rsaCertificateWithPkcs1KeyMakesAUsableContext() throws IOException {
        TestCertificates.Issued issued = CA.issueRsa("rsa", "rsa.example");
        Path secret = issued.writeSecret(root.resolve("secret"));
        issued.writeTraditionalKey(secret.resolve("tls.key"));
        new TlsSettings(secret.resolve("tls.crt"), secret.resolve("tls.key"), secret.resolve("ca.crt"),
                TlsSettings.ClientAuth.REQUIRED).check();
    }

    @Test
    void encryptedKeyIsRefusedByName() throws IOException {
        Path file = Files.writeString(root.resolve("enc.key"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> PemFiles.privateKey(file)).hasMessageContaining("encrypted private key");
    }

    @Test
    void keyOfAnotherCertificateIsRefusedAtStart() throws IOException {
        Path one = CA.issue("one", "one.example").writeSecret(root.resolve("one"));
        Path two = CA.issue("two", "two.example").writeSecret(root.resolve("two"));
        assertThatThrownBy(() -> new TlsSettings(one.resolve("tls.crt"), two.resolve("tls.key"), null,
                TlsSettings.ClientAuth.NONE).check())
                .hasMessageContaining("does not belong to the certificate");
    }
}
