package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.replication.ResyncTool;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dirk resync}: rebuilds a member from another one's snapshot and log, and waits until it is consistent. */
@Command(name = "resync", mixinStandardHelpOptions = true,
        description = {"Rebuilds the target member from the source's latest snapshot plus the log after it,",
                "then waits until the target streams from the source and has caught up.",
                "Exit 0 when consistent; 1 with a one-line reason otherwise. Safe to run again after an interruption."})
public final class ResyncCommand implements Callable<Integer> {
    private final java.util.Map<String, String> environment;

    public ResyncCommand() {
        this(System.getenv());
    }

    /** With the passwords of {@code environment} instead of the process's (tests). */
    ResyncCommand(java.util.Map<String, String> environment) {
        this.environment = environment;
    }

    @Mixin
    TlsOptions.Client tlsOptions = new TlsOptions.Client();

    @Option(names = "--from", required = true, paramLabel = "HOST:PORT", description = "the member to copy (usually the primary)")
    String from;

    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "the member to rebuild (not a primary)")
    String to;

    @Option(names = "--password", description = "the administration password for `dirk auth` on both members (else $DIRK_ADMIN_PASSWORD, else "
            + "$DIRK_PASSWORD in a single-password cluster)")
    String password;

    @Option(names = "--timeout-seconds", defaultValue = "600",
            description = "give up when the target is not consistent after this long (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    @Option(names = "--poll-ms", defaultValue = "50",
            description = "how often the target's progress is polled; the end is seen up to this late (default: ${DEFAULT-VALUE})")
    long pollMillis;

    @Option(names = "--source-tls-server-name", paramLabel = "NAME",
            description = "check the source's certificate for this name (default: the source's host name; "
                    + "--tls-server-name applies to the target only)")
    String sourceServerName;

    @Option(names = "--deflate", description = {"ship the snapshot deflated: for links slower than ~350 MB/s (1-2.5 GbE, WAN);",
            "off by default, since on loopback and fast networks deflating costs more time than it saves"})
    boolean deflate;

    @Override
    public Integer call() throws InterruptedException {
        ResyncTool.Endpoint source;
        ResyncTool.Endpoint target;
        try {
            source = ResyncTool.Endpoint.parse(from);
            target = ResyncTool.Endpoint.parse(to);
        } catch (IllegalArgumentException e) {
            System.err.println("dirk resync: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        if (timeoutSeconds < 1 || pollMillis < 1) {
            System.err.println("dirk resync: --timeout-seconds and --poll-ms must be positive");
            return ExitCodes.CONFIG;
        }
        TlsSettings tls;
        try {
            tls = tlsOptions.settings("dirk resync");
        } catch (DirkException e) {
            System.err.println(e.getMessage());
            return ExitCodes.CONFIG;
        }
        String secret;
        java.util.List<String> fallbacks;
        try {
            secret = Passwords.adminGivenOrEnvironment(password, environment);
            // A member not restarted since a rotation takes the previous password; one not yet restarted with
            // separate credentials (an upgrade) takes the application password.
            fallbacks = Passwords.adminFallbacksFromEnvironment(environment);
        } catch (DirkException e) {
            System.err.println("dirk resync: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        ResyncTool.Outcome outcome = new ResyncTool(source, target, secret, Duration.ofSeconds(timeoutSeconds),
                Duration.ofMillis(pollMillis), System.out, deflate, tls, fallbacks, sourceServerName).run();
        if (outcome.consistent()) {
            System.out.println(outcome.message());
            return ExitCodes.OK;
        }
        System.err.println("dirk resync: " + outcome.message());
        return ExitCodes.FAILURE;
    }
}
