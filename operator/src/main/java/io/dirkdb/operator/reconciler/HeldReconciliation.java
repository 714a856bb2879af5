package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The status of a cluster the user holds back by annotation: paused reconciliation, hibernation, fenced members.
 * Each is a condition (True while it holds, False once lifted) and an Event when it starts and ends.
 */
final class HeldReconciliation {
  private static final Logger LOG = Logger.getLogger(HeldReconciliation.class);

  private HeldReconciliation() {}

  /** The status of a paused cluster: as it was, with ReconciliationPaused=True (nothing else is looked at). */
  static DirkClusterStatus paused(KubernetesClient client, DirkCluster cluster) {
    DirkClusterStatus status = cluster.getStatus() == null ? new DirkClusterStatus()
        : Serialization.clone(cluster.getStatus());
    String message = "the annotation " + ClusterAnnotations.RECONCILIATION + "=paused holds every change, failover "
        + "included; remove it to resume (kubectl dirk resume " + cluster.getMetadata().getName() + ")";
    set(client, cluster, status, ConditionType.ReconciliationPaused, true, Reason.PausedByUser, message, Reason.ReconciliationPaused);
    return status;
  }

  /** Records that a paused cluster is reconciled again. */
  static void notPaused(KubernetesClient client, DirkCluster cluster, DirkClusterStatus status) {
    if (wasTrue(cluster, ConditionType.ReconciliationPaused)) {
      set(client, cluster, status, ConditionType.ReconciliationPaused, false, Reason.Reconciling, "reconciliation resumed",
          Reason.ReconciliationResumed);
    }
  }

  /** Phase Hibernated and the Hibernated condition, or the condition lifted once the annotation is gone. */
  static void hibernation(KubernetesClient client, DirkCluster cluster, DirkClusterStatus status, List<Pod> memberPods,
      List<String> fenceProblems) {
    if (!ClusterAnnotations.hibernated(cluster)) {
      String value = ClusterAnnotations.value(cluster, ClusterAnnotations.HIBERNATION);
      if (value != null && !value.isBlank() && !"off".equalsIgnoreCase(value.trim())) {
        // A typo must not pass unseen: the user believes the cluster hibernates while it runs.
        String message = "the annotation " + ClusterAnnotations.HIBERNATION + " is \"" + value + "\", which the operator"
            + " does not know: only \"on\" hibernates the cluster, \"off\" (or no annotation) runs it; it keeps running";
        Condition before = cluster.getStatus() == null ? null
            : cluster.getStatus().condition(ConditionType.Hibernated).orElse(null);
        StatusWriter.condition(status, ConditionType.Hibernated, false, Reason.InvalidValue,
            message, cluster.getMetadata().getGeneration());
        if (before == null || !message.equals(before.getMessage())) {
          ClusterEvents.warning(client, cluster, Reason.HibernationValueInvalid, message);
        }
        return;
      }
      if (wasTrue(cluster, ConditionType.Hibernated)) {
        set(client, cluster, status, ConditionType.Hibernated, false, Reason.Awake, "hibernation ended; the pods start on "
            + "their volumes", Reason.HibernationEnded);
      }
      return;
    }
    StatusWriter.hibernated(status);
    String message = memberPods.isEmpty() ? "every pod is stopped, volumes kept; set " + ClusterAnnotations.HIBERNATION
        + "=off (or remove it) to wake the cluster"
        : "fenced; " + memberPods.size() + " member pods still stopping"
            + (fenceProblems.isEmpty() ? "" : " (not fenced: " + String.join("; ", fenceProblems) + ")");
    set(client, cluster, status, ConditionType.Hibernated, true, Reason.HibernatedByUser, message, Reason.Hibernating);
  }

  /** The FencedByUser condition: who is held fenced, and whether the primary is (then no failover either). */
  static void fenced(KubernetesClient client, DirkCluster cluster, DirkClusterStatus status, Set<String> fenced,
      List<String> problems) {
    if (fenced.isEmpty()) {
      if (wasTrue(cluster, ConditionType.FencedByUser)) {
        set(client, cluster, status, ConditionType.FencedByUser, false, Reason.NoneFenced, "no member is fenced by "
            + ClusterAnnotations.FENCED_MEMBERS, Reason.MembersUnfenced);
      }
      return;
    }
    String primary = status.getCurrentPrimary();
    String message = "fenced by " + ClusterAnnotations.FENCED_MEMBERS + ": " + String.join(", ", fenced)
        + (primary != null && fenced.contains(primary) ? "; the primary is among them: no member takes writes and "
            + "no failover runs until it is unfenced" : "")
        + (ClusterAnnotations.fencedMembersMalformed(cluster) ? " (the annotation is not a JSON list of pod names, "
            + "so every member is held)" : "")
        + (problems.isEmpty() ? "" : "; not reached: " + String.join("; ", problems));
    set(client, cluster, status, ConditionType.FencedByUser, true, Reason.FencedByUser, message, Reason.MembersFenced);
  }

  private static boolean wasTrue(DirkCluster cluster, ConditionType type) {
    return cluster.getStatus() != null && cluster.getStatus().condition(type)
        .filter(c -> "True".equals(c.getStatus())).isPresent();
  }

  /** Sets the condition; a change of its status or message is also a Normal Event and a log line. */
  private static void set(KubernetesClient client, DirkCluster cluster, DirkClusterStatus status, ConditionType type,
      boolean value, Reason reason, String message, Reason eventReason) {
    Condition before = cluster.getStatus() == null ? null : cluster.getStatus().condition(type).orElse(null);
    StatusWriter.condition(status, type, value, reason, message,
        cluster.getMetadata().getGeneration());
    if (before == null || !(value ? "True" : "False").equals(before.getStatus())
        || !message.equals(before.getMessage())) {
      LOG.infof("DirkCluster %s/%s: %s", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(),
          message);
      ClusterEvents.normal(client, cluster, eventReason, message);
    }
  }
}
