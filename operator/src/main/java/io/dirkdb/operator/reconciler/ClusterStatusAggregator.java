package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Turns what the operator observes (member pods, the proxy Deployment) into the DirkCluster status. */
public final class ClusterStatusAggregator {

  private ClusterStatusAggregator() {}

  /** Status of a cluster whose spec was accepted and whose children were reconciled. */
  static DirkClusterStatus observed(DirkCluster cluster, List<Pod> memberPods, Optional<Deployment> proxy) {
    DirkClusterStatus previous = cluster.getStatus() == null ? new DirkClusterStatus() : cluster.getStatus();
    DirkClusterStatus status = carryOver(previous);
    Long generation = cluster.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    status.setCurrentPrimary(currentPrimary(cluster));

    Map<String, Pod> podsByName = memberPods.stream()
        .collect(Collectors.toMap(p -> p.getMetadata().getName(), Function.identity(), (a, b) -> a));
    Map<String, MemberStatus> previousMembers = previous.getMembers() == null ? Map.of()
        : previous.getMembers().stream().collect(Collectors.toMap(MemberStatus::getName, Function.identity(), (a, b) -> a));
    List<MemberStatus> members = new ArrayList<>();
    int ready = 0;
    for (String name : ClusterNaming.memberNames(cluster)) {
      Pod pod = podsByName.get(name);
      boolean podReady = pod != null && isReady(pod);
      String role = pod == null || pod.getMetadata().getLabels() == null ? null
          : pod.getMetadata().getLabels().get(ClusterNaming.LABEL_ROLE);
      MemberStatus member = new MemberStatus(name, role, podReady);
      MemberStatus before = previousMembers.get(name);
      if (before != null) { // heartbeat figures belong to the prober; keep them
        member.setEpoch(before.getEpoch());
        member.setLsn(before.getLsn());
        member.setLag(before.getLag());
        member.setDataBytes(before.getDataBytes());
        member.setHeapLimitBytes(before.getHeapLimitBytes());
        member.setHeapMaxBytes(before.getHeapMaxBytes());
        member.setMemoryError(before.getMemoryError());
      }
      members.add(member);
      if (podReady) {
        ready++;
      }
    }
    status.setMembers(members);
    int desired = members.size();
    status.setReadyMembers(ready + "/" + desired);
    String secondaryPrefix = ClusterNaming.secondaryStatefulSet(cluster) + "-";
    status.setSecondaries((int) podsByName.keySet().stream().filter(n -> n.startsWith(secondaryPrefix)).count());

    int proxyWanted = cluster.getSpec().getProxy().getReplicas();
    int proxyReady = proxy.map(d -> d.getStatus() == null || d.getStatus().getReadyReplicas() == null ? 0
        : d.getStatus().getReadyReplicas()).orElse(0);
    boolean primaryLabelled = members.stream()
        .anyMatch(m -> m.getName().equals(status.getCurrentPrimary()) && ClusterNaming.ROLE_PRIMARY.equals(m.getRole()));

    Reason reason;
    String message;
    boolean allReady = false;
    if (ready < desired) {
      reason = Reason.MembersNotReady;
      message = ready + " of " + desired + " members ready";
    } else if (status.getCurrentPrimary() == null) {
      reason = Reason.PrimaryUnknown;
      message = "no member answers heartbeats as the primary yet";
    } else if (!primaryLabelled) {
      reason = Reason.PrimaryNotLabelled;
      message = "member " + status.getCurrentPrimary() + " is not labelled " + ClusterNaming.LABEL_ROLE + "=primary yet";
    } else if (proxyReady < proxyWanted) {
      reason = Reason.ProxyNotReady;
      message = proxyReady + " of " + proxyWanted + " proxy pods ready";
    } else {
      reason = Reason.AllReady;
      message = desired + " members and " + proxyWanted + " proxy pods ready";
      allReady = true;
    }
    status.setPhase(phase(previous.getPhase(), allReady, podsByName.isEmpty()));
    List<Condition> conditions = Conditions.set(previous.getConditions(),
        ConditionType.SpecValid, true, Reason.Valid, "the spec passed every rule", generation);
    status.setConditions(Conditions.set(conditions, ConditionType.Ready, allReady, reason, message,
        generation));
    return status;
  }

  /** Status of a cluster whose spec broke rules: nothing was made or changed from it. */
  static DirkClusterStatus invalid(DirkCluster cluster, List<SpecViolation> violations) {
    DirkClusterStatus previous = cluster.getStatus() == null ? new DirkClusterStatus() : cluster.getStatus();
    DirkClusterStatus status = carryOver(previous);
    status.setMembers(previous.getMembers());
    status.setReadyMembers(previous.getReadyMembers());
    status.setSecondaries(previous.getSecondaries());
    status.setCurrentPrimary(previous.getCurrentPrimary());
    Long generation = cluster.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    status.setPhase(ClusterPhase.Failed);
    String message = describe(violations);
    List<Condition> conditions = Conditions.set(previous.getConditions(),
        ConditionType.SpecValid, false, violations.get(0).reason(), message, generation);
    status.setConditions(Conditions.set(conditions, ConditionType.Ready, false, Reason.InvalidSpec,
        "the spec is invalid; no child was created or changed: " + message, generation));
    return status;
  }

  static String describe(List<SpecViolation> violations) {
    return violations.stream().map(v -> v.field() + ": " + v.message()).collect(Collectors.joining("; "));
  }

  /** The primary the status names, or null while no member has answered as one (never a guess by ordinal). */
  public static String currentPrimary(DirkCluster cluster) {
    DirkClusterStatus status = cluster.getStatus();
    return status == null ? null : status.getCurrentPrimary();
  }

  public static boolean isReady(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static ClusterPhase phase(ClusterPhase previous, boolean allReady, boolean noMemberPod) {
    if (previous == ClusterPhase.FailingOver || previous == ClusterPhase.Resyncing) {
      return previous; // owned by the failover and resync steps, which clear it themselves
    }
    if (allReady) {
      return ClusterPhase.Ready;
    }
    if (previous == ClusterPhase.Ready || previous == ClusterPhase.Degraded) {
      return ClusterPhase.Degraded;
    }
    return noMemberPod ? ClusterPhase.Pending : ClusterPhase.Creating;
  }

  private static DirkClusterStatus carryOver(DirkClusterStatus previous) {
    DirkClusterStatus status = new DirkClusterStatus();
    status.setLastFailover(previous.getLastFailover());
    return status;
  }
}
