package io.dirkdb.operator.backup;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.RecoverySpec;
import io.dirkdb.operator.reconciler.ClusterEvents;
import io.dirkdb.operator.reconciler.StatusWriter;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Optional;

/**
 * What became of the restore of a cluster made by {@code spec.bootstrap.recovery}: the condition {@code Restored}, read
 * from the {@code restore} init container of the primary's pod (its exit code, and on failure its termination message:
 * the last lines {@code dirk restore} printed), with an Event when the restore completes or fails with a new error.
 * Once True it stays True: a restarted pod's {@code --if-empty} restore finds data and does nothing.
 */
public final class RestoreReport {
  public static final ConditionType CONDITION = ConditionType.Restored;
  public static final Reason REASON_RESTORING = Reason.Restoring;
  public static final Reason REASON_COMPLETED = Reason.RestoreCompleted;
  public static final Reason REASON_FAILED = Reason.RestoreFailed;
  /** The termination message is the log's tail (up to 80 lines, 2 KiB): enough, but not all of it, for a status. */
  private static final int MESSAGE_CHARS = 600;

  private RestoreReport() {}

  public static void report(KubernetesClient client, DirkCluster cluster, DirkClusterStatus status, List<Pod> pods) {
    RecoverySpec recovery = cluster.getSpec().recovery();
    if (recovery == null) {
      return;
    }
    Optional<Condition> previous = cluster.getStatus() == null ? Optional.empty()
        : cluster.getStatus().condition(CONDITION);
    if (previous.filter(c -> "True".equals(c.getStatus())).isPresent()) {
      return; // kept as it is by the status carried over
    }
    Long generation = cluster.getMetadata().getGeneration();
    String source = describe(recovery);
    Optional<Restore> restore = pods.stream().map(RestoreReport::restore).flatMap(Optional::stream).findFirst();
    if (restore.isEmpty()) {
      if (previous.isPresent()) {
        return; // no pod says more now (hibernated, or between pods): what was said stays
      }
      set(status, false, REASON_RESTORING, "waiting for the primary's pod to run dirk restore (" + source + ")",
          generation);
      return;
    }
    ContainerStatus init = restore.get().status();
    String pod = restore.get().pod();
    ContainerStateTerminated ended = init.getState() == null ? null : init.getState().getTerminated();
    if (ended != null && Integer.valueOf(0).equals(ended.getExitCode())) {
      String message = "the primary's data was restored in " + pod + " (" + source + ")";
      set(status, true, REASON_COMPLETED, message, generation);
      ClusterEvents.normal(client, cluster, REASON_COMPLETED, message);
      return;
    }
    ContainerStateTerminated failed = ended != null ? ended
        : init.getLastState() == null ? null : init.getLastState().getTerminated();
    if (failed == null) {
      set(status, false, REASON_RESTORING, "dirk restore is running in " + pod + " (" + source + ")", generation);
      return;
    }
    String error = "dirk restore in " + pod + " exited " + failed.getExitCode() + ": " + tail(failed.getMessage());
    int attempts = (init.getRestartCount() == null ? 0 : init.getRestartCount()) + (ended != null ? 1 : 0);
    String message = error + " (" + Math.max(attempts, 1) + (attempts > 1 ? " attempts" : " attempt")
        + "; the kubelet tries again; fix the recovery source, or delete this DirkCluster and its volumes and create it"
        + " again)";
    boolean newError = previous.map(Condition::getMessage).filter(m -> m.startsWith(error + " (")).isEmpty();
    set(status, false, REASON_FAILED, message, generation);
    if (newError) {
      ClusterEvents.warning(client, cluster, REASON_FAILED, error);
    }
  }

  private record Restore(String pod, ContainerStatus status) {}

  private static Optional<Restore> restore(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getInitContainerStatuses().stream()
        .filter(s -> BackupPods.RESTORE_CONTAINER.equals(s.getName()))
        .findFirst().map(s -> new Restore(pod.getMetadata().getName(), s));
  }

  private static String describe(RecoverySpec recovery) {
    String backup = recovery.getBackupId() == null ? "the latest backup" : "backup " + recovery.getBackupId();
    String target = recovery.getTargetLsn() != null ? ", up to LSN " + recovery.getTargetLsn()
        : recovery.getTargetTime() != null ? ", up to " + recovery.getTargetTime() : ", to the end of its archive";
    return backup + target;
  }

  private static String tail(String message) {
    if (message == null || message.isBlank()) {
      return "no message (see kubectl logs POD -c " + BackupPods.RESTORE_CONTAINER + ")";
    }
    // One line: the JVM's notice of its options is not the restore's; the rest is what dirk restore said.
    String text = String.join(" | ", message.strip().lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("Picked up ")).toList());
    return text.length() <= MESSAGE_CHARS ? text : "..." + text.substring(text.length() - MESSAGE_CHARS);
  }

  private static void set(DirkClusterStatus status, boolean ok, Reason reason, String message, Long generation) {
    StatusWriter.condition(status, CONDITION, ok, reason, message, generation);
  }
}
