package io.dirkdb.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.replication.LogSource;
import io.dirkdb.replication.ResyncTool.Endpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** How backup tools reach a cluster's members: their addresses, the replication credential, TLS. */
public record MemberAccess(List<Endpoint> members, String password, List<String> fallbackPasswords, TlsSettings tls) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int HEARTBEAT_TIMEOUT_MILLIS = 5_000;

    /** A member's heartbeat as read just now (or why it could not be read). */
    public record Observed(Endpoint endpoint, JsonNode heartbeat, String problem) {
        boolean answered() {
            return heartbeat != null;
        }

        String role() {
            return heartbeat == null ? "" : heartbeat.path("role").asText();
        }

        long epoch() {
            return heartbeat == null ? -1 : heartbeat.path("epoch").asLong();
        }

        long lsn() {
            return heartbeat == null ? -1 : heartbeat.path("lsn").asLong();
        }

        String historyId() {
            return heartbeat == null || !heartbeat.path("historyId").isTextual() ? null : heartbeat.path("historyId").asText();
        }
    }

    public MemberAccess {
        members = List.copyOf(members);
        fallbackPasswords = fallbackPasswords == null ? List.of() : List.copyOf(fallbackPasswords);
    }

    public JsonNode heartbeat(Endpoint endpoint) throws IOException {
        try (DirkConnection connection = DirkConnection.open(tls, endpoint.host(), endpoint.port(), HEARTBEAT_TIMEOUT_MILLIS)) {
            connection.setReadTimeoutMillis(HEARTBEAT_TIMEOUT_MILLIS);
            if (password != null) {
                Reply auth = connection.authenticate(password, fallbackPasswords);
                if (auth.isError()) {
                    throw new IOException("the member refused our password: " + auth.errorMessage());
                }
            }
            Reply reply = connection.execute("dirk heartbeat");
            if (reply.isError()) {
                throw new IOException(reply.errorMessage());
            }
            return JSON.readTree(reply.messageText());
        }
    }

    public List<Observed> observeAll() {
        List<Observed> observed = new ArrayList<>();
        for (Endpoint endpoint : members) {
            try {
                observed.add(new Observed(endpoint, heartbeat(endpoint), null));
            } catch (IOException e) {
                observed.add(new Observed(endpoint, null, e.getMessage()));
            }
        }
        return observed;
    }

    /** The answering primary at the highest epoch, or null (with the members' states in {@code why}). */
    public Observed primary(List<Observed> observed) {
        Observed best = null;
        for (Observed member : observed) {
            if (member.answered() && member.role().equals("primary") && member.heartbeat().path("ready").asBoolean(true)
                    && (best == null || member.epoch() > best.epoch())) {
                best = member;
            }
        }
        return best;
    }

    /** Where a base backup is taken: a ready, caught-up secondary of the primary's history and epoch, else the primary. */
    public Observed backupSource() throws BackupException {
        List<Observed> observed = observeAll();
        Observed primary = primary(observed);
        if (primary == null) {
            throw new BackupException("no primary among the members: " + describe(observed));
        }
        Observed best = null;
        for (Observed member : observed) {
            JsonNode beat = member.heartbeat();
            if (member.answered() && member.role().equals("secondary") && beat.path("ready").asBoolean()
                    && beat.path("streaming").asBoolean() && beat.path("lagLsn").asLong() == 0
                    && primary.historyId() != null && primary.historyId().equals(member.historyId())
                    // At a lower epoch it may follow a deposed primary whose last writes the cluster has lost.
                    && member.epoch() == primary.epoch()
                    && (best == null || member.lsn() > best.lsn())) {
                best = member;
            }
        }
        return best != null ? best : primary;
    }

    public static String describe(List<Observed> observed) {
        List<String> parts = new ArrayList<>();
        for (Observed member : observed) {
            parts.add(member.endpoint() + (member.answered() ? " is " + member.role() + " at epoch " + member.epoch()
                    : " does not answer (" + member.problem() + ")"));
        }
        return String.join(", ", parts);
    }

    public LogSource open(Endpoint endpoint) throws IOException {
        return LogSource.open(tls, endpoint.host(), endpoint.port(), password, fallbackPasswords);
    }
}
