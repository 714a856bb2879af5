package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import io.dirkdb.testing.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member in a JVM with a small heap, filled through the protocol: with the default --max-heap-share it refuses
 * writes with a clear error instead of dying of OutOfMemoryError, and restarts over its whole log.
 */
class MemoryLimitProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEAP = "128m";
    private static final int ROWS_PER_STATEMENT = 200;
    /** About 176 MiB of rows: far more than the heap, so a member without a limit dies first. */
    private static final int MAX_STATEMENTS = 800;

    @TempDir
    Path work;

    private static Path logs() {
        return Path.of("target", "server-logs");
    }

    private static Reply ok(Reply reply) {
        assertThat(reply.isError()).as(reply.messageText()).isFalse();
        return reply;
    }

    private static long count(DirkConnection connection) throws IOException {
        return (Long) ((Result.Relation) ok(connection.execute("alaivo count(*) ao@ item")).result()).rows().get(0).get(0);
    }

    private static JsonNode heartbeat(DirkConnection connection) throws IOException {
        return JSON.readTree(ok(connection.execute("dirk heartbeat")).messageText());
    }

    private static String insert(int statement) {
        String text = "x".repeat(1000);
        StringBuilder sql = new StringBuilder("manampia ao@ item (id, name) sanda ");
        for (int i = 0; i < ROWS_PER_STATEMENT; i++) {
            sql.append(i == 0 ? "" : ", ").append('(').append(statement * ROWS_PER_STATEMENT + i).append(", '")
                    .append(text).append("')");
        }
        return sql.toString();
    }

    @Test
    void aSmallHeapFillsToItsShareThenRefusesWritesAndRestartsOverItsLog() throws Exception {
        Path data = work.resolve("data");
        long rows;
        try (ServerProcess server = ServerProcess.start(logs(), HEAP, 0, "--data-dir", data.toString())) {
            String refusal = null;
            try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
                ok(connection.execute("manamboara tahiry shop"));
                ok(connection.execute("ampiasao shop"));
                ok(connection.execute("manamboara tabilao item (id ISA(null,null), name LAHATSORATRA(null,null))"));
                for (int statement = 0; statement < MAX_STATEMENTS && refusal == null; statement++) {
                    Reply reply;
                    try {
                        reply = connection.execute(insert(statement));
                    } catch (IOException e) {
                        throw new AssertionError("the member stopped answering after " + statement + " statements ("
                                + (server.isAlive() ? "alive" : "dead") + "); its log: " + server.log(), e);
                    }
                    if (reply.isError()) {
                        refusal = reply.errorMessage();
                    }
                }
                assertThat(refusal).as("a refusal before " + MAX_STATEMENTS + " statements; log: " + server.log())
                        .isNotNull()
                        .contains("this member refuses writes that add data: its")
                        .contains("of its 128 MiB heap")
                        .contains("--max-heap-share 0.8")
                        .contains("Delete data, or give the member more memory");
                rows = count(connection);
                assertThat(rows).isPositive();
                JsonNode beat = heartbeat(connection);
                assertThat(beat.path("memoryPressure").asBoolean()).isTrue();
                assertThat(beat.path("memoryError").asText()).isEqualTo(refusal);
                assertThat(beat.path("heapMax").asLong()).isBetween(100L << 20, 140L << 20);
                assertThat(beat.path("dataBytes").asLong()).isGreaterThan(rows * 1000)
                        .isLessThanOrEqualTo(beat.path("heapLimit").asLong());
                assertThat(beat.path("heapUsed").asLong()).isPositive();
            }
            assertThat(server.terminate()).as("exit code after SIGTERM; log: %s", server.log()).isZero();
        }
        try (ServerProcess again = ServerProcess.start(logs(), HEAP, 0, "--data-dir", data.toString());
             DirkConnection connection = DirkConnection.open("127.0.0.1", again.port())) {
            ok(connection.execute("ampiasao shop"));
            assertThat(count(connection)).isEqualTo(rows);
            Reply refused = connection.execute(insert(MAX_STATEMENTS));
            assertThat(refused.errorMessage()).contains("refuses writes that add data");
            assertThat(heartbeat(connection).path("memoryPressure").asBoolean()).isTrue();
            ok(connection.execute("fafao ao@ item rehefa id < " + rows / 2));
            assertThat(heartbeat(connection).path("memoryPressure").asBoolean()).isFalse();
            ok(connection.execute(insert(MAX_STATEMENTS)));
        }
    }
}
