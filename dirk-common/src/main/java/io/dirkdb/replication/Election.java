package io.dirkdb.replication;

/** The outcome of {@link FailoverPolicy#elect}: a member to promote, or why none may be. */
public sealed interface Election {

    /** Promote {@code member}, whose log ends at {@code lsn}, as primary of {@code newEpoch}. */
    record Promote(String member, long newEpoch, long lsn) implements Election {}

    /** No member may be promoted without breaking a promise; {@code reason} says which, for a person. */
    record NoSafeCandidate(String reason) implements Election {}
}
