package io.dirkdb.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.dirkdb.cli.Dirk;
import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.BootstrapSpec;
import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkBackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.RecoverySpec;
import io.dirkdb.operator.api.v1alpha1.RetentionSpec;
import io.dirkdb.operator.api.v1alpha1.S3Spec;
import io.dirkdb.operator.api.v1alpha1.TlsSpec;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.PodDefaults;
import io.dirkdb.operator.dependent.StatefulSetsForTests;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What the backup pods run: command, environment, hardening and names, without an API server. */
class BackupPodsTest {

  static DirkCluster cluster(String name) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    cluster.getSpec().setSecondaries(2);
    BackupSpec backup = new BackupSpec();
    backup.setRepository("s3://bucket/prod/" + name);
    S3Spec s3 = new S3Spec();
    s3.setEndpoint("http://127.0.0.1:9000");
    s3.setRegion("eu-west-1");
    s3.setPathStyle(true);
    backup.setS3(s3);
    backup.setCredentialsSecret("s3-keys");
    backup.setSchedule("0 3 * * *");
    RetentionSpec retention = new RetentionSpec();
    retention.setKeepLast(7);
    retention.setMaxAge("30d");
    backup.setRetention(retention);
    backup.setArchiving(true);
    cluster.getSpec().setBackup(backup);
    return cluster;
  }

  static DirkBackup backup(String name, String cluster) {
    DirkBackup backup = new DirkBackup();
    backup.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns")
        .withUid("0f6c1c7e-8d1a-4d8e-9a55-1b2c3d4e5f60").build());
    DirkBackupSpec spec = new DirkBackupSpec();
    spec.setCluster(cluster);
    backup.setSpec(spec);
    return backup;
  }

  private static final String MEMBERS = "demo-primary-0.demo-members.ns.svc:3948,"
      + "demo-secondary-0.demo-members.ns.svc:3948,demo-secondary-1.demo-members.ns.svc:3948";

  @Test
  void scheduledBackupRunsDirkBackupThenPruneWithTheRetentionAsTheMembersRun() {
    CronJob cronJob = BackupPods.cronJob(cluster("demo"), false);
    assertThat(cronJob.getMetadata().getName()).isEqualTo("demo-backup");
    assertThat(cronJob.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("DirkCluster"));
    assertThat(cronJob.getSpec().getSchedule()).isEqualTo("0 3 * * *");
    assertThat(cronJob.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    PodSpec pod = cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSecurityContext()).isEqualTo(PodDefaults.podSecurityContext());
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    Container backup = pod.getInitContainers().get(0);
    assertThat(backup.getName()).isEqualTo("backup");
    assertThat(backup.getArgs()).containsExactly("backup", "--members", MEMBERS, "--repository", "s3://bucket/prod/demo",
        "--s3-endpoint", "http://127.0.0.1:9000", "--s3-region", "eu-west-1", "--s3-path-style",
        "--termination-message-path", "/dev/termination-log");
    assertThat(backup.getTerminationMessagePath()).isEqualTo("/dev/termination-log");
    Container prune = pod.getContainers().get(0);
    assertThat(prune.getArgs()).containsExactly("backup", "prune", "--repository", "s3://bucket/prod/demo",
        "--s3-endpoint", "http://127.0.0.1:9000", "--s3-region", "eu-west-1", "--s3-path-style",
        "--keep-last", "7", "--max-age", "30d");
    for (Container c : List.of(backup, prune)) {
      assertThat(c.getSecurityContext()).isEqualTo(PodDefaults.containerSecurityContext());
      assertThat(c.getResources().getLimits()).containsKey("memory");
      assertThat(c.getImage()).isEqualTo("dirkdb/dirk:test");
      assertThat(secretRef(c, "AWS_ACCESS_KEY_ID")).isEqualTo("s3-keys/ACCESS_KEY_ID");
      assertThat(secretRef(c, "AWS_SECRET_ACCESS_KEY")).isEqualTo("s3-keys/SECRET_ACCESS_KEY");
      assertThat(secretRef(c, "DIRK_REPLICATION_PASSWORD")).isEqualTo("demo-credentials/replication-password");
      assertThat(secretRef(c, "DIRK_PASSWORD")).isEqualTo("demo-credentials/password");
      assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/tmp");
    }
  }

  @Test
  void withoutRetentionTheScheduledBackupIsOneContainerAndNothingIsPruned() {
    DirkCluster cluster = cluster("demo");
    cluster.getSpec().getBackup().setRetention(null);
    PodSpec pod = BackupPods.cronJob(cluster, false).getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers()).isEmpty();
    assertThat(pod.getContainers()).singleElement().satisfies(c -> assertThat(c.getArgs().get(0)).isEqualTo("backup"));
  }

  @Test
  void onDemandBackupJobIsOwnedByItsDirkBackupAndNeverRetried() {
    DirkCluster cluster = cluster("demo");
    Job job = BackupPods.backupJob(cluster, backup("nightly", "demo"));
    assertThat(job.getMetadata().getName()).matches("demo-backup-[0-9a-f]{8}");
    assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("DirkBackup");
      assertThat(o.getName()).isEqualTo("nightly");
      assertThat(o.getController()).isTrue();
    });
    assertThat(job.getMetadata().getLabels()).containsEntry(ClusterNaming.LABEL_COMPONENT, "backup")
        .containsEntry(BackupPods.LABEL_BACKUP, "nightly");
    assertThat(job.getSpec().getBackoffLimit()).isZero();
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers()).isEmpty();
    assertThat(pod.getContainers()).singleElement().satisfies(c -> {
      assertThat(c.getName()).isEqualTo("backup");
      assertThat(c.getArgs()).startsWith("backup", "--members", MEMBERS).contains("--termination-message-path");
    });
  }

  @Test
  void namesFitKubernetesLimitsForTheLongestClusterName() {
    String name = "a".repeat(42); // DirkClusterRules.MAX_NAME_LENGTH
    DirkCluster cluster = cluster(name);
    assertThat(BackupPods.cronJob(cluster, false).getMetadata().getName()).hasSizeLessThanOrEqualTo(52);
    assertThat(BackupPods.archiverDeployment(cluster).getMetadata().getName()).hasSizeLessThanOrEqualTo(63);
    DirkBackup longBackup = backup("b".repeat(253), name);
    Job job = BackupPods.backupJob(cluster, longBackup);
    assertThat(job.getMetadata().getName()).hasSizeLessThanOrEqualTo(63);
    assertThat(job.getMetadata().getLabels().values()).allSatisfy(v -> assertThat(v).hasSizeLessThanOrEqualTo(63));
    assertThat(job.getMetadata().getLabels()).doesNotContainKey(BackupPods.LABEL_BACKUP);
  }

  @Test
  void archiverShipsTheLogOfEveryMemberWithTheReplicationPasswordAndTheClusterCertificate() {
    DirkCluster cluster = cluster("demo");
    TlsSpec tls = new TlsSpec();
    tls.setSecretName("demo-tls");
    cluster.getSpec().setTls(tls);
    Deployment archiver = BackupPods.archiverDeployment(cluster);
    assertThat(archiver.getMetadata().getName()).isEqualTo("demo-archiver");
    assertThat(archiver.getSpec().getReplicas()).isEqualTo(1);
    assertThat(archiver.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    PodSpec pod = archiver.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext()).isEqualTo(PodDefaults.podSecurityContext());
    Container c = pod.getContainers().get(0);
    assertThat(c.getArgs()).containsExactly("archive", "--members", MEMBERS, "--repository", "s3://bucket/prod/demo",
        "--s3-endpoint", "http://127.0.0.1:9000", "--s3-region", "eu-west-1", "--s3-path-style", "--http-port", "8080",
        "--tls-ca", "/etc/dirk/tls/ca.crt", "--tls-cert", "/etc/dirk/tls/tls.crt", "--tls-key", "/etc/dirk/tls/tls.key");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(c.getSecurityContext()).isEqualTo(PodDefaults.containerSecurityContext());
    assertThat(secretRef(c, "DIRK_REPLICATION_PASSWORD")).isEqualTo("demo-credentials/replication-password");
    assertThat(secretRef(c, "AWS_SECRET_ACCESS_KEY")).isEqualTo("s3-keys/SECRET_ACCESS_KEY");
    assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/etc/dirk/tls", "/tmp");
    assertThat(archiver.getSpec().getSelector().getMatchLabels().entrySet())
        .isSubsetOf(archiver.getSpec().getTemplate().getMetadata().getLabels().entrySet());
  }

  @Test
  void aPasswordRotationRestartsTheArchiverAsItRollsTheMembers() {
    DirkCluster cluster = cluster("demo");
    assertThat(BackupPods.archiverDeployment(cluster, "hash-1").getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(PodDefaults.CREDENTIALS_HASH_ANNOTATION, "hash-1");
    assertThat(BackupChildren.hashed(BackupPods.archiverDeployment(cluster, "hash-1")).getMetadata().getAnnotations())
        .as("another credentials hash is another desired object: the archiver is rewritten")
        .isNotEqualTo(BackupChildren.hashed(BackupPods.archiverDeployment(cluster, "hash-2")).getMetadata()
            .getAnnotations());
  }

  @Test
  void aHibernatedClustersArchiverHasNoReplicaAndItsCronJobIsSuspendedBothOtherwiseUnchanged() {
    DirkCluster cluster = cluster("demo");
    Deployment running = BackupPods.archiverDeployment(cluster, "hash-1", true);
    Deployment held = BackupPods.archiverDeployment(cluster, "hash-1", false);
    assertThat(running.getSpec().getReplicas()).isEqualTo(1);
    assertThat(held.getSpec().getReplicas()).isZero();
    assertThat(held.getSpec().getTemplate()).isEqualTo(running.getSpec().getTemplate());
    assertThat(BackupChildren.hashed(held).getMetadata().getAnnotations())
        .as("another desired object: the archiver is rewritten on hibernating and on waking")
        .isNotEqualTo(BackupChildren.hashed(running).getMetadata().getAnnotations());
    CronJob suspended = BackupPods.cronJob(cluster, true);
    assertThat(suspended.getSpec().getSuspend()).isTrue();
    assertThat(suspended.getSpec().getJobTemplate()).isEqualTo(BackupPods.cronJob(cluster, false).getSpec()
        .getJobTemplate());
  }

  @Test
  void recoveryRestoresOnlyIntoThePrimarysDataDirectoryAndOnlyWhenItIsEmpty() {
    DirkCluster cluster = cluster("restored");
    cluster.getSpec().setBackup(null);
    RecoverySpec recovery = new RecoverySpec();
    recovery.setRepository("s3://bucket/prod/demo");
    recovery.setCredentialsSecret("s3-keys");
    recovery.setBackupId("20261207T170000Z-1");
    recovery.setTargetLsn(1234L);
    BootstrapSpec bootstrap = new BootstrapSpec();
    bootstrap.setRecovery(recovery);
    cluster.getSpec().setBootstrap(bootstrap);

    PodSpec primary = StatefulSetsForTests.primary(cluster).getSpec().getTemplate().getSpec();
    assertThat(primary.getInitContainers()).singleElement().satisfies(c -> {
      assertThat(c.getName()).isEqualTo("restore");
      assertThat(c.getArgs()).containsExactly("restore", "--repository", "s3://bucket/prod/demo",
          "--data-dir", "/var/lib/dirk/data", "--backup", "20261207T170000Z-1", "--target-lsn", "1234", "--if-empty",
          "--termination-message-path", "/dev/termination-log");
      assertThat(c.getVolumeMounts()).anySatisfy(m -> {
        assertThat(m.getName()).isEqualTo("data");
        assertThat(m.getMountPath()).isEqualTo("/var/lib/dirk");
      });
      assertThat(c.getSecurityContext()).isEqualTo(PodDefaults.containerSecurityContext());
      assertThat(secretRef(c, "AWS_ACCESS_KEY_ID")).isEqualTo("s3-keys/ACCESS_KEY_ID");
    });
    assertThat(StatefulSetsForTests.secondary(cluster).getSpec().getTemplate().getSpec().getInitContainers())
        .as("secondaries join the restored primary by resync").isNullOrEmpty();
    cluster.getSpec().setBootstrap(null);
    assertThat(StatefulSetsForTests.primary(cluster).getSpec().getTemplate().getSpec().getInitContainers()).isNullOrEmpty();
  }

  @Test
  void withoutCredentialsSecretTheSdkDefaultChainIsLeftAlone() {
    DirkCluster cluster = cluster("demo");
    cluster.getSpec().getBackup().setCredentialsSecret(null);
    cluster.getSpec().getBackup().setS3(null);
    Container c = BackupPods.archiverDeployment(cluster).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getEnv()).extracting(EnvVar::getName).noneMatch(n -> n.startsWith("AWS_"));
    assertThat(c.getArgs()).doesNotContain("--s3-endpoint", "--s3-path-style", "--s3-region");
  }

  @Test
  void theDataPlaneAcceptsEveryCommandRendered() {
    Assumptions.assumeTrue(Dirk.commandLine().getSubcommands().containsKey("backup")
            && Dirk.commandLine().getSubcommands().containsKey("archive")
            && Dirk.commandLine().getSubcommands().containsKey("restore"),
        "the data plane has no dirk backup/archive/restore yet (branch backup not merged)");
    DirkCluster cluster = cluster("demo");
    PodSpec pod = BackupPods.cronJob(cluster, false).getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
    List<List<String>> commands = List.of(pod.getInitContainers().get(0).getArgs(), pod.getContainers().get(0).getArgs(),
        BackupPods.archiveArgs(cluster));
    for (List<String> args : commands) {
      assertThatCode(() -> Dirk.commandLine().parseArgs(args.toArray(String[]::new)))
          .as("dirk %s", String.join(" ", args)).doesNotThrowAnyException();
    }
    RecoverySpec recovery = new RecoverySpec();
    recovery.setRepository("s3://bucket/prod/demo");
    recovery.setTargetTime("2026-12-07T17:00:00Z");
    BootstrapSpec bootstrap = new BootstrapSpec();
    bootstrap.setRecovery(recovery);
    cluster.getSpec().setBootstrap(bootstrap);
    List<String> restore = BackupPods.restoreArgs(cluster);
    assertThatCode(() -> Dirk.commandLine().parseArgs(restore.toArray(String[]::new)))
        .as("dirk %s", String.join(" ", restore)).doesNotThrowAnyException();
  }

  /** "secret/key" of an environment variable read from a Secret. */
  static String secretRef(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .map(e -> e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey())
        .orElse(null);
  }
}
