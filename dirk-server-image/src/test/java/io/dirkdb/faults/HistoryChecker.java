package io.dirkdb.faults;

import io.dirkdb.faults.History.Event;
import io.dirkdb.faults.History.FinalRows;
import io.dirkdb.faults.History.Outcome;
import io.dirkdb.faults.History.Sample;
import io.dirkdb.faults.History.Write;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Judges a whole fault-run history against the data plane's promises. It never looks at how the
 * faults were made, only at what clients were told and what members hold:
 * <ol>
 * <li>every acknowledged write is on the final primary exactly once (in sync mode; in async mode a
 * failover may lose the last writes: those are counted apart, as lost by async failovers, not as lost);</li>
 * <li>nothing is held that no client ever sent, nothing twice, and no write refused before it ran;</li>
 * <li>no member acknowledged a write at an epoch older than one another member had already been
 * seen primary at before the write was sent;</li>
 * <li>never two members primary at the same epoch;</li>
 * <li>at the end one primary, and every member holds exactly its rows.</li>
 * </ol>
 */
final class HistoryChecker {

    /** The figures of a run and every broken promise, each a sentence naming it. */
    record Verdict(List<String> violations, long writes, long acknowledged, long failed, long unknown, long lost,
                   long lostInAsyncFailovers, long duplicated, long phantom, long staleEpochAcks, long reads, long faults,
                   List<Long> failoverGapsMillis, long twoPrimariesMillis) {
        boolean ok() {
            return violations.isEmpty();
        }

        long maxGapMillis() {
            return failoverGapsMillis.stream().mapToLong(Long::longValue).max().orElse(0);
        }

        String summary() {
            return "writes " + writes + ", acknowledged " + acknowledged + ", failed " + failed + ", unknown " + unknown
                    + ", lost " + lost + ", lost by async failovers (allowed) " + lostInAsyncFailovers
                    + ", duplicated " + duplicated + ", never written but read " + phantom
                    + ", acknowledged at a stale epoch " + staleEpochAcks + ", reads " + reads + ", faults " + faults
                    + ", failover gaps (ms) " + failoverGapsMillis + ", two members saying primary for "
                    + twoPrimariesMillis + " ms";
        }
    }

    /** Gaps between two acknowledged writes longer than this count as a failover gap. */
    static final long GAP_MILLIS = 1000;

    private final boolean acknowledgedWritesSurviveFailover;

    /** @param acknowledgedWritesSurviveFailover true in sync mode: a lost acknowledged write breaks a promise */
    HistoryChecker(boolean acknowledgedWritesSurviveFailover) {
        this.acknowledgedWritesSurviveFailover = acknowledgedWritesSurviveFailover;
    }

