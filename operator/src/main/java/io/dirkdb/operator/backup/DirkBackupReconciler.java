package io.dirkdb.operator.backup;

import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.BackupPhase;
import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkBackupStatus;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.reconciler.ClusterAnnotations;
import io.dirkdb.operator.reconciler.ClusterEvents;
import io.dirkdb.operator.reconciler.DirkClusterValidator;
import io.dirkdb.operator.reconciler.ImageDefaults;
import io.dirkdb.operator.reconciler.SpecViolation;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Takes the on-demand backup a DirkBackup asks for: one Job running {@code dirk backup} against the cluster's
 * members and {@code spec.backup} repository, then the result from the Job's pod (its container's termination
 * message) into the DirkBackup's status, with an Event. A finished DirkBackup is never run again. The DirkBackup of
 * a scheduled backup (annotated {@link ScheduledBackupReconciler#SCHEDULED_JOB}) adopts the CronJob's Job instead of
 * making one, and is reported the same way.
 */
@ControllerConfiguration(name = DirkBackupReconciler.NAME)
public class DirkBackupReconciler implements Reconciler<DirkBackup> {

  /** Controller name, as in {@code quarkus.operator-sdk.controllers.dirkbackup.namespaces}. */
  public static final String NAME = "dirkbackup";
  /** The label Kubernetes' Job controller puts on a Job's pods. */
  static final String JOB_NAME_LABEL = "job-name";
  static final String SELECTOR = ClusterNaming.MANAGED_SELECTOR + "," + ClusterNaming.LABEL_COMPONENT + "="
      + BackupPods.COMPONENT_BACKUP;
  private static final Logger LOG = Logger.getLogger(DirkBackupReconciler.class);

  private final DirkClusterValidator validator = new DirkClusterValidator();

  @Inject
  ImageDefaults images;

  @Inject
  BackupMetrics metrics;

  @Override
  public List<EventSource<?, DirkBackup>> prepareEventSources(EventSourceContext<DirkBackup> context) {
    // The on-demand backup Jobs carry an owner reference to their DirkBackup: the informer maps them back by it. A
    // scheduled Job's DirkBackup has the Job's name.
    SecondaryToPrimaryMapper<Job> owners = Mappers.fromOwnerReferences(DirkBackup.class);
    var jobs = InformerEventSourceConfiguration.from(Job.class, DirkBackup.class)
        .withName("backup-jobs")
        .withLabelSelector(SELECTOR)
        .withSecondaryToPrimaryMapper(job -> {
          var labels = job.getMetadata().getLabels();
          if (labels != null && labels.containsKey(BackupPods.LABEL_SCHEDULED_BACKUP)) {
            return Set.of(ResourceID.fromResource(job));
          }
          return owners.toPrimaryResourceIDs(job);
        })
        .build();
    return List.of(new InformerEventSource<>(jobs, context));
  }

  @Override
  public UpdateControl<DirkBackup> reconcile(DirkBackup backup, Context<DirkBackup> context) {
    DirkBackupStatus before = backup.getStatus();
    if (before != null && before.finished()) {
      if (before.getPhase() == BackupPhase.Completed) { // after an operator restart too
        metrics.completed(backup.getMetadata().getNamespace(), backup.getSpec().getCluster(), completedAt(before));
      }
      return UpdateControl.noUpdate();
    }
    DirkBackupStatus status = before == null ? new DirkBackupStatus()
        : Serialization.clone(before);
    KubernetesClient client = context.getClient();
    String ns = backup.getMetadata().getNamespace();
    String scheduledJob = scheduledJob(backup);
    String jobName = scheduledJob != null ? scheduledJob : BackupPods.job(backup);
    // Only the Job this DirkBackup owns (on demand) or is owned by (scheduled), by name and uid: a scheduled Job of
    // the same name as an on-demand DirkBackup maps to it too, and a Job anyone made may carry the name.
    String jobUid = scheduledJob != null ? scheduledJobUid(backup) : null;
    Predicate<Job> ours = j -> jobName.equals(j.getMetadata().getName()) && (scheduledJob != null
        ? jobUid.equals(j.getMetadata().getUid()) : ownedBy(j, backup.getMetadata().getUid()));
    // The cache may not hold a Job created a moment ago: ask the API server before making another.
    Job found = context.getSecondaryResources(Job.class).stream().filter(ours).findFirst()
        .orElseGet(() -> client.batch().v1().jobs().inNamespace(ns).withName(jobName).get());
    Job job = found == null || ours.test(found) ? found : null;
    if (found != null && job == null && scheduledJob == null && status.getJob() == null) {
      fail(client, backup, status, null, "a Job named " + jobName + " exists that this DirkBackup does not own: the"
          + " backup Job cannot be made; delete that Job and make the DirkBackup again");
    } else if (job == null) {
      if (scheduledJob != null) {
        fail(client, backup, status, null, "the scheduled backup Job " + scheduledJob + " no longer exists"
            + (status.getJob() == null ? "" : ": it was deleted before it finished"));
      } else if (status.getJob() != null) {
        fail(client, backup, status, null, "the backup Job " + status.getJob() + " was deleted before it finished");
      } else {
        start(client, backup, status, jobName);
      }
    } else if (succeeded(job) || failed(job)) {
      finish(client, backup, status, job);
    } else {
      if (status.getJob() == null && scheduledJob != null) {
        adopt(client, backup, status, job);
      }
      status.setJob(jobName);
      status.setPhase(BackupPhase.Running);
    }
    return patchIfChanged(backup, before, status);
  }

  /**
   * The Job a scheduled backup's DirkBackup reports, or null for an on-demand one. Scheduled only as the operator
   * makes it: annotated {@link ScheduledBackupReconciler#SCHEDULED_JOB} with its own name and owned by the Job of that
   * name (a uid); any other DirkBackup, annotated or not, is an on-demand backup of its {@code spec.cluster}, so the
   * annotation cannot make one report (adopt) a Job that is not its own.
   */
  static String scheduledJob(DirkBackup backup) {
    return scheduledJobUid(backup) == null ? null : backup.getMetadata().getName();
  }

  /** The uid of the Job a scheduled backup's DirkBackup reports (see {@link #scheduledJob}), or null. */
  static String scheduledJobUid(DirkBackup backup) {
    var annotations = backup.getMetadata().getAnnotations();
    String name = backup.getMetadata().getName();
    String job = annotations == null ? null : annotations.get(ScheduledBackupReconciler.SCHEDULED_JOB);
    if (job == null || !job.equals(name) || backup.getMetadata().getOwnerReferences() == null) {
      return null;
    }
    return backup.getMetadata().getOwnerReferences().stream()
        .filter(o -> "Job".equals(o.getKind()) && name.equals(o.getName()) && o.getUid() != null
            && !o.getUid().isBlank())
        .map(OwnerReference::getUid).findFirst().orElse(null);
  }

  private static boolean ownedBy(Job job, String uid) {
    return uid != null && job.getMetadata().getOwnerReferences() != null && job.getMetadata().getOwnerReferences()
        .stream().anyMatch(o -> uid.equals(o.getUid()));
  }

  /** A running Job of the backup CronJob, now this DirkBackup's: said as an on-demand backup's start is. */
  private static void adopt(KubernetesClient client, DirkBackup backup, DirkBackupStatus status, Job job) {
    String name = job.getMetadata().getName();
    status.setStartedAt(job.getStatus() != null && job.getStatus().getStartTime() != null
        ? job.getStatus().getStartTime() : job.getMetadata().getCreationTimestamp() != null
            ? job.getMetadata().getCreationTimestamp() : now());
    String cronJob = job.getMetadata().getOwnerReferences() == null ? null : job.getMetadata().getOwnerReferences()
        .stream().filter(o -> "CronJob".equals(o.getKind())).map(o -> o.getName()).findFirst().orElse(null);
    LOG.infof("DirkBackup %s/%s: reports scheduled Job %s", backup.getMetadata().getNamespace(),
        backup.getMetadata().getName(), name);
    ClusterEvents.normal(client, backup, Reason.BackupStarted, "Job " + name
        + (cronJob == null ? "" : " of CronJob " + cronJob) + " takes a scheduled base backup of DirkCluster "
        + backup.getSpec().getCluster());
  }

  private void start(KubernetesClient client, DirkBackup backup, DirkBackupStatus status, String jobName) {
    String ns = backup.getMetadata().getNamespace();
    String clusterName = backup.getSpec().getCluster();
    DirkCluster cluster = clusterName == null ? null
        : client.resources(DirkCluster.class).inNamespace(ns).withName(clusterName).get();
    if (cluster == null) {
      fail(client, backup, status, null, "DirkCluster " + clusterName + " does not exist in namespace " + ns);
      return;
    }
    images.apply(cluster);
    List<SpecViolation> violations = validator.validate(cluster);
    if (cluster.getSpec() != null && cluster.getSpec().getBackup() == null) {
      fail(client, backup, status, cluster, "DirkCluster " + clusterName
          + " has no spec.backup: set its repository (spec.backup.repository) to take backups");
      return;
    }
    if (!violations.isEmpty()) {
      fail(client, backup, status, cluster, "DirkCluster " + clusterName + " has an invalid spec: "
          + violations.get(0).message());
      return;
    }
    if (ClusterAnnotations.hibernated(cluster)) {
      // Every member is stopped: a Job could only fail, later and less clearly. Not kept waiting either: a backup
      // starting whenever the cluster wakes is one nobody timed.
      fail(client, backup, status, cluster, "DirkCluster " + clusterName + " is hibernated ("
          + ClusterAnnotations.HIBERNATION + ": on): no member runs to back up; wake it (kubectl dirk hibernate off "
          + clusterName + ") and ask again");
      return;
    }
    client.batch().v1().jobs().inNamespace(ns).resource(BackupPods.backupJob(cluster, backup)).create();
    status.setPhase(BackupPhase.Running);
    status.setJob(jobName);
    status.setStartedAt(now());
    LOG.infof("DirkBackup %s/%s: Job %s backs up DirkCluster %s", ns, backup.getMetadata().getName(), jobName,
        clusterName);
    ClusterEvents.normal(client, backup, Reason.BackupStarted, "Job " + jobName + " takes a base backup of DirkCluster "
        + clusterName + " into " + cluster.getSpec().getBackup().getRepository());
  }

  private void finish(KubernetesClient client, DirkBackup backup, DirkBackupStatus status, Job job) {
    String ns = backup.getMetadata().getNamespace();
    status.setJob(job.getMetadata().getName());
    Optional<BackupEnd> end = terminatedBackupContainer(client, ns, job.getMetadata().getName());
    Optional<ContainerStateTerminated> terminated = end.map(BackupEnd::backup);
    boolean succeeded = succeeded(job);
    // A scheduled Job runs the prune after the backup (the backup an init container): a failed prune fails the Job,
    // not the backup, which is in the repository.
    boolean pruneFailed = !succeeded && end.map(e -> e.beforePrune() && Objects.equals(e.backup().getExitCode(), 0))
        .orElse(false);
    BackupResult result = BackupResult.of(terminated.map(ContainerStateTerminated::getMessage).orElse(null),
        (succeeded || pruneFailed) && terminated.map(t -> Objects.equals(t.getExitCode(), 0)).orElse(true));
    if (!succeeded && terminated.isEmpty()) {
      // No pod to read (killed at the deadline, or gone): the Job's own condition says why.
      result = new BackupResult(null, "the backup Job failed" + condition(job, "Failed")
          .map(c -> ": " + c.getReason() + (c.getMessage() == null ? "" : " (" + c.getMessage() + ")")).orElse("")
          + "; no pod of it told more");
    }
    if (!result.succeeded()) {
      fail(client, backup, status, null, result.error());
      return;
    }
    DirkBackupStatus fields = result.fields();
    status.setPhase(BackupPhase.Completed);
    status.setBackupId(fields.getBackupId());
    status.setHistoryId(fields.getHistoryId());
    status.setStartLsn(fields.getStartLsn());
    status.setEndLsn(fields.getEndLsn());
    status.setEpoch(fields.getEpoch());
    status.setBytes(fields.getBytes());
    status.setMember(fields.getMember());
    if (fields.getStartedAt() != null) {
      status.setStartedAt(fields.getStartedAt());
    }
    status.setCompletedAt(fields.getCompletedAt() != null ? fields.getCompletedAt() : now());
    status.setError(null);
    metrics.completed(ns, backup.getSpec().getCluster(), completedAt(status));
    String message = "base backup " + fields.getBackupId() + " of DirkCluster " + backup.getSpec().getCluster()
        + " completed: LSN " + fields.getStartLsn() + " to " + fields.getEndLsn()
        + (fields.getBytes() == null ? "" : ", " + fields.getBytes() + " bytes");
    LOG.infof("DirkBackup %s/%s: %s", ns, backup.getMetadata().getName(), message);
    ClusterEvents.normal(client, backup, Reason.BackupCompleted, message);
    if (pruneFailed) {
      String prune = "the backup completed but its retention's prune failed"
          + end.flatMap(BackupEnd::prune).map(t -> " (" + BackupResult.pruneError(t.getExitCode(), t.getMessage())
              + ")").orElse("")
          + "; older backups beyond spec.backup.retention stay until a prune succeeds; see the Job's pod log";
      LOG.warnf("DirkBackup %s/%s: %s", ns, backup.getMetadata().getName(), prune);
      ClusterEvents.warning(client, backup, Reason.BackupPruneFailed, prune);
    }
  }

  /** Failed for good: the status says why and a Warning Event on the DirkBackup (and its cluster) says it too. */
  private static void fail(KubernetesClient client, DirkBackup backup, DirkBackupStatus status, DirkCluster cluster,
      String error) {
    status.setPhase(BackupPhase.Failed);
    status.setError(error);
    status.setCompletedAt(now());
    String ns = backup.getMetadata().getNamespace();
    LOG.warnf("DirkBackup %s/%s failed: %s", ns, backup.getMetadata().getName(), error);
    ClusterEvents.warning(client, backup, Reason.BackupFailed, error);
    DirkCluster owner = cluster != null ? cluster : client.resources(DirkCluster.class).inNamespace(ns)
        .withName(backup.getSpec().getCluster()).get();
    if (owner != null) {
      ClusterEvents.warning(client, owner, Reason.BackupFailed, "DirkBackup " + backup.getMetadata().getName() + ": " + error);
    }
  }

  /**
   * How the backup container ended in a pod: {@code beforePrune} when it is the init container of a scheduled Job's
   * pod, {@code prune} the end of the prune container that followed it, if any.
   */
  private record BackupEnd(ContainerStateTerminated backup, boolean beforePrune,
      Optional<ContainerStateTerminated> prune) {}

  /** The backup container's end in the Job's newest pod that has one (a container, or a scheduled Job's init one). */
  private static Optional<BackupEnd> terminatedBackupContainer(KubernetesClient client, String ns, String job) {
    List<Pod> pods = client.pods().inNamespace(ns).withLabel(JOB_NAME_LABEL, job).list().getItems();
    return pods.stream()
        .sorted(Comparator.comparing((Pod p) -> Optional.ofNullable(p.getMetadata().getCreationTimestamp()).orElse(""))
            .reversed())
        .map(p -> {
          if (p.getStatus() == null) {
            return null;
          }
          Optional<ContainerStateTerminated> main = terminated(p.getStatus().getContainerStatuses(),
              BackupPods.BACKUP_CONTAINER);
          if (main.isPresent()) {
            return new BackupEnd(main.get(), false, Optional.empty());
          }
          return terminated(p.getStatus().getInitContainerStatuses(), BackupPods.BACKUP_CONTAINER)
              .map(t -> new BackupEnd(t, true, terminated(p.getStatus().getContainerStatuses(),
                  BackupPods.PRUNE_CONTAINER)))
              .orElse(null);
        })
        .filter(Objects::nonNull)
        .findFirst();
  }

  private static Optional<ContainerStateTerminated> terminated(List<ContainerStatus> statuses, String container) {
    return statuses == null ? Optional.empty() : statuses.stream()
        .filter(c -> container.equals(c.getName()))
        .map(ContainerStatus::getState)
        .filter(s -> s != null && s.getTerminated() != null)
        .map(s -> s.getTerminated()).findFirst();
  }

  private static UpdateControl<DirkBackup> patchIfChanged(DirkBackup backup, DirkBackupStatus before,
      DirkBackupStatus after) {
    if (before != null && Serialization.asJson(before).equals(Serialization.asJson(after))) {
      return UpdateControl.noUpdate();
    }
    backup.setStatus(after);
    return UpdateControl.patchStatus(backup);
  }

  private static Instant completedAt(DirkBackupStatus status) {
    try {
      return status.getCompletedAt() == null ? Instant.now() : Instant.parse(status.getCompletedAt());
    } catch (java.time.format.DateTimeParseException e) {
      return Instant.now();
    }
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static boolean succeeded(Job job) {
    return job.getStatus() != null && job.getStatus().getSucceeded() != null && job.getStatus().getSucceeded() > 0;
  }

  static boolean failed(Job job) {
    return condition(job, "Failed").isPresent();
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus())).findFirst();
  }
}
