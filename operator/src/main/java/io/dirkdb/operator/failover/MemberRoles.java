package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.dependent.ClusterNaming;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who is what, by what the members answer rather than by what a status or an ordinal says. The
 * cluster's current epoch is the highest any member or record has shown; the primary is the one member
 * that answers primary at that epoch and does not lack data others hold. A member with no heartbeat yet
 * has no known role. Pure: the failover coordinator feeds it the prober's picture and acts on its answer.
 *
 * @param results the prober's picture by pod name
 * @param currentEpoch the highest epoch known: heartbeats and the status' records
 * @param primary the member answering primary at the current epoch, if exactly one does
 */
public record MemberRoles(Map<String, ProbeResult> results, long currentEpoch, Optional<String> primary) {

  /**
   * @param knownEpoch the highest epoch the status remembers (its failover record, its members), 0 if none
   * @param statusPrimary the status' current primary, which settles a tie between two claims; may be null
   */
  public static MemberRoles of(Map<String, ProbeResult> results, long knownEpoch, String statusPrimary) {
    long epoch = knownEpoch;
    for (ProbeResult r : results.values()) {
      if (r.last() != null) {
        epoch = Math.max(epoch, r.last().epoch());
      }
    }
    long current = epoch;
    List<String> claims = results.keySet().stream()
        .filter(member -> claimsPrimaryAt(results, member, current) && !emptyOverData(results, member))
        .toList();
    Optional<String> primary = claims.size() == 1 ? Optional.of(claims.get(0))
        : claims.contains(statusPrimary) ? Optional.of(statusPrimary) : Optional.empty();
    return new MemberRoles(results, current, primary);
  }

  /**
   * The label a member's pod should carry now, or empty to leave it as it is: a member whose role is
   * unknown (no answer) keeps its label, since moving a silent primary's label is the failover's job.
   * {@code fenced} is lifted by the resync coordinator once a rebuilt member streams again.
   */
  public Optional<String> label(String member, String labelNow) {
    if (primary.filter(member::equals).isPresent()) {
      return Optional.of(ClusterNaming.ROLE_PRIMARY);
    }
    ProbeResult result = results.get(member);
    if (result == null || !result.answering()) {
      return Optional.empty();
    }
    HeartbeatReport heartbeat = result.last();
    if (heartbeat.isPrimary() || HeartbeatReport.FENCED.equals(heartbeat.role())) {
      // A primary of an older epoch, a second claim, or an empty one: never selected by the primary Service.
      return Optional.of(ClusterNaming.ROLE_FENCED);
    }
    if (heartbeat.isSecondary()) {
      if (heartbeat.mustResync()) {
        return Optional.of(ClusterNaming.ROLE_FENCED);
      }
      // Only a pod without a role: a primary label is never taken on a secondary answer, which may be the
      // last one before its promotion (the failover and switchover steps move that label themselves).
      if (labelNow == null) {
        return Optional.of(ClusterNaming.ROLE_SECONDARY);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code member} answers primary but may not be one (older epoch, empty over data, a second claim). */
  public boolean falsePrimary(String member) {
    ProbeResult result = results.get(member);
    return result != null && result.answering() && result.last().isPrimary() && primary.filter(member::equals).isEmpty();
  }

  /** Whether {@code member} answers with an empty log (a fresh volume) while another member holds data. */
  public boolean emptyOverData(String member) {
    return emptyOverData(results, member);
  }

  /**
   * The member to make primary when none answers as one and no status names one (a cluster recreated
   * over retained volumes whose primary was fenced, or whose primary's volume came back empty): only
   * when every one of {@code members} answers, so no log is unseen; a member holding data first (an empty
   * one never wins over data, even over a member that calls itself diverged, which it may be only from
   * the empty one), then the highest epoch, then one that need not be resynced, then the most complete
   * log (highest LSN).
   */
  public Optional<String> bootstrapCandidate(List<String> members) {
    if (primary.isPresent() || members.isEmpty()
        || !members.stream().allMatch(m -> results.get(m) != null && results.get(m).answering())) {
      return Optional.empty();
    }
    return members.stream()
        .filter(m -> results.get(m).last().ready())
        .max(Comparator.<String>comparingInt(m -> results.get(m).last().lsn() > 0 ? 1 : 0)
            .thenComparingLong(m -> results.get(m).last().epoch())
            .thenComparingInt(m -> results.get(m).last().mustResync() ? 0 : 1)
            .thenComparingLong(m -> results.get(m).last().lsn())
            .thenComparing(Comparator.<String>reverseOrder()));
  }

  private static boolean claimsPrimaryAt(Map<String, ProbeResult> results, String member, long epoch) {
    ProbeResult r = results.get(member);
    return r != null && r.answering() && r.last().isPrimary() && r.last().epoch() == epoch;
  }

  /**
   * Empty while another member holds data, by answers that say so: the other member showed data already before the
   * empty answer arrived. An empty answer older than the other's first data (the primary probed just before the
   * first writes of a new history, its secondary just after) says nothing; the member's next answer decides.
   */
  private static boolean emptyOverData(Map<String, ProbeResult> results, String member) {
    ProbeResult r = results.get(member);
    if (r == null || r.last() == null || r.last().lsn() > 0) {
      return false;
    }
    return results.entrySet().stream()
        .anyMatch(e -> !e.getKey().equals(member) && e.getValue().last() != null && e.getValue().last().lsn() > 0
            && !e.getValue().showedDataOnlyAfter(r));
  }
}
