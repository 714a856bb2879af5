package io.dirkdb.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into requests: statement text ended by {@code ;}. A {@code ;} inside
 * {@code '...'} or {@code "..."} (with backslash escapes and doubled quotes) or inside a
 * {@code --} comment does not end a request. Whitespace between requests is skipped.
 *
 * <p>The scanner is incremental: bytes may arrive in any pieces. It works on bytes, which is safe
 * because no byte of a multi-byte UTF-8 character equals an ASCII quote, dash or semicolon.
 * A request longer than the bound is not kept: the rest of it is discarded up to its {@code ;}
 * and it comes out as {@link Request.Rejected}. Not thread-safe: one scanner per connection.
 */
public final class RequestScanner {
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;

    private enum State { CODE, DASH, COMMENT, SINGLE_QUOTED, SINGLE_ESCAPE, DOUBLE_QUOTED, DOUBLE_ESCAPE }

    private final int maxRequestBytes;
    private State state = State.CODE;
    private byte[] buffer = new byte[256];
    private int length;
    private long requestBytes;
    private boolean started;
    /** Made on the first request that is not plain ASCII, then reused. */
    private CharsetDecoder decoder;

    public RequestScanner() {
        this(DEFAULT_MAX_REQUEST_BYTES);
    }

    public RequestScanner(int maxRequestBytes) {
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("maxRequestBytes must be positive");
        }
        this.maxRequestBytes = maxRequestBytes;
    }

    /** Scans {@code count} bytes of {@code data}, handing each request completed by them to {@code sink}. */
    public void feed(byte[] data, int offset, int count, Consumer<Request> sink) {
        int end = offset + count;
        for (int i = offset; i < end; i++) {
            byte b = data[i];
            if (!started) {
                if (b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == '\f') {
                    continue;
                }
                started = true;
            }
            if (b == ';' && (state == State.CODE || state == State.DASH)) {
                sink.accept(finishRequest());
                continue;
            }
            state = next(state, b);
            requestBytes++;
            if (requestBytes <= maxRequestBytes) {
                append(b);
            }
        }
    }

    /** What a connection does with each request it reads; false stops the reading. */
    @FunctionalInterface
    public interface RequestHandler {
        boolean handle(Request request) throws IOException;
    }

    /**
     * Reads {@code in} until it ends or {@code handler} returns false, handing over every request in
     * the order it arrived. The read loop of every server side (member, proxy, cache).
     */
    public void readRequests(InputStream in, RequestHandler handler) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        List<Request> requests = new ArrayList<>();
        int count;
        while ((count = in.read(buffer)) >= 0) {
            requests.clear();
            feed(buffer, 0, count, requests::add);
            for (Request request : requests) {
                if (!handler.handle(request)) {
                    return;
                }
            }
        }
    }

    /** Scans a whole text (a script), returning every request ended by {@code ;} in it. */
    public List<Request> feed(byte[] data) {
        List<Request> requests = new ArrayList<>();
        feed(data, 0, data.length, requests::add);
        return requests;
    }

    /** True when bytes of an unfinished request are waiting for their {@code ;}. */
    public boolean hasPartialRequest() {
        return started;
    }

    /** The text of the unfinished request so far (for a script whose last statement lacks its {@code ;}). */
    public String partialText() {
        return new String(buffer, 0, length, StandardCharsets.UTF_8);
    }

    /** Forgets any unfinished request. */
    public void reset() {
        state = State.CODE;
        length = 0;
        requestBytes = 0;
        started = false;
    }

    /** True when {@code text} holds nothing but whitespace and {@code --} comments. */
    public static boolean isBlank(String text) {
        boolean inComment = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inComment) {
                inComment = c != '\n';
            } else if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
                inComment = true;
                i++;
            } else if (!Character.isWhitespace(c)) {
                return false;
            }
        }
        return true;
    }

    private static State next(State state, byte b) {
        switch (state) {
            case CODE:
                return codeTransition(b);
            case DASH:
                return b == '-' ? State.COMMENT : codeTransition(b);
            case COMMENT:
                return b == '\n' ? State.CODE : State.COMMENT;
            case SINGLE_QUOTED:
                return b == '\\' ? State.SINGLE_ESCAPE : b == '\'' ? State.CODE : State.SINGLE_QUOTED;
            case SINGLE_ESCAPE:
                return State.SINGLE_QUOTED;
            case DOUBLE_QUOTED:
                return b == '\\' ? State.DOUBLE_ESCAPE : b == '"' ? State.CODE : State.DOUBLE_QUOTED;
            case DOUBLE_ESCAPE:
                return State.DOUBLE_QUOTED;
            default:
                throw new AssertionError(state);
        }
    }

    // A doubled quote ('it''s') needs no state of its own: it closes the string and opens it again.
    private static State codeTransition(byte b) {
        switch (b) {
            case '\'':
                return State.SINGLE_QUOTED;
            case '"':
                return State.DOUBLE_QUOTED;
            case '-':
                return State.DASH;
            default:
                return State.CODE;
        }
    }

    private void append(byte b) {
        if (length == buffer.length) {
            buffer = Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, maxRequestBytes));
        }
        buffer[length++] = b;
    }

    private Request finishRequest() {
        Request request;
        if (requestBytes > maxRequestBytes) {
            request = new Request.Rejected("request too large: " + requestBytes + " bytes, the limit is "
                    + maxRequestBytes + " bytes (--max-request-bytes)");
        } else {
            request = decode();
        }
        reset();
        if (buffer.length > 64 * 1024) {
            buffer = new byte[256]; // do not keep a huge buffer alive for the rest of the connection
        }
        return request;
    }

    private Request decode() {
        // Most requests are plain ASCII, which needs no decoder: every ASCII byte is its own character.
        if (isAscii(buffer, length)) {
            return new Request.Text(new String(buffer, 0, length, StandardCharsets.US_ASCII));
        }
        if (decoder == null) {
            decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        try {
            return new Request.Text(decoder.reset().decode(ByteBuffer.wrap(buffer, 0, length)).toString());
        } catch (CharacterCodingException e) {
            return new Request.Rejected("the request is not valid UTF-8");
        }
    }

    private static boolean isAscii(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
