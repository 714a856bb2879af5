package io.dirkdb.operator.failover;

/**
 * What the prober knows of one member now.
 *
 * @param missed heartbeats missed in a row (a probe still unanswered after an interval counts as missed)
 * @param last the last heartbeat the member answered, or null if it never answered at this endpoint
 */
public record ProbeResult(MemberEndpoint endpoint, int missed, MemberHeartbeat last) {

  public boolean answering() {
    return missed == 0 && last != null;
  }
}
