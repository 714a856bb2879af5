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
 */
public record MemberState(Role role, long epoch, long highestEpochSeen, String primaryHost, int primaryPort) {
    public static final String FILE_NAME = "member.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The state of a member starting on a fresh data directory. */
    public static MemberState initial(Role role) {
        long epoch = role == Role.PRIMARY ? 1 : 0;
        return new MemberState(role, epoch, epoch, null, 0);
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
            String host = node.hasNonNull("primaryHost") ? node.get("primaryHost").asText() : null;
            return new MemberState(role, epoch, seen, host, node.path("primaryPort").asInt());
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
        if (primaryHost != null) {
            node.put("primaryHost", primaryHost);
            node.put("primaryPort", primaryPort);
        }
        AtomicFile.write(dataDirectory.resolve(FILE_NAME), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
    }
}
