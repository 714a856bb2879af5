package io.dirkdb.client;

import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client's conversation with a server: runs statements and follows the current database
 * (the server keeps it per connection; the client mirrors it for its prompt).
 */
public final class ClientSession implements AutoCloseable {
    private static final String IDENTIFIER = "([\\p{L}_][\\p{L}\\p{N}_]*)";
    private static final Pattern USE = Pattern.compile("(?is)ampiasao\\s+" + IDENTIFIER + "\\s*;?\\s*");
    private static final Pattern DROP_DATABASE =
            Pattern.compile("(?is)ravao\\s+ny\\s+tahiry\\s+" + IDENTIFIER + "\\s*;?\\s*");
    private static final Pattern LEADING_COMMENTS = Pattern.compile("^(\\s*--[^\\n]*(\\n|$))*\\s*");

    private final DirkConnection connection;
    private String currentDatabase;

    public ClientSession(DirkConnection connection) {
        this.connection = connection;
    }

    public String currentDatabase() {
        return currentDatabase;
    }

    /** Runs one statement and returns its reply (errors included). */
    public Reply run(String statement) throws IOException {
        Reply reply = connection.execute(statement);
        if (!reply.isError()) {
            String text = LEADING_COMMENTS.matcher(statement).replaceFirst("");
            Matcher use = USE.matcher(text);
            Matcher drop = DROP_DATABASE.matcher(text);
            if (use.matches()) {
                currentDatabase = use.group(1);
            } else if (drop.matches() && currentDatabase != null
                    && drop.group(1).toLowerCase(Locale.ROOT).equals(currentDatabase.toLowerCase(Locale.ROOT))) {
                currentDatabase = null;
            }
        }
        return reply;
    }

    public Reply authenticate(String password) throws IOException {
        return connection.authenticate(password);
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
