package io.dirkdb.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.engine.Result;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads replies from a server (or a proxy) and reassembles relations of any size from their
 * pages. Not thread-safe: one reader per connection.
 */
public final class ReplyReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A line longer than this is no reply of ours (a page of 20 rows stays far below). */
    private static final int MAX_LINE_BYTES = 64 << 20;

    private static final byte[] MESSAGE_BYTES = Frames.MESSAGE.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_BYTES = Frames.END.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RELATION_END_BYTES = Frames.RELATION_END.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAGE_MARKER_BYTES = (Frames.PAGE + " ").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR_PREFIX_BYTES = Frames.ERROR_PREFIX.getBytes(StandardCharsets.UTF_8);

    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    // Own buffer, scanned for line ends a chunk at a time (a byte-by-byte read costs a call per byte).
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    /** The frames of the reply {@link #readRaw()} is reading, kept between replies to spare allocations. */
    private byte[] raw = new byte[1024];
    private int rawLength;

    public ReplyReader(InputStream in) {
        this.in = in;
    }

    /** True when bytes are waiting that no reply read so far covers (read without blocking). */
    public boolean hasUnreadBytes() throws IOException {
        return position < limit || in.available() > 0;
    }

    /** Reads one whole reply and decodes it. */
    public Reply read() throws IOException {
        ByteArrayOutputStream frames = new ByteArrayOutputStream(256);
        String first = readLine(frames);
        if (first.equals(Frames.MESSAGE)) {
            String text = readLine(frames);
            expect(Frames.END, readLine(frames));
            return new Reply(new Result.Message(text), frames.toByteArray());
        }
        String name = null;
        List<Result.Column> columns = null;
        List<List<Object>> rows = new ArrayList<>();
        String marker = first;
        while (marker.startsWith(Frames.PAGE + " ")) {
            JsonNode page = parsePage(readLine(frames));
            if (columns == null) {
                name = page.path("name").asText("");
                columns = new ArrayList<>();
                for (JsonNode column : page.path("columns")) {
                    columns.add(new Result.Column(column.path("name").asText(""), column.path("origin").asText("")));
                }
            }
            for (JsonNode row : page.path("rows")) {
                List<Object> values = new ArrayList<>(row.size());
                for (JsonNode value : row) {
                    values.add(toValue(value));
                }
                rows.add(values);
            }
            marker = readLine(frames);
        }
        if (columns == null) {
            throw new ProtocolException("unexpected reply line: " + abbreviate(first));
        }
        expect(Frames.RELATION_END, marker);
        expect(Frames.MESSAGE, readLine(frames));
        readLine(frames); // the closing message, "OK"
        expect(Frames.END, readLine(frames));
        return new Reply(new Result.Relation(name, List.copyOf(columns), rows), frames.toByteArray());
    }

    /**
     * Reads the frames of one reply without decoding its pages. It checks the frame lines as
     * bytes, making no string of them: a proxy forwards every reply through here.
     */
    public RawReply readRaw() throws IOException {
        if (raw.length > 64 * 1024) {
            raw = new byte[1024]; // do not keep a huge reply's room for the rest of the connection
        }
        rawLength = 0;
        int first = readRawLine();
        if (rawLineIs(first, MESSAGE_BYTES)) {
            int text = readRawLine();
            boolean error = rawLineStartsWith(text, ERROR_PREFIX_BYTES);
            expectRaw(END_BYTES, readRawLine());
            return new RawReply(Arrays.copyOf(raw, rawLength), error);
        }
        if (!rawLineStartsWith(first, PAGE_MARKER_BYTES)) {
            throw new ProtocolException("unexpected reply line: " + abbreviate(rawLineText(first)));
        }
        int marker = first;
        while (rawLineStartsWith(marker, PAGE_MARKER_BYTES)) {
            readRawLine();
            marker = readRawLine();
        }
        expectRaw(RELATION_END_BYTES, marker);
        expectRaw(MESSAGE_BYTES, readRawLine());
        readRawLine();
        expectRaw(END_BYTES, readRawLine());
        return new RawReply(Arrays.copyOf(raw, rawLength), false);
    }

    /**
     * Appends one line, {@code \n} included, to {@code raw}; returns where it starts there. It ends
     * at {@code rawLength - 1} (its {@code \n}).
     */
    private int readRawLine() throws IOException {
        int start = rawLength;
        while (true) {
            if (position == limit) {
                int count = in.read(buffer);
                if (count < 0) {
                    throw new EOFException(rawLength == 0
                            ? "the connection was closed" : "the connection was closed in the middle of a reply");
                }
                position = 0;
                limit = count;
            }
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            boolean found = end < limit;
            int take = end - position + (found ? 1 : 0);
            if (rawLength + take > raw.length) {
                raw = Arrays.copyOf(raw, Math.max(rawLength + take, 2 * raw.length));
            }
            System.arraycopy(buffer, position, raw, rawLength, take);
            rawLength += take;
            position += take;
            if (found) {
                return start;
            }
            if (rawLength - start > MAX_LINE_BYTES) {
                throw new ProtocolException("a reply line is longer than " + MAX_LINE_BYTES + " bytes");
            }
        }
    }

    /** Whether the line at {@code start} (the last one read may be followed by nothing) is exactly {@code wanted}. */
    private boolean rawLineIs(int start, byte[] wanted) {
        return rawLineEnd(start) - start == wanted.length && rawLineStartsWith(start, wanted);
    }

    private boolean rawLineStartsWith(int start, byte[] prefix) {
        return rawLineEnd(start) - start >= prefix.length
                && Arrays.equals(raw, start, start + prefix.length, prefix, 0, prefix.length);
    }

    /** Where the line starting at {@code start} ends, before its {@code \n}. */
    private int rawLineEnd(int start) {
        int end = start;
        while (raw[end] != '\n') {
            end++;
        }
        return end;
    }

    private String rawLineText(int start) {
        return new String(raw, start, rawLineEnd(start) - start, StandardCharsets.UTF_8);
    }

    private void expectRaw(byte[] wanted, int line) throws ProtocolException {
        if (!rawLineIs(line, wanted)) {
            throw new ProtocolException("expected " + new String(wanted, StandardCharsets.US_ASCII) + ", got: "
                    + abbreviate(rawLineText(line)));
        }
    }

    private static JsonNode parsePage(String text) throws ProtocolException {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new ProtocolException("a relation page is not valid JSON");
        }
    }

    private static Object toValue(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isIntegralNumber()) {
            return value.canConvertToLong() ? value.longValue() : value.decimalValue();
        }
        if (value.isNumber()) {
            return value.doubleValue();
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        return value.asText();
    }

    private static void expect(String wanted, String got) throws ProtocolException {
        if (!wanted.equals(got)) {
            throw new ProtocolException("expected " + wanted + ", got: " + abbreviate(got));
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    /** Reads one line (without its {@code \n}), copying its bytes, {@code \n} included, into {@code frames}. */
    private String readLine(ByteArrayOutputStream frames) throws IOException {
        line.reset();
        while (true) {
            if (position == limit) {
                int count = in.read(buffer);
                if (count < 0) {
                    throw new EOFException(line.size() == 0 && frames.size() == 0
                            ? "the connection was closed" : "the connection was closed in the middle of a reply");
                }
                position = 0;
                limit = count;
            }
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            line.write(buffer, position, end - position);
            if (end < limit) { // found the line end
                frames.write(buffer, position, end - position + 1);
                position = end + 1;
                return line.toString(StandardCharsets.UTF_8);
            }
            frames.write(buffer, position, end - position);
            position = limit;
            if (line.size() > MAX_LINE_BYTES) {
                throw new ProtocolException("a reply line is longer than " + MAX_LINE_BYTES + " bytes");
            }
        }
    }
}
