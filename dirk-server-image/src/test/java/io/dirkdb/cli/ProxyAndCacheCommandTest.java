package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.proxy.MemberListWatcher;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.testing.ConfigFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ProxyAndCacheCommandTest {
    @TempDir
    Path directory;

    private ProxySettings proxySettings(Map<String, String> environment, String... args) {
        ProxyCommand command = new ProxyCommand(environment);
        new CommandLine(command).parseArgs(args);
        return command.settings();
    }

    @Test
    void theProxyTakesItsMembersAndListenAddressFromConfigJson() throws Exception {
        Path file = ConfigFiles.write(directory, "{\"configVersion\":1,\"loadBalancer\":{\"listenHost\":\"127.0.0.5\",\"listenPort\":4949},"
                + "\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.2\",\"port\":3948},"
                + "{\"id\":\"m2\",\"role\":\"REPLICA\",\"host\":\"127.0.0.3\",\"port\":3950}]}");

        ProxySettings settings = proxySettings(Map.of(), "--config", file.toString());

        assertThat(settings.host()).isEqualTo("127.0.0.5");
        assertThat(settings.port()).isEqualTo(4949);
        assertThat(settings.members()).containsExactly(new MemberAddress("m1", "127.0.0.2", 3948),
                new MemberAddress("m2", "127.0.0.3", 3950));
        assertThat(settings.writeWaitMillis()).isEqualTo(10_000);
        assertThat(settings.heartbeatIntervalMillis()).isEqualTo(500);
        assertThat(settings.password()).isNull();
    }

    @Test
    void flagsOverrideConfigJsonAndThePasswordComesFromTheEnvironment() throws Exception {
        Path file = ConfigFiles.write(directory, "{\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.2\",\"port\":3948}]}");

        ProxySettings settings = proxySettings(Map.of("DIRK_PASSWORD", "s3cret"), "--config", file.toString(),
                "--host", "127.0.0.7", "--port", "0", "--write-wait-ms", "2500", "--heartbeat-interval-ms", "100");

        assertThat(settings.host()).isEqualTo("127.0.0.7");
        assertThat(settings.port()).isZero();
        assertThat(settings.writeWaitMillis()).isEqualTo(2500);
        assertThat(settings.heartbeatIntervalMillis()).isEqualTo(100);
        assertThat(settings.password()).isEqualTo("s3cret");
        assertThat(settings.toString()).doesNotContain("s3cret");
    }

    @Test
    void withoutConfigJsonTheProxySaysWhatIsMissing() {
        assertThatThrownBy(() -> proxySettings(Map.of("DIRK_CONFIG_PATH", directory.resolve("absent.json").toString())))
                .hasMessageContaining("absent.json: file not found");
    }

    @Test
    void aBadConfigMakesTheProxyExitWithTheConfigurationCode() throws Exception {
        Path file = ConfigFiles.write(directory, "{\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"h\",\"port\":\"abc\"}]}");
        StringWriter err = new StringWriter();
        CommandLine line = new CommandLine(new ProxyCommand(Map.of()));
        line.setErr(new PrintWriter(err));

        int code = line.execute("--config", file.toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("instances[0].port");
    }

    @Test
    void theCacheTakesTheOriginalsFivePositionalArgumentsWithTheirDefaults() {
        CacheCommand defaults = new CacheCommand();
        new CommandLine(defaults).parseArgs();
        CacheCommand given = new CacheCommand();
        new CommandLine(given).parseArgs("10.0.0.1", "4949", "4951", "500", "20");

        assertThat(defaults.upstreamHost).isEqualTo("127.0.0.1");
        assertThat(defaults.upstreamPort).isEqualTo(3949);
        assertThat(defaults.listenPort).isEqualTo(3951);
        assertThat(defaults.ttlMillis).isEqualTo(3000);
        assertThat(defaults.maxEntries).isEqualTo(200);
        assertThat(given.upstreamHost).isEqualTo("10.0.0.1");
        assertThat(given.upstreamPort).isEqualTo(4949);
        assertThat(given.listenPort).isEqualTo(4951);
        assertThat(given.ttlMillis).isEqualTo(500);
        assertThat(given.maxEntries).isEqualTo(20);
    }

    @Test
    void theProxyAndTheCacheAreSubcommandsOfDirk() {
        assertThat(Dirk.commandLine().getSubcommands()).containsKeys("proxy", "cache");
    }

    @Test
    void anEditedConfigJsonHandsTheNewMembersOnAndABrokenOneKeepsThem() throws Exception {
        Path file = ConfigFiles.write(directory, "{\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.2\",\"port\":3948}]}");
        List<List<MemberAddress>> handed = new ArrayList<>();
        try (MemberListWatcher watcher = new MemberListWatcher(file, ProxyCommand::members,
                ProxyCommand.members(file), handed::add)) {
            watcher.check();
            assertThat(handed).isEmpty();

            ConfigFiles.write(directory, "{\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.2\",\"port\":3948},"
                    + "{\"id\":\"m2\",\"role\":\"REPLICA\",\"host\":\"127.0.0.3\",\"port\":3948}]}");
            watcher.check();
            ConfigFiles.write(directory, "{\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.2\",\"port\":\"x\"}]}");
            watcher.check();
        }

        assertThat(handed).containsExactly(List.of(new MemberAddress("m1", "127.0.0.2", 3948),
                new MemberAddress("m2", "127.0.0.3", 3948)));
    }

    @Test
    void theProxysConnectionDeadlinesDefaultAsOnAMemberAndFollowTheFlags() throws Exception {
        Path file = ConfigFiles.write(directory, "{\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.2\",\"port\":3948}]}");

        assertThat(proxySettings(Map.of(), "--config", file.toString()).timeouts())
                .isEqualTo(new ConnectionTimeouts(Duration.ofSeconds(10), Duration.ofHours(1)));
        assertThat(proxySettings(Map.of(), "--config", file.toString(), "--authentication-timeout-seconds", "3",
                "--idle-timeout-seconds", "0").timeouts())
                .isEqualTo(new ConnectionTimeouts(Duration.ofSeconds(3), Duration.ZERO));
        assertThatThrownBy(() -> proxySettings(Map.of(), "--config", file.toString(),
                "--authentication-timeout-seconds", "0"))
                .hasMessage("--authentication-timeout-seconds: expected at least 1, got 0");
    }

    @Test
    void aCacheWithANegativeIdleTimeoutIsRefusedWithTheConfigurationCode() {
        StringWriter err = new StringWriter();
        CommandLine line = new CommandLine(new CacheCommand());
        line.setErr(new PrintWriter(err));

        int code = line.execute("--idle-timeout-seconds", "-1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("dirk cache: --idle-timeout-seconds: expected 0 or more, got -1");
    }
}
