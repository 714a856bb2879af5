package io.dirkdb.sql;

/**
 * One lexical unit. {@code start} and {@code end} are offsets into the statement text, so the
 * parser can quote the exact source of an expression (column headers) or of a view's query.
 */
public record Token(Type type, String text, Object value, int start, int end) {

    public enum Type {
        /** A keyword or identifier; {@link #text} is the word as written. */
        WORD,
        /** An integer ({@link Long}) or decimal ({@link Double}) literal; {@link #value} holds it. */
        NUMBER,
        /** A quoted string; {@link #value} holds it with escapes resolved. */
        STRING,
        /** Punctuation or an operator; {@link #text} is its spelling. */
        SYMBOL,
        END
    }

    public boolean isWord(String word) {
        return type == Type.WORD && text.equalsIgnoreCase(word);
    }

    public boolean isSymbol(String symbol) {
        return type == Type.SYMBOL && text.equals(symbol);
    }

    /** How the token reads in an error message. */
    public String describe() {
        return switch (type) {
            case END -> "the end of the statement";
            case STRING -> "'" + value + "'";
            default -> "'" + text + "'";
        };
    }
}
