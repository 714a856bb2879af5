package io.dirkdb.faults;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a hostile or broken peer sends a member, written byte by byte as in
 * docs/replication-protocol.md so that nothing of the member's own code vouches for it: a stream
 * request with any LSNs and epochs, forged acknowledgement frames, requests that never end.
 */
final class HostilePeers {
    private HostilePeers() {}

    /** A connection that asked {@code dirk stream ...;} and got the member's one-line JSON answer. */
    static final class ForgedStream implements AutoCloseable {
        private final Socket socket;
        private final DataOutputStream out;
        private final DataInputStream in;
        final String answer;

        ForgedStream(InetSocketAddress member, String streamRequest) throws IOException {
            socket = new Socket();
            socket.connect(member, 5000);
            socket.setSoTimeout(10_000);
            out = new DataOutputStream(socket.getOutputStream());
            in = new DataInputStream(socket.getInputStream());
            out.write(streamRequest.getBytes(StandardCharsets.UTF_8));
            out.flush();
            String kind = line();
            String text = line();
            line(); // end of the reply
            answer = kind + " " + text;
        }

        private String line() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                bytes.write(b);
            }
            return bytes.toString(StandardCharsets.UTF_8);
        }

        /** An acknowledgement frame: {@code 'A'} then the LSN the secondary says is durable. */
        void ack(long lsn) throws IOException {
            out.writeByte('A');
            out.writeLong(lsn);
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Opens {@code count} connections that send half a statement and then nothing. */
    static List<Socket> slowloris(InetSocketAddress member, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            socket.connect(member, 5000);
            socket.getOutputStream().write("alaivo 1 ".getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            sockets.add(socket);
        }
        return sockets;
    }

    /** A condition nested {@code depth} parentheses deep: {@code ((((1 = 1))))}. */
    static String nested(int depth) {
        return "(".repeat(depth) + "1 = 1" + ")".repeat(depth);
    }
}
