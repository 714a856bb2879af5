package io.dirkdb.protocol;

import java.time.Duration;

/**
 * The deadlines of a client connection on a DirkDB listener (member, proxy, cache): flags
 * {@code --authentication-timeout-seconds} and {@code --idle-timeout-seconds}.
 *
 * @param authentication how long a connection may go without completing a request while it has not
 *                       authenticated (or, where no password is asked, before its first request)
 * @param idle how long any other connection may go without completing a request; zero: no limit
 */
public record ConnectionTimeouts(Duration authentication, Duration idle) {
    public static final Duration DEFAULT_AUTHENTICATION = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE = Duration.ofHours(1);
    public static final ConnectionTimeouts DEFAULTS = new ConnectionTimeouts(DEFAULT_AUTHENTICATION, DEFAULT_IDLE);

    public ConnectionTimeouts {
        if (authentication.isNegative() || authentication.isZero()) {
            throw new IllegalArgumentException("the authentication timeout must be positive");
        }
        if (idle.isNegative()) {
            throw new IllegalArgumentException("the idle timeout must not be negative");
        }
    }

    public static ConnectionTimeouts ofSeconds(long authenticationSeconds, long idleSeconds) {
        return new ConnectionTimeouts(Duration.ofSeconds(authenticationSeconds), Duration.ofSeconds(idleSeconds));
    }
}
