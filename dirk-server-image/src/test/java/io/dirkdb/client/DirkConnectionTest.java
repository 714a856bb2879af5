package io.dirkdb.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DirkConnectionTest {

    private static String frame(String statement) {
        return new String(DirkConnection.frame(statement), StandardCharsets.UTF_8);
    }

    @Test
    void statementWithoutSemicolonGetsOne() {
        assertThat(frame("alaivo * #ao@ t")).isEqualTo("alaivo * #ao@ t\n;");
    }

    @Test
    void statementWithItsSemicolonIsSentAsIs() {
        assertThat(frame("alaivo 'a;b' #ao@ t;")).isEqualTo("alaivo 'a;b' #ao@ t;");
    }

    @Test
    void trailingCommentCannotHideTheSemicolon() {
        assertThat(frame("alaivo 1 -- why")).isEqualTo("alaivo 1 -- why\n;");
    }

    @Test
    void quoteLeftOpenIsRefusedInsteadOfHangingTheConnection() {
        assertThatThrownBy(() -> DirkConnection.frame("say 'abc")).isInstanceOf(DirkException.class)
                .hasMessageContaining("not one whole statement");
    }

    @Test
    void passwordIsQuotedAsADirkString() {
        assertThat(DirkConnection.quote("it's a \\ test")).isEqualTo("'it''s a \\\\ test'");
    }
}
