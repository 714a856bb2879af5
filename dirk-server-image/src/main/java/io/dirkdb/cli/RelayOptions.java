package io.dirkdb.cli;

import java.time.Duration;
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

    Duration shutdownGrace() {
        return Shutdown.grace(shutdownGraceSeconds);
    }
}
