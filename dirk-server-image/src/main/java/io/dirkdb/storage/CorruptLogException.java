package io.dirkdb.storage;

import java.io.IOException;

/**
 * The write-ahead log or a snapshot is damaged in a way recovery must not paper over (a bad record
 * followed by good ones, a missing segment, a snapshot that fails its checksum). The member has to
 * be rebuilt by a resync or restored by hand.
 */
public final class CorruptLogException extends IOException {
    public CorruptLogException(String message) {
        super(message);
    }
}
