package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.sql.Parser;
import io.dirkdb.sql.StatementKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxySessionTest {
    @Test
    void queriesAreKnownByTheirFirstWordAndEveryOneOfThemParsesAsARead() {
        List<String> queries = List.of("alaivo v #ao@ look #rehefa id = 7", "ALAIVO 1", "  (alaivo 1) ankambana (alaivo 2)",
                "alaivo\n1", "( ( alaivo 1 ) )");
        for (String query : queries) {
            assertThat(ProxySession.startsWithQuery(query)).as(query).isTrue();
            assertThat(Parser.parse(query).kind()).as(query).isEqualTo(StatementKind.READ);
        }
    }

    @Test
    void writesSchemaChangesAndLookalikesAreLeftToTheParser() {
        List<String> others = List.of("manampia ao@ t (a) sanda (1)", "havaozy t ova a = 1", "fafao ao@ t",
                "manamboara tabilao t (a integer)", "ravao ny tahiry d", "asehoy ny tahiry", "ampiasao d",
                "alaivoxyz * ao@ t", "alaivo_x", "alaivo2", "-- alaivo\nfafao ao@ t", "dirk heartbeat", "", "alaiv");
        for (String other : others) {
            assertThat(ProxySession.startsWithQuery(other)).as(other).isFalse();
        }
    }
}
