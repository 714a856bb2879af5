package io.dirkdb.client;

import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.ReplyReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A connection to a DirkDB server, proxy or cache: sends one statement, reads its whole reply.
 * Not thread-safe: one connection per thread.
 */
public final class DirkConnection implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final OutputStream out;
    private final ReplyReader replies;

    private DirkConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.replies = new ReplyReader(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
    }

    public static DirkConnection open(String host, int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            return new DirkConnection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Runs one statement (a closing {@code ;} is added when missing) and returns its reply. */
    public Reply execute(String statement) throws IOException {
        String text = statement.strip();
        if (!text.endsWith(";")) {
            text = text + ";";
        }
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return replies.read();
    }

    /** Sends {@code dirk auth '<password>'}, quoting the password as a DirkDB string. */
    public Reply authenticate(String password) throws IOException {
        return execute("dirk auth " + quote(password));
    }

    /** A DirkDB string literal: single quotes, with backslashes and quotes escaped. */
    public static String quote(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** Bounds how long a read waits for a reply (0: forever). */
    public void setReadTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
