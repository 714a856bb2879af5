package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.testing.ConfigFiles;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterConfigTest {
    static final String ORIGINAL = """
            {"configVersion": 1,
             "loadBalancer": {"listenHost": "0.0.0.0", "listenPort": 3949},
             "instances": [
               {"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": 3948, "dataDirectory": "data/m1"},
               {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": 3950, "dataDirectory": "data/m2"}],
             "routing": {"reads": {"strategy": "ROUND_ROBIN", "includeRoles": ["MASTER"]},
                         "writes": {"mode": "MULTI_PRIMARY", "partition": "DB_OBJECT", "hash": "RENDEZVOUS"}},
             "replication": {"type": "FILE", "intervalSeconds": 2}}
            """;

    @TempDir
    Path directory;

    @Test
    void readsTheOriginalFormat() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL);
        ClusterConfig config = ClusterConfig.load(file);
        assertThat(config.configVersion()).isEqualTo(1);
        assertThat(config.loadBalancer()).isEqualTo(new ClusterConfig.LoadBalancer("0.0.0.0", 3949));
        assertThat(config.instance(file, "m2")).isEqualTo(new ClusterConfig.Instance("m2",
                ClusterConfig.InstanceRole.REPLICA, "127.0.0.1", 3950, "data/m2"));
        assertThat(config.routing().reads().includeRoles()).containsExactly("MASTER");
        assertThat(config.routing().writes().hash()).isEqualTo("RENDEZVOUS");
        assertThat(config.replication()).isEqualTo(new ClusterConfig.Replication("FILE", 2, null));
    }

    @Test
    void missingFileIsOneLineNamingIt() {
        Path file = directory.resolve("nowhere.json");
        assertThatThrownBy(() -> ClusterConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": file not found");
    }

    @Test
    void malformedJsonNamesTheLineAndColumn() throws IOException {
        Path file = ConfigFiles.write(directory, "{\"instances\": [\n  {\"id\": \"m1\",, }]}");
        assertThatThrownBy(() -> ClusterConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ": malformed JSON at line 2, column ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void wrongFieldTypeNamesTheFieldWhatWasExpectedAndWhatCame() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"port\": 3950", "\"port\": \"abc\""));
        assertThatThrownBy(() -> ClusterConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": instances[1].port: expected a number, got \"abc\"");
    }

    @Test
    void numberWrittenAsAStringIsRefusedToo() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"listenPort\": 3949", "\"listenPort\": \"3949\""));
        assertThatThrownBy(() -> ClusterConfig.load(file))
                .hasMessage(file + ": loadBalancer.listenPort: expected a number, got \"3949\"");
    }

    @Test
    void unknownRoleListsTheValidOnes() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"REPLICA\"", "\"SLAVE\""));
        assertThatThrownBy(() -> ClusterConfig.load(file))
                .hasMessage(file + ": instances[1].role: expected one of MASTER, REPLICA, got \"SLAVE\"");
    }

    @Test
    void objectWhereAnArrayBelongsIsNamed() throws IOException {
        Path file = ConfigFiles.write(directory, "{\"instances\": {\"id\": \"m1\"}}");
        assertThatThrownBy(() -> ClusterConfig.load(file))
                .hasMessage(file + ": instances: expected an array, got an object");
    }

    @Test
    void missingRequiredFieldIsNamed() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"host\": \"127.0.0.1\", \"port\": 3950", "\"port\": 3950"));
        assertThatThrownBy(() -> ClusterConfig.load(file)).hasMessage(file + ": instances[1].host: missing");
    }

    @Test
    void duplicateInstanceIdIsRefused() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"id\": \"m2\"", "\"id\": \"m1\""));
        assertThatThrownBy(() -> ClusterConfig.load(file))
                .hasMessage(file + ": instances[1].id: \"m1\" is already the id of instances[0]");
    }

    /**
     * A secondary names itself in its replication stream only with an id of [A-Za-z0-9._-]+: with another one it
     * would stream as an outsider, confirm no sync write and keep no lease. Such an id is refused at load.
     */
    @Test
    void instanceIdASecondaryCannotStreamUnderIsRefused() throws IOException {
        for (String id : new String[] {"m 2", "nœud-2", "m2'"}) {
            Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"id\": \"m2\"", "\"id\": \"" + id + "\""));
            assertThatThrownBy(() -> ClusterConfig.load(file)).as(id)
                    .hasMessage(file + ": instances[1].id: \"" + id + "\" is not a valid instance id: use only letters "
                            + "A-Z and a-z, digits, '.', '_' and '-'");
        }
    }

    @Test
    void unknownInstanceIdListsTheKnownOnes() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL);
        ClusterConfig config = ClusterConfig.load(file);
        assertThatThrownBy(() -> config.instance(file, "m9"))
                .hasMessage(file + ": instances: no instance with id \"m9\" (ids: m1, m2)");
    }

    @Test
    void unknownFieldsAreIgnored() throws IOException {
        Path file = ConfigFiles.write(directory, ORIGINAL.replace("\"configVersion\": 1,", "\"configVersion\": 1, \"future\": {\"x\": 1},"));
        assertThat(ClusterConfig.load(file).instances()).hasSize(2);
    }
}
