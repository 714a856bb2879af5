package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.FailoverRecord;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.api.v1alpha1.Reason;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The only code that sets a field of a DirkCluster's status ({@code StatusOwnershipTest} fails for a setter of
 * {@link DirkClusterStatus} or {@link MemberStatus} called anywhere else). Each concern owns its fields and phases
 * and has its methods here:
 *
 * <ul>
 *   <li>observation ({@link ClusterStatusAggregator}): {@code members[]} (name, role, ready), {@code readyMembers},
 *       {@code secondaries}, {@code observedGeneration}, and the phases Pending, Creating, Ready, Degraded;
 *   <li>validation: the phase Failed;
 *   <li>heartbeats ({@code FailoverCoordinator.describeMembers}): each member's epoch, LSN, lag, misses, memory;
 *   <li>failover and switchover ({@code FailoverCoordinator}): {@code lastFailover}, {@code currentPrimary}, the
 *       phase FailingOver, and Degraded when one ends or is blocked;
 *   <li>resync: the phase Resyncing, and Degraded when it ends or its Job is refused;
 *   <li>the user's hibernation ({@link HeldReconciliation}): the phase Hibernated;
 *   <li>conditions: each concern its {@link ConditionType}s, through {@link #condition}.
 * </ul>
 */
public final class StatusWriter {

  /** Phases the failover and resync steps set and clear themselves: observation keeps them. */
  private static final Set<ClusterPhase> HELD_BY_THEIR_STEPS = EnumSet.of(ClusterPhase.FailingOver, ClusterPhase.Resyncing);

  private StatusWriter() {}

  // --- every concern

  /** Sets one condition the Kubernetes way (lastTransitionTime moves only when its status flips). */
  public static void condition(DirkClusterStatus status, ConditionType type, boolean value, Reason reason, String message,
      Long generation) {
    status.setConditions(Conditions.set(status.getConditions(), type, value, reason, message, generation));
  }

  // --- observation and validation

  /** A new status that keeps what outlives one observation: the failover record and the conditions. */
  static DirkClusterStatus carryOver(DirkClusterStatus previous) {
    DirkClusterStatus status = new DirkClusterStatus();
    status.setLastFailover(previous.getLastFailover());
    status.setConditions(previous.getConditions() == null ? null : new java.util.ArrayList<>(previous.getConditions()));
    return status;
  }

  /** A member as its pod shows it, with the heartbeat figures {@code before} had (they belong to the prober). */
  static MemberStatus member(String name, String role, boolean ready, MemberStatus before) {
    MemberStatus member = new MemberStatus(name, role, ready);
    if (before != null) {
      member.setEpoch(before.getEpoch());
      member.setLsn(before.getLsn());
      member.setLag(before.getLag());
      member.setDataBytes(before.getDataBytes());
      member.setHeapLimitBytes(before.getHeapLimitBytes());
      member.setHeapMaxBytes(before.getHeapMaxBytes());
      member.setMemoryError(before.getMemoryError());
    }
    return member;
  }

  /** What the pods show; the phase from readiness, unless a failover or resync holds it. */
  static void observed(DirkClusterStatus status, Long generation, String currentPrimary, List<MemberStatus> members,
      int ready, int secondaries, ClusterPhase previous, boolean allReady, boolean noMemberPod) {
    status.setObservedGeneration(generation);
    status.setCurrentPrimary(currentPrimary);
    status.setMembers(members);
    status.setReadyMembers(ready + "/" + members.size());
    status.setSecondaries(secondaries);
    status.setPhase(observedPhase(previous, allReady, noMemberPod));
  }

  private static ClusterPhase observedPhase(ClusterPhase previous, boolean allReady, boolean noMemberPod) {
    if (HELD_BY_THEIR_STEPS.contains(previous)) {
      return previous;
    }
    if (allReady) {
      return ClusterPhase.Ready;
    }
    if (previous == ClusterPhase.Ready || previous == ClusterPhase.Degraded) {
      return ClusterPhase.Degraded;
    }
    return noMemberPod ? ClusterPhase.Pending : ClusterPhase.Creating;
  }

  /** An invalid spec: what was observed before stays, the phase is Failed. */
  static void invalid(DirkClusterStatus status, DirkClusterStatus previous, Long generation) {
    status.setMembers(previous.getMembers());
    status.setReadyMembers(previous.getReadyMembers());
    status.setSecondaries(previous.getSecondaries());
    status.setCurrentPrimary(previous.getCurrentPrimary());
    status.setObservedGeneration(generation);
    status.setPhase(ClusterPhase.Failed);
  }

  // --- heartbeats

  /** A member's figures from its last heartbeat ({@code epoch} null: none answered, only the misses are known). */
  public static void heartbeat(MemberStatus member, int missed, Long epoch, Long lsn, Long lag) {
    member.setMissedHeartbeats(missed);
    if (epoch != null) {
      member.setEpoch(epoch);
      member.setLsn(lsn);
      member.setLag(lag);
    }
  }

  /** A member's memory figures from its last heartbeat. */
  public static void memory(MemberStatus member, long dataBytes, long heapLimitBytes, long heapMaxBytes, String error) {
    member.setDataBytes(dataBytes);
    member.setHeapLimitBytes(heapLimitBytes);
    member.setHeapMaxBytes(heapMaxBytes);
    member.setMemoryError(error);
  }

  // --- failover and switchover

  /** A member answers as the primary: the status names it. */
  public static void primaryAnswers(DirkClusterStatus status, String primary) {
    status.setCurrentPrimary(primary);
  }

  /** A failover or hand-over starts: its record, and the phase FailingOver. */
  public static void failoverStarted(DirkClusterStatus status, FailoverRecord record) {
    status.setLastFailover(record);
    status.setPhase(ClusterPhase.FailingOver);
  }

  /** A step of the running failover or hand-over. */
  public static void failoverStep(DirkClusterStatus status, FailoverRecord record) {
    status.setLastFailover(record);
  }

  /** A failover or hand-over ended (done or abandoned) with {@code primary} primary; observation makes it Ready. */
  public static void failoverEnded(DirkClusterStatus status, FailoverRecord record, String primary) {
    status.setLastFailover(record);
    status.setCurrentPrimary(primary);
    status.setPhase(ClusterPhase.Degraded);
  }

  /** No member may safely replace the lost primary. */
  public static void failoverBlocked(DirkClusterStatus status) {
    status.setPhase(ClusterPhase.Degraded);
  }

  // --- resync

  /** A resync Job rebuilds a member. */
  public static void resyncing(DirkClusterStatus status) {
    status.setPhase(ClusterPhase.Resyncing);
  }

  /** A resync Job could not be created. */
  public static void resyncRefused(DirkClusterStatus status) {
    status.setPhase(ClusterPhase.Degraded);
  }

  /** No member is rebuilt any more: Resyncing gives way to Degraded, which observation makes Ready. */
  public static void resyncEnded(DirkClusterStatus status) {
    if (status.getPhase() == ClusterPhase.Resyncing) {
      status.setPhase(ClusterPhase.Degraded);
    }
  }

  // --- the user's hibernation

  static void hibernated(DirkClusterStatus status) {
    status.setPhase(ClusterPhase.Hibernated);
  }
}
