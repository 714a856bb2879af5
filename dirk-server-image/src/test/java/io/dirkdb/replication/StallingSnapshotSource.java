package io.dirkdb.replication;

import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.storage.SnapshotFile;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A fake member on 127.0.0.5 that answers heartbeats and ships half of a snapshot, then stalls: a copy caught midway. */
final class StallingSnapshotSource implements AutoCloseable {
    private final ServerSocket server;
    private final SnapshotFile snapshot;
    private final byte[] bytes;

    private StallingSnapshotSource(ServerSocket server, SnapshotFile snapshot, byte[] bytes) {
        this.server = server;
        this.snapshot = snapshot;
        this.bytes = bytes;
    }

    static StallingSnapshotSource start(SnapshotFile snapshot, byte[] bytes) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.5", 0));
        StallingSnapshotSource source = new StallingSnapshotSource(server, snapshot, bytes);
        Thread acceptor = new Thread(source::serve, "stalling-source");
        acceptor.setDaemon(true);
        acceptor.start();
        return source;
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return; // the test is over
            }
            Thread connection = new Thread(() -> {
                try (socket) {
                    InputStream in = socket.getInputStream();
                    StringBuilder request = new StringBuilder();
                    for (int c = in.read(); c >= 0 && c != ';'; c = in.read()) {
                        request.append((char) c);
                    }
                    if (request.toString().contains("heartbeat")) {
                        socket.getOutputStream().write(ReplyWriter.encodeMessage("{\"role\":\"primary\",\"lsn\":0}"));
                        return;
                    }
                    String header = "{\"lsn\":" + snapshot.lsn() + ",\"epoch\":" + snapshot.epoch() + ",\"size\":"
                            + bytes.length + (snapshot.historyId() == null ? "" : ",\"historyId\":\"" + snapshot.historyId() + "\"")
                            + "}";
                    socket.getOutputStream().write(ReplyWriter.encodeMessage(header));
                    socket.getOutputStream().write(bytes, 0, bytes.length / 2);
                    socket.getOutputStream().flush();
                    in.read(); // stalls until the target gives up on this copy or dies
                } catch (IOException e) {
                    // the target went away: expected
                }
            });
            connection.setDaemon(true);
            connection.start();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
