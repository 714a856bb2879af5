package io.dirkdb.testing;

import io.dirkdb.protocol.ReplyReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A client that sends raw bytes and gets back the exact bytes of each reply. */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final ReplyReader replies;

    public RawClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** Connects from {@code local} (null: any), e.g. 127.0.0.2 to be another client address on loopback. */
    public RawClient(InetSocketAddress address, java.net.InetAddress local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.setTcpNoDelay(true);
        socket.connect(address, 5000);
        socket.setSoTimeout(30_000);
        out = socket.getOutputStream();
        replies = new ReplyReader(socket.getInputStream());
    }

    public void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The bytes of the next reply, as text. */
    public String reply() throws IOException {
        return new String(replies.readRaw().frames(), StandardCharsets.UTF_8);
    }

    public String ask(String request) throws IOException {
        send(request);
        return reply();
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
