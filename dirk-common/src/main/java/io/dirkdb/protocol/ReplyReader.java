package io.dirkdb.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.dirkdb.engine.Result;
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
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    /** A line longer than this is no reply of ours (a page of 20 rows stays far below). */
    private static final int MAX_LINE_BYTES = 64 << 20;

    private static final byte[] MESSAGE_BYTES = Frames.MESSAGE.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_BYTES = Frames.END.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RELATION_END_BYTES = Frames.RELATION_END.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAGE_MARKER_BYTES = (Frames.PAGE + " ").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR_PREFIX_BYTES = Frames.ERROR_PREFIX.getBytes(StandardCharsets.UTF_8);

    private final InputStream in;
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

    /**
     * Reads one whole reply and decodes it: its frames as {@link #readRaw()} checks them, then each page's JSON
     * with a streaming parser (no tree of nodes, no string per line: a client reads every reply through here).
     */
    public Reply read() throws IOException {
        byte[] frames = readRaw().frames();
        int firstEnd = lineEnd(frames, 0);
        if (firstEnd == MESSAGE_BYTES.length && Arrays.equals(frames, 0, firstEnd, MESSAGE_BYTES, 0, firstEnd)) {
            int textEnd = lineEnd(frames, firstEnd + 1);
            String text = new String(frames, firstEnd + 1, textEnd - firstEnd - 1, StandardCharsets.UTF_8);
            return new Reply(new Result.Message(text), frames);
        }
        RelationPages relation = new RelationPages();
        int marker = 0;
        int markerEnd = firstEnd;
        // readRaw() saw PAGE lines, each followed by its JSON line, then the closing frames.
        while (markerEnd - marker >= PAGE_MARKER_BYTES.length
                && Arrays.equals(frames, marker, marker + PAGE_MARKER_BYTES.length, PAGE_MARKER_BYTES, 0,
                        PAGE_MARKER_BYTES.length)) {
            int pageEnd = lineEnd(frames, markerEnd + 1);
            relation.add(frames, markerEnd + 1, pageEnd);
            marker = pageEnd + 1;
            markerEnd = lineEnd(frames, marker);
        }
        return new Reply(new Result.Relation(relation.name, List.copyOf(relation.columns), relation.rows), frames);
    }

    /** Where the line starting at {@code start} of {@code frames} ends (its {@code \n}). */
    private static int lineEnd(byte[] frames, int start) {
        int end = start;
        while (frames[end] != '\n') {
            end++;
        }
        return end;
    }

    /** A relation put together from its pages: name and columns from the first, rows from every one. */
    private static final class RelationPages {
        String name;
        List<Result.Column> columns;
        final List<List<Object>> rows = new ArrayList<>();

        void add(byte[] frames, int start, int end) throws ProtocolException {
            boolean first = columns == null;
            if (first) {
                name = "";
                columns = new ArrayList<>();
            }
            try (JsonParser json = JSON_FACTORY.createParser(frames, start, end - start)) {
                if (json.nextToken() != JsonToken.START_OBJECT) {
                    throw new ProtocolException("a relation page is not valid JSON");
                }
                while (json.nextToken() == JsonToken.FIELD_NAME) {
                    String field = json.getCurrentName();
                    json.nextToken();
                    if (first && field.equals("name")) {
                        name = text(json);
                    } else if (first && field.equals("columns") && json.currentToken() == JsonToken.START_ARRAY) {
                        while (json.nextToken() == JsonToken.START_OBJECT) {
                            columns.add(column(json));
                        }
                        json.skipChildren();
                    } else if (field.equals("rows") && json.currentToken() == JsonToken.START_ARRAY) {
                        readRows(json);
                    } else {
                        json.skipChildren();
                    }
                }
            } catch (JsonProcessingException e) {
                throw new ProtocolException("a relation page is not valid JSON");
            } catch (IOException e) {
                throw new ProtocolException("a relation page is not valid JSON"); // bytes in memory: a parse error
            }
        }

        private static Result.Column column(JsonParser json) throws IOException {
            String name = "";
            String origin = "";
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.getCurrentName();
                json.nextToken();
                if (field.equals("name")) {
                    name = text(json);
                } else if (field.equals("origin")) {
                    origin = text(json);
                } else {
                    json.skipChildren();
                }
            }
            return new Result.Column(name, origin);
        }

        private void readRows(JsonParser json) throws IOException {
            JsonToken token;
            while ((token = json.nextToken()) != JsonToken.END_ARRAY && token != null) {
                List<Object> values = new ArrayList<>();
                if (token == JsonToken.START_ARRAY) {
                    while ((token = json.nextToken()) != JsonToken.END_ARRAY && token != null) {
                        values.add(value(json));
                    }
                } else {
                    json.skipChildren();
                }
                rows.add(values);
            }
        }

        /** A value as the protocol types it: integer (long, or BigDecimal past a long), double, boolean, text, null. */
        private static Object value(JsonParser json) throws IOException {
            switch (json.currentToken()) {
                case VALUE_NULL:
                    return null;
                case VALUE_NUMBER_INT:
                    return json.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                            ? new java.math.BigDecimal(json.getBigIntegerValue()) : (Object) json.getLongValue();
                case VALUE_NUMBER_FLOAT:
                    return json.getDoubleValue();
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                default:
                    return text(json);
            }
        }

        /** The text of a scalar; "" for null, an object or an array (skipped). */
        private static String text(JsonParser json) throws IOException {
            JsonToken token = json.currentToken();
            if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                json.skipChildren();
                return "";
            }
            return token == JsonToken.VALUE_NULL ? "" : json.getText();
        }
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

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
