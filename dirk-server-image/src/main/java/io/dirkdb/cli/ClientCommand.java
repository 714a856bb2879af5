package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.client.ClientSession;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.client.InteractiveShell;
import io.dirkdb.client.ScriptRunner;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dirk client}: the interactive shell, or a script runner. */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = {"Connects to DirkDB (by default the proxy on 127.0.0.1:3949, as the original client did).",
                "Interactive on a terminal; otherwise runs the script from -f or standard input."})
public final class ClientCommand implements Callable<Integer> {
    static final int EXIT_CANNOT_CONNECT = 2;

    @Parameters(index = "0", arity = "0..1", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "server, proxy or cache to connect to (default: ${DEFAULT-VALUE})")
    String host;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PORT", defaultValue = "3949",
            description = "its port (default: ${DEFAULT-VALUE}, the proxy; a member listens on 3948)")
    int port;

    @Mixin
    TlsOptions.Client tlsOptions = new TlsOptions.Client();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "run the statements of this script file, then exit")
    Path script;

    @Option(names = "--continue",
            description = "in a script, go on after a failed statement (the exit code is still 1 if one failed)")
    boolean continueOnError;

    @Option(names = "--password", arity = "0..1", interactive = true, paramLabel = "PASSWORD",
            description = "authenticate first with `dirk auth` (asked for when no value is given; else $DIRK_PASSWORD)")
    String password;

    private final Map<String, String> environment;
    private final InputStream stdin;
    private final PrintStream stdout;
    private final PrintStream stderr;

    public ClientCommand() {
        this(System.getenv(), System.in, System.out, System.err);
    }

    ClientCommand(Map<String, String> environment, InputStream stdin, PrintStream stdout, PrintStream stderr) {
        this.environment = environment;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() {
        byte[] scriptBytes = null;
        if (script != null) {
            try {
                scriptBytes = Files.readAllBytes(script);
            } catch (NoSuchFileException e) {
                stderr.println("dirk client: " + script + ": file not found");
                return ExitCodes.CONFIG;
            } catch (IOException e) {
                stderr.println("dirk client: " + script + ": " + e.getMessage());
                return ExitCodes.CONFIG;
            }
        }
        String target = host + ":" + port;
        TlsSettings tls;
        try {
            tls = tlsOptions.settings("dirk client");
        } catch (DirkException e) {
            stderr.println(e.getMessage());
            return ExitCodes.CONFIG;
        }
        String secret;
        try {
            secret = Passwords.givenOrEnvironment(password, environment);
        } catch (DirkException e) {
            stderr.println("dirk client: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        DirkConnection connection;
        try {
            connection = DirkConnection.open(tls, host, port);
        } catch (IOException e) {
            stderr.println("dirk client: cannot connect to " + target + ": " + e.getMessage());
            return EXIT_CANNOT_CONNECT;
        }
        try (ClientSession session = new ClientSession(connection)) {
            if (secret != null) {
                Reply reply = session.authenticate(secret);
                if (reply.isError()) {
                    stderr.println(reply.messageText());
                    return ScriptRunner.EXIT_STATEMENT_FAILED;
                }
            }
            boolean interactive = scriptBytes == null && System.console() != null && stdin == System.in;
            if (interactive) {
                return new InteractiveShell(session, target).run();
            }
            if (scriptBytes == null) {
                scriptBytes = stdin.readAllBytes();
            }
            return new ScriptRunner(session, stdout, stderr, continueOnError).run(scriptBytes);
        } catch (IOException e) {
            stderr.println("dirk client: connection to " + target + " lost: " + e.getMessage());
            return ScriptRunner.EXIT_STATEMENT_FAILED;
        }
    }
}
