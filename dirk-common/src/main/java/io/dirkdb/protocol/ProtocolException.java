package io.dirkdb.protocol;

import java.io.IOException;

/** The peer sent something that is not a DirkDB reply; the connection cannot be trusted any more. */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }
}
