package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.storage.LogRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplicationFramesTest {

    private static LogRecord record(long lsn, String text) {
        return new LogRecord(lsn, 2, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void batchesOfOneConnectionShareTheCompressorAndArriveIntact() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ReplicationFrames.BatchWriter writer = new ReplicationFrames.BatchWriter(new DataOutputStream(wire));
        long[] first;
        long[] second;
        for (int i = 1; i <= 50; i++) {
            writer.add(record(i, "manampia ao@ orders sanda (" + i + ", 'customer-" + (i % 7) + "')"));
        }
        first = writer.send(50, 1234);
        for (int i = 51; i <= 100; i++) {
            writer.add(record(i, "manampia ao@ orders sanda (" + i + ", 'customer-" + (i % 7) + "')"));
        }
        second = writer.send(100, 5678);
        ReplicationFrames.writeKeepalive(new DataOutputStream(wire), 100, 2);
        writer.close();

        assertThat(first[1]).isLessThan(first[0]);
        assertThat(second[1]).as("the second batch reuses what the first taught the compressor").isLessThan(first[1]);

        ReplicationFrames.FrameReader reader = new ReplicationFrames.FrameReader(
                new DataInputStream(new ByteArrayInputStream(wire.toByteArray())));
        ReplicationFrames.Batch a = (ReplicationFrames.Batch) reader.next();
        ReplicationFrames.Batch b = (ReplicationFrames.Batch) reader.next();
        ReplicationFrames.Keepalive keepalive = (ReplicationFrames.Keepalive) reader.next();
        assertThat(a.records()).hasSize(50);
        assertThat(a.writtenAtMillis()).isEqualTo(1234);
        assertThat(b.records().get(49).lsn()).isEqualTo(100);
        assertThat(new String(b.records().get(49).payload(), StandardCharsets.UTF_8)).isEqualTo(
                "manampia ao@ orders sanda (100, 'customer-2')");
        assertThat(b.records().get(0).epoch()).isEqualTo(2);
        assertThat(keepalive).isEqualTo(new ReplicationFrames.Keepalive(100, 2));
    }

    @Test
    void damagedFrameIsRejected() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ReplicationFrames.BatchWriter writer = new ReplicationFrames.BatchWriter(new DataOutputStream(wire));
        writer.add(record(1, "manamboara tahiry shop"));
        writer.send(1, 0);
        writer.close();
        byte[] bytes = wire.toByteArray();
        for (int i = 29; i < bytes.length; i++) {
            bytes[i] ^= 0x5A; // the compressed body
        }
        ReplicationFrames.FrameReader reader = new ReplicationFrames.FrameReader(
                new DataInputStream(new ByteArrayInputStream(bytes)));
        assertThatThrownBy(reader::next).isInstanceOf(IOException.class);
    }

    @Test
    void aRecordOfTheLargestSizeTheLogAcceptsShipsInAFullBatch() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ReplicationFrames.BatchWriter writer = new ReplicationFrames.BatchWriter(new DataOutputStream(wire));
        byte[] almostFull = new byte[ReplicationFrames.MAX_BATCH_BYTES - 100];
        writer.add(new LogRecord(1, 2, almostFull));
        byte[] largest = new byte[io.dirkdb.storage.Storage.MAX_RECORD_PAYLOAD_BYTES];
        new java.util.Random(7).nextBytes(largest); // incompressible: deflate makes it a little larger
        writer.add(new LogRecord(2, 2, largest));
        writer.send(2, 1);
        writer.close();
        ReplicationFrames.FrameReader reader = new ReplicationFrames.FrameReader(
                new DataInputStream(new ByteArrayInputStream(wire.toByteArray())));
        ReplicationFrames.Batch batch = (ReplicationFrames.Batch) reader.next();
        assertThat(batch.records()).hasSize(2);
        assertThat(batch.records().get(1).payload()).isEqualTo(largest);
    }
}
