package io.dirkdb.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A list of faults drawn from a seed: the same seed gives the same kinds, targets (by role: the
 * primary, the n-th secondary, the proxy), durations and quiet periods, so a failing run is
 * replayed with {@code -Ddirk.faults.seed=SEED}. Which member a role names is decided when the
 * fault is applied, from the primary the control node last sampled.
 */
record FaultSchedule(long seed, List<Step> steps) {

    enum Kind {
        /** SIGKILL, restarted after the hold. */
        KILL,
        /** SIGSTOP, SIGCONT after the hold. */
        PAUSE,
        /** The target cannot reach the other members, nor they it. */
        PARTITION_FROM_MEMBERS,
        /** The target and the supervisor cannot reach each other; clients still reach it. */
        PARTITION_FROM_SUPERVISOR,
        /** The target reaches no one: other members, supervisor, clients, proxy. */
        ISOLATE,
        /** The target's data directory (a tmpfs) is filled to the last byte; the filler is removed after the hold. */
        DISK_FULL,
        /** Every fsync of the target's log takes 1500 ms (the storage's test-only seam) until the hold ends. */
        SLOW_FSYNC,
        /** SIGKILL of the proxy, restarted after the hold. */
        KILL_PROXY,
        /** SIGSTOP of the proxy, SIGCONT after the hold. */
        PAUSE_PROXY;

        boolean needsNamespaces() {
            return this == PARTITION_FROM_MEMBERS || this == PARTITION_FROM_SUPERVISOR || this == ISOLATE;
        }

        boolean needsTmpfs() {
            return this == DISK_FULL;
        }

        boolean targetsProxy() {
            return this == KILL_PROXY || this == PAUSE_PROXY;
        }
    }

    /** Who a fault hits: the primary, or the secondary at {@code index} modulo their number. */
    enum Role { PRIMARY, SECONDARY }

    /** One fault: held for {@code holdMillis}, then healed, then {@code quietMillis} without fault. */
    record Step(Kind kind, Role role, int index, long holdMillis, long quietMillis) {
        String describe() {
            return kind + (kind.targetsProxy() ? "" : " of the " + (role == Role.PRIMARY ? "primary" : "secondary #" + index))
                    + " for " + holdMillis + " ms, then " + quietMillis + " ms quiet";
        }
    }

    /** The seed: {@code -Ddirk.faults.seed} when set, else a new one. */
    static long seedFromProperty() {
        String given = System.getProperty("dirk.faults.seed");
        return given == null || given.isBlank() ? new Random().nextLong() : Long.parseLong(given.strip());
    }

    /**
     * Draws {@code count} faults among {@code kinds}, each held between {@code minHold} and
     * {@code maxHold} ms, with {@code minQuiet} to {@code maxQuiet} ms of calm after it.
     */
    static FaultSchedule draw(long seed, List<Kind> kinds, int count, long minHold, long maxHold, long minQuiet,
                              long maxQuiet) {
        Random random = new Random(seed);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Kind kind = kinds.get(random.nextInt(kinds.size()));
            Role role = random.nextInt(3) == 0 ? Role.SECONDARY : Role.PRIMARY;
            steps.add(new Step(kind, role, random.nextInt(8), between(random, minHold, maxHold),
                    between(random, minQuiet, maxQuiet)));
        }
        return new FaultSchedule(seed, steps);
    }

    private static long between(Random random, long min, long max) {
        return min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0);
    }
}
