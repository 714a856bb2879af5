package io.dirkdb.sql;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The statements and clauses of the language as data ({@code statements.tsv} next to this class), so the parser's
 * "expected ..." message, the client's help and the table in docs/language.md say the same thing.
 */
public final class StatementCatalog {
    /**
     * One statement form or clause.
     *
     * @param firstWord the word a statement starts with, or null for a clause or an operator
     * @param syntax    how it is written
     * @param sql       its SQL equivalent (markdown, for the docs)
     * @param meaning   a few words for the client's help
     */
    public record Entry(String firstWord, String syntax, String sql, String meaning) {}

    private static final List<Entry> ENTRIES = load();

    private StatementCatalog() {}

    public static List<Entry> entries() {
        return ENTRIES;
    }

    /** The words a statement may start with, in the catalogue's order. */
    public static List<String> firstWords() {
        Set<String> words = new LinkedHashSet<>();
        for (Entry entry : ENTRIES) {
            if (entry.firstWord() != null) {
                words.add(entry.firstWord());
            }
        }
        return List.copyOf(words);
    }

    /** "a, b or c". */
    static String either(List<String> words) {
        return words.size() == 1 ? words.get(0)
                : String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
    }

    /** The client's help: every entry's syntax and meaning, aligned. */
    public static String help() {
        StringBuilder text = new StringBuilder("Statements end with ';' and may span several lines. Keywords are "
                + "case-insensitive.\n");
        for (Entry entry : ENTRIES) {
            String syntax = "  " + entry.syntax();
            if (syntax.length() > 44) {
                text.append(syntax).append('\n').append(" ".repeat(46));
            } else {
                text.append(String.format(Locale.ROOT, "%-46s", syntax));
            }
            text.append(entry.meaning()).append('\n');
        }
        return text.toString();
    }

    /** The table of docs/language.md: syntax, then SQL. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| DirkDB | SQL |\n|---|---|\n");
        for (Entry entry : ENTRIES) {
            table.append("| `").append(entry.syntax().replace("|", "\\|")).append("` | ").append(entry.sql())
                    .append(" |\n");
        }
        return table.toString();
    }

    private static List<Entry> load() {
        try (InputStream in = StatementCatalog.class.getResourceAsStream("statements.tsv")) {
            if (in == null) {
                throw new IllegalStateException("statements.tsv is missing from the class path");
            }
            List<Entry> entries = new ArrayList<>();
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] fields = line.split("\t", -1);
                if (fields.length != 4) {
                    throw new IllegalStateException("statements.tsv: expected 4 tab-separated fields in: " + line);
                }
                entries.add(new Entry(fields[0].equals("-") ? null : fields[0], fields[1], fields[2], fields[3]));
            }
            return List.copyOf(entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
