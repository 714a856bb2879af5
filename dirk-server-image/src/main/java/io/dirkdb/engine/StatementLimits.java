package io.dirkdb.engine;

import java.time.Duration;

/**
 * What one statement may use: rows built (joins, projections, groups, set operations, rows a write
 * changes), an estimate of the bytes they take (8 bytes a value plus the text of projected rows,
 * and the size of a write's log record), and time. A statement past a limit fails with
 * {@code statement exceeded N rows|bytes|ms}, changes nothing, and the member goes on serving.
 */
public record StatementLimits(long maxRows, long maxBytes, Duration maxTime) {
    public static final long DEFAULT_MAX_ROWS = 1_000_000;
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    public static final Duration DEFAULT_MAX_TIME = Duration.ofSeconds(30);
    public static final StatementLimits DEFAULTS = new StatementLimits(DEFAULT_MAX_ROWS, DEFAULT_MAX_BYTES,
            DEFAULT_MAX_TIME);

    public StatementLimits {
        if (maxRows < 1 || maxBytes < 1 || maxTime.isNegative() || maxTime.isZero()) {
            throw new IllegalArgumentException("statement limits must be positive");
        }
    }
}
