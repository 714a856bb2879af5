package io.dirkdb.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.faults.History.Event;
import io.dirkdb.faults.History.FinalRows;
import io.dirkdb.faults.History.Outcome;
import io.dirkdb.faults.History.Sample;
import io.dirkdb.faults.History.Write;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker says no to each broken promise, on histories written by hand. */
class HistoryCheckerTest {
    private static final long MS = 1_000_000;

    private static Write ok(long value, long at) {
        return new Write("p1", value, at * MS, (at + 1) * MS, Outcome.OK, null, -1, -1, null);
    }

    private static Write direct(long value, long at, String member, long epochBefore, long epochAfter) {
        return new Write("d1", value, at * MS, (at + 1) * MS, Outcome.OK, member, epochBefore, epochAfter, null);
    }

    private static FinalRows rows(String member, String role, long epoch, Long... values) {
        return new FinalRows(member, role, epoch, values.length, List.of(values), null);
    }

    private static HistoryChecker.Verdict check(List<Event> history) {
        return new HistoryChecker(true).check(history);
    }

    private static List<Event> healthy() {
        List<Event> history = new ArrayList<>();
        history.add(new Sample(0, "m1", "primary", 1, 0, true));
        history.add(ok(1, 10));
        history.add(ok(2, 20));
        history.add(rows("m1", "primary", 1, 1L, 2L));
        history.add(rows("m2", "secondary", 1, 1L, 2L));
        return history;
    }

    @Test
    void acceptsAHistoryThatKeptEveryPromise() {
        HistoryChecker.Verdict verdict = check(healthy());
        assertThat(verdict.violations()).isEmpty();
        assertThat(verdict.acknowledged()).isEqualTo(2);
    }

    @Test
    void reportsAnAcknowledgedWriteMissingFromTheFinalPrimary() {
        List<Event> history = healthy();
        history.add(ok(3, 30));
        HistoryChecker.Verdict verdict = check(history);
        assertThat(verdict.lost()).isEqualTo(1);
        assertThat(verdict.violations()).anyMatch(v -> v.contains("1 acknowledged writes are not on the final primary"));
        assertThat(verdict.lostInAsyncFailovers()).isZero();
        HistoryChecker.Verdict async = new HistoryChecker(false).check(history);
        assertThat(async.violations()).as("async mode may lose the last writes").isEmpty();
    }

    /** Async losses are by design, but said apart: never counted as a broken promise, never hidden. */
    @Test
    void asyncLossesAreReportedApartFromBrokenPromises() {
        List<Event> history = healthy();
        history.add(ok(3, 30));
        HistoryChecker.Verdict async = new HistoryChecker(false).check(history);
        assertThat(async.lost()).as("lost against a promise").isZero();
        assertThat(async.lostInAsyncFailovers()).isEqualTo(1);
        assertThat(async.summary()).contains("lost 0").contains("lost by async failovers (allowed) 1");
    }

    @Test
    void reportsAValueHeldTwiceAndAValueNoClientSent() {
        List<Event> history = healthy();
        history.removeIf(FinalRows.class::isInstance);
        history.add(rows("m1", "primary", 1, 1L, 2L, 2L, 99L));
        history.add(rows("m2", "secondary", 1, 1L, 2L, 2L, 99L));
        HistoryChecker.Verdict verdict = check(history);
        assertThat(verdict.duplicated()).isEqualTo(1);
        assertThat(verdict.phantom()).isEqualTo(1);
        assertThat(verdict.violations()).hasSize(2);
    }

    @Test
    void reportsAReadOfAValueNoClientHadSent() {
        List<Event> history = healthy();
        history.add(new History.Read("r1", 30 * MS, 31 * MS, List.of(1L, 2L), null));
        assertThat(check(history).violations()).isEmpty();
        history.add(new History.Read("r1", 32 * MS, 33 * MS, List.of(2L, 77L), null));
        assertThat(check(history).violations()).anyMatch(v -> v.contains("value 77 read by r1, never sent"));
        history.add(new Write("p1", 5, 40 * MS, 41 * MS, Outcome.UNKNOWN, null, -1, -1, "timeout"));
        history.add(new History.Read("r1", 34 * MS, 35 * MS, List.of(5L), null));
        assertThat(check(history).phantom()).as("77, and 5 read before it was sent").isEqualTo(2);
    }

