package io.dirkdb.cli;

import io.dirkdb.protocol.ConnectionTimeouts;
import java.time.Duration;
import io.dirkdb.proxy.RelayTls;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The limits the two relays in front of the members ({@code dirk proxy}, {@code dirk cache}) share.
 * {@code dirk server} declares its own: its defaults and wording differ.
 */
final class RelayOptions {

    @Option(names = "--shutdown-grace-seconds", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE})")
    int shutdownGraceSeconds;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024",
            description = "client connections served at once (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "largest request accepted (default: ${DEFAULT-VALUE})")
    int maxRequestBytes;

    @Option(names = "--authentication-timeout-seconds", paramLabel = "SECONDS", defaultValue = "10",
            description = "a client connection that has not authenticated (or completed a first request) within "
                    + "this long of its last answer is closed (default: ${DEFAULT-VALUE})")
    long authenticationTimeoutSeconds;

    @Option(names = "--idle-timeout-seconds", paramLabel = "SECONDS", defaultValue = "3600",
            description = "a client connection that completes no request for this long is closed; 0: never "
                    + "(default: ${DEFAULT-VALUE})")
    long idleTimeoutSeconds;

    @Mixin
    TlsOptions.Listener listenerTls = new TlsOptions.Listener();

    @Mixin
    TlsOptions.Upstream upstreamTls = new TlsOptions.Upstream();

    /** TLS toward clients and toward upstream, each from its own flags; the files are read here. */
    RelayTls tls(String command) {
        return new RelayTls(listenerTls.settings(command), upstreamTls.settings(command));
    }

    /** The connection deadlines, checked. */
    ConnectionTimeouts timeouts() {
        OptionChecks.atLeastOne("--authentication-timeout-seconds", authenticationTimeoutSeconds);
        OptionChecks.notNegative("--idle-timeout-seconds", idleTimeoutSeconds);
        return ConnectionTimeouts.ofSeconds(authenticationTimeoutSeconds, idleTimeoutSeconds);
    }

    Duration shutdownGrace() {
        return Shutdown.grace(shutdownGraceSeconds);
    }
}
