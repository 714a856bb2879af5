package io.dirkdb.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.storage.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The role and epoch of a member as kept in {@code member.json} of its data directory, so that a
 * restart keeps them: a fenced member stays fenced, a promoted one keeps its epoch.
 *
 * @param epoch the epoch of this member's current role (the epoch it writes with when primary)
 * @param highestEpochSeen the highest epoch this member has been told of; a promotion must exceed it
 * @param primaryHost the primary this secondary follows, or null
 * @param historyId the history (cluster) this member's data belongs to, or null while it has none
 *                  (an empty member, or data written before member.json carried one)
 */
public record MemberState(Role role, long epoch, long highestEpochSeen, String primaryHost, int primaryPort,
                          String historyId) {
    public static final String FILE_NAME = "member.json";
    private static final System.Logger LOG = System.getLogger("io.dirkdb.server");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A state of no history yet. */
    public MemberState(Role role, long epoch, long highestEpochSeen, String primaryHost, int primaryPort) {
        this(role, epoch, highestEpochSeen, primaryHost, primaryPort, null);
    }

    /** The state of a member starting on a fresh data directory. */
    public static MemberState initial(Role role) {
        long epoch = role == Role.PRIMARY ? 1 : 0;
        return new MemberState(role, epoch, epoch, null, 0, null);
    }

    /** This state with another role, epochs and primary, in the same history. */
    public MemberState with(Role newRole, long newEpoch, long newHighestEpochSeen, String newPrimaryHost,
                            int newPrimaryPort) {
        return new MemberState(newRole, newEpoch, newHighestEpochSeen, newPrimaryHost, newPrimaryPort, historyId);
    }

    /** This state in history {@code id}. */
    public MemberState withHistory(String id) {
        return new MemberState(role, epoch, highestEpochSeen, primaryHost, primaryPort, id);
    }

    /** Reads {@code member.json} of {@code dataDirectory}, or returns null when there is none. */
    public static MemberState load(Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return null;
        }
        try {
            var node = JSON.readTree(file.toFile());
            Role role = Role.fromWireName(node.path("role").asText());
            long epoch = node.path("epoch").asLong();
            long seen = Math.max(epoch, node.path("highestEpochSeen").asLong());
            if (seen > Epochs.MAX) {
                // Left by a forged stream request before epochs were bounded: no promotion could ever pass it.
                // The member then starts from the epoch of its last log record (Member.start).
                LOG.log(System.Logger.Level.WARNING, "{0}: epoch {1} is beyond the largest epoch ({2}), set by a forged "
                        + "request; it is dropped", file, String.valueOf(seen), String.valueOf(Epochs.MAX));
                epoch = epoch > Epochs.MAX ? 0 : epoch;
                seen = epoch;
            }
            String host = node.hasNonNull("primaryHost") ? node.get("primaryHost").asText() : null;
            String history = node.hasNonNull("historyId") ? node.get("historyId").asText() : null;
            return new MemberState(role, epoch, seen, host, node.path("primaryPort").asInt(), history);
        } catch (IOException | IllegalArgumentException e) {
            throw new DirkException(file + ": unreadable member state (" + e.getMessage() + ")", e);
        }
    }

    /** Writes this state durably (temporary file, fsync, rename). */
    public void save(Path dataDirectory) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("role", role.wireName());
        node.put("epoch", epoch);
        node.put("highestEpochSeen", highestEpochSeen);
        if (historyId != null) {
            node.put("historyId", historyId);
        }
        if (primaryHost != null) {
            node.put("primaryHost", primaryHost);
            node.put("primaryPort", primaryPort);
        }
        AtomicFile.write(dataDirectory.resolve(FILE_NAME), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
    }
}
