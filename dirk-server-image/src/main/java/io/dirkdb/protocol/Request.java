package io.dirkdb.protocol;

/** One request cut from the byte stream by a {@link RequestScanner}. */
public sealed interface Request permits Request.Text, Request.Rejected {

    /** A complete statement, decoded from UTF-8, without its closing {@code ;}. */
    record Text(String text) implements Request {}

    /**
     * A request that cannot be run (too large, not UTF-8). The scanner has already skipped it up
     * to its closing {@code ;}, so the connection goes on with the next request.
     */
    record Rejected(String reason) implements Request {}
}
