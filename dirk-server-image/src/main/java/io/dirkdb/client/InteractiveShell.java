package io.dirkdb.client;

import io.dirkdb.DirkException;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.RequestScanner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp;

/**
 * The interactive client: line editing and history (in {@code ~/.dirk_history}), statements
 * over several lines until their {@code ;}, a prompt showing the current database.
 */
public final class InteractiveShell {
    private final ClientSession session;
    private final String target;
    private final boolean interruptQuits;

    public InteractiveShell(ClientSession session, String target) {
        this(session, target, false);
    }

    /**
     * @param interruptQuits when true, Ctrl-C at an empty prompt quits (as {@code dirk demo} wants:
     *                       Ctrl-C stops everything); Ctrl-C with a statement half typed still only drops it
     */
    public InteractiveShell(ClientSession session, String target, boolean interruptQuits) {
        this.session = session;
        this.target = target;
        this.interruptQuits = interruptQuits;
    }

    /** Runs on the system terminal until the user quits. */
    public int run() throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            return run(terminal, Path.of(System.getProperty("user.home"), ".dirk_history"));
        }
    }

    /** Runs on {@code terminal}, keeping the history in {@code historyFile}, until the user quits. */
    public int run(Terminal terminal, Path historyFile) throws IOException {
        DefaultParser parser = new DefaultParser();
        parser.setEofOnUnclosedQuote(false); // our own scanner decides where a statement ends
        LineReader reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("dirk")
                .parser(parser)
                .variable(LineReader.HISTORY_FILE, historyFile)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // '!' is NOT in DirkDB
                .build();
        PrintWriter out = terminal.writer();
        out.println("Connected to " + target + ". Statements end with ';'. vonjy for help, miala to quit.");
        RequestScanner scanner = new RequestScanner(Integer.MAX_VALUE - 8);
        while (true) {
            String line;
            try {
                line = reader.readLine(scanner.hasPartialRequest() ? continuationPrompt() : prompt());
            } catch (UserInterruptException e) {
                if (interruptQuits && !scanner.hasPartialRequest() && e.getPartialLine().isBlank()) {
                    return 0;
                }
                scanner.reset(); // Ctrl-C drops the statement being typed
                continue;
            } catch (EndOfFileException e) {
                return 0;
            }
            if (!scanner.hasPartialRequest()) {
                ClientCommands command = ClientCommands.of(line);
                if (command == ClientCommands.QUIT) {
                    return 0;
                }
                if (command == ClientCommands.CLEAR) {
                    terminal.puts(InfoCmp.Capability.clear_screen);
                    terminal.flush();
                    continue;
                }
                if (command == ClientCommands.HELP) {
                    out.print(ClientCommands.HELP_TEXT);
                    out.flush();
                    continue;
                }
            }
            List<Request> requests = new ArrayList<>();
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            scanner.feed(bytes, 0, bytes.length, requests::add);
            if (scanner.hasPartialRequest() && RequestScanner.isBlank(scanner.partialText())) {
                scanner.reset(); // only a comment or blank line: no statement pending
            }
            for (Request request : requests) {
                runOne(request, out);
            }
        }
    }

    private void runOne(Request request, PrintWriter out) throws IOException {
        if (request instanceof Request.Rejected rejected) {
            out.println("Hadisoana : " + rejected.reason());
        } else {
            String text = ((Request.Text) request).text();
            if (!RequestScanner.isBlank(text)) {
                try {
                    Reply reply = session.run(text);
                    out.print(ResultPrinter.render(reply.result()));
                } catch (DirkException e) {
                    out.println("Hadisoana : " + e.getMessage());
                }
            }
        }
        out.flush();
    }

    private String prompt() {
        String database = session.currentDatabase();
        return database == null ? "dirk> " : "dirk:" + database + "> ";
    }

    private String continuationPrompt() {
        return " ".repeat(Math.max(0, prompt().length() - 3)) + "-> ";
    }
}