    Verdict check(List<Event> history) {
        List<String> violations = new ArrayList<>();
        List<Write> writes = history.stream().filter(Write.class::isInstance).map(Write.class::cast).toList();
        List<Sample> samples = history.stream().filter(Sample.class::isInstance).map(Sample.class::cast)
                .sorted(Comparator.comparingLong(Sample::nanos)).toList();
        List<FinalRows> finals = history.stream().filter(FinalRows.class::isInstance).map(FinalRows.class::cast)
                .toList();
        long faults = history.stream().filter(History.FaultEvent.class::isInstance).count();
        Map<Long, Write> sent = new HashMap<>();
        for (Write w : writes) {
            if (sent.put(w.value(), w) != null) {
                violations.add("the workload sent value " + w.value() + " twice: the history is not of unique writes");
            }
        }
        long acknowledged = writes.stream().filter(w -> w.outcome() == Outcome.OK).count();
        long failed = writes.stream().filter(w -> w.outcome() == Outcome.FAIL).count();
        long unknown = writes.stream().filter(w -> w.outcome() == Outcome.UNKNOWN).count();

        // The final primary, and what it holds.
        long lost = 0;
        long duplicated = 0;
        long phantom = 0;
        List<FinalRows> primaries = finals.stream().filter(f -> "primary".equals(f.role())).toList();
        FinalRows primary = primaries.stream().max(Comparator.comparingLong(FinalRows::epoch)).orElse(null);
        if (finals.isEmpty()) {
            violations.add("the history has no final rows: the run did not finish");
        } else if (primary == null) {
            violations.add("no member is primary at the end: " + describe(finals));
        } else if (primaries.size() > 1) {
            violations.add("two members say primary at the end: " + describe(finals));
        }
        if (primary != null && primary.values() == null) {
            violations.add("the final primary " + primary.member() + " could not be read: " + primary.error());
        } else if (primary != null) {
            Map<Long, Integer> counts = new HashMap<>();
            primary.values().forEach(v -> counts.merge(v, 1, Integer::sum));
            List<Long> lostValues = new ArrayList<>();
            for (Write w : writes) {
                int n = counts.getOrDefault(w.value(), 0);
                if (w.outcome() == Outcome.OK && n == 0) {
                    lost++;
                    lostValues.add(w.value());
                }
                if (w.outcome() == Outcome.FAIL && n > 0) {
                    violations.add("write " + w.value() + " by " + w.client() + " was refused before it ran (\""
                            + w.error() + "\") yet is on the final primary");
                }
            }
            if (lost > 0 && acknowledgedWritesSurviveFailover) {
                violations.add(lost + " acknowledged writes are not on the final primary " + primary.member()
                        + " (promise: in sync mode a failover never loses an acknowledged write); first ones: "
                        + lostValues.stream().limit(10).toList() + describeLoss(lostValues, sent));
            }
            for (Map.Entry<Long, Integer> e : counts.entrySet()) {
                if (e.getValue() > 1) {
                    duplicated++;
                }
                if (!sent.containsKey(e.getKey())) {
                    phantom++;
                }
            }
            if (duplicated > 0) {
                violations.add(duplicated + " values are on the final primary more than once (promise: each write "
                        + "applied once)");
            }
            if (phantom > 0) {
                violations.add(phantom + " values on the final primary were never written by any client");
            }
            // Converged: every member holds the primary's rows.
            List<Long> expected = primary.values().stream().sorted().toList();
            for (FinalRows f : finals) {
                if (f == primary) {
                    continue;
                }
                if (f.values() == null) {
                    violations.add("member " + f.member() + " (" + f.role() + ") could not be read at the end: "
                            + f.error() + " (promise: every member converges)");
                } else if (!f.values().stream().sorted().toList().equals(expected)) {
                    Set<Long> theirs = new HashSet<>(f.values());
                    Set<Long> ours = new HashSet<>(expected);
                    long missing = ours.stream().filter(v -> !theirs.contains(v)).count();
                    long extra = theirs.stream().filter(v -> !ours.contains(v)).count();
                    violations.add("member " + f.member() + " (" + f.role() + ", epoch " + f.epoch() + ", lsn "
                            + f.lsn() + ") did not converge with primary " + primary.member() + " (lsn "
                            + primary.lsn() + "): " + f.values().size() + " rows against " + expected.size() + ", "
                            + missing + " missing, " + extra + " extra");
                }
            }
        }

        // Nothing read that no client had sent by then, nor anything refused before it ran.
        long readPhantoms = 0;
        String firstReadPhantom = null;
        long reads = 0;
        for (History.Event e : history) {
            if (e instanceof History.Read read && read.values() != null) {
                reads++;
                for (long value : read.values()) {
                    Write w = sent.get(value);
                    if (w == null || w.invokeNanos() > read.completeNanos() || w.outcome() == Outcome.FAIL) {
                        readPhantoms++;
                        if (firstReadPhantom == null) {
                            firstReadPhantom = "value " + value + " read by " + read.client() + (w == null
                                    ? ", never sent" : w.outcome() == Outcome.FAIL ? ", whose write was refused (\""
                                    + w.error() + "\")" : ", sent only after the read");
                        }
                    }
                }
            }
        }
        if (readPhantoms > 0) {
            violations.add(readPhantoms + " values read during the run were never written (promise: nothing is read "
                    + "that was not written); first: " + firstReadPhantom);
        }
        phantom += readPhantoms;

        // Never two members primary at the same epoch.
        Map<Long, Set<String>> primariesByEpoch = new TreeMap<>();
        Map<Long, Long> firstSeenPrimary = new HashMap<>();
        Map<Long, String> memberOfEpoch = new HashMap<>();
        for (Sample s : samples) {
            if ("primary".equals(s.role()) && s.ready()) {
                primariesByEpoch.computeIfAbsent(s.epoch(), e -> new HashSet<>()).add(s.member());
                firstSeenPrimary.merge(s.epoch(), s.nanos(), Math::min);
                memberOfEpoch.putIfAbsent(s.epoch(), s.member());
            }
        }
        primariesByEpoch.forEach((epoch, who) -> {
            if (who.size() > 1) {
                violations.add("members " + new java.util.TreeSet<>(who) + " were each seen primary at epoch " + epoch
                        + " (promise: one primary per epoch)");
            }
        });

        // No acknowledgement at an epoch older than a primary already seen before the write was sent.
        Set<Long> staleValues = new HashSet<>();
        String firstStale = null;
        for (Write w : writes) {
            if (w.outcome() != Outcome.OK || w.member() == null || w.epochAfter() < 0) {
                continue;
            }
            for (Map.Entry<Long, Long> seen : firstSeenPrimary.entrySet()) {
                if (seen.getKey() > w.epochAfter() && seen.getValue() < w.invokeNanos()
                        && !w.member().equals(memberOfEpoch.get(seen.getKey()))) {
                    staleValues.add(w.value());
                    if (firstStale == null) {
                        firstStale = "write " + w.value() + " acknowledged by " + w.member() + " at epoch "
                                + w.epochAfter() + " " + millis(w.invokeNanos() - seen.getValue())
                                + " ms after " + memberOfEpoch.get(seen.getKey()) + " was seen primary at epoch "
                                + seen.getKey();
                    }
                    break;
                }
            }
        }
        // Two members accepting writes in turn: a write acknowledged by Y, then one sent later to X at an epoch not newer.
        List<Write> direct = writes.stream().filter(w -> w.outcome() == Outcome.OK && w.member() != null
                && w.epochAfter() >= 0).sorted(Comparator.comparingLong(Write::completeNanos)).toList();
        Map<String, Long> newestEpochAcked = new HashMap<>();
        int done = 0;
        List<Write> byInvoke = direct.stream().sorted(Comparator.comparingLong(Write::invokeNanos)).toList();
        for (Write later : byInvoke) {
            while (done < direct.size() && direct.get(done).completeNanos() < later.invokeNanos()) {
                Write earlier = direct.get(done++);
                newestEpochAcked.merge(earlier.member(), earlier.epochBefore(), Math::max);
            }
            for (Map.Entry<String, Long> other : newestEpochAcked.entrySet()) {
                if (!other.getKey().equals(later.member()) && other.getValue() >= later.epochAfter()) {
                    staleValues.add(later.value());
                    if (firstStale == null) {
                        firstStale = "write " + later.value() + " acknowledged by " + later.member() + " at epoch "
                                + later.epochAfter() + " after " + other.getKey() + " had acknowledged writes at epoch "
                                + other.getValue();
                    }
                    break;
                }
            }
        }
        long stale = staleValues.size();
        if (stale > 0) {
            violations.add(stale + " writes acknowledged by a member of an older epoch after a newer primary existed "
                    + "(promise: a member of an older epoch never takes a write); first: " + firstStale);
        }

        // In async mode a failover may lose the last acknowledged writes by design: said apart, never as a broken promise.
        long lostInAsync = acknowledgedWritesSurviveFailover ? 0 : lost;
        long lostAgainstPromise = acknowledgedWritesSurviveFailover ? lost : 0;
        return new Verdict(violations, writes.size(), acknowledged, failed, unknown, lostAgainstPromise, lostInAsync,
                duplicated, phantom, stale,
                reads, faults, gaps(writes), twoPrimariesMillis(samples));
    }

