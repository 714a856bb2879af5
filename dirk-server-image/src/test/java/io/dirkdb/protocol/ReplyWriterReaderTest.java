package io.dirkdb.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.engine.Result;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ReplyWriterReaderTest {

    private static Result.Relation numbers(int count) {
        List<List<Object>> rows = new ArrayList<>();
        LongStream.rangeClosed(1, count).forEach(i -> rows.add(List.of(i)));
        return new Result.Relation("etu", List.of(new Result.Column("id", "etu")), rows);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void relationIsSentInPagesOfTwentyRowsLikeTheOriginal() {
        String frames = text(ReplyWriter.encode(numbers(22)));
        assertThat(frames).isEqualTo("RELATION_JSON_PAGE 1/2\n"
                + "{\"type\":\"relation\",\"name\":\"etu\",\"page\":1,\"totalPages\":2,\"columns\":[{\"name\":\"id\","
                + "\"origin\":\"etu\"}],\"rows\":[[1],[2],[3],[4],[5],[6],[7],[8],[9],[10],[11],[12],[13],[14],[15],"
                + "[16],[17],[18],[19],[20]]}\n"
                + "RELATION_JSON_PAGE 2/2\n"
                + "{\"type\":\"relation\",\"name\":\"etu\",\"page\":2,\"totalPages\":2,\"columns\":[{\"name\":\"id\","
                + "\"origin\":\"etu\"}],\"rows\":[[21],[22]]}\n"
                + "RELATION_JSON_END\nRESULT_MESSAGE\nOK\nEND\n");
    }

    @Test
    void emptyRelationIsStillPageOneOfOne() {
        assertThat(text(ReplyWriter.encode(numbers(0)))).isEqualTo("RELATION_JSON_PAGE 1/1\n"
                + "{\"type\":\"relation\",\"name\":\"etu\",\"page\":1,\"totalPages\":1,\"columns\":[{\"name\":\"id\","
                + "\"origin\":\"etu\"}],\"rows\":[]}\n"
                + "RELATION_JSON_END\nRESULT_MESSAGE\nOK\nEND\n");
    }

    @Test
    void valuesKeepTheirJsonTypes() {
        List<Object> row = Arrays.asList(7L, 2.5, 3.0, "Toto \"T\"", LocalDate.of(2024, 3, 9), null);
        Result.Relation relation = new Result.Relation("r", List.of(new Result.Column("a", "t"),
                new Result.Column("b", "t"), new Result.Column("c", "t"), new Result.Column("d", "t"),
                new Result.Column("e", "t"), new Result.Column("f", "")), List.of(row));
        assertThat(text(ReplyWriter.encode(relation))).contains("\"rows\":[[7,2.5,3.0,\"Toto \\\"T\\\"\",\"2024-03-09\",null]]");
    }

    @Test
    void messageAndErrorAreThreeLines() {
        assertThat(text(ReplyWriter.encode(new Result.Message("Tafinditra ny fiovana ny tabilao"))))
                .isEqualTo("RESULT_MESSAGE\nTafinditra ny fiovana ny tabilao\nEND\n");
        assertThat(text(ReplyWriter.encodeError("table etu not found")))
                .isEqualTo("RESULT_MESSAGE\nHadisoana : table etu not found\nEND\n");
    }

    @Test
    void lineBreakInAMessageCannotEndTheFrameEarly() {
        assertThat(text(ReplyWriter.encodeError("a\nb\r\nc"))).isEqualTo("RESULT_MESSAGE\nHadisoana : a b c\nEND\n");
    }

    @Test
    void wholeReplyLeavesInOneWriteAndOneFlush() throws IOException {
        AtomicInteger writes = new AtomicInteger();
        AtomicInteger flushes = new AtomicInteger();
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                writes.incrementAndGet();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.incrementAndGet();
            }

            @Override
            public void flush() {
                flushes.incrementAndGet();
            }
        };
        new ReplyWriter(counting).send(numbers(45));
        assertThat(writes).hasValue(1);
        assertThat(flushes).hasValue(1);
    }

    @Test
    void readerReassemblesPagesIntoOneRelation() throws IOException {
        Result.Relation sent = numbers(45);
        byte[] frames = ReplyWriter.encode(sent);
        Reply reply = new ReplyReader(new ByteArrayInputStream(frames)).read();
        assertThat(reply.result()).isEqualTo(sent);
        assertThat(reply.isError()).isFalse();
        assertThat(reply.frames()).isEqualTo(frames);
    }

    @Test
    void readerReassemblesARelationArrivingOneByteAtATime() throws IOException {
        Result.Relation sent = numbers(45);
        byte[] frames = ReplyWriter.encode(sent);
        InputStream trickle = new ByteArrayInputStream(frames) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        Reply reply = new ReplyReader(trickle).read();
        assertThat(reply.result()).isEqualTo(sent);
        assertThat(reply.frames()).isEqualTo(frames);
    }

    @Test
    void readerDecodesValuesAndSeparatesErrors() throws IOException {
        List<Object> row = Arrays.asList(7L, 2.5, "x", LocalDate.of(2024, 3, 9), null);
        Result.Relation relation = new Result.Relation("r", List.of(new Result.Column("a", "t"),
                new Result.Column("b", "t"), new Result.Column("c", "t"), new Result.Column("d", "t"),
                new Result.Column("e", "t")), List.of(row));
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(ReplyWriter.encode(relation));
        stream.write(ReplyWriter.encodeError("bad"));
        stream.write(ReplyWriter.encode(new Result.Message("fine")));
        ReplyReader reader = new ReplyReader(new ByteArrayInputStream(stream.toByteArray()));
        assertThat(((Result.Relation) reader.read().result()).rows())
                .containsExactly(Arrays.asList(7L, 2.5, "x", "2024-03-09", null));
        Reply error = reader.read();
        assertThat(error.isError()).isTrue();
        assertThat(error.errorMessage()).isEqualTo("bad");
        Reply message = reader.read();
        assertThat(message.isError()).isFalse();
        assertThat(message.messageText()).isEqualTo("fine");
    }

    @Test
    void readerDecodesBooleansNonAsciiTextAndIntegersPastALong() throws IOException {
        List<Object> row = Arrays.asList(true, false, "Antananarivo é ñ 日本", -3L);
        Result.Relation relation = new Result.Relation("r", List.of(new Result.Column("a", "t"),
                new Result.Column("b", "t"), new Result.Column("c", "t"), new Result.Column("d", "t")), List.of(row));
        assertThat(new ReplyReader(new ByteArrayInputStream(ReplyWriter.encode(relation))).read().result())
                .isEqualTo(relation);
        String page = "{\"type\":\"relation\",\"name\":\"big\",\"page\":1,\"totalPages\":1,\"extra\":{\"x\":[1]},"
                + "\"columns\":[{\"name\":\"n\",\"origin\":\"t\"}],\"rows\":[[123456789012345678901234567890]]}";
        byte[] frames = (Frames.PAGE + " 1/1\n" + page + "\n" + Frames.RELATION_END + "\n" + Frames.MESSAGE + "\n"
                + Frames.RELATION_DONE + "\n" + Frames.END + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Result.Relation big = (Result.Relation) new ReplyReader(new ByteArrayInputStream(frames)).read().result();
        assertThat(big.name()).isEqualTo("big");
        assertThat(big.columns()).containsExactly(new Result.Column("n", "t"));
        assertThat(big.rows()).containsExactly(List.of(new java.math.BigDecimal("123456789012345678901234567890")));
    }

    @Test
    void rawReadPassesFramesThroughUntouched() throws IOException {
        byte[] relation = ReplyWriter.encode(numbers(41));
        byte[] error = ReplyWriter.encodeError("nope");
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(relation);
        stream.write(error);
        ReplyReader reader = new ReplyReader(new ByteArrayInputStream(stream.toByteArray()));
        RawReply first = reader.readRaw();
        RawReply second = reader.readRaw();
        assertThat(first.frames()).isEqualTo(relation);
        assertThat(first.isError()).isFalse();
        assertThat(second.frames()).isEqualTo(error);
        assertThat(second.isError()).isTrue();
    }

    @Test
    void rawReadPassesAReplyArrivingOneByteAtATimeThroughUntouched() throws IOException {
        byte[] relation = ReplyWriter.encode(numbers(300));
        byte[] message = ReplyWriter.encode(new Result.Message("Hadisoana ve? no, fine"));
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(relation);
        stream.write(message);
        InputStream trickle = new ByteArrayInputStream(stream.toByteArray()) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        ReplyReader reader = new ReplyReader(trickle);
        assertThat(reader.readRaw().frames()).isEqualTo(relation);
        RawReply second = reader.readRaw();
        assertThat(second.frames()).isEqualTo(message);
        assertThat(second.isError()).isFalse();
    }

    @Test
    void rawReadOfATruncatedOrForeignReplyIsAnError() {
        byte[] frames = ReplyWriter.encode(numbers(30));
        byte[] cut = Arrays.copyOf(frames, frames.length / 2);
        assertThatThrownBy(() -> new ReplyReader(new ByteArrayInputStream(cut)).readRaw())
                .isInstanceOf(EOFException.class).hasMessageContaining("middle of a reply");
        assertThatThrownBy(() -> new ReplyReader(new ByteArrayInputStream(new byte[0])).readRaw())
                .isInstanceOf(EOFException.class).hasMessage("the connection was closed");
        byte[] junk = "HELLO\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new ReplyReader(new ByteArrayInputStream(junk)).readRaw())
                .isInstanceOf(ProtocolException.class).hasMessage("unexpected reply line: HELLO");
        byte[] unended = "RESULT_MESSAGE\nfine\nNOT_END\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new ReplyReader(new ByteArrayInputStream(unended)).readRaw())
                .isInstanceOf(ProtocolException.class).hasMessage("expected END, got: NOT_END");
    }

    @Test
    void truncatedReplyIsAnError() {
        byte[] frames = ReplyWriter.encode(numbers(30));
        byte[] cut = Arrays.copyOf(frames, frames.length / 2);
        assertThatThrownBy(() -> new ReplyReader(new ByteArrayInputStream(cut)).read())
                .isInstanceOf(EOFException.class).hasMessageContaining("middle of a reply");
    }

    @Test
    void somethingThatIsNoReplyIsAProtocolError() {
        byte[] junk = "HELLO\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new ReplyReader(new ByteArrayInputStream(junk)).read())
                .isInstanceOf(ProtocolException.class);
    }
}
