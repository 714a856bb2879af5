package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import io.dirkdb.testing.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `dirk server` as a separate process: stopped by SIGTERM, killed by SIGKILL, restarted. */
class ServerProcessTest {
    private static final int ROWS_PER_STATEMENT = 5;

    @TempDir
    Path work;

    private Path logs() {
        return Path.of("target", "server-logs");
    }

    private static Reply ok(Reply reply) {
        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        return reply;
    }

    private static List<List<Object>> rows(DirkConnection connection, String query) throws IOException {
        return ((Result.Relation) ok(connection.execute(query)).result()).rows();
    }

    @Test
    void sigtermExitsZeroAndKeepsEveryAcknowledgedWrite() throws Exception {
        Path data = work.resolve("data");
        try (ServerProcess server = ServerProcess.start(logs(), "--data-dir", data.toString())) {
            try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
                ok(connection.execute("manamboara tahiry shop"));
                ok(connection.execute("ampiasao shop"));
                ok(connection.execute("manamboara tabilao orders (id ISA(null,null), item LAHATSORATRA(null,null))"));
                for (int i = 0; i < 100; i++) {
                    ok(connection.execute("manampia ao@ orders (id, item) sanda (" + i + ", 'item " + i + "')"));
                }
            }
            assertThat(server.terminate()).as("exit code after SIGTERM").isZero();
        }
        try (ServerProcess again = ServerProcess.start(logs(), "--data-dir", data.toString());
                DirkConnection connection = DirkConnection.open("127.0.0.1", again.port())) {
            ok(connection.execute("ampiasao shop"));
            assertThat(rows(connection, "alaivo count(id) #ao@ orders")).containsExactly(List.of(100L));
            assertThat(ok(connection.execute("dirk heartbeat")).messageText())
                    .contains("\"role\":\"primary\",\"epoch\":1");
        }
    }

    @Test
    void killedMidStreamKeepsEveryAcknowledgedInsertAndNoHalfStatement() throws Exception {
        Path data = work.resolve("data");
        Map<Integer, Set<Integer>> acknowledged = new ConcurrentHashMap<>();
        try (ServerProcess server = ServerProcess.start(logs(), "--data-dir", data.toString())) {
            try (DirkConnection setup = DirkConnection.open("127.0.0.1", server.port())) {
                ok(setup.execute("manamboara tahiry crash"));
                ok(setup.execute("ampiasao crash"));
                ok(setup.execute("manamboara tabilao events (writer ISA(null,null), batch ISA(null,null), "
                        + "item ISA(null,null))"));
            }
            ExecutorService writers = Executors.newFixedThreadPool(4);
            for (int w = 0; w < 4; w++) {
                int writer = w;
                acknowledged.put(writer, ConcurrentHashMap.newKeySet());
                writers.submit(() -> {
                    try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
                        ok(connection.execute("ampiasao crash"));
                        for (int batch = 0; ; batch++) {
                            StringJoiner values = new StringJoiner(", ");
                            for (int item = 0; item < ROWS_PER_STATEMENT; item++) {
                                values.add("(" + writer + ", " + batch + ", " + item + ")");
                            }
                            Reply reply = connection.execute("manampia ao@ events (writer, batch, item) sanda " + values);
                            if (reply.isError()) {
                                throw new AssertionError(reply.messageText());
                            }
                            acknowledged.get(writer).add(batch);
                        }
                    } catch (IOException e) {
                        return null; // the server was killed: expected
                    }
                });
            }
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> acknowledged.values().stream().mapToInt(Set::size).sum() >= 400);
            server.kill();
            writers.shutdown();
            assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }

        try (ServerProcess again = ServerProcess.start(logs(), "--data-dir", data.toString());
                DirkConnection connection = DirkConnection.open("127.0.0.1", again.port())) {
            ok(connection.execute("ampiasao crash"));
            Map<List<Long>, Set<Long>> itemsByStatement = new HashMap<>();
            for (List<Object> row : rows(connection, "alaivo writer, batch, item #ao@ events")) {
                itemsByStatement.computeIfAbsent(List.of((Long) row.get(0), (Long) row.get(1)), k -> new HashSet<>())
                        .add((Long) row.get(2));
            }
            itemsByStatement.forEach((statement, items) -> assertThat(items)
                    .as("rows of statement %s: all or nothing", statement).hasSize(ROWS_PER_STATEMENT));
            acknowledged.forEach((writer, batches) -> {
                for (int batch : batches) {
                    assertThat(itemsByStatement).as("acknowledged insert %d/%d", writer, batch)
                            .containsKey(List.of((long) writer, (long) batch));
                }
            });
            // The recovered member takes writes again.
            ok(connection.execute("manampia ao@ events (writer, batch, item) sanda (9, 0, 0)"));
        }
    }
}
