package io.dirkdb.operator.backup;

import io.dirkdb.operator.api.v1alpha1.BackupRepositorySpec;
import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.RecoverySpec;
import io.dirkdb.operator.api.v1alpha1.RetentionSpec;
import io.dirkdb.operator.api.v1alpha1.S3Spec;
import io.dirkdb.operator.dependent.ClusterConfigRenderer;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.MemberStatefulSets;
import io.dirkdb.operator.dependent.PodDefaults;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The pods that run the {@code dirk} backup commands for a cluster: the on-demand backup Job of a DirkBackup,
 * the scheduled backups' CronJob {@code <name>-backup}, the archiver Deployment {@code <name>-archiver} and the
 * restore init container of the primary's pod. Each runs as the members do (Pod Security {@code restricted}),
 * reaches the members by their stable names with the replication password (and the cluster's certificate with
 * TLS), and the repository with the keys of {@code credentialsSecret}.
 */
public final class BackupPods {

  public static final String COMPONENT_BACKUP = "backup";
  public static final String COMPONENT_ARCHIVER = "archiver";
  /** The DirkBackup a backup Job is for (its name may be too long for a label: the owner reference says it too). */
  public static final String LABEL_BACKUP = "dirkdb.io/backup";
  /**
   * On the Jobs of CronJob {@code <name>-backup} (its jobTemplate), the cluster's name: the operator watches them by
   * it and gives each a DirkBackup ({@link ScheduledBackupReconciler}).
   */
  public static final String LABEL_SCHEDULED_BACKUP = "dirkdb.io/scheduled-backup";
  public static final String BACKUP_CONTAINER = "backup";
  public static final String PRUNE_CONTAINER = "prune";
  public static final String ARCHIVER_CONTAINER = "archive";
  public static final String RESTORE_CONTAINER = "restore";
  /** Where the container writes its result; Kubernetes' default, read back as the terminated state's message. */
  public static final String TERMINATION_LOG = "/dev/termination-log";
  public static final int ARCHIVER_HTTP_PORT = 8080;
  public static final String BACKUP_MEMORY = "256Mi";
  /** A base backup taking longer than this is stopped and reported failed. */
  static final long BACKUP_DEADLINE_SECONDS = 6 * 3600;
  static final int TTL_AFTER_FINISHED_SECONDS = 24 * 3600;

  /** The credentials Secret's keys, as the contract names them. */
  public static final String ACCESS_KEY_ID_KEY = "ACCESS_KEY_ID";
  public static final String SECRET_ACCESS_KEY_KEY = "SECRET_ACCESS_KEY";
  public static final String SESSION_TOKEN_KEY = "SESSION_TOKEN";

  private BackupPods() {}

  /** {@code <cluster>-backup}: at most 49 characters, under the 52 a CronJob's name may have. */
  public static String cronJob(DirkCluster cluster) {
    return cluster.getMetadata().getName() + "-backup";
  }

  public static String archiver(DirkCluster cluster) {
    return cluster.getMetadata().getName() + "-archiver";
  }

  /**
   * {@code <cluster>-backup-<8 hex>} from the DirkBackup's uid: within 63 characters for any cluster name, and a
   * DirkBackup deleted and made again under its name gets a Job of its own.
   */
  public static String job(DirkBackup backup) {
    String uid = backup.getMetadata().getUid() == null ? backup.getMetadata().getName() : backup.getMetadata().getUid();
    return backup.getSpec().getCluster() + "-backup-" + shortHash(uid);
  }

  static String shortHash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every member by its stable name, for {@code --members}. */
  public static String members(DirkCluster cluster) {
    return ClusterNaming.memberNames(cluster).stream()
        .map(pod -> ClusterNaming.memberHost(cluster, pod) + ":" + ClusterNaming.MEMBER_PORT)
        .collect(Collectors.joining(","));
  }

  /** {@code --repository} and the S3 options of a repository. */
  public static List<String> repositoryArgs(BackupRepositorySpec repository) {
    List<String> args = new ArrayList<>(List.of("--repository", repository.getRepository()));
    S3Spec s3 = repository.getS3();
    if (s3 != null) {
      if (s3.getEndpoint() != null) {
        args.addAll(List.of("--s3-endpoint", s3.getEndpoint()));
      }
      if (s3.getRegion() != null) {
        args.addAll(List.of("--s3-region", s3.getRegion()));
      }
      if (Boolean.TRUE.equals(s3.getPathStyle())) {
        args.add("--s3-path-style");
      }
    }
    return args;
  }

