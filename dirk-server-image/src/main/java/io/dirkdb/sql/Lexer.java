package io.dirkdb.sql;

import io.dirkdb.DirkException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Splits statement text into tokens. Words are read whole (so {@code alaivoxyz} is one
 * identifier, never the keyword {@code alaivo} followed by {@code xyz}), {@code --} starts a
 * comment that runs to the end of the line, and numbers keep their kind: {@code 2} is a
 * {@link Long}, {@code 2.5} a {@link Double}.
 */
public final class Lexer {

    /**
     * Words that can never be identifiers. They are the ones that may follow a table name or an
     * expression, so reserving them is what lets {@code alaivo * ao@ t rehefa id=1} parse.
     */
    public static final Set<String> RESERVED = Set.of(
            "alaivo", "ao", "rehefa", "tonona", "ka", "vondrona", "fetra", "limit", "antso",
            "ankambana", "analana", "atifitra", "manampia", "sanda", "havaozy", "ova", "fafao",
            "manamboara", "ravao", "asehoy", "ampiasao", "ary", "na", "dia", "null");

    private static final List<String> TWO_CHAR_SYMBOLS = List.of("!=", "<=", ">=", "<>");
    private static final String ONE_CHAR_SYMBOLS = "*,().+-/=<>#@:^!;";

    private Lexer() {}

    public static boolean isReserved(String word) {
        return RESERVED.contains(word.toLowerCase(Locale.ROOT));
    }

    public static List<Token> tokenize(String text) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                while (i < n && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')) {
                    i++;
                }
                String word = text.substring(start, i);
                tokens.add(new Token(Token.Type.WORD, word, null, start, i));
            } else if (Character.isDigit(c)) {
                i = readNumber(text, i, tokens);
            } else if (c == '\'' || c == '"') {
                i = readString(text, i, tokens);
            } else {
                String two = i + 1 < n ? text.substring(i, i + 2) : "";
                if (TWO_CHAR_SYMBOLS.contains(two)) {
                    tokens.add(new Token(Token.Type.SYMBOL, two.equals("<>") ? "!=" : two, null, i, i + 2));
                    i += 2;
                } else if (ONE_CHAR_SYMBOLS.indexOf(c) >= 0) {
                    tokens.add(new Token(Token.Type.SYMBOL, String.valueOf(c), null, i, i + 1));
                    i++;
                } else {
                    throw new DirkException("unexpected character '" + c + "' at position " + (i + 1));
                }
            }
        }
        tokens.add(new Token(Token.Type.END, "", null, n, n));
        return tokens;
    }

    private static int readNumber(String text, int start, List<Token> tokens) {
        int n = text.length();
        int i = start;
        while (i < n && Character.isDigit(text.charAt(i))) {
            i++;
        }
        boolean decimal = false;
        if (i + 1 < n && text.charAt(i) == '.' && Character.isDigit(text.charAt(i + 1))) {
            decimal = true;
            i++;
            while (i < n && Character.isDigit(text.charAt(i))) {
                i++;
            }
        }
        if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (text.charAt(j) == '+' || text.charAt(j) == '-')) {
                j++;
            }
            if (j < n && Character.isDigit(text.charAt(j))) {
                decimal = true;
                i = j;
                while (i < n && Character.isDigit(text.charAt(i))) {
                    i++;
                }
            }
        }
        if (i < n && (Character.isLetter(text.charAt(i)) || text.charAt(i) == '_')) {
            throw new DirkException("invalid number '" + text.substring(start, i + 1) + "' at position " + (start + 1));
        }
        String literal = text.substring(start, i);
        Object value;
        if (decimal) {
            value = Double.parseDouble(literal);
        } else {
            try {
                value = Long.parseLong(literal);
            } catch (NumberFormatException e) {
                throw new DirkException("integer " + literal + " is too large (at most " + Long.MAX_VALUE + ")");
            }
        }
        tokens.add(new Token(Token.Type.NUMBER, literal, value, start, i));
        return i;
    }

    private static int readString(String text, int start, List<Token> tokens) {
        char quote = text.charAt(start);
        StringBuilder value = new StringBuilder();
        int n = text.length();
        int i = start + 1;
        while (true) {
            if (i >= n) {
                throw new DirkException("string starting at position " + (start + 1) + " is not closed");
            }
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < n) {
                char e = text.charAt(i + 1);
                value.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    case '0' -> '\0';
                    default -> e;
                });
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && text.charAt(i + 1) == quote) {
                    value.append(quote);
                    i += 2;
                } else {
                    i++;
                    break;
                }
            } else {
                value.append(c);
                i++;
            }
        }
        tokens.add(new Token(Token.Type.STRING, text.substring(start, i), value.toString(), start, i));
        return i;
    }
}
