package io.dirkdb.protocol;

/**
 * The words a member's write refusals carry, shared by the member that says them and the proxy that reads them.
 * Some refusals come before the write touched anything (the member is not primary, its lease ran out before the
 * write began, it is an empty primary still waiting to hear its peers): such a write may be sent again, to this
 * member or another. One refused after it was logged ({@link #OUTCOME_UNKNOWN}) may not: it may be committed.
 */
public final class WriteRefusals {

    /** A member that is not (or no longer) primary. */
    public static final String NOT_PRIMARY = "writes go to the primary";
    /** How a refusal for an expired primary lease begins. */
    public static final String LEASE_EXPIRED = "primary lease expired";
    /** How an empty primary waiting for its peers begins its refusal. */
    public static final String EMPTY_PRIMARY_WAITING = "empty primary: waiting for ";
    /** Said of a write that is durable on the member but was not acknowledged. */
    public static final String OUTCOME_UNKNOWN = "its outcome is unknown";

    private WriteRefusals() {}

    /**
     * Whether a member's error {@code message} (as sent, with or without {@link Frames#ERROR_PREFIX}) says the write
     * was refused before anything was applied.
     */
    public static boolean appliedNothing(String message) {
        String text = unprefixed(message);
        if (text == null || text.contains(OUTCOME_UNKNOWN)) {
            return false;
        }
        return text.contains(NOT_PRIMARY) || text.startsWith(LEASE_EXPIRED) || text.startsWith(EMPTY_PRIMARY_WAITING);
    }

    /** Whether the refusal is one the same member may lift on its own soon (a lease renewal, its peers answering). */
    public static boolean passing(String message) {
        return appliedNothing(message) && !unprefixed(message).contains(NOT_PRIMARY);
    }

    private static String unprefixed(String message) {
        return message != null && message.startsWith(Frames.ERROR_PREFIX)
                ? message.substring(Frames.ERROR_PREFIX.length()) : message;
    }
}
