package io.dirkdb.heartbeat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.DirkException;
import java.io.IOException;
import java.util.Locale;

/**
 * What a member said to {@code dirk heartbeat;}: its role, its epoch, its last LSN, whether it
 * is ready to serve, and, for a secondary, which primary it follows and whether it can go on
 * following it. A member that is ready but whose role is not one we know is treated as unusable.
 *
 * @param role {@code primary}, {@code secondary} or {@code fenced} (lower case, as on the wire)
 * @param diverged its log went past its primary's history: only a resync brings it back
 * @param needsResync it is too far behind (the primary no longer keeps the log it lacks): only a resync helps
 * @param following the {@code host:port} of the primary a secondary follows; null when none or not said
 * @param historyId the history its data belongs to; null when it has none yet (or does not say)
 * @param leaseMillis a primary's lease: it acknowledges writes only this long after it was last heard from (0: none)
 * @param storageFailure why its log could not be written (a full disk...): it serves nothing until a restart or a
 *                       resync; null while its storage works
 * @param memory its data and heap figures; null when it does not say (a member older than them)
 * @param fenceHeld a fenced member's fence is a held one (the user's or hibernation's, {@code dirk fence hold}): no
 *                  hand-over will end it; false for a hand-over's fence, another role, or a member too old to say
 */
public record HeartbeatReport(String role, long epoch, long lsn, boolean ready, boolean diverged,
                              boolean needsResync, String following, String historyId, long leaseMillis,
                              String storageFailure, Memory memory, boolean fenceHeld) {
    public static final String PRIMARY = "primary";
    public static final String SECONDARY = "secondary";
    public static final String FENCED = "fenced";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A member's memory as its heartbeat tells it.
     *
     * @param dataBytes the estimated heap its data takes
     * @param heapUsed  the heap in use, garbage included
     * @param heapMax   its JVM's maximum heap
     * @param heapLimit the data past which it refuses writes that add data ({@code --max-heap-share} of heapMax)
     * @param pressure  why it refuses writes that add data now (or, a secondary, stopped following), else null
     */
    public record Memory(long dataBytes, long heapUsed, long heapMax, long heapLimit, String pressure) {}

    /** A report that does not say its fence is held. */
    public HeartbeatReport(String role, long epoch, long lsn, boolean ready, boolean diverged,
                           boolean needsResync, String following, String historyId, long leaseMillis,
                           String storageFailure, Memory memory) {
        this(role, epoch, lsn, ready, diverged, needsResync, following, historyId, leaseMillis, storageFailure, memory,
                false);
    }

    /** A report that does not tell memory figures. */
    public HeartbeatReport(String role, long epoch, long lsn, boolean ready, boolean diverged,
                           boolean needsResync, String following, String historyId, long leaseMillis,
                           String storageFailure) {
        this(role, epoch, lsn, ready, diverged, needsResync, following, historyId, leaseMillis, storageFailure, null);
    }

    /** A report of a member whose storage works. */
    public HeartbeatReport(String role, long epoch, long lsn, boolean ready, boolean diverged,
                           boolean needsResync, String following, String historyId, long leaseMillis) {
        this(role, epoch, lsn, ready, diverged, needsResync, following, historyId, leaseMillis, null);
    }

    /** A report of a member whose log has not diverged. */
    public HeartbeatReport(String role, long epoch, long lsn, boolean ready) {
        this(role, epoch, lsn, ready, false, false, null, null, 0);
    }

    /** A report that does not say its history. */
    public HeartbeatReport(String role, long epoch, long lsn, boolean ready, boolean diverged, boolean needsResync,
                           String following) {
        this(role, epoch, lsn, ready, diverged, needsResync, following, null, 0);
    }

    public boolean isPrimary() {
        return ready && PRIMARY.equals(role);
    }

    /** Fenced with a held fence (the user's or hibernation's): it waits for no hand-over. */
    public boolean isHeldFenced() {
        return fenceHeld && FENCED.equals(role);
    }

    /** Its log cannot continue from its primary's: a {@code dirk resync} must rebuild it. */
    public boolean mustResync() {
        return diverged || needsResync;
    }

    public boolean isSecondary() {
        return ready && SECONDARY.equals(role);
    }

    /**
     * Parses the one-line JSON message of a heartbeat reply, e.g.
     * {@code {"id":"m1","role":"primary","epoch":3,"lsn":120,"ready":true}}; the replication fields
     * {@code "diverged"}, {@code "needsResync"} and {@code "primary"} are read when present, and so is
     * {@code "fenceHeld"} (absent, from a member older than it: not held).
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
                node.path("diverged").asBoolean(false), node.path("needsResync").asBoolean(false),
                node.path("primary").isTextual() ? node.path("primary").asText() : null,
                node.path("historyId").isTextual() ? node.path("historyId").asText() : null,
                Math.max(0, node.path("leaseMs").asLong(0)),
                node.path("storageFailure").isTextual() ? node.path("storageFailure").asText() : null,
                node.has("dataBytes") ? new Memory(node.path("dataBytes").asLong(), node.path("heapUsed").asLong(),
                        node.path("heapMax").asLong(), node.path("heapLimit").asLong(),
                        node.path("memoryPressure").asBoolean(false) ? node.path("memoryError").asText("memory pressure")
                                : null) : null,
                node.path("fenceHeld").asBoolean(false));
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "...";
    }
}
