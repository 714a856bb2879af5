package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.dependent.ClusterNaming;
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
    DirkClusterStatus status = StatusWriter.carryOver(previous);
    Long generation = cluster.getMetadata().getGeneration();
    String currentPrimary = currentPrimary(cluster);

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
      members.add(StatusWriter.member(name, role, podReady, previousMembers.get(name)));
      if (podReady) {
        ready++;
      }
    }
    int desired = members.size();
    String secondaryPrefix = ClusterNaming.secondaryStatefulSet(cluster) + "-";
    int secondaries = (int) podsByName.keySet().stream().filter(n -> n.startsWith(secondaryPrefix)).count();

    int proxyWanted = cluster.getSpec().getProxy().getReplicas();
    int proxyReady = proxy.map(d -> d.getStatus() == null || d.getStatus().getReadyReplicas() == null ? 0
        : d.getStatus().getReadyReplicas()).orElse(0);
    boolean primaryLabelled = members.stream()
        .anyMatch(m -> m.getName().equals(currentPrimary) && ClusterNaming.ROLE_PRIMARY.equals(m.getRole()));

    Reason reason;
    String message;
    boolean allReady = false;
    if (ready < desired) {
      reason = Reason.MembersNotReady;
      message = ready + " of " + desired + " members ready";
    } else if (currentPrimary == null) {
      reason = Reason.PrimaryUnknown;
      message = "no member answers heartbeats as the primary yet";
    } else if (!primaryLabelled) {
      reason = Reason.PrimaryNotLabelled;
      message = "member " + currentPrimary + " is not labelled " + ClusterNaming.LABEL_ROLE + "=primary yet";
    } else if (proxyReady < proxyWanted) {
      reason = Reason.ProxyNotReady;
      message = proxyReady + " of " + proxyWanted + " proxy pods ready";
    } else {
      reason = Reason.AllReady;
      message = desired + " members and " + proxyWanted + " proxy pods ready";
      allReady = true;
    }
    StatusWriter.observed(status, generation, currentPrimary, members, ready, secondaries, previous.getPhase(), allReady,
        podsByName.isEmpty());
    StatusWriter.condition(status, ConditionType.SpecValid, true, Reason.Valid, "the spec passed every rule", generation);
    StatusWriter.condition(status, ConditionType.Ready, allReady, reason, message, generation);
    return status;
  }

  /** Status of a cluster whose spec broke rules: nothing was made or changed from it. */
  static DirkClusterStatus invalid(DirkCluster cluster, List<SpecViolation> violations) {
    DirkClusterStatus previous = cluster.getStatus() == null ? new DirkClusterStatus() : cluster.getStatus();
    DirkClusterStatus status = StatusWriter.carryOver(previous);
    Long generation = cluster.getMetadata().getGeneration();
    StatusWriter.invalid(status, previous, generation);
    String message = describe(violations);
    StatusWriter.condition(status, ConditionType.SpecValid, false, violations.get(0).reason(), message, generation);
    StatusWriter.condition(status, ConditionType.Ready, false, Reason.InvalidSpec,
        "the spec is invalid; no child was created or changed: " + message, generation);
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
}
