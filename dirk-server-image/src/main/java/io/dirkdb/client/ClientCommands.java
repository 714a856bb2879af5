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

    public static final String HELP_TEXT = String.join("\n",
            "Statements end with ';' and may span several lines. Keywords are case-insensitive.",
            "  manamboara tahiry D;                      create a database",
            "  ampiasao D;                               use database D on this connection",
            "  manamboara tabilao T (c ISA(0,null), n LAHATSORATRA(1,40), d DATY);  create a table",
            "  manamboara efitra N (TANISA('a','b'));    create a domain (a named type)",
            "  manamboara jery V @ alaivo ...;           create a view",
            "  ravao ny tahiry|tabilao|efitra|jery X;    drop",
            "  asehoy ny tahiry|tabilao|efitra|jery;     list",
            "  alaivo cols #ao@ T [#tonona[:kind]@ T2 #ka cond] [#rehefa cond] [#vondrona c] [#fetra a b];",
            "                                            select (join, where, group by, limit)",
            "  ... #ankambana|#analana|#atifitra ...;    union, except, intersect",
            "  manampia ao@ T (c1, c2) sanda (v1, v2), (...);   insert",
            "  havaozy T ova c = expr [#rehefa cond];    update",
            "  fafao ao@ T [#rehefa cond];               delete",
            "  ary / na / !, dia null / dia tsy null     and / or / not, is null / is not null",
            "  -- text                                   a comment to the end of the line",
            "Client commands: miala or mivaoka (quit), diovy (clear the screen), vonjy or ? (this help).",
            "");
}
