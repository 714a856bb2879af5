package io.dirkdb.protocol;

/** The frames of one reply, read without decoding its JSON pages (what a proxy forwards). */
public record RawReply(byte[] frames, boolean isError) {}
