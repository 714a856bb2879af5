package io.dirkdb.sql;

import io.dirkdb.DirkException;

/** Turns the text of one request (without its closing {@code ;}) into a syntax tree. */
public final class Parser {
    private Parser() {}

    /**
     * Parses one statement.
     *
     * @throws DirkException with a message for the user when the text is not valid DirkDB
     */
    public static Statement parse(String text) {
        throw new UnsupportedOperationException("parser not written yet");
    }
}
