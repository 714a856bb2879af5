package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits a statement meets with a clear error, while the member goes on serving. */
class EngineLimitsTest {
    @TempDir
    Path data;

    private static List<List<Object>> rows(Engine engine, Session session, String query) {
        return ((Result.Relation) engine.execute(session, query)).rows();
    }

    @Test
    void changeLargerThanALogRecordIsRefusedAndWritesGoOn() {
        try (Engine engine = Engine.open(data)) {
            Session session = new Session();
            engine.execute(session, "manamboara tahiry d");
            engine.execute(session, "ampiasao d");
            engine.execute(session, "manamboara tabilao t(s LAHATSORATRA(null,null))");
            engine.execute(session, "manampia ao@ t (s) sanda ('" + "x".repeat(1 << 20) + "')");
            for (int i = 0; i < 6; i++) {
                engine.execute(session, "manampia ao@ t alaivo s ao@ t"); // 64 rows of 1 MiB at the end
            }
            long before = engine.lastLsn();
            assertThatThrownBy(() -> engine.execute(session, "manampia ao@ t alaivo s ao@ t"))
                    .isInstanceOf(DirkException.class).hasMessageContaining("statement exceeded 67108864 bytes");
            assertThat(engine.lastLsn()).isEqualTo(before);
            assertThat(engine.writesAllowed()).isTrue();
            engine.execute(session, "manampia ao@ t (s) sanda ('small')");
            assertThat(rows(engine, session, "alaivo count(*) ao@ t")).containsExactly(List.of(65L));
        }
    }
}
