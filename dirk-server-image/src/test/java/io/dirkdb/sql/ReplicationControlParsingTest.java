package io.dirkdb.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import org.junit.jupiter.api.Test;

class ReplicationControlParsingTest {

    @Test
    void streamTakesLsnEpochAndAnOptionalKnownEpoch() {
        assertThat(Parser.parse("dirk stream 120 3 4")).isEqualTo(new ControlStatement.Stream(120, 3, 4));
        assertThat(Parser.parse("DIRK STREAM 0 0")).isEqualTo(new ControlStatement.Stream(0, 0, 0));
        assertThat(Parser.parse("dirk stream 7 2").kind()).isEqualTo(StatementKind.CONTROL);
    }

    @Test
    void streamWithoutNumbersIsRefusedClearly() {
        assertThatThrownBy(() -> Parser.parse("dirk stream x"))
                .isInstanceOf(DirkException.class).hasMessageContaining("the last LSN the secondary holds");
        assertThatThrownBy(() -> Parser.parse("dirk stream -1 0"))
                .isInstanceOf(DirkException.class);
    }

    @Test
    void snapshotAndResyncParse() {
        assertThat(Parser.parse("dirk snapshot")).isEqualTo(new ControlStatement.Snapshot());
        assertThat(Parser.parse("dirk resync 'db-0.members' 3948")).isEqualTo(new ControlStatement.Resync("db-0.members", 3948));
        assertThat(Parser.parse("dirk snapshot deflate")).isEqualTo(new ControlStatement.Snapshot(true));
        assertThat(Parser.parse("dirk resync 'db-0.members' 3948 deflate"))
                .isEqualTo(new ControlStatement.Resync("db-0.members", 3948, true));
        assertThatThrownBy(() -> Parser.parse("dirk resync 'h' 70000"))
                .isInstanceOf(DirkException.class).hasMessageContaining("between 1 and 65535");
    }
}
