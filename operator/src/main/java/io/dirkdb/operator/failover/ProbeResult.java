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
 * @param dataSince when the first of the answers in a row that showed data (LSN above 0) arrived, up to
 *     {@code last}; 0 when {@code last} shows none, or when unknown
 */
public record ProbeResult(MemberAddress endpoint, int missed, HeartbeatReport last, long answeredAt, long dataSince) {

  /** A result whose answer times are unknown. */
  public ProbeResult(MemberAddress endpoint, int missed, HeartbeatReport last) {
    this(endpoint, missed, last, 0, 0);
  }

  public boolean answering() {
    return missed == 0 && last != null;
  }

  /**
   * Whether this member is known to have shown data only after {@code other}'s answer arrived: an empty answer of
   * {@code other} from before then says nothing about data this member holds now.
   */
  public boolean showedDataOnlyAfter(ProbeResult other) {
    return dataSince != 0 && other.answeredAt != 0 && dataSince - other.answeredAt > 0;
  }
}
