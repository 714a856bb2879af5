package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;

/**
 * What the prober knows of one member now.
 *
 * @param missed heartbeats missed in a row (a probe still unanswered after an interval counts as missed)
 * @param last the last heartbeat the member answered, or null if it never answered at this endpoint
 * @param answeredAt when {@code last} arrived (the prober's nanoTime), 0 when unknown: the answers of one
 *     round arrive at different times, so two members' reports may describe different moments
 */
public record ProbeResult(MemberAddress endpoint, int missed, HeartbeatReport last, long answeredAt) {

  /** A result whose answer time is unknown. */
  public ProbeResult(MemberAddress endpoint, int missed, HeartbeatReport last) {
    this(endpoint, missed, last, 0);
  }

  public boolean answering() {
    return missed == 0 && last != null;
  }

  /** Whether this answer is known to have arrived before {@code other}'s. */
  public boolean answeredBefore(ProbeResult other) {
    return answeredAt != 0 && other.answeredAt != 0 && other.answeredAt - answeredAt > 0;
  }
}
