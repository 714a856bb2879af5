package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.protocol.Request;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of random and broken requests against a running member (seeded: a failure
 * replays). The member never dies, answers every bad request with {@code Hadisoana : ...},
 * and a table written before is intact afterwards.
 */
class BadInputTest {
    private static final long SEED = 20261127L;
    private static final int INPUTS = 10_000;
    private static final int PER_CONNECTION = 250;
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    /** Valid statements the mutations start from; none of them can reach the table {@code precious}. */
    private static final List<String> CORPUS = List.of(
            "alaivo * #ao@ scratch #rehefa id = 3",
            "alaivo id, v antso x #ao@ scratch #rehefa id >= 1 ary v != 'a;b' #fetra 0 5",
            "manampia ao@ scratch (id, v) sanda (1, 'one'), (2, \"two\")",
            "havaozy scratch ova v = 'z' #rehefa id = 1",
            "fafao ao@ scratch #rehefa id > 1000",
            "alaivo count(id) #ao@ scratch #vondrona v",
            "alaivo * #ao@ scratch #tonona:ankavia@ scratch2 #ka scratch.id = scratch2.id",
            "asehoy ny tabilao",
            "alaivo v #ao@ scratch #ankambana alaivo v #ao@ scratch2",
            "manamboara efitra dom (TANISA('a', 'b'))",
            "alaivo * #ao@ scratch #rehefa v dia tsy null na ! id < 2");

    @TempDir
    Path dataDirectory;

    private enum Kind {
        RANDOM_BYTES(true), TRUNCATED(false), MUTATED(false), UNBALANCED_QUOTE(false), HUGE_IDENTIFIER(true),
        INVALID_UTF8(true), OVERSIZED(true), DEEP_NESTING(false);

        final boolean alwaysInvalid;

        Kind(boolean alwaysInvalid) {
            this.alwaysInvalid = alwaysInvalid;
        }
    }

    private record Input(Kind kind, byte[] bytes) {}

    @Test
    void randomAndBrokenRequestsGetErrorsAndLeaveDataIntact() throws Exception {
        ServerSettings settings = ServerSettings.loopback(0).withMaxRequestBytes(MAX_REQUEST_BYTES);
        try (MemberServer server = MemberServer.start(
                Member.start("m1", EngineDatabase.open(dataDirectory), dataDirectory, Role.PRIMARY), settings)) {
            String before;
            try (RawClient setup = new RawClient(server.address())) {
                setup.ask("manamboara tahiry fuzz;");
                setup.ask("ampiasao fuzz;");
                setup.ask("manamboara tabilao precious (id ISA(null,null), v LAHATSORATRA(null,null));");
                setup.ask("manamboara tabilao scratch (id ISA(null,null), v LAHATSORATRA(null,null));");
                setup.ask("manamboara tabilao scratch2 (id ISA(null,null), v LAHATSORATRA(null,null));");
                StringJoiner rows = new StringJoiner(", ");
                for (int i = 0; i < 50; i++) {
                    rows.add("(" + i + ", 'value " + i + "')");
                }
                assertThat(setup.ask("manampia ao@ precious (id, v) sanda " + rows + ";"))
                        .isEqualTo("RESULT_MESSAGE\nTafinditra ny fiovana ny tabilao\nEND\n");
                before = setup.ask("alaivo * #ao@ precious;");
                assertThat(before).contains("[49,\"value 49\"]");
            }

            SplittableRandom random = new SplittableRandom(SEED);
            int answered = 0;
            int errors = 0;
            for (int sent = 0; sent < INPUTS; sent += PER_CONNECTION) {
                try (RawClient client = new RawClient(server.address())) {
                    client.ask("ampiasao fuzz;");
                    // What the server must answer is what the same scanner cuts from the same bytes: a
                    // broken quote may swallow the next inputs; what is left unfinished dies with the connection.
                    RequestScanner expected = new RequestScanner(MAX_REQUEST_BYTES);
                    for (int i = 0; i < PER_CONNECTION; i++) {
                        Input input = generate(random);
                        byte[] bytes = terminated(input.bytes());
                        boolean startsFresh = !expected.hasPartialRequest();
                        List<Request> requests = new ArrayList<>();
                        expected.feed(bytes, 0, bytes.length, requests::add);
                        client.send(bytes);
                        for (Request request : requests) {
                            String reply = client.reply();
                            answered++;
                            assertThat(reply).endsWith("\nEND\n"); // and well formed: the reader checked it
                            boolean error = reply.startsWith("RESULT_MESSAGE\nHadisoana : ");
                            if (error) {
                                errors++;
                                assertThat(reply).doesNotContain("Exception").doesNotContain("\tat ");
                            }
                            // Mutations, truncations, moved quotes and nesting the stack can hold may still be valid.
                            if (request instanceof Request.Rejected || (startsFresh && input.kind().alwaysInvalid)) {
                                assertThat(error).as("an error for %s input %s", input.kind(),
                                        abbreviate(input.bytes())).isTrue();
                            }
                        }
                    }
                }
            }
            assertThat(answered).isGreaterThanOrEqualTo(INPUTS); // every input ends at least one request
            assertThat(errors).isGreaterThan(answered / 2);

            try (RawClient check = new RawClient(server.address())) {
                assertThat(check.ask("dirk heartbeat;")).contains("\"ready\":true");
                check.ask("ampiasao fuzz;");
                assertThat(check.ask("alaivo * #ao@ precious;")).isEqualTo(before);
            }
        }
    }

