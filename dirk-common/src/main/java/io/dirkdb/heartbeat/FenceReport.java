package io.dirkdb.heartbeat;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a member answers to {@code dirk fence;}: the epoch it was fenced at, where its log ends and
 * the highest LSN it acknowledged to a client. The answer comes once no acknowledgement is pending,
 * so these figures are final; a failover must not promote a member behind {@code acknowledgedLsn}.
 */
public record FenceReport(long epoch, long logEnd, long acknowledgedLsn) {
    private static final Pattern ANSWER = Pattern.compile(
            "fenced at epoch (\\d+): writes are refused; log ends at LSN (\\d+), acknowledged up to LSN (\\d+)");

    /** The answer's text, e.g. {@code fenced at epoch 2: writes are refused; log ends at LSN 9, acknowledged up to LSN 8}. */
    public String message() {
        return "fenced at epoch " + epoch + ": writes are refused; log ends at LSN " + logEnd
                + ", acknowledged up to LSN " + acknowledgedLsn;
    }

    /** Reads an answer to {@code dirk fence;}; empty for a member too old to say its figures. */
    public static Optional<FenceReport> parse(String answer) {
        if (answer == null) {
            return Optional.empty();
        }
        Matcher m = ANSWER.matcher(answer);
        if (!m.find()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new FenceReport(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    Long.parseLong(m.group(3))));
        } catch (NumberFormatException e) {
            return Optional.empty(); // beyond a long: not an answer we can trust
        }
    }
}
