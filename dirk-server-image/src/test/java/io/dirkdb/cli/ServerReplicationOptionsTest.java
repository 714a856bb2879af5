package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.testing.ConfigFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How `dirk server` chooses its replication mode, its primary and its HTTP port. */
class ServerReplicationOptionsTest {
    private static final String CONFIG = """
            {"instances": [
               {"id": "m1", "role": "MASTER", "host": "127.0.0.2", "port": 3948, "dataDirectory": "data/m1"},
               {"id": "m2", "role": "REPLICA", "host": "127.0.0.3", "port": 3950, "dataDirectory": "data/m2"}]
             %s}
            """;

    @TempDir
    Path directory;

    private ServerCommand.Plan plan(String replication, String... args) throws IOException {
        Path file = ConfigFiles.write(directory, CONFIG.formatted(replication));
        ServerCommand server = new ServerCommand(Map.of());
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = file.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(server).parseArgs(all);
        return server.plan();
    }

    @Test
    void replicaFollowsTheMasterOfTheConfig() throws IOException {
        ServerCommand.Plan plan = plan("", "--id", "m2");
        assertThat(plan.primaryHost()).isEqualTo("127.0.0.2");
        assertThat(plan.primaryPort()).isEqualTo(3948);
        assertThat(plan(" ", "--id", "m1").primaryHost()).isNull();
    }

    @Test
    void modeComesFromConfigModeOrTypeAndTheFlagWins() throws IOException {
        assertThat(plan("", "--id", "m1").replication().mode()).isEqualTo(ReplicationMode.ASYNC);
        assertThat(plan(", \"replication\": {\"mode\": \"sync\"}", "--id", "m1").replication().mode())
                .isEqualTo(ReplicationMode.SYNC);
        assertThat(plan(", \"replication\": {\"type\": \"sync\"}", "--id", "m1").replication().mode())
                .isEqualTo(ReplicationMode.SYNC);
        assertThat(plan(", \"replication\": {\"type\": \"FILE\", \"intervalSeconds\": 2}", "--id", "m1").replication().mode())
                .isEqualTo(ReplicationMode.ASYNC);
        assertThat(plan(", \"replication\": {\"mode\": \"sync\"}", "--id", "m1", "--replication-mode", "async")
                .replication().mode()).isEqualTo(ReplicationMode.ASYNC);
    }

    @Test
    void syncTimeoutIsTakenFromTheFlag() throws IOException {
        ServerCommand.Plan plan = plan("", "--id", "m1", "--sync-timeout-ms", "250");
        assertThat(plan.replication().syncTimeout().toMillis()).isEqualTo(250);
    }

    @Test
    void badModeIsRefusedWithTheFlagName() {
        assertThatThrownBy(() -> plan("", "--id", "m1", "--replication-mode", "eventually"))
                .isInstanceOf(DirkException.class).hasMessageContaining("--replication-mode");
    }
}
