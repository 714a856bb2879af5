package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.storage.LogRecord;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Log payloads carry the primary's commit time (version 2), never going backwards; version 1 payloads still read. */
class CommitTimeTest {

    @Test
    void everyRecordCarriesACommitTimeThatNeverGoesBackwards() throws Exception {
        RecordingJournal journal = new RecordingJournal();
        Engine engine = Engine.withJournal(journal);
        Session session = new Session();
        long before = System.currentTimeMillis();
        engine.execute(session, "manamboara tahiry shop");
        engine.execute(session, "ampiasao shop");
        engine.execute(session, "manamboara tabilao t(id ISA(null,null))");
        long previous = 0;
        for (LogRecord record : journal.records) {
            long time = Engine.commitTimeMillis(record.payload());
            assertThat(time).isBetween(before, System.currentTimeMillis()).isGreaterThanOrEqualTo(previous);
            previous = time;
        }
        // A record received from a primary whose clock is an hour ahead: later local commits are not earlier than it.
        long ahead = System.currentTimeMillis() + 3_600_000;
        engine.applyReplicated(new LogRecord(engine.lastLsn() + 1, 1,
                ChangeCodec.encode(new Change.CreateDatabase("other"), ahead)));
        engine.execute(session, "manampia ao@ t (id) sanda (1)");
        LogRecord last = journal.records.get(journal.records.size() - 1);
        assertThat(Engine.commitTimeMillis(last.payload())).isGreaterThanOrEqualTo(ahead);
    }

    @Test
    void aVersionOnePayloadIsStillReadAndHasNoCommitTime() throws Exception {
        // Version 2 with time 0 is [2][0][change]; version 1 is [1][change] (zig-zag varints: 2 -> 0x04, 1 -> 0x02).
        byte[] current = ChangeCodec.encode(new Change.CreateDatabase("legacy"), 0);
        assertThat(current[0]).isEqualTo((byte) 0x04);
        assertThat(current[1]).isEqualTo((byte) 0x00);
        byte[] old = new byte[current.length - 1];
        old[0] = 0x02;
        System.arraycopy(current, 2, old, 1, current.length - 2);
        assertThat(Engine.commitTimeMillis(old)).isEqualTo(-1);
        assertThat(ChangeCodec.decode(old)).isEqualTo(new Change.CreateDatabase("legacy"));
        Engine engine = Engine.withJournal(new RecordingJournal());
        engine.applyReplicated(new LogRecord(1, 1, old));
        assertThat(((Result.Relation) engine.execute(new Session(), "asehoy ny tahiry")).rows())
                .isEqualTo(List.of(List.of("legacy")));
        assertThat(Arrays.equals(old, current)).isFalse();
    }
}
