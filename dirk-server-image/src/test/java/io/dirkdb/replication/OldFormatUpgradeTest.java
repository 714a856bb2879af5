package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.server.Role;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Data directories written before histories had ids (log segment and snapshot format version 1,
 * member.json without "historyId") still open, and join one history: the primary starts it, the
 * secondary adopts it when its log matches the primary's.
 */
class OldFormatUpgradeTest extends ReplicaSetFixture {

    @Test
    void dataDirectoriesOfTheFirstFormatOpenAndJoinOneHistory() throws IOException {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        try (var connection = members.connect("m1")) {
            ok(connection.execute("ampiasao shop"));
            ok(connection.execute("manamboara tabilao t (id ISA(null,null), v LAHATSORATRA(null,null))"));
            ok(connection.execute("manampia ao@ t (id, v) sanda (1, 'kept')"));
        }
        awaitLsn("m2", 3);
        int m1Port = members.node("m1").port();
        int m2Port = members.node("m2").port();
        members.stop("m2");
        members.stop("m1"); // a clean stop takes a snapshot: it is rewritten with its content too
        for (String id : List.of("m1", "m2")) {
            rewriteAsFirstFormat(members.node(id).directory());
        }

        members.start("m1", Role.PRIMARY, null, m1Port);
        members.start("m2", Role.SECONDARY, null, m2Port);
        String history = members.heartbeat("m1").path("historyId").asText();
        assertThat(history).matches("[0-9a-f-]{36}");
        try (var connection = members.connect("m1")) {
            ok(connection.execute("ampiasao shop"));
            ok(connection.execute("manampia ao@ t (id, v) sanda (2, 'after the upgrade')"));
        }
        awaitLsn("m2", 4);
        assertThat(members.heartbeat("m2").path("historyId").asText()).isEqualTo(history);
        assertThat(members.rows("m2", "shop", "alaivo id, v ao@ t").toString())
                .isEqualTo("[[1, kept], [2, after the upgrade]]");
    }

    /** Rewrites every segment and snapshot header in format version 1 and drops the history from member.json. */
    static void rewriteAsFirstFormat(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory.resolve("wal"))) {
            for (Path segment : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                byte[] bytes = Files.readAllBytes(segment);
                ByteBuffer in = ByteBuffer.wrap(bytes);
                int magic = in.getInt();
                assertThat(in.getInt()).isEqualTo(2);
                long firstLsn = in.getLong();
                ByteBuffer out = ByteBuffer.allocate(bytes.length - 16);
                out.putInt(magic).putInt(1).putLong(firstLsn).put(bytes, 32, bytes.length - 32);
                Files.write(segment, out.array());
            }
        }
        try (Stream<Path> files = Files.list(directory.resolve("snapshots"))) {
            for (Path snapshot : files.filter(f -> f.toString().endsWith(".snap")).toList()) {
                byte[] bytes = Files.readAllBytes(snapshot);
                ByteBuffer in = ByteBuffer.wrap(bytes);
                int magic = in.getInt();
                assertThat(in.getInt()).isEqualTo(2);
                long lsn = in.getLong();
                long epoch = in.getLong();
                in.getLong();
                in.getLong(); // the history id
                long contentLength = in.getLong();
                int contentChecksum = in.getInt();
                ByteBuffer out = ByteBuffer.allocate(bytes.length - 16);
                out.putInt(magic).putInt(1).putLong(lsn).putLong(epoch).putLong(contentLength).putInt(contentChecksum);
                CRC32C crc = new CRC32C();
                crc.update(out.array(), 0, 36);
                out.putInt((int) crc.getValue()).put(bytes, 56, bytes.length - 56);
                Files.write(snapshot, out.array());
            }
        }
        Path state = directory.resolve("member.json");
        Files.writeString(state, Files.readString(state).replaceAll(",?\\s*\"historyId\" : \"[0-9a-f-]+\"", ""));
        assertThat(Files.readString(state)).doesNotContain("historyId");
    }
}
