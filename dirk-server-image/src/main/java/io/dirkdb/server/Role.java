package io.dirkdb.server;

import java.util.Locale;

/** The role of a member in its cluster. Only a primary accepts writes. */
public enum Role {
    PRIMARY,
    SECONDARY,
    /** Stepped down (or told to): refuses writes until promoted with a higher epoch. */
    FENCED;

    /** The name on the wire and in {@code member.json}: {@code primary}, {@code secondary}, {@code fenced}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role fromWireName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
