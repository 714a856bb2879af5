package io.dirkdb.operator.failover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.DirkException;
import java.io.IOException;

/**
 * One answer to {@code dirk heartbeat;}: role, epoch, last LSN, and the replication figures a
 * secondary adds (whom it follows, whether it streams, how far behind it is, whether it diverged).
 *
 * @param primary the {@code host:port} this secondary follows, or null
 * @param ackedLsn in sync mode, the last LSN acknowledged to clients (primary only), or -1
 */
public record MemberHeartbeat(String role, long epoch, long lsn, boolean ready, String primary, boolean streaming,
    long lagLsn, long lagMs, boolean diverged, boolean needsResync, long ackedLsn) {

  public static final String PRIMARY = "primary";
  public static final String SECONDARY = "secondary";
  public static final String FENCED = "fenced";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** @throws DirkException when the text is not a heartbeat message */
  public static MemberHeartbeat parse(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (IOException e) {
      throw new DirkException("the heartbeat reply is not JSON");
    }
    if (node == null || !node.path("role").isTextual()) {
      throw new DirkException("the heartbeat reply has no role");
    }
    return new MemberHeartbeat(node.path("role").asText(), node.path("epoch").asLong(0), node.path("lsn").asLong(0),
        node.path("ready").asBoolean(true), node.hasNonNull("primary") ? node.get("primary").asText() : null,
        node.path("streaming").asBoolean(false), node.path("lagLsn").asLong(0), node.path("lagMs").asLong(0),
        node.path("diverged").asBoolean(false), node.path("needsResync").asBoolean(false),
        node.path("ackedLsn").asLong(-1));
  }

  public boolean isPrimary() {
    return PRIMARY.equals(role);
  }

  public boolean isSecondary() {
    return SECONDARY.equals(role);
  }
}
