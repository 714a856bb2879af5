package io.dirkdb.operator.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
  public static final Reason REASON_SKIPPED = Reason.RestoreSkipped;
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
      JsonNode result = result(ended.getMessage());
      if (result.path("restored").isBoolean() && !result.path("restored").asBoolean()) {
        // --if-empty found data: a pod restarted after a restore this operator did not see end, or a volume kept from
        // an earlier cluster of this name. Either way nothing came from the backup now: say so, and what to do.
        String message = "nothing was restored in " + pod + " from " + source + ": "
            + result.path("reason").asText("its volume already holds a member's data")
            + " (a pod restarted after its restore, or a volume kept from an earlier cluster named "
            + cluster.getMetadata().getName() + "; to restore, delete this DirkCluster and its volume claims and create"
            + " it again)";
        boolean said = previous.filter(c -> REASON_SKIPPED.name().equals(c.getReason())).isPresent();
        set(status, false, REASON_SKIPPED, message, generation);
        if (!said) {
          ClusterEvents.warning(client, cluster, REASON_SKIPPED, message);
        }
        return;
      }
      String message = "the primary's data was restored in " + pod + " (" + source
          + (result.hasNonNull("lsn") ? ", to LSN " + result.path("lsn").asLong() : "")
          + (result.hasNonNull("lastCommit") ? ", last commit " + result.path("lastCommit").asText() : "") + ")";
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
    // The same error on every retry is one condition and one Event: no attempt count, no log timestamps in it.
    String error = "dirk restore in " + pod + " exited " + failed.getExitCode() + ": " + error(failed.getMessage());
    String message = error + " (the kubelet tries again; fix the recovery source, or delete this DirkCluster and its"
        + " volume claims and create it again)";
    boolean newError = previous.map(Condition::getMessage).filter(m -> m.startsWith(error + " (")).isEmpty();
    set(status, false, REASON_FAILED, message, generation);
    if (newError) {
      ClusterEvents.warning(client, cluster, REASON_FAILED, error);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The JSON line dirk restore wrote as its termination message, or a missing node (an older image, the logs). */
  private static JsonNode result(String message) {
    if (message == null || !message.strip().startsWith("{")) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
    try {
      return JSON.readTree(message.strip());
    } catch (java.io.IOException e) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
  }

  /** What went wrong: dirk restore's {"error":...}, else its last "dirk restore:" log line, else the log's tail. */
  private static String error(String message) {
    JsonNode result = result(message);
    if (result.hasNonNull("error")) {
      return tail(result.path("error").asText());
    }
    if (message != null) {
      List<String> said = message.lines().map(String::strip).filter(l -> l.startsWith("dirk restore:")).toList();
      if (!said.isEmpty()) {
        return tail(said.get(said.size() - 1).substring("dirk restore:".length()).strip());
      }
    }
    return tail(message);
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
