package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.DirkException;
import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.client.ResultPrinter;
import io.dirkdb.engine.Engine;
import io.dirkdb.engine.Session;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The language as files of statements and the replies a user sees (src/test/resources/language/*.dirk): each script
 * runs on the engine, then through the cache and the proxy to a member, and every reply must be the one written in
 * the file, in both places. Run with {@code -Ddirk.language.record=true} to write the engine's replies into the files
 * (then read the diff: the file is the specification).
 */
class LanguageScriptsTest {
    private static final Path SCRIPTS = Path.of("src/test/resources/language");

    /** One statement and the reply the file expects. */
    record Block(String statement, String expected) {}

    static Stream<Path> scripts() throws IOException {
        return Files.list(SCRIPTS).filter(p -> p.toString().endsWith(".dirk")).sorted();
    }

    @ParameterizedTest
    @MethodSource("scripts")
    void everyReplyIsTheOneTheScriptExpectsOnTheEngineAndThroughTheCacheAndTheProxy(Path script) throws Exception {
        List<String> lines = Files.readAllLines(script);
        List<Block> blocks = parse(lines);
        assertThat(blocks).as("statements in " + script).isNotEmpty();

        List<String> onEngine = new ArrayList<>();
        try (Engine engine = Engine.inMemory()) {
            Session session = new Session();
            for (Block block : blocks) {
                String reply;
                try {
                    reply = ResultPrinter.render(engine.execute(session, block.statement()));
                } catch (DirkException e) {
                    reply = "! " + e.getMessage() + "\n";
                }
                onEngine.add(reply);
            }
        }
        if (Boolean.getBoolean("dirk.language.record")) {
            Files.write(script, record(lines, onEngine));
            return;
        }
        for (int i = 0; i < blocks.size(); i++) {
            assertThat(onEngine.get(i)).as("%s, on the engine: %s", script.getFileName(), blocks.get(i).statement())
                    .isEqualTo(blocks.get(i).expected());
        }

        MemberServer member = MemberServer.start(Member.start("m1", EngineDatabase.inMemory(), null, Role.PRIMARY),
                ServerSettings.loopback(0));
        RoutingProxy proxy = RoutingProxy.start(ProxySettings.loopback(List.of(new MemberAddress("m1", "127.0.0.1",
                member.port()))).withHeartbeatIntervalMillis(50), new SimpleMeterRegistry());
        CachingProxy cache = null;
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().writeTarget().isPresent());
            cache = CachingProxy.start(CacheSettings.loopback("127.0.0.1", proxy.port(), 60_000, 200),
                    new SimpleMeterRegistry());
            try (DirkConnection client = DirkConnection.open("127.0.0.1", cache.port())) {
                for (Block block : blocks) {
                    Reply reply = client.execute(block.statement());
                    String printed = reply.isError() ? "! " + reply.errorMessage() + "\n"
                            : ResultPrinter.render(reply.result());
                    assertThat(printed).as("%s, through the cache and the proxy: %s", script.getFileName(),
                            block.statement()).isEqualTo(block.expected());
                }
            }
        } finally {
            if (cache != null) {
                cache.close();
            }
            proxy.close();
            member.close();
        }
    }

    /** Blocks start with "> statement;" and run to the next blank line; lines starting "--" outside blocks are notes. */
    static List<Block> parse(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("> ")) {
                continue;
            }
            String statement = line.substring(2).strip();
            if (statement.endsWith(";")) {
                statement = statement.substring(0, statement.length() - 1);
            }
            StringBuilder expected = new StringBuilder();
            int j = i + 1;
            for (; j < lines.size() && !lines.get(j).isEmpty(); j++) {
                expected.append(lines.get(j)).append('\n');
            }
            blocks.add(new Block(statement, expected.toString()));
            i = j;
        }
        return blocks;
    }

    /** The file with each block's reply replaced by {@code replies}, in order. */
    private static List<String> record(List<String> lines, List<String> replies) {
        List<String> out = new ArrayList<>();
        int block = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            out.add(line);
            if (line.startsWith("> ")) {
                String reply = replies.get(block++);
                reply.lines().forEach(out::add);
                while (i + 1 < lines.size() && !lines.get(i + 1).isEmpty()) {
                    i++;
                }
            }
        }
        return out;
    }
}
