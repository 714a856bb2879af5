package io.dirkdb.replication;

/**
 * What a supervisor (the local one of {@code dirk demo}, or the operator) knows of one member
 * at a moment: whether it runs, how many heartbeats in a row it missed, and what its last
 * answered heartbeat said.
 *
 * @param member           the member's name
 * @param running          false when its process or pod is gone or not ready
 * @param missedHeartbeats heartbeats missed in a row since the last answer
 * @param role             the role of its last answer: primary, secondary or fenced ("" if never answered)
 * @param epoch            the epoch of its last answer
 * @param lsn              the last LSN of its last answer
 * @param diverged         true when it reported a log that went past the current primary's history
 */
public record MemberObservation(
        String member, boolean running, int missedHeartbeats, String role, long epoch, long lsn, boolean diverged) {

    public boolean answering() {
        return running && missedHeartbeats == 0 && !role.isEmpty();
    }
}
