package io.dirkdb.heartbeat;

import java.util.Objects;

/** Where a member of the cluster listens, under the id it has in {@code config.json}. */
public record MemberAddress(String id, String host, int port) {
    public MemberAddress {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("member " + id + ": port " + port + " is not between 1 and 65535");
        }
    }

    /** The form used in log lines and in errors sent to clients: {@code m1 (127.0.0.1:3948)}. */
    @Override
    public String toString() {
        return id + " (" + host + ":" + port + ")";
    }
}
