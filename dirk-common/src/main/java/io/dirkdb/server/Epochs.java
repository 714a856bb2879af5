package io.dirkdb.server;

import io.dirkdb.DirkException;

/**
 * The bounds every epoch must keep. An epoch only comes from a promotion; one far above what the
 * cluster has seen can only be forged or corrupt, and taking it would poison the member for good
 * (every later promotion must exceed it), so it is refused wherever it arrives.
 */
public final class Epochs {
    /** A promotion may raise the epoch by at most this much over the highest epoch seen. */
    public static final long MAX_STEP = 1_000_000;
    /** No epoch above this is ever taken: 2^53, exact in any JSON reader, and epoch + 1 never overflows. */
    public static final long MAX = 1L << 53;

    private Epochs() {}

    /** True if a peer may tell a member that has seen {@code highestSeen} about {@code epoch}. */
    public static boolean plausible(long epoch, long highestSeen) {
        return epoch >= 0 && epoch <= MAX && epoch - Math.min(highestSeen, MAX) <= MAX_STEP;
    }

    /** @throws DirkException unless {@code epoch} is a plausible epoch for a member that has seen {@code highestSeen} */
    public static void checkPlausible(String what, long epoch, long highestSeen) {
        if (!plausible(epoch, highestSeen)) {
            throw new DirkException(what + " epoch " + epoch + " is out of range: epochs go at most " + MAX_STEP
                    + " above the highest one seen (" + highestSeen + ") and never above " + MAX);
        }
    }

    /** The epoch after {@code highestSeen}, refusing to go past {@link #MAX}. */
    public static long next(long highestSeen) {
        if (highestSeen < 0 || highestSeen >= MAX) {
            throw new DirkException("no epoch follows " + highestSeen + ": epochs end at " + MAX);
        }
        return Math.addExact(highestSeen, 1);
    }
}
