package io.dirkdb.protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** The listening socket of a DirkDB port, bound the same way by the member, the proxy and the cache. */
public final class ListeningSocket {
    /** Connections the kernel queues while every acceptor is busy (a burst of clients at start-up). */
    private static final int BACKLOG = 512;

    private ListeningSocket() {
    }

    /**
     * Binds {@code host:port} (port 0: any free port). Address reuse lets a restarted process take its
     * port back while connections of the old one linger in TIME_WAIT.
     */
    public static ServerSocket bind(String host, int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        try {
            socket.bind(new InetSocketAddress(host, port), BACKLOG);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return socket;
    }
}
