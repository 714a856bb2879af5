package io.dirkdb.replication;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Frames;
import io.dirkdb.protocol.tls.SecureSockets;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A connection from this member to another one that is switched into a binary mode: the
 * statement exchange (auth, then {@code dirk stream} or {@code dirk snapshot}) is read here line
 * by line from the same buffered stream that then carries the frames. (A general reply reader
 * reads ahead, and would swallow the first frames.)
 */
final class PeerChannel implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    private static final int MAX_LINE_BYTES = 1 << 20;

    private PeerChannel(Socket socket) throws IOException {
        this.socket = socket;
        BufferedInputStream buffered = new BufferedInputStream(socket.getInputStream(), 64 << 10);
        this.in = new DataInputStream(buffered);
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 << 10));
    }

    /** Connects in plain TCP and authenticates when a password is given. */
    static PeerChannel open(String host, int port, String password, int readTimeoutMillis) throws IOException {
        return open(null, host, port, password, null, readTimeoutMillis);
    }

    /** Connects (with TLS when {@code tls} is not null) and authenticates when a password is given. */
    static PeerChannel open(TlsSettings tls, String host, int port, String password, int readTimeoutMillis)
            throws IOException {
        return open(tls, host, port, password, java.util.List.of(), readTimeoutMillis);
    }

    /**
     * Connects (with TLS when {@code tls} is not null) and authenticates when a password is given; when it is
     * refused, each of {@code fallbacks} is tried (the previous password of a rotation, the application one of an upgrade).
     */
    static PeerChannel open(TlsSettings tls, String host, int port, String password,
            java.util.List<String> fallbacks, int readTimeoutMillis) throws IOException {
        return open(tls, null, host, port, password, fallbacks, readTimeoutMillis);
    }

    /**
     * As {@link #open(TlsSettings, String, int, String, java.util.List, int)}, from the local address {@code source}
     * (null: the one the system picks; see {@link SecureSockets#connect(TlsSettings, java.net.InetAddress, String, int, int)}).
     */
    static PeerChannel open(TlsSettings tls, java.net.InetAddress source, String host, int port, String password,
            java.util.List<String> fallbacks, int readTimeoutMillis) throws IOException {
        Socket socket = SecureSockets.connect(tls, source, host, port, CONNECT_TIMEOUT_MILLIS);
        try {
            socket.setSoTimeout(readTimeoutMillis);
            PeerChannel channel = new PeerChannel(socket);
            if (password != null) {
                Reply reply = channel.request("dirk auth " + DirkConnection.quote(password) + ";");
                Reply first = reply;
                for (String fallback : fallbacks) {
                    if (!reply.isError()) {
                        break;
                    }
                    if (fallback != null && !fallback.equals(password)) {
                        reply = channel.request("dirk auth " + DirkConnection.quote(fallback) + ";");
                    }
                }
                reply = reply.isError() ? first : reply;
                if (reply.isError()) {
                    throw new IOException("the member refused our password: " + reply.errorMessage());
                }
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends one statement and reads its reply, which must be a message (errors are messages too). */
    Reply request(String statement) throws IOException {
        String kind;
        try {
            out.write(statement.getBytes(StandardCharsets.UTF_8));
            out.flush();
            kind = readLine();
        } catch (IOException e) {
            // With TLS 1.3 a refused client certificate shows only now, at the first exchange.
            throw SecureSockets.explainExchangeFailure(socket, e,
                    socket.getInetAddress().getHostAddress() + ":" + socket.getPort());
        }
        if (!kind.equals(Frames.MESSAGE)) {
            throw new IOException("expected a message in reply to " + firstWords(statement) + " but got " + kind);
        }
        String text = readLine();
        String end = readLine();
        if (!end.equals(Frames.END)) {
            throw new IOException("a reply to " + firstWords(statement) + " does not end where it should");
        }
        return new Reply(new Result.Message(text), new byte[0]);
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the member closed the connection");
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= MAX_LINE_BYTES) {
                throw new IOException("a reply line is longer than " + MAX_LINE_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    private static String firstWords(String statement) {
        return statement.startsWith("dirk auth") ? "dirk auth" : statement.strip();
    }

    /** Sends a statement whose reply is a JSON message; an error reply becomes an IOException. */
    JsonNode requestJson(String statement) throws IOException {
        Reply reply = request(statement);
        if (reply.isError()) {
            throw new IOException(reply.errorMessage());
        }
        String text = reply.messageText();
        if (text == null) {
            throw new IOException("expected a message in reply to " + statement);
        }
        return JSON.readTree(text);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already broken
        }
    }
}
