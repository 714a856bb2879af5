package io.dirkdb.cli;

import io.dirkdb.DirkException;

/** The range rules of flag values, each worded once: {@code --flag: expected ..., got N}. */
final class OptionChecks {

    private OptionChecks() {
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new DirkException(message);
        }
    }

    /** @param flag the flag as the message names it (a command may put its own name in front) */
    static void port(String flag, int value) {
        require(value >= 0 && value <= 65535, flag + ": expected a port between 0 and 65535, got " + value);
    }

    static void atLeastOne(String flag, long value) {
        require(value >= 1, flag + ": expected at least 1, got " + value);
    }

    static void notNegative(String flag, long value) {
        require(value >= 0, flag + ": expected 0 or more, got " + value);
    }
}
