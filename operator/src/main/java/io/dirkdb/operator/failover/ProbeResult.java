package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;

/**
 * What the prober knows of one member now.
 *
 * @param missed heartbeats missed in a row (a probe still unanswered after an interval counts as missed)
 * @param last the last heartbeat the member answered, or null if it never answered at this endpoint
 */
public record ProbeResult(MemberAddress endpoint, int missed, HeartbeatReport last) {

  public boolean answering() {
    return missed == 0 && last != null;
  }
}
