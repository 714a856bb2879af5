package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The TLS flags: a listener's ({@code dirk server}, {@code dirk proxy}, {@code dirk cache}), a
 * client's ({@code dirk client}, {@code dirk resync}, {@code dirk step-down}) and a relay's toward
 * the members or the proxy ({@code --upstream-tls*}). PEM files as a {@code kubernetes.io/tls} Secret
 * or cert-manager gives them: {@code tls.crt}, {@code tls.key}, {@code ca.crt}.
 */
final class TlsOptions {
    private TlsOptions() {
    }

    /** A listener's TLS; a member also presents this certificate to the other members (mutual TLS). */
    static final class Listener {
        @Option(names = "--tls-cert", paramLabel = "FILE",
                description = "PEM certificate chain of this listener (tls.crt); with it, the port accepts only TLS")
        Path certificate;

        @Option(names = "--tls-key", paramLabel = "FILE",
                description = "PEM private key of --tls-cert (tls.key): PKCS#8, PKCS#1 RSA or SEC1 EC")
        Path key;

        @Option(names = "--tls-ca", paramLabel = "FILE",
                description = "PEM certificate authorities (ca.crt) that sign client certificates and, for a member, "
                        + "the other members' certificates (default: the JVM's)")
        Path authorities;

        @Option(names = "--tls-client-auth", paramLabel = "required|none", defaultValue = "none",
                description = "required: refuse clients without a certificate signed by --tls-ca (default: ${DEFAULT-VALUE})")
        String clientAuth;

        /** The listener's settings with their files read, or null without --tls-cert. */
        TlsSettings settings(String command) {
            TlsSettings.ClientAuth auth;
            try {
                auth = TlsSettings.ClientAuth.parse(clientAuth);
            } catch (IllegalArgumentException e) {
                throw new DirkException(command + ": --tls-client-auth: " + e.getMessage());
            }
            if (certificate == null) {
                if (key != null || authorities != null || auth == TlsSettings.ClientAuth.REQUIRED) {
                    throw new DirkException(command + ": --tls-key, --tls-ca and --tls-client-auth need --tls-cert");
                }
                return null;
            }
            if (key == null) {
                throw new DirkException(command + ": --tls-cert needs --tls-key");
            }
            if (auth == TlsSettings.ClientAuth.REQUIRED && authorities == null) {
                throw new DirkException(command + ": --tls-client-auth required needs --tls-ca");
            }
            return read(command, new TlsSettings(certificate, key, authorities, auth));
        }
    }

    /** A client's TLS toward a member, proxy or cache. */
    static final class Client {
        @Option(names = "--tls", description = "connect with TLS, trusting the JVM's certificate authorities "
                + "(implied by --tls-ca)")
        boolean enabled;

        @Option(names = "--tls-ca", paramLabel = "FILE",
                description = "PEM certificate authorities (ca.crt) to verify the server's certificate with; implies --tls")
        Path authorities;

        @Option(names = "--tls-cert", paramLabel = "FILE",
                description = "PEM client certificate chain to present (for a server with --tls-client-auth required)")
        Path certificate;

        @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert")
        Path key;

        @Option(names = "--tls-server-name", paramLabel = "NAME", defaultValue = "${env:DIRK_TLS_SERVER_NAME}",
                description = "check the server's certificate for this name instead of the host connected to "
                        + "(else $DIRK_TLS_SERVER_NAME)")
        String serverName;

        /** The client's settings, or null for plain TCP. */
        TlsSettings settings(String command) {
            return clientSettings(command, enabled, authorities, certificate, key, serverName, "--tls");
        }
    }

    /** A relay's TLS toward what it forwards to (the proxy's members, the cache's proxy). */
    static final class Upstream {
        @Option(names = "--upstream-tls", description = "connect upstream with TLS, trusting the JVM's certificate "
                + "authorities (implied by --upstream-tls-ca)")
        boolean enabled;

        @Option(names = "--upstream-tls-ca", paramLabel = "FILE",
                description = "PEM certificate authorities to verify upstream certificates with; implies --upstream-tls")
        Path authorities;

        @Option(names = "--upstream-tls-cert", paramLabel = "FILE",
                description = "PEM certificate chain presented upstream (members with --tls-client-auth required)")
        Path certificate;

        @Option(names = "--upstream-tls-key", paramLabel = "FILE", description = "PEM private key of --upstream-tls-cert")
        Path key;

        @Option(names = "--upstream-tls-server-name", paramLabel = "NAME",
                description = "check the upstream certificate for this name instead of the host connected to "
                        + "(the cache sidecar reaching its proxy on 127.0.0.1)")
        String serverName;

        TlsSettings settings(String command) {
            return clientSettings(command, enabled, authorities, certificate, key, serverName, "--upstream-tls");
        }
    }

    private static TlsSettings clientSettings(String command, boolean enabled, Path authorities, Path certificate,
            Path key, String serverName, String flag) {
        if ((certificate == null) != (key == null)) {
            throw new DirkException(command + ": " + flag + "-cert and " + flag + "-key go together");
        }
        if (!enabled && authorities == null) {
            if (certificate != null) {
                throw new DirkException(command + ": " + flag + "-cert needs " + flag + " or " + flag + "-ca");
            }
            return null;
        }
        TlsSettings settings = TlsSettings.client(authorities, certificate, key);
        return read(command, serverName == null ? settings : settings.withServerName(serverName));
    }

    private static TlsSettings read(String command, TlsSettings settings) {
        try {
            return settings.check();
        } catch (IOException e) {
            throw new DirkException(command + ": " + e.getMessage());
        }
    }
}
