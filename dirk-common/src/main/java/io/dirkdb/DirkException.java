package io.dirkdb;

/**
 * An error whose message is meant for the user: it goes to the client as
 * {@code Hadisoana : <message>}. Anything else thrown inside the server is an
 * internal failure and stays in the log.
 */
public class DirkException extends RuntimeException {
    public DirkException(String message) {
        super(message);
    }

    public DirkException(String message, Throwable cause) {
        super(message, cause);
    }
}
