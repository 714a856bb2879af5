package io.dirkdb.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestScannerTest {

    private static List<Request> scan(String text) {
        return new RequestScanner().feed(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> texts(String text) {
        return scan(text).stream().map(r -> ((Request.Text) r).text()).toList();
    }

    @Test
    void semicolonEndsARequestAndWhitespaceBetweenRequestsIsSkipped() {
        assertThat(texts("ampiasao a;\n\n  alaivo * #ao@ t;\r\n")).containsExactly("ampiasao a", "alaivo * #ao@ t");
    }

    @Test
    void semicolonInsideSingleOrDoubleQuotesDoesNotEndTheRequest() {
        assertThat(texts("manampia ao@ t () sanda ('a;b', \"c;d\");"))
                .containsExactly("manampia ao@ t () sanda ('a;b', \"c;d\")");
    }

    @Test
    void backslashEscapedQuoteStaysInsideTheString() {
        assertThat(texts("say 'it\\'s; fine';x;")).containsExactly("say 'it\\'s; fine'", "x");
        assertThat(texts("say \"a\\\";b\";x;")).containsExactly("say \"a\\\";b\"", "x");
    }

    @Test
    void doubledQuoteStaysInsideTheString() {
        assertThat(texts("say 'it''s; fine';x;")).containsExactly("say 'it''s; fine'", "x");
        assertThat(texts("say \"a\"\";b\";x;")).containsExactly("say \"a\"\";b\"", "x");
    }

    @Test
    void semicolonInsideACommentDoesNotEndTheRequest() {
        assertThat(texts("alaivo * -- not here; nor here\n#ao@ t;"))
                .containsExactly("alaivo * -- not here; nor here\n#ao@ t");
    }

    @Test
    void singleDashIsAnOperatorNotAComment() {
        assertThat(texts("alaivo a-1;b;")).containsExactly("alaivo a-1", "b");
        assertThat(texts("alaivo a -;b;")).containsExactly("alaivo a -", "b");
    }

    @Test
    void quoteInsideACommentDoesNotOpenAString() {
        assertThat(texts("a -- it's\n;b;")).containsExactly("a -- it's\n", "b");
    }

    @Test
    void requestSplitAcrossReadsIsReassembled() {
        byte[] bytes = "say 'é;è' -- c;\n;  next 'x''y';".getBytes(StandardCharsets.UTF_8);
        RequestScanner scanner = new RequestScanner();
        List<Request> out = new ArrayList<>();
        for (byte b : bytes) { // one byte per read: the worst split, including inside a UTF-8 character
            scanner.feed(new byte[] {b}, 0, 1, out::add);
        }
        assertThat(out).containsExactly(new Request.Text("say 'é;è' -- c;\n"), new Request.Text("next 'x''y'"));
        assertThat(scanner.hasPartialRequest()).isFalse();
    }

    @Test
    void unfinishedRequestWaitsForItsSemicolon() {
        RequestScanner scanner = new RequestScanner();
        assertThat(scanner.feed("alaivo * 'a;".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(scanner.hasPartialRequest()).isTrue();
        assertThat(scanner.feed("' #ao@ t;".getBytes(StandardCharsets.UTF_8)))
                .containsExactly(new Request.Text("alaivo * 'a;' #ao@ t"));
    }

    @Test
    void oversizedRequestIsRejectedAndDiscardedUpToItsSemicolon() {
        RequestScanner scanner = new RequestScanner(16);
        String huge = "say '" + "x".repeat(100) + ";still inside';";
        List<Request> out = scanner.feed((huge + "small;").getBytes(StandardCharsets.UTF_8));
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).isInstanceOf(Request.Rejected.class);
        assertThat(((Request.Rejected) out.get(0)).reason()).contains("request too large").contains("16 bytes");
        assertThat(out.get(1)).isEqualTo(new Request.Text("small"));
    }

    @Test
    void requestAtExactlyTheLimitIsAccepted() {
        RequestScanner scanner = new RequestScanner(5);
        assertThat(scanner.feed("abcde;".getBytes(StandardCharsets.UTF_8))).containsExactly(new Request.Text("abcde"));
    }

    @Test
    void invalidUtf8IsRejectedAndTheNextRequestStillScans() {
        RequestScanner scanner = new RequestScanner();
        byte[] bad = {'s', 'a', 'y', ' ', (byte) 0xC3, (byte) 0x28, ';', 'o', 'k', ';'};
        List<Request> out = scanner.feed(bad);
        assertThat(out).containsExactly(new Request.Rejected("the request is not valid UTF-8"), new Request.Text("ok"));
    }

    @Test
    void validUtf8AfterAnInvalidRequestDecodesIntact() {
        RequestScanner scanner = new RequestScanner();
        byte[] bad = {'s', 'a', 'y', ' ', (byte) 0xC3, (byte) 0x28, ';'};
        byte[] good = "alaivo 'café, 東京';alaivo 'ñ';".getBytes(StandardCharsets.UTF_8);
        assertThat(scanner.feed(bad)).containsExactly(new Request.Rejected("the request is not valid UTF-8"));
        assertThat(scanner.feed(good)).containsExactly(new Request.Text("alaivo 'café, 東京'"), new Request.Text("alaivo 'ñ'"));
    }

    @Test
    void emptyRequestIsAnEmptyText() {
        assertThat(texts("  ;")).containsExactly("");
    }

    @Test
    void blankMeansOnlyWhitespaceAndComments() {
        assertThat(RequestScanner.isBlank("  -- hello\n\t-- again")).isTrue();
        assertThat(RequestScanner.isBlank("-- hello\nx")).isFalse();
        assertThat(RequestScanner.isBlank("a-- b")).isFalse();
    }
}
