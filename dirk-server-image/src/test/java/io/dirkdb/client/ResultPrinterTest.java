package io.dirkdb.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.engine.Result;
import org.junit.jupiter.api.Test;

class ResultPrinterTest {

    @Test
    void aProxyHeartbeatIsFollowedByItsMembersAsATable() {
        String view = "{\"role\":\"proxy\",\"ready\":true,\"primary\":\"m2\",\"members\":["
                + "{\"id\":\"m1\",\"health\":\"down\"},"
                + "{\"id\":\"m2\",\"health\":\"up\",\"role\":\"primary\",\"epoch\":2,\"lsn\":41}]}";
        String printed = ResultPrinter.render(new Result.Message(view));
        assertThat(printed).startsWith(view + "\n");
        assertThat(printed).containsPattern("\\| member \\| role +\\| epoch \\| lsn +\\| health \\|");
        assertThat(printed).containsPattern("\\| m2 +\\| primary \\| +2 \\| +41 \\| up +\\|");
        assertThat(printed).containsPattern("\\| m1 +\\| \\? +\\| null +\\| null +\\| down +\\|");
        assertThat(printed).contains("(2 rows)");
    }

    @Test
    void anyOtherMessageIsPrintedAsItIs() {
        assertThat(ResultPrinter.render(new Result.Message("{\"role\":\"primary\",\"epoch\":1}")))
                .isEqualTo("{\"role\":\"primary\",\"epoch\":1}\n");
        assertThat(ResultPrinter.render(new Result.Message("tahiry demo voaforona"))).isEqualTo("tahiry demo voaforona\n");
    }
}
