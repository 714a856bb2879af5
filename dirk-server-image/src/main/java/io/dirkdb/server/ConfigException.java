package io.dirkdb.server;

import io.dirkdb.DirkException;

/** A missing or malformed {@code config.json}; the message is one line naming the file and the field. */
public final class ConfigException extends DirkException {
    public ConfigException(String message) {
        super(message);
    }
}
