package io.dirkdb.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import io.dirkdb.client.ClientCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** One catalogue of statements feeds the parser's errors, the client's help and the docs; these keep them in step. */
class StatementCatalogTest {
    private static final Path LANGUAGE_PAGE = Path.of("../docs/language.md");
    private static final String BEGIN = "<!-- statements: generated from";
    private static final String END = "<!-- end of statements -->";

    @Test
    void theParserKnowsEveryFirstWordOfTheCatalogueAndNamesExactlyThoseWhenAStatementIsUnknown() {
        for (String word : StatementCatalog.firstWords()) {
            try {
                Parser.parse(word);
            } catch (DirkException e) {
                assertThat(e.getMessage()).as("what the parser says of a bare '%s'", word)
                        .doesNotStartWith("unknown statement");
            }
        }
        assertThatThrownBy(() -> Parser.parse("misafidy x"))
                .hasMessage("unknown statement starting with 'misafidy'; expected "
                        + "alaivo, manampia, havaozy, fafao, manamboara, ravao, asehoy or ampiasao");
    }

    @Test
    void theClientsHelpShowsEveryEntry() {
        for (StatementCatalog.Entry entry : StatementCatalog.entries()) {
            assertThat(ClientCommands.HELP_TEXT).contains(entry.syntax()).contains(entry.meaning());
        }
        assertThat(ClientCommands.HELP_TEXT).contains("miala or mivaoka (quit)");
    }

    /** With -Ddirk.language.record=true the table in docs/language.md is written from the catalogue. */
    @Test
    void theLanguagePageHoldsTheCataloguesTable() throws IOException {
        String page = Files.readString(LANGUAGE_PAGE);
        int begin = page.indexOf(BEGIN);
        int end = page.indexOf(END);
        assertThat(begin).as("docs/language.md marks where the catalogue's table goes").isNotNegative();
        int tableStart = page.indexOf('\n', begin) + 1;
        String table = StatementCatalog.markdownTable();
        if (Boolean.getBoolean("dirk.language.record")) {
            Files.writeString(LANGUAGE_PAGE, page.substring(0, tableStart) + table + page.substring(end));
            return;
        }
        assertThat(page.substring(tableStart, end)).as("the table in docs/language.md (regenerate it with "
                + "-Ddirk.language.record=true)").isEqualTo(table);
    }
}
