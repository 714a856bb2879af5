package io.dirkdb.protocol;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dirkdb.engine.Result;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;

/**
 * Encodes results as reply frames and sends them. A whole reply is built in memory and leaves
 * in one write and one flush: the original wrote line by line, and with delayed
 * acknowledgements every request then waited about 45 ms.
 */
public final class ReplyWriter {
    private static final JsonFactory JSON = new JsonFactory();

    private final OutputStream out;

    public ReplyWriter(OutputStream out) {
        this.out = out;
    }

    public void send(Result result) throws IOException {
        sendFrames(encode(result));
    }

    public void sendError(String message) throws IOException {
        sendFrames(encodeError(message));
    }

    /** Sends frames already encoded (by {@link #encode} or read from a peer by {@link ReplyReader#readRaw()}). */
    public void sendFrames(byte[] frames) throws IOException {
        out.write(frames);
        out.flush();
    }

    /** The reply frames of a result. */
    public static byte[] encode(Result result) {
        if (result instanceof Result.Message message) {
            return encodeMessage(message.text());
        }
        return encodeRelation((Result.Relation) result);
    }

    /** The reply frames of an error: {@code RESULT_MESSAGE}, {@code Hadisoana : <message>}, {@code END}. */
    public static byte[] encodeError(String message) {
        return encodeMessage(Frames.ERROR_PREFIX + message);
    }

    public static byte[] encodeMessage(String text) {
        return (Frames.MESSAGE + "\n" + oneLine(text) + "\n" + Frames.END + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] encodeRelation(Result.Relation relation) {
        List<List<Object>> rows = relation.rows();
        int totalPages = Math.max(1, (rows.size() + Frames.ROWS_PER_PAGE - 1) / Frames.ROWS_PER_PAGE);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256 + rows.size() * 32);
        try {
            for (int page = 1; page <= totalPages; page++) {
                buffer.write((Frames.PAGE + " " + page + "/" + totalPages + "\n").getBytes(StandardCharsets.UTF_8));
                int from = (page - 1) * Frames.ROWS_PER_PAGE;
                int to = Math.min(rows.size(), from + Frames.ROWS_PER_PAGE);
                writePage(buffer, relation, page, totalPages, rows.subList(from, to));
                buffer.write('\n');
            }
            buffer.write((Frames.RELATION_END + "\n" + Frames.MESSAGE + "\n" + Frames.RELATION_DONE + "\n"
                    + Frames.END + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return buffer.toByteArray();
    }

    private static void writePage(OutputStream out, Result.Relation relation, int page, int totalPages,
            List<List<Object>> rows) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.writeStartObject();
            json.writeStringField("type", "relation");
            json.writeStringField("name", relation.name() == null ? "" : relation.name());
            json.writeNumberField("page", page);
            json.writeNumberField("totalPages", totalPages);
            json.writeArrayFieldStart("columns");
            for (Result.Column column : relation.columns()) {
                json.writeStartObject();
                json.writeStringField("name", column.name());
                json.writeStringField("origin", column.origin() == null ? "" : column.origin());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeArrayFieldStart("rows");
            for (List<Object> row : rows) {
                json.writeStartArray();
                for (Object value : row) {
                    writeValue(json, value);
                }
                json.writeEndArray();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }

    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof Long || value instanceof Integer) {
            json.writeNumber(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            json.writeNumber(((Number) value).doubleValue());
        } else if (value instanceof LocalDate date) {
            json.writeString(date.toString()); // ISO: YYYY-MM-DD
        } else if (value instanceof Boolean bool) {
            json.writeBoolean(bool);
        } else {
            json.writeString(value.toString());
        }
    }

    /** A message line may not hold a line break: it would end the frame early. */
    private static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        return text.indexOf('\n') < 0 && text.indexOf('\r') < 0 ? text : text.replaceAll("\r\n|[\r\n]", " ");
    }
}
