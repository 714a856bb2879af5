package io.dirkdb.client;

import java.util.Locale;

/** The commands the client handles itself, as in the original CLI. */
public enum ClientCommands {
    QUIT, CLEAR, HELP;

    /** The client command {@code text} is (a trailing {@code ;} allowed), or null for a statement. */
    public static ClientCommands of(String text) {
        String word = text.strip();
        if (word.endsWith(";")) {
            word = word.substring(0, word.length() - 1).strip();
        }
        switch (word.toLowerCase(Locale.ROOT)) {
            case "miala":
            case "mivaoka":
                return QUIT;
            case "diovy":
                return CLEAR;
            case "vonjy":
            case "?":
                return HELP;
            default:
                return null;
        }
    }

    /** The statements and clauses (from the catalogue the parser and the docs use too), then the client's own commands. */
    public static final String HELP_TEXT = io.dirkdb.sql.StatementCatalog.help()
            + "Client commands: miala or mivaoka (quit), diovy (clear the screen), vonjy or ? (this help).\n";
}
