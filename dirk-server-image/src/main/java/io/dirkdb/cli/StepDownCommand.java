package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dirk step-down}: the member pods' {@code preStop} hook. A primary that is about to stop waits
 * for the operator to hand its role over (a switchover: the operator fences it, promotes a caught-up
 * secondary and tells this member to follow it), so it restarts as a secondary whose log is a prefix of
 * the new primary's; if nobody takes over in time, it fences itself so it acknowledges no write on its
 * way out. A secondary returns at once, and so does a member whose fence is a held one ({@code dirk fence hold}, the
 * user's or hibernation's): no hand-over is coming for it.
 */
@Command(name = "step-down", mixinStandardHelpOptions = true,
        description = {"Run before a member stops (the pod's preStop hook): a primary (or a fenced member, which is",
                "in the middle of a hand-over) waits up to --handover-seconds until the operator has made it a",
                "secondary of the new primary, then fences itself if it is still primary. A secondary returns at",
                "once, and so does a member fenced with a held fence (dirk fence hold: the user's or hibernation's,",
                "which no hand-over ends). Exit 0 once the member no longer acknowledges writes (or does not",
                "answer); 1 when it could not be fenced."})
public final class StepDownCommand implements Callable<Integer> {
    private final java.util.Map<String, String> environment;

    @Spec
    CommandSpec spec;

    public StepDownCommand() {
        this(System.getenv());
    }

    /** With the passwords of {@code environment} instead of the process's (tests). */
    StepDownCommand(java.util.Map<String, String> environment) {
        this.environment = environment;
    }

    @Mixin
    TlsOptions.Client tlsOptions = new TlsOptions.Client();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "the member's address (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "3948", description = "the member's port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--password", description = "the administration password for `dirk auth`, needed for the fence (else $DIRK_ADMIN_PASSWORD, "
            + "else $DIRK_PASSWORD in a single-password cluster)")
    String password;

    @Option(names = "--handover-seconds", defaultValue = "30",
            description = "how long a primary waits for the operator's switchover before fencing itself (default: ${DEFAULT-VALUE})")
    long handoverSeconds;

    @Option(names = "--poll-ms", defaultValue = "100", description = "how often the member's role is checked (default: ${DEFAULT-VALUE})")
    long pollMillis;

    @Override
    public Integer call() throws InterruptedException {
        if (handoverSeconds < 0 || pollMillis < 1) {
            System.err.println("dirk step-down: --handover-seconds must not be negative and --poll-ms must be positive");
            return ExitCodes.CONFIG;
        }
        TlsSettings tls;
        try {
            tls = tlsOptions.settings("dirk step-down");
        } catch (DirkException e) {
            System.err.println(e.getMessage());
            return ExitCodes.CONFIG;
        }
        String secret;
        java.util.List<String> fallbacks;
        try {
            // Read before the wait: a misconfigured hook says so at once, not after --handover-seconds.
            secret = Passwords.adminGivenOrEnvironment(password, environment);
            fallbacks = Passwords.adminFallbacksFromEnvironment(environment);
        } catch (DirkException e) {
            System.err.println("dirk step-down: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        // Through picocli's writer, not System.out: whoever runs the command (a test's kubelet) can read what it said.
        PrintWriter out = spec.commandLine().getOut();
        MemberAddress member = new MemberAddress("local", host, port);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(handoverSeconds));
        try (HeartbeatProbe probe = new HeartbeatProbe(member, 2000, tls)) {
            while (true) {
                HeartbeatReport heartbeat;
                try {
                    heartbeat = probe.probe();
                } catch (IOException | RuntimeException e) {
                    out.println("dirk step-down: the member does not answer (" + e.getMessage() + "); nothing to hand over");
                    return ExitCodes.OK;
                }
                if (heartbeat.isHeldFenced()) {
                    out.println("dirk step-down: the member is fenced at epoch " + heartbeat.epoch()
                            + " by a held fence (the user's or hibernation's), which no hand-over ends; it may stop");
                    return ExitCodes.OK;
                }
                // Fenced is the middle of a hand-over: the operator fences, promotes another member, then tells
                // this one to follow it. Stopping before that would leave it fenced, to be rebuilt by a resync.
                if (!heartbeat.isPrimary() && !HeartbeatReport.FENCED.equals(heartbeat.role())) {
                    out.println("dirk step-down: the member is " + heartbeat.role() + " at epoch " + heartbeat.epoch()
                            + "; it may stop");
                    return ExitCodes.OK;
                }
                if (!Instant.now().isBefore(deadline)) {
                    if (!heartbeat.isPrimary()) {
                        out.println("dirk step-down: still fenced after " + handoverSeconds + " s; it may stop");
                        return ExitCodes.OK;
                    }
                    return fence(member, tls, secret, fallbacks, out);
                }
                Thread.sleep(pollMillis);
            }
        }
    }

    private int fence(MemberAddress member, TlsSettings tls, String secret, java.util.List<String> fallbacks,
            PrintWriter out) {
        try (DirkConnection connection = DirkConnection.open(tls, member.host(), member.port(), 2000)) {
            if (secret != null) {
                Reply auth = connection.authenticate(secret, fallbacks);
                if (auth.isError()) {
                    System.err.println("dirk step-down: the member refused the password: " + auth.errorMessage());
                    return ExitCodes.FAILURE;
                }
            }
            Reply reply = connection.execute("dirk fence;");
            if (reply.isError()) {
                System.err.println("dirk step-down: the member refused the fence: " + reply.errorMessage());
                return ExitCodes.FAILURE;
            }
            out.println("dirk step-down: no switchover within " + handoverSeconds + " s; " + reply.messageText());
            return ExitCodes.OK;
        } catch (IOException e) {
            out.println("dirk step-down: the member does not answer (" + e.getMessage() + "); nothing to fence");
            return ExitCodes.OK;
        }
    }
}
