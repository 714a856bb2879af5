package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.server.MemberState;
import io.dirkdb.server.Role;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A peer that answers the stream handshake with a forged epoch does not poison the member that follows it. */
class HostilePrimaryEpochTest extends ReplicaSetFixture {

    @Test
    void secondaryRefusesAPrimaryEpochBeyondTheBound() throws Exception {
        followAHostilePrimaryAnswering("{\"streaming\":true,\"epoch\":9223372036854775807,\"lastLsn\":0}",
                "out of range");
    }

    @Test
    void secondaryDoesNotFollowAPrimaryAnsweringAStreamProtocolItDoesNotRead() throws Exception {
        followAHostilePrimaryAnswering("{\"streaming\":true,\"epoch\":1,\"lastLsn\":0,\"protocol\":9}",
                "answers stream protocol 9; this member reads version 1");
    }

    private void followAHostilePrimaryAnswering(String hello, String expectedError) throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        try (ServerSocket hostile = new ServerSocket()) {
            hostile.bind(new InetSocketAddress("127.0.0.30", 0));
            Thread server = new Thread(() -> {
                while (!hostile.isClosed()) {
                    try (Socket socket = hostile.accept()) {
                        InputStream in = socket.getInputStream();
                        for (int b = in.read(); b >= 0 && b != ';'; b = in.read()) {
                            // read the dirk stream request
                        }
                        socket.getOutputStream().write(ReplyWriter.encodeMessage(hello));
                        socket.getOutputStream().flush();
                        in.read(); // hold the connection until the member drops it
                    } catch (IOException e) {
                        // the member hung up, or the test ends
                    }
                }
            }, "hostile-primary");
            server.setDaemon(true);
            server.start();

            ReplicaSet.Node m2 = members.start("m2", Role.SECONDARY, null, 0);
            m2.member().follow("127.0.0.30", hostile.getLocalPort());
            await().atMost(Duration.ofSeconds(10)).until(() -> members.heartbeat("m2").path("replicationError")
                    .asText().contains(expectedError));
            assertThat(m2.member().state().highestEpochSeen()).isZero();
            assertThat(MemberState.load(m2.directory()).highestEpochSeen()).isZero();
            ok(members.execute("m2", "dirk promote 1"));
        }
    }
}
