package io.dirkdb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.ConfigFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `dirk proxy` and `dirk cache` as processes, as the image runs them: ports, HTTP, SIGTERM. */
class ProxyAndCacheProcessTest {
    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+).*HTTP on port (\\d+)");

    @TempDir
    Path directory;

    private final List<Process> processes = new ArrayList<>();
    private MemberServer member;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        if (member != null) {
            member.close();
        }
    }

    /** Starts {@code dirk <args>} and returns its protocol and HTTP ports from its first line. */
    private int[] start(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(directory.resolve(args[0] + ".log").toFile()).start();
        processes.add(process);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("first line of dirk %s (log: %s)", args[0], directory.resolve(args[0] + ".log")).isNotNull();
        Matcher matcher = LISTENING.matcher(line);
        assertThat(matcher.find()).as(line).isTrue();
        return new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2))};
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    @Test
    void theProxyAndTheCacheServeAMemberOfConfigJsonAndStopCleanlyOnSigterm() throws Exception {
        member = MemberServer.start(Member.start("m1", EngineDatabase.inMemory(), null, Role.PRIMARY),
                ServerSettings.loopback(0));
        Path config = ConfigFiles.write(directory, "{\"configVersion\":1,\"loadBalancer\":{\"listenHost\":\"127.0.0.1\",\"listenPort\":0},"
                + "\"instances\":[{\"id\":\"m1\",\"role\":\"MASTER\",\"host\":\"127.0.0.1\",\"port\":" + member.port() + "}]}");

        int[] proxy = start("proxy", "--config", config.toString(), "--http-port", "0", "--heartbeat-interval-ms", "100");
        int[] cache = start("cache", "127.0.0.1", String.valueOf(proxy[0]), "0", "3000", "200", "--http-port", "0");

        await().atMost(Duration.ofSeconds(20)).until(() -> get(proxy[1], "/health/ready").startsWith("200"));
        try (DirkConnection writer = DirkConnection.open("127.0.0.1", cache[0]);
             DirkConnection reader = DirkConnection.open("127.0.0.1", cache[0])) {
            assertThat(writer.execute("manamboara tahiry shop").isError()).isFalse();
            assertThat(writer.execute("ampiasao shop").isError()).isFalse();
            assertThat(writer.execute("manamboara tabilao t (id ISA(null,null))").isError()).isFalse();
            assertThat(writer.execute("manampia ao@ t (id) sanda (7)").isError()).isFalse();
            assertThat(reader.execute("ampiasao shop").isError()).isFalse();
            for (int i = 0; i < 3; i++) {
                Result.Relation relation = (Result.Relation) reader.execute("alaivo * #ao@ t").result();
                assertThat(relation.rows()).containsExactly(List.of(7L));
            }
        }

        assertThat(get(cache[1], "/metrics")).contains("dirk_cache_hits_total 2.0");
        assertThat(get(proxy[1], "/metrics")).contains("dirk_proxy_requests_total{kind=\"read\"} 1.0");
        for (Process process : processes) {
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        }
    }
}
