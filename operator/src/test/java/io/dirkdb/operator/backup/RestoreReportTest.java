package io.dirkdb.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.BootstrapSpec;
import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.RecoverySpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Restored condition and its Events, from the primary pod's restore init container as a kubelet reports it: what
 * dirk restore wrote to its termination log, or the log's last lines of a failure.
 */
@EnableKubernetesMockClient(crud = true)
class RestoreReportTest {
  static final String NS = "restores";

  KubernetesClient client;

  @Test
  void aVolumeThatAlreadyHeldDataIsNotCalledRestoredAndIsWarnedOfOnce() {
    DirkCluster cluster = recovered();
    Pod pod = primary(terminated(0, "{\"restored\":false,\"reason\":\"/var/lib/dirk/data already holds a member's data\"}"),
        null, 0);

    DirkClusterStatus first = report(cluster, pod);
    cluster.setStatus(first);
    DirkClusterStatus second = report(cluster, pod);

    assertThat(second.condition(ConditionType.Restored)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("RestoreSkipped");
      assertThat(c.getMessage()).contains("nothing was restored in again-primary-0", "already holds a member's data",
          "delete this DirkCluster and its volume claims");
    });
    assertThat(events("RestoreSkipped")).hasSize(1).allSatisfy(e -> assertThat(e.getType()).isEqualTo("Warning"));
    assertThat(events("RestoreCompleted")).isEmpty();
  }

  @Test
  void aRestoreThatSaysItRestoredIsCompletedWithWhereItEnded() {
    DirkCluster cluster = recovered();
    Pod pod = primary(terminated(0, "{\"backupId\":\"b-1\",\"lsn\":812,\"lastCommit\":\"2026-12-07T16:59:58Z\","
        + "\"restored\":true}"), null, 0);

    DirkClusterStatus status = report(cluster, pod);

    assertThat(status.condition(ConditionType.Restored)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getReason()).isEqualTo("RestoreCompleted");
      assertThat(c.getMessage()).contains("to LSN 812", "last commit 2026-12-07T16:59:58Z");
    });
    assertThat(events("RestoreCompleted")).hasSize(1);
  }

  @Test
  void theSameFailureRetriedWithOtherLogLinesIsOneWarningAndTheConditionDoesNotFlap() {
    DirkCluster cluster = recovered();
    // Without a termination file (an older image) the kubelet gives the log's tail: timestamps differ per attempt.
    Pod firstAttempt = primary(terminated(1, "20:55:01.123 INFO software.amazon.awssdk listing\n"
        + "dirk restore: the repository s3://b/p holds no complete base backup"), null, 0);
    Pod secondAttempt = primary(waiting(), terminated(1, "20:55:31.456 INFO software.amazon.awssdk listing\n"
        + "removing /var/lib/dirk/data.restoring, left by an interrupted restore\n"
        + "dirk restore: the repository s3://b/p holds no complete base backup"), 1);

    DirkClusterStatus first = report(cluster, firstAttempt);
    cluster.setStatus(first);
    DirkClusterStatus second = report(cluster, secondAttempt);

    Condition before = first.condition(ConditionType.Restored).orElseThrow();
    Condition after = second.condition(ConditionType.Restored).orElseThrow();
    assertThat(after.getReason()).isEqualTo("RestoreFailed");
    assertThat(after.getMessage()).isEqualTo(before.getMessage())
        .startsWith("dirk restore in again-primary-0 exited 1: the repository s3://b/p holds no complete base backup (");
    assertThat(events("RestoreFailed")).hasSize(1);
  }

  @Test
  void theErrorDirkRestoreWroteIsTheOneSaid() {
    DirkCluster cluster = recovered();
    Pod pod = primary(terminated(1, "{\"error\":\"backup b-1's snapshot.bin is damaged: SHA-256 differs\"}"), null, 0);

    DirkClusterStatus status = report(cluster, pod);

    assertThat(status.condition(ConditionType.Restored).orElseThrow().getMessage())
        .startsWith("dirk restore in again-primary-0 exited 1: backup b-1's snapshot.bin is damaged: SHA-256 differs (");
  }

  private DirkClusterStatus report(DirkCluster cluster, Pod pod) {
    DirkClusterStatus status = new DirkClusterStatus();
    if (cluster.getStatus() != null) {
      status.setConditions(cluster.getStatus().getConditions());
    }
    RestoreReport.report(client, cluster, status, List.of(pod));
    return status;
  }

  private List<Event> events(String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream().filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  private static DirkCluster recovered() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("again").withNamespace(NS).withUid("u-1").withGeneration(1L)
        .build());
    DirkClusterSpec spec = new DirkClusterSpec();
    BootstrapSpec bootstrap = new BootstrapSpec();
    bootstrap.setRecovery(new RecoverySpec());
    spec.setBootstrap(bootstrap);
    cluster.setSpec(spec);
    return cluster;
  }

  private static io.fabric8.kubernetes.api.model.ContainerState terminated(int exit, String message) {
    return new ContainerStateBuilder().withNewTerminated().withExitCode(exit).withMessage(message).endTerminated()
        .build();
  }

  private static io.fabric8.kubernetes.api.model.ContainerState waiting() {
    return new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().build();
  }

  private static Pod primary(io.fabric8.kubernetes.api.model.ContainerState state,
      io.fabric8.kubernetes.api.model.ContainerState last, int restarts) {
    return new PodBuilder().withNewMetadata().withName("again-primary-0").withNamespace(NS).endMetadata()
        .withNewStatus().withInitContainerStatuses(new ContainerStatusBuilder().withName(BackupPods.RESTORE_CONTAINER)
            .withState(state).withLastState(last).withRestartCount(restarts).build())
        .endStatus().build();
  }
}
