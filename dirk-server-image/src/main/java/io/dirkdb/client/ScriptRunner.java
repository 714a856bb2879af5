package io.dirkdb.client;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.RequestScanner;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Runs a script (a file or standard input) statement by statement, printing each result. */
public final class ScriptRunner {
    public static final int EXIT_OK = 0;
    public static final int EXIT_STATEMENT_FAILED = 1;

    private final ClientSession session;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean continueOnError;

    public ScriptRunner(ClientSession session, PrintStream out, PrintStream err, boolean continueOnError) {
        this.session = session;
        this.out = out;
        this.err = err;
        this.continueOnError = continueOnError;
    }

    /**
     * Runs every statement of {@code script}. Stops at the first error unless continuing on errors.
     *
     * @return 0 when every statement succeeded, 1 otherwise
     * @throws IOException when the connection is lost
     */
    public int run(byte[] script) throws IOException {
        RequestScanner scanner = new RequestScanner(Integer.MAX_VALUE - 8);
        List<Request> requests = new ArrayList<>(scanner.feed(script));
        if (scanner.hasPartialRequest() && !RequestScanner.isBlank(scanner.partialText())) {
            requests.add(new Request.Text(scanner.partialText())); // a last statement without its ';'
        }
        boolean failed = false;
        for (Request request : requests) {
            if (request instanceof Request.Rejected rejected) {
                err.println("Hadisoana : " + rejected.reason());
                failed = true;
                if (!continueOnError) {
                    break;
                }
                continue;
            }
            String text = ((Request.Text) request).text();
            if (RequestScanner.isBlank(text)) {
                continue;
            }
            ClientCommands command = ClientCommands.of(text);
            if (command == ClientCommands.QUIT) {
                break;
            }
            if (command == ClientCommands.HELP) {
                out.print(ClientCommands.HELP_TEXT);
                continue;
            }
            if (command == ClientCommands.CLEAR) {
                continue; // nothing to clear in a script's output
            }
            Reply reply;
            try {
                reply = session.run(text);
            } catch (DirkException e) {
                reply = null;
                err.println("Hadisoana : " + e.getMessage());
            }
            if (reply == null || reply.isError()) {
                if (reply != null) {
                    err.println(reply.messageText());
                }
                failed = true;
                if (!continueOnError) {
                    break;
                }
            } else {
                out.print(ResultPrinter.render(reply.result()));
            }
        }
        out.flush();
        err.flush();
        return failed ? EXIT_STATEMENT_FAILED : EXIT_OK;
    }
}
