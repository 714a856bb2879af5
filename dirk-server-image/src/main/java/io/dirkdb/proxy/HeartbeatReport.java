package io.dirkdb.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.DirkException;
import java.io.IOException;
import java.util.Locale;

/**
 * What a member said to {@code dirk heartbeat;}: its role, its epoch, its last LSN and whether it
 * is ready to serve. A member that is ready but whose role is not one we know is treated as unusable.
 *
 * @param role        {@code primary}, {@code secondary} or {@code fenced} (lower case, as on the wire)
 * @param needsResync a secondary whose log diverged from the primary's, or fell behind what the primary
 *                    keeps: its data is not the primary's history, so it must serve no reads
 */
public record HeartbeatReport(String role, long epoch, long lsn, boolean ready, boolean needsResync) {

    public HeartbeatReport(String role, long epoch, long lsn, boolean ready) {
        this(role, epoch, lsn, ready, false);
    }

    public static final String PRIMARY = "primary";
    public static final String SECONDARY = "secondary";
    public static final String FENCED = "fenced";

    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean isPrimary() {
        return ready && PRIMARY.equals(role);
    }

    public boolean isSecondary() {
        return ready && SECONDARY.equals(role);
    }

    /**
     * Parses the one-line JSON message of a heartbeat reply, e.g.
     * {@code {"id":"m1","role":"primary","epoch":3,"lsn":120,"ready":true}}.
     *
     * @throws DirkException when the text is not such a message
     */
    public static HeartbeatReport parse(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new DirkException("the heartbeat reply is not JSON: " + abbreviate(json));
        }
        if (node == null || !node.isObject() || !node.path("role").isTextual()) {
            throw new DirkException("the heartbeat reply has no role: " + abbreviate(json));
        }
        return new HeartbeatReport(node.path("role").asText().toLowerCase(Locale.ROOT),
                node.path("epoch").asLong(0), node.path("lsn").asLong(-1), node.path("ready").asBoolean(true),
                node.path("diverged").asBoolean(false) || node.path("needsResync").asBoolean(false));
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "...";
    }
}
