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

    /**
     * Why no session runs this request, in the words the client is told (the scanner's reason, or
     * an empty statement); null when it is a statement to run. Member, proxy and cache all answer so.
     */
    default String refusal() {
        if (this instanceof Rejected rejected) {
            return rejected.reason();
        }
        return RequestScanner.isBlank(((Text) this).text()) ? "empty statement" : null;
    }
}
