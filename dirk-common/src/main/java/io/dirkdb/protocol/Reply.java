package io.dirkdb.protocol;

import io.dirkdb.engine.Result;

/**
 * A reply read from a peer: the result it carries, reassembled from its pages, and the frames
 * exactly as they came (to pass them on untouched).
 *
 * <p>An error reply is a {@link Result.Message} whose text starts with {@code Hadisoana : }.
 * Values of a relation come back as {@code null}, {@link Long}, {@link Double} or {@link String}
 * (a date travels as a {@code YYYY-MM-DD} string and stays one).
 */
public record Reply(Result result, byte[] frames) {

    public boolean isError() {
        return result instanceof Result.Message message && message.text().startsWith(Frames.ERROR_PREFIX);
    }

    /** The error's message without the {@code Hadisoana : } prefix, or null when this is no error. */
    public String errorMessage() {
        return isError() ? ((Result.Message) result).text().substring(Frames.ERROR_PREFIX.length()) : null;
    }

    /** The text of a message reply (errors included, with their prefix), or null for a relation. */
    public String messageText() {
        return result instanceof Result.Message message ? message.text() : null;
    }
}
