package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.protocol.Request;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class UpstreamConnectionTest {

    @Test
    void aFarSideThatNeverAnswersFailsTheRequestWithNoAnswerInTime() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            try (UpstreamConnection connection = UpstreamConnection.open(
                    new MemberAddress("silent", "127.0.0.1", silent.getLocalPort()), null, 300)) {
                long started = System.nanoTime();
                IOException failure = catchThrowableOfType(() -> connection.execute("alaivo * ao@ t"), IOException.class);
                long waitedMillis = (System.nanoTime() - started) / 1_000_000;

                assertThat(UpstreamConnection.describe(failure)).isEqualTo("no answer in time");
                assertThat(waitedMillis).isBetween(250L, 5_000L);
                assertThat(connection.broken()).isTrue();
            }
        } finally {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void aSlowButTimelyReplyIsNotCutOff() throws Exception {
        RelayServer server = RelayServer.start("proxy", "127.0.0.1", 0, 4, 1 << 20, () -> request -> {
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ReplyWriter.encodeMessage("late: " + ((Request.Text) request).text());
        });
        try (server; UpstreamConnection connection = UpstreamConnection.open(
                new MemberAddress("slow", "127.0.0.1", server.port()), null, 1_000)) {
            for (int i = 0; i < 3; i++) {
                assertThat(UpstreamConnection.messageOf(connection.execute("alaivo * ao@ t"))).isEqualTo("late: alaivo * ao@ t");
            }
            assertThat(connection.broken()).isFalse();
        }
    }
}