    private static final List<String> TERMINATORS = List.of("\n;", "'\n;", "\"\n;", "x'\n;", "x\"\n;");

    /**
     * Ends an input so that it is one or more whole requests: a newline (a comment it opened
     * ends), the quote it left open if any (or an escape's target and that quote), and {@code ;}.
     * Without this, a stray quote would swallow the inputs after it.
     */
    private static byte[] terminated(byte[] input) {
        for (String terminator : TERMINATORS) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + 4);
            out.writeBytes(input);
            out.writeBytes(utf8(terminator));
            RequestScanner scanner = new RequestScanner(Integer.MAX_VALUE - 8);
            scanner.feed(out.toByteArray());
            if (!scanner.hasPartialRequest()) {
                return out.toByteArray();
            }
        }
        throw new AssertionError("no terminator closes " + abbreviate(input));
    }

    private static Input generate(SplittableRandom random) {
        Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
        if ((kind == Kind.OVERSIZED || kind == Kind.DEEP_NESTING) && random.nextInt(20) != 0) {
            kind = Kind.MUTATED; // oversized inputs are slow to send: keep them rare
        }
        String base = CORPUS.get(random.nextInt(CORPUS.size()));
        switch (kind) {
            case RANDOM_BYTES: {
                byte[] bytes = new byte[1 + random.nextInt(200)];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) random.nextInt(256);
                }
                return new Input(kind, bytes);
            }
            case TRUNCATED:
                return new Input(kind, utf8(base.substring(0, 1 + random.nextInt(base.length() - 1))));
            case MUTATED:
                return new Input(kind, utf8(mutate(base, random)));
            case UNBALANCED_QUOTE: {
                List<Integer> outsideStrings = positionsOutsideStrings(base);
                int at = outsideStrings.get(random.nextInt(outsideStrings.size()));
                String quote = random.nextBoolean() ? "'" : "\"";
                return new Input(kind, utf8(base.substring(0, at) + quote + base.substring(at)));
            }
            case HUGE_IDENTIFIER: {
                String name = "x".repeat(1000 + random.nextInt(30_000));
                return new Input(kind, utf8("alaivo * #ao@ " + name + " #rehefa " + name + " = 1"));
            }
            case INVALID_UTF8: {
                byte[] text = utf8(base);
                text[random.nextInt(text.length)] = (byte) (0x80 + random.nextInt(64)); // a lone continuation byte
                return new Input(kind, text);
            }
            case DEEP_NESTING: {
                int depth = 1000 + random.nextInt(20_000);
                return new Input(kind, utf8("alaivo " + "(".repeat(depth) + "1" + ")".repeat(depth) + " #ao@ scratch"));
            }
            case OVERSIZED:
                return new Input(kind, utf8("alaivo " + "y".repeat(MAX_REQUEST_BYTES + random.nextInt(1000))));
            default:
                throw new AssertionError(kind);
        }
    }

    /** Where a quote would open a string rather than end one (the corpus has no escapes). */
    private static List<Integer> positionsOutsideStrings(String text) {
        List<Integer> positions = new ArrayList<>();
        char open = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (open == 0) {
                positions.add(i);
            }
            if (i < text.length()) {
                char c = text.charAt(i);
                if (open == 0 && (c == '\'' || c == '"')) {
                    open = c;
                } else if (c == open) {
                    open = 0;
                }
            }
        }
        return positions;
    }

    private static String mutate(String text, SplittableRandom random) {
        StringBuilder out = new StringBuilder(text);
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ;,()'\"#@=<>!-*+/\\\n\té";
        for (int edits = 1 + random.nextInt(3); edits > 0 && out.length() > 0; edits--) {
            int at = random.nextInt(out.length());
            char c = alphabet.charAt(random.nextInt(alphabet.length()));
            switch (random.nextInt(3)) {
                case 0 -> out.deleteCharAt(at);
                case 1 -> out.insert(at, c);
                default -> out.setCharAt(at, c);
            }
        }
        return out.toString();
    }

    private static String abbreviate(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