  /** The AWS variables from the repository's credentials Secret (none without one: the SDK's default chain). */
  public static List<EnvVar> repositoryEnv(BackupRepositorySpec repository) {
    String secret = repository.getCredentialsSecret();
    if (secret == null || secret.isBlank()) {
      return List.of();
    }
    return List.of(secretEnv("AWS_ACCESS_KEY_ID", secret, ACCESS_KEY_ID_KEY, false),
        secretEnv("AWS_SECRET_ACCESS_KEY", secret, SECRET_ACCESS_KEY_KEY, false),
        secretEnv("AWS_SESSION_TOKEN", secret, SESSION_TOKEN_KEY, true));
  }

  private static EnvVar secretEnv(String name, String secret, String key, boolean optional) {
    return new EnvVarBuilder().withName(name)
        .withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key).withOptional(optional ? true : null)
        .endSecretKeyRef().endValueFrom()
        .build();
  }

  /** {@code dirk backup}: one base backup, its result written as the container's termination message. */
  public static List<String> backupArgs(DirkCluster cluster) {
    List<String> args = new ArrayList<>(List.of("backup", "--members", members(cluster)));
    args.addAll(repositoryArgs(cluster.getSpec().getBackup()));
    args.addAll(List.of("--termination-message-path", TERMINATION_LOG));
    args.addAll(PodDefaults.clientTlsArgs(cluster));
    return args;
  }

  /** {@code dirk backup prune} with the retention's limits; empty without a limit (nothing to prune). */
  public static List<String> pruneArgs(DirkCluster cluster) {
    BackupSpec backup = cluster.getSpec().getBackup();
    RetentionSpec retention = backup.getRetention();
    if (retention == null || (retention.getKeepLast() == null && retention.getMaxAge() == null)) {
      return List.of();
    }
    List<String> args = new ArrayList<>(List.of("backup", "prune"));
    args.addAll(repositoryArgs(backup));
    if (retention.getKeepLast() != null) {
      args.addAll(List.of("--keep-last", String.valueOf(retention.getKeepLast())));
    }
    if (retention.getMaxAge() != null) {
      args.addAll(List.of("--max-age", retention.getMaxAge()));
    }
    return args;
  }

  /** {@code dirk archive}: ships the log of whichever member is primary, with {@code /health} and {@code /metrics}. */
  public static List<String> archiveArgs(DirkCluster cluster) {
    List<String> args = new ArrayList<>(List.of("archive", "--members", members(cluster)));
    args.addAll(repositoryArgs(cluster.getSpec().getBackup()));
    args.addAll(List.of("--http-port", String.valueOf(ARCHIVER_HTTP_PORT)));
    args.addAll(PodDefaults.clientTlsArgs(cluster));
    return args;
  }

  /** {@code dirk restore ... --if-empty} into the member's data directory, to the recovery's target. */
  public static List<String> restoreArgs(DirkCluster cluster) {
    RecoverySpec recovery = cluster.getSpec().recovery();
    List<String> args = new ArrayList<>(List.of("restore"));
    args.addAll(repositoryArgs(recovery));
    args.addAll(List.of("--data-dir", ClusterConfigRenderer.DATA_DIRECTORY));
    if (recovery.getBackupId() != null) {
      args.addAll(List.of("--backup", recovery.getBackupId()));
    }
    if (recovery.getTargetLsn() != null) {
      args.addAll(List.of("--target-lsn", String.valueOf(recovery.getTargetLsn())));
    }
    if (recovery.getTargetTime() != null) {
      args.addAll(List.of("--target-time", recovery.getTargetTime()));
    }
    args.add("--if-empty");
    // What it did (restored, nothing to do, or the error) as one JSON line, for RestoreReport.
    args.addAll(List.of("--termination-message-path", TERMINATION_LOG));
    return args;
  }

  static ResourceRequirements resources(DirkCluster cluster) {
    return PodDefaults.resources(cluster.getSpec().getBackup().getResources(), "100m", BACKUP_MEMORY);
  }

  /** The replication password first (enough for backups and archiving), the application one as the fallback. */
  private static List<EnvVar> memberAccessEnv(DirkCluster cluster) {
    return List.of(PodDefaults.replicationPasswordEnv(cluster), PodDefaults.passwordEnv(cluster), PodDefaults.heapEnv());
  }

  private static Container backupContainer(DirkCluster cluster, String name, List<String> args) {
    List<EnvVar> env = new ArrayList<>(memberAccessEnv(cluster));
    env.addAll(repositoryEnv(cluster.getSpec().getBackup()));
    return new ContainerBuilder()
        .withName(name)
        .withImage(cluster.getSpec().getImage())
        .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
        .withArgs(args)
        .withEnv(env)
        .withTerminationMessagePath(TERMINATION_LOG)
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withResources(resources(cluster))
        .withSecurityContext(PodDefaults.containerSecurityContext())
        .withVolumeMounts(PodDefaults.tmpMount())
        .addAllToVolumeMounts(PodDefaults.tlsMounts(cluster))
        .build();
  }

  /**
   * The pod of a backup: {@code dirk backup}, then (scheduled backups with a retention) {@code dirk backup prune}
   * once the backup succeeded, as an init container and the main one, since the image has no shell to chain them.
   */
  static PodSpec backupPod(DirkCluster cluster, boolean prune) {
    List<String> pruneArgs = prune ? pruneArgs(cluster) : List.of();
    PodSpecBuilder pod = new PodSpecBuilder()
        .withRestartPolicy("Never")
        .withServiceAccountName(ClusterNaming.serviceAccount(cluster))
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(PodDefaults.podSecurityContext())
        .withNodeSelector(cluster.getSpec().getScheduling() == null ? null
            : cluster.getSpec().getScheduling().getNodeSelector())
        .withTolerations(cluster.getSpec().getScheduling() == null ? null
            : cluster.getSpec().getScheduling().getTolerations())
        .withVolumes(PodDefaults.tmpVolume())
        .addAllToVolumes(PodDefaults.tlsVolumes(cluster));
    Container backup = backupContainer(cluster, BACKUP_CONTAINER, backupArgs(cluster));
    if (pruneArgs.isEmpty()) {
      pod.withContainers(backup);
    } else {
      pod.withInitContainers(backup).withContainers(backupContainer(cluster, PRUNE_CONTAINER, pruneArgs));
    }
    return pod.build();
  }

  /** The Job of a DirkBackup: owned by it (its informer maps the Job back), never retried (the DirkBackup fails). */
  public static Job backupJob(DirkCluster cluster, DirkBackup backup) {
    Map<String, String> labels = new LinkedHashMap<>(ClusterNaming.labels(cluster, COMPONENT_BACKUP));
    String name = backup.getMetadata().getName();
    if (name.length() <= 63) {
      labels.put(LABEL_BACKUP, name);
    }
    return new JobBuilder()
        .withNewMetadata()
        .withName(job(backup))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(labels)
        .withOwnerReferences(ownerReference(backup))
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withActiveDeadlineSeconds(BACKUP_DEADLINE_SECONDS)
        .withTtlSecondsAfterFinished(TTL_AFTER_FINISHED_SECONDS)
        .withNewTemplate()
        .withNewMetadata().withLabels(labels).endMetadata()
        .withSpec(backupPod(cluster, false))
        .endTemplate()
        .endSpec()
        .build();
  }

  static OwnerReference ownerReference(DirkBackup backup) {
    return new OwnerReferenceBuilder()
        .withApiVersion(backup.getApiVersion())
        .withKind(backup.getKind())
        .withName(backup.getMetadata().getName())
        .withUid(backup.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /**
   * CronJob {@code <name>-backup}: one backup at a time, a missed run not made up more than 10 minutes late;
   * {@code suspend} (a hibernated cluster) starts no Job until it is lifted. Its Jobs carry
   * {@link #LABEL_SCHEDULED_BACKUP}, by which each gets its DirkBackup.
   */
  public static CronJob cronJob(DirkCluster cluster, boolean suspend) {
    Map<String, String> labels = ClusterNaming.labels(cluster, COMPONENT_BACKUP);
    Map<String, String> jobLabels = new LinkedHashMap<>(labels);
    jobLabels.put(LABEL_SCHEDULED_BACKUP, cluster.getMetadata().getName());
    return new CronJobBuilder()
        .withNewMetadata()
        .withName(cronJob(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(labels)
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .endMetadata()
        .withNewSpec()
        .withSchedule(cluster.getSpec().getBackup().getSchedule())
        .withSuspend(suspend)
        .withConcurrencyPolicy("Forbid")
        .withStartingDeadlineSeconds(600L)
        .withSuccessfulJobsHistoryLimit(3)
        .withFailedJobsHistoryLimit(3)
        .withNewJobTemplate()
        .withNewMetadata().withLabels(jobLabels).endMetadata()
        .withNewSpec()
        .withBackoffLimit(1)
        .withActiveDeadlineSeconds(BACKUP_DEADLINE_SECONDS)
        .withNewTemplate()
        .withNewMetadata().withLabels(labels).endMetadata()
        .withSpec(backupPod(cluster, true))
        .endTemplate()
        .endSpec()
        .endJobTemplate()
        .endSpec()
        .build();
  }

  /**
   * Deployment {@code <name>-archiver}: one {@code dirk archive} (Recreate: never two shipping the same log; the
   * repository's archiver lease keeps any other archiver of it waiting), live while it runs, ready while it archives.
   */
  public static Deployment archiverDeployment(DirkCluster cluster) {
    return archiverDeployment(cluster, null);
  }

  /** As above, its pod template annotated with the credentials' hash (null: none), so a rotation restarts it. */
  public static Deployment archiverDeployment(DirkCluster cluster, String credentialsHash) {
    return archiverDeployment(cluster, credentialsHash, true);
  }

  /** As above; not {@code running} (a hibernated cluster): zero replicas, the Deployment kept as it is otherwise. */
  public static Deployment archiverDeployment(DirkCluster cluster, String credentialsHash, boolean running) {
    Map<String, String> labels = ClusterNaming.labels(cluster, COMPONENT_ARCHIVER);
    Map<String, String> selector = new LinkedHashMap<>(labels);
    selector.remove(ClusterNaming.LABEL_MANAGED_BY);
    List<EnvVar> env = new ArrayList<>(memberAccessEnv(cluster));
    env.addAll(repositoryEnv(cluster.getSpec().getBackup()));
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(archiver(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(labels)
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .endMetadata()
        .withNewSpec()
        .withReplicas(running ? 1 : 0)
        .withNewSelector().withMatchLabels(selector).endSelector()
        .withNewStrategy().withType("Recreate").endStrategy()
        .withNewTemplate()
        .withNewMetadata().withLabels(labels).withAnnotations(PodDefaults.credentialsAnnotations(credentialsHash))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(ClusterNaming.serviceAccount(cluster))
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(PodDefaults.podSecurityContext())
        .withNodeSelector(cluster.getSpec().getScheduling() == null ? null
            : cluster.getSpec().getScheduling().getNodeSelector())
        .withTolerations(cluster.getSpec().getScheduling() == null ? null
            : cluster.getSpec().getScheduling().getTolerations())
        .addNewContainer()
        .withName(ARCHIVER_CONTAINER)
        .withImage(cluster.getSpec().getImage())
        .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
        .withArgs(archiveArgs(cluster))
        .withEnv(env)
        .withPorts(new ContainerPortBuilder().withName("http").withContainerPort(ARCHIVER_HTTP_PORT).build())
        // Live while it runs: a standby (another archiver holds the repository's lease) or one waiting for a
        // primary is not helped by a restart; readiness says whether it archives.
        .withLivenessProbe(PodDefaults.httpProbe("/health/live", ARCHIVER_HTTP_PORT, 10, 6))
        .withReadinessProbe(PodDefaults.httpProbe("/health", ARCHIVER_HTTP_PORT, 5, 2))
        .withResources(resources(cluster))
        .withSecurityContext(PodDefaults.containerSecurityContext())
        .withVolumeMounts(PodDefaults.tmpMount())
        .addAllToVolumeMounts(PodDefaults.tlsMounts(cluster))
        .endContainer()
        .withVolumes(PodDefaults.tmpVolume())
        .addAllToVolumes(PodDefaults.tlsVolumes(cluster))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The init container of the primary's pod in a cluster bootstrapped by recovery: restores into the member's data
   * directory unless it already holds data (a restarted pod), so the member then starts on the restored data.
   */
  public static Container restoreInitContainer(DirkCluster cluster) {
    RecoverySpec recovery = cluster.getSpec().recovery();
    List<EnvVar> env = new ArrayList<>(List.of(PodDefaults.heapEnv()));
    env.addAll(repositoryEnv(recovery));
    return new ContainerBuilder()
        .withName(RESTORE_CONTAINER)
        .withImage(cluster.getSpec().getImage())
        .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
        .withArgs(restoreArgs(cluster))
        .withEnv(env)
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withResources(PodDefaults.memberResources(cluster))
        .withSecurityContext(PodDefaults.containerSecurityContext())
        .withVolumeMounts(
            new VolumeMountBuilder().withName(MemberStatefulSets.DATA_VOLUME).withMountPath(MemberStatefulSets.DATA_MOUNT)
                .build(),
            PodDefaults.tmpMount())
        .build();
  }
}