    @Test
    void reportsARefusedWriteThatWasAppliedAnyway() {
        List<Event> history = healthy();
        history.add(new Write("p1", 3, 30 * MS, 31 * MS, Outcome.FAIL, null, -1, -1, "writes go to the primary"));
        history.removeIf(FinalRows.class::isInstance);
        history.add(rows("m1", "primary", 1, 1L, 2L, 3L));
        history.add(rows("m2", "secondary", 1, 1L, 2L, 3L));
        assertThat(check(history).violations()).anyMatch(v -> v.contains("was refused before it ran"));
    }

    @Test
    void reportsAMemberThatDidNotConverge() {
        List<Event> history = healthy();
        history.removeIf(f -> f instanceof FinalRows r && r.member().equals("m2"));
        history.add(rows("m2", "secondary", 1, 1L));
        assertThat(check(history).violations()).anyMatch(v -> v.contains("m2") && v.contains("did not converge"));
    }

    @Test
    void reportsNoPrimaryOrTwoPrimariesAtTheEnd() {
        List<Event> none = healthy();
        none.removeIf(f -> f instanceof FinalRows r && r.member().equals("m1"));
        assertThat(check(none).violations()).anyMatch(v -> v.contains("no member is primary at the end"));
        List<Event> two = healthy();
        two.removeIf(f -> f instanceof FinalRows r && r.member().equals("m2"));
        two.add(rows("m2", "primary", 2, 1L, 2L));
        assertThat(check(two).violations()).anyMatch(v -> v.contains("two members say primary at the end"));
    }

    @Test
    void reportsTwoMembersPrimaryAtTheSameEpoch() {
        List<Event> history = healthy();
        history.add(new Sample(5 * MS, "m2", "primary", 1, 0, true));
        assertThat(check(history).violations()).anyMatch(v -> v.contains("[m1, m2] were each seen primary at epoch 1"));
    }

    @Test
    void reportsAWriteAcknowledgedByAnOlderEpochAfterANewerPrimaryWasSeen() {
        List<Event> history = healthy();
        history.add(new Sample(40 * MS, "m2", "primary", 2, 0, true));
        history.add(direct(3, 50, "m1", 1, 1));
        history.removeIf(FinalRows.class::isInstance);
        history.add(rows("m2", "primary", 2, 1L, 2L, 3L));
        history.add(rows("m1", "fenced", 1, 1L, 2L, 3L));
        HistoryChecker.Verdict verdict = check(history);
        assertThat(verdict.staleEpochAcks()).isEqualTo(1);
        assertThat(verdict.violations()).anyMatch(v -> v.contains("acknowledged by a member of an older epoch"));
    }

    @Test
    void reportsTwoMembersAcknowledgingInTurnWithoutANewerEpoch() {
        List<Event> history = healthy();
        history.add(direct(3, 30, "m2", 2, 2));
        history.add(direct(4, 40, "m1", 1, 1)); // m1 takes a write after m2 took one at epoch 2: no sample needed
        history.removeIf(FinalRows.class::isInstance);
        history.add(rows("m2", "primary", 2, 1L, 2L, 3L, 4L));
        history.add(rows("m1", "fenced", 1, 1L, 2L, 3L, 4L));
        assertThat(check(history).staleEpochAcks()).isEqualTo(1);
    }

    @Test
    void readsBackAHistoryFileAsWritten(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("history.jsonl");
        try (History.Recorder recorder = new History.Recorder(file)) {
            healthy().forEach(recorder::record);
            recorder.record(new History.FaultEvent(7, "KILL of m1"));
        }
        List<Event> read = History.read(file);
        assertThat(read).hasSize(6).contains(ok(1, 10), new History.FaultEvent(7, "KILL of m1"));
        assertThat(Files.readAllLines(file).get(1)).contains("\"type\":\"write\"");
    }
}
