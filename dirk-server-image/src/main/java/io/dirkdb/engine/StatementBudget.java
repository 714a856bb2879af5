package io.dirkdb.engine;

import io.dirkdb.DirkException;

/** What one running statement has used of its {@link StatementLimits}; one thread, one statement. */
final class StatementBudget {
    /** For work that must finish whatever it costs (nothing of a user's statement). */
    static final StatementBudget UNLIMITED = new StatementBudget(null);

    /** The time is read once per this many steps: cheap enough for the innermost loops. */
    private static final int STEPS_PER_CLOCK_READ = 1024;

    private final StatementLimits limits;
    private final long deadlineNanos;
    private long rows;
    private long bytes;
    private int steps;

    private StatementBudget(StatementLimits limits) {
        this.limits = limits;
        this.deadlineNanos = limits == null ? 0 : System.nanoTime() + limits.maxTime().toNanos();
    }

    static StatementBudget start(StatementLimits limits) {
        return new StatementBudget(limits);
    }

    /** One unit of work (a row scanned, a pair of rows tried). */
    void step() {
        if (limits != null && ++steps % STEPS_PER_CLOCK_READ == 0 && System.nanoTime() - deadlineNanos > 0) {
            throw new DirkException("statement exceeded " + limits.maxTime().toMillis() + " ms (--statement-timeout-ms); "
                    + "it was stopped and changed nothing");
        }
    }

    /** A row the statement built, {@code width} values wide. */
    void row(int width) {
        if (limits == null) {
            return;
        }
        if (++rows > limits.maxRows()) {
            throw new DirkException("statement exceeded " + limits.maxRows() + " rows (--statement-max-rows); "
                    + "narrow it with #rehefa, #ka or #fetra");
        }
        bytes(16 + 8L * width);
        step();
    }

    /** A row built that carries its values' text as well (a projected row, sent or stored). */
    void projectedRow(Object[] row) {
        if (limits == null) {
            return;
        }
        long text = 0;
        for (Object value : row) {
            if (value instanceof String s) {
                text += s.length();
            }
        }
        row(row.length);
        bytes(text);
    }

    void bytes(long more) {
        if (limits == null) {
            return;
        }
        bytes += more;
        if (bytes > limits.maxBytes()) {
            throw new DirkException("statement exceeded " + limits.maxBytes() + " bytes (--statement-max-bytes); "
                    + "narrow it or split it into smaller statements");
        }
    }
}
