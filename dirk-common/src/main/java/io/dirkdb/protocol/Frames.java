package io.dirkdb.protocol;

/** The line markers of a reply, exactly as the original DirkDB server sends them. */
public final class Frames {
    private Frames() {}

    public static final String PAGE = "RELATION_JSON_PAGE";
    public static final String RELATION_END = "RELATION_JSON_END";
    public static final String MESSAGE = "RESULT_MESSAGE";
    public static final String END = "END";
    /** The message that follows the pages of a relation. */
    public static final String RELATION_DONE = "OK";
    /** Prefix of the message line of an error reply. */
    public static final String ERROR_PREFIX = "Hadisoana : ";
    /** Rows per {@code RELATION_JSON_PAGE}. */
    public static final int ROWS_PER_PAGE = 20;
}