    private static String describeLoss(List<Long> lostValues, Map<Long, Write> sent) {
        Map<String, Long> byPath = lostValues.stream().map(sent::get)
                .collect(Collectors.groupingBy(w -> w.member() == null ? "through the proxy"
                        : "by " + w.member() + " at epoch " + w.epochBefore(), TreeMap::new, Collectors.counting()));
        return "; acknowledged " + byPath;
    }

    /** Gaps longer than {@link #GAP_MILLIS} between consecutive acknowledgements, in milliseconds. */
    private static List<Long> gaps(List<Write> writes) {
        List<Long> acks = writes.stream().filter(w -> w.outcome() == Outcome.OK).map(Write::completeNanos).sorted()
                .toList();
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < acks.size(); i++) {
            long gap = millis(acks.get(i) - acks.get(i - 1));
            if (gap > GAP_MILLIS) {
                gaps.add(gap);
            }
        }
        return gaps;
    }

    /** How long, summed over sampling rounds, two or more members said primary (of any epochs) at once. */
    private static long twoPrimariesMillis(List<Sample> samples) {
        Map<String, Boolean> primaryNow = new HashMap<>();
        long total = 0;
        long since = -1;
        for (Sample s : samples) {
            primaryNow.put(s.member(), "primary".equals(s.role()) && s.ready());
            long count = primaryNow.values().stream().filter(b -> b).count();
            if (count > 1 && since < 0) {
                since = s.nanos();
            } else if (count <= 1 && since >= 0) {
                total += s.nanos() - since;
                since = -1;
            }
        }
        return millis(total);
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private static String describe(List<FinalRows> finals) {
        return finals.stream().map(f -> f.member() + " " + f.role() + "@" + f.epoch() + " lsn " + f.lsn())
                .collect(Collectors.joining(", "));
    }
}
