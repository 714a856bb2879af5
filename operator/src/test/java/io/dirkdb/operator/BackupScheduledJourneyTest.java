package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.BackupPhase;
import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkBackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.RetentionSpec;
import io.dirkdb.operator.api.v1alpha1.S3Spec;
import io.dirkdb.operator.failover.ClusterProber;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduled backups on the strict harness: every Job the backup CronJob starts gets a DirkBackup named after it,
 * reported as an on-demand one is (status from the backup's termination message, Events), once. The test plays the
 * CronJob controller (a Job from the jobTemplate, owned by the CronJob) and the kubelet ({@link JobController}).
 */
@QuarkusTest
class BackupScheduledJourneyTest {

  private static final String RESULT = "{\"backupId\":\"20261208-shop-3\",\"historyId\":\"h-1\",\"startLsn\":100,"
      + "\"endLsn\":180,\"epoch\":2,\"bytes\":4096,\"startedAt\":\"2026-12-08T03:00:01Z\","
      + "\"completedAt\":\"2026-12-08T03:00:04Z\"}";

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Inject
  Operator operator;

  @Inject
  ClusterProber prober;

  private static DirkCluster cluster(String name) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).build());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    BackupSpec backup = new BackupSpec();
    backup.setRepository("s3://backups/" + name);
    S3Spec s3 = new S3Spec();
    s3.setEndpoint("http://127.0.0.1:9000");
    s3.setPathStyle(true);
    backup.setS3(s3);
    backup.setCredentialsSecret("s3-keys");
    backup.setSchedule("0 3 * * *");
    RetentionSpec retention = new RetentionSpec();
    retention.setKeepLast(3);
    backup.setRetention(retention); // the Job runs the backup, then the prune
    cluster.getSpec().setBackup(backup);
    return cluster;
  }

  private CronJob awaitCronJob(String ns) {
    return await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().cronjobs().inNamespace(ns)
        .withName("shop-backup").get(), c -> c != null);
  }

  /** What the CronJob controller does at a scheduled time: a Job from the jobTemplate, owned by the CronJob. */
  private Job scheduleJob(CronJob cronJob, String name) {
    Job job = new JobBuilder()
        .withNewMetadata().withName(name).withNamespace(cronJob.getMetadata().getNamespace())
        .withLabels(cronJob.getSpec().getJobTemplate().getMetadata().getLabels())
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("CronJob")
            .withName(cronJob.getMetadata().getName()).withUid(cronJob.getMetadata().getUid()).withController(true)
            .withBlockOwnerDeletion(true).build())
        .endMetadata()
        .withSpec(cronJob.getSpec().getJobTemplate().getSpec())
        .build();
    return client.batch().v1().jobs().inNamespace(cronJob.getMetadata().getNamespace()).resource(job).create();
  }

  private DirkBackup awaitPhase(String ns, String name, BackupPhase phase) {
    return await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkBackup.class).inNamespace(ns)
        .withName(name).get(), b -> b != null && b.getStatus() != null && b.getStatus().getPhase() == phase);
  }

  private List<Event> events(String ns, String involved, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> involved.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
  }

  private List<DirkBackup> backups(String ns) {
    return client.resources(DirkBackup.class).inNamespace(ns).list().getItems();
  }

  @Test
  void aScheduledJobThatSucceedsGetsACompletedDirkBackupWithItsBackupIdAndAnEventOnce(@TempDir Path logs) {
    String ns = "scheduled-completes";
    TestClusters.create(client, ns, cluster("shop"));
    Job job = scheduleJob(awaitCronJob(ns), "shop-backup-29420100");

    DirkBackup running = awaitPhase(ns, "shop-backup-29420100", BackupPhase.Running);
    assertThat(running.getSpec().getCluster()).isEqualTo("shop");
    assertThat(running.getMetadata().getLabels()).containsEntry("dirkdb.io/scheduled", "true");
    assertThat(running.getMetadata().getAnnotations()).containsEntry("dirkdb.io/scheduled-job", "shop-backup-29420100");
    assertThat(running.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("Job");
      assertThat(o.getName()).isEqualTo("shop-backup-29420100");
      assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid());
    });
    assertThat(running.getStatus().getJob()).isEqualTo("shop-backup-29420100");
    await().atMost(TestClusters.PATIENCE).until(() -> !events(ns, "shop-backup-29420100", "BackupStarted").isEmpty());

    new JobController(client, ns, logs).finishScheduled(job, 0, RESULT, 0);
    DirkBackup done = awaitPhase(ns, "shop-backup-29420100", BackupPhase.Completed);
    assertThat(done.getStatus().getBackupId()).isEqualTo("20261208-shop-3");
    assertThat(done.getStatus().getStartLsn()).isEqualTo(100L);
    assertThat(done.getStatus().getEndLsn()).isEqualTo(180L);
    assertThat(done.getStatus().getCompletedAt()).isEqualTo("2026-12-08T03:00:04Z");
    await().atMost(TestClusters.PATIENCE).until(() -> !events(ns, "shop-backup-29420100", "BackupCompleted").isEmpty());

    // The cluster's passes (heartbeats, status) and the Job's updates go on: still one DirkBackup, no second Job.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(backups(ns)).singleElement().satisfies(b -> assertThat(b.getMetadata().getName())
          .isEqualTo("shop-backup-29420100"));
      assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems()).hasSize(1);
      assertThat(events(ns, "shop-backup-29420100", "BackupCompleted")).hasSize(1);
    });
  }

  @Test
  void aScheduledJobWhoseBackupFailsGetsAFailedDirkBackupWithTheErrorAndAWarning(@TempDir Path logs) {
    String ns = "scheduled-fails";
    TestClusters.create(client, ns, cluster("shop"));
    Job job = scheduleJob(awaitCronJob(ns), "shop-backup-29420160");
    awaitPhase(ns, "shop-backup-29420160", BackupPhase.Running);

    new JobController(client, ns, logs).finishScheduled(job, 1,
        "{\"error\":\"cannot write to s3://backups/shop: 403 AccessDenied\"}", 0);
    DirkBackup failed = awaitPhase(ns, "shop-backup-29420160", BackupPhase.Failed);
    assertThat(failed.getStatus().getError()).isEqualTo("cannot write to s3://backups/shop: 403 AccessDenied");
    await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
      assertThat(events(ns, "shop-backup-29420160", "BackupFailed")).singleElement().satisfies(e -> {
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getMessage()).isEqualTo("cannot write to s3://backups/shop: 403 AccessDenied");
      });
      assertThat(events(ns, "shop", "BackupFailed")).as("also on the cluster").hasSize(1);
    });
  }

  @Test
  void aBackupWhosePruneFailsIsCompletedWithAWarningAboutThePrune(@TempDir Path logs) {
    String ns = "scheduled-prune-fails";
    TestClusters.create(client, ns, cluster("shop"));
    Job job = scheduleJob(awaitCronJob(ns), "shop-backup-29420220");
    awaitPhase(ns, "shop-backup-29420220", BackupPhase.Running);

    new JobController(client, ns, logs).finishScheduled(job, 0, RESULT, 1, "{\"pruned\":[]}");
    DirkBackup done = awaitPhase(ns, "shop-backup-29420220", BackupPhase.Completed);
    assertThat(done.getStatus().getBackupId()).as("the backup is in the repository").isEqualTo("20261208-shop-3");
    await().atMost(TestClusters.PATIENCE).untilAsserted(() -> assertThat(events(ns, "shop-backup-29420220",
        "BackupPruneFailed")).singleElement().satisfies(e -> assertThat(e.getMessage())
            .contains("dirk backup prune exited 1: {\"pruned\":[]}").doesNotContain("dirk backup failed")));
  }

  @Test
  void aDirkBackupTheUserDeletesForAFinishedJobIsNotMadeAgain(@TempDir Path logs) {
    String ns = "scheduled-deleted";
    TestClusters.create(client, ns, cluster("shop"));
    Job job = scheduleJob(awaitCronJob(ns), "shop-backup-29420280");
    awaitPhase(ns, "shop-backup-29420280", BackupPhase.Running);
    new JobController(client, ns, logs).finishScheduled(job, 0, RESULT, 0);
    awaitPhase(ns, "shop-backup-29420280", BackupPhase.Completed);

    client.resources(DirkBackup.class).inNamespace(ns).withName("shop-backup-29420280").delete();
    await().atMost(TestClusters.PATIENCE).until(() -> backups(ns).isEmpty());
    // The Job changes again (its TTL, a label): the operator sees it and still makes none.
    client.batch().v1().jobs().inNamespace(ns).withName("shop-backup-29420280")
        .edit(j -> new JobBuilder(j).editMetadata().addToLabels("touched", "yes").endMetadata().build());
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> backups(ns).isEmpty());
  }

  @Test
  void aJobScheduledWhileTheOperatorWasDownIsReportedOnceItIsBack(@TempDir Path logs) {
    String ns = "scheduled-restart";
    TestClusters.create(client, ns, cluster("shop"));
    CronJob cronJob = awaitCronJob(ns);
    OperatorRestart.stopLikeAPodDeletion(operator);
    try {
      Job job = scheduleJob(cronJob, "shop-backup-29420340");
      new JobController(client, ns, logs).finishScheduled(job, 0, RESULT, 0);
      assertThat(backups(ns)).isEmpty();
      FailoverTest.expireOperatorLease(client);
    } finally {
      operator.start();
    }
    DirkBackup done = awaitPhase(ns, "shop-backup-29420340", BackupPhase.Completed);
    assertThat(done.getStatus().getBackupId()).isEqualTo("20261208-shop-3");
    await().atMost(TestClusters.PATIENCE).until(() -> !events(ns, "shop-backup-29420340", "BackupCompleted").isEmpty());
  }

  private DirkBackup requestBackup(String ns, String name, Map<String, String> annotations) {
    DirkBackup backup = new DirkBackup();
    backup.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).withAnnotations(annotations).build());
    DirkBackupSpec spec = new DirkBackupSpec();
    spec.setCluster("shop");
    backup.setSpec(spec);
    return client.resources(DirkBackup.class).inNamespace(ns).resource(backup).create();
  }

  /** A Job with the CronJob's labels and template, owned as {@code owner} says (null: by nothing). */
  private Job forgeJob(CronJob cronJob, String name, String ownerName, String ownerUid) {
    var metadata = new JobBuilder().withNewMetadata().withName(name).withNamespace(cronJob.getMetadata().getNamespace())
        .withLabels(cronJob.getSpec().getJobTemplate().getMetadata().getLabels());
    if (ownerName != null) {
      metadata.withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("CronJob")
          .withName(ownerName).withUid(ownerUid).withController(true).build());
    }
    Job job = metadata.endMetadata().withSpec(cronJob.getSpec().getJobTemplate().getSpec()).build();
    return client.batch().v1().jobs().inNamespace(cronJob.getMetadata().getNamespace()).resource(job).create();
  }

  @Test
  void aJobWithTheLabelThatTheClustersCronJobDidNotMakeGetsNoDirkBackupAndWarnsNobody() {
    String ns = "scheduled-forged";
    TestClusters.create(client, ns, cluster("shop"));
    CronJob cronJob = awaitCronJob(ns);
    // Anyone who may create Jobs can copy the label: no owner, a CronJob of that name with another uid, another
    // CronJob of the cluster's name pattern that the cluster does not own.
    client.batch().v1().cronjobs().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder()
        .withNewMetadata().withName("other-backup").withNamespace(ns).endMetadata()
        .withSpec(cronJob.getSpec()).build()).create();
    CronJob other = client.batch().v1().cronjobs().inNamespace(ns).withName("other-backup").get();
    forgeJob(cronJob, "forged-unowned", null, null);
    forgeJob(cronJob, "forged-wrong-uid", "shop-backup", "00000000-0000-0000-0000-000000000000");
    forgeJob(cronJob, "forged-other-cronjob", "other-backup", other.getMetadata().getUid());
    scheduleJob(cronJob, "shop-backup-29420400");
    awaitPhase(ns, "shop-backup-29420400", BackupPhase.Running);

    for (String forged : List.of("forged-unowned", "forged-wrong-uid", "forged-other-cronjob")) {
      client.batch().v1().jobs().inNamespace(ns).withName(forged).delete();
    }
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(backups(ns)).extracting(b -> b.getMetadata().getName()).containsExactly("shop-backup-29420400");
      assertThat(events(ns, "shop", "BackupFailed")).isEmpty();
    });
  }

  @Test
  void aDirkBackupAnnotatedWithAJobItDoesNotOwnIsAnOrdinaryOnDemandBackup() {
    String ns = "scheduled-annotation-forged";
    TestClusters.create(client, ns, cluster("shop"));
    scheduleJob(awaitCronJob(ns), "shop-backup-29420460");
    awaitPhase(ns, "shop-backup-29420460", BackupPhase.Running);

    // Another name pointing at the scheduled Job; its own name with no Job owning it.
    requestBackup(ns, "mine", Map.of("dirkdb.io/scheduled-job", "shop-backup-29420460"));
    requestBackup(ns, "shop-backup-29420999", Map.of("dirkdb.io/scheduled-job", "shop-backup-29420999"));
    for (String name : List.of("mine", "shop-backup-29420999")) {
      DirkBackup running = awaitPhase(ns, name, BackupPhase.Running);
      assertThat(running.getStatus().getJob()).as(name).isNotEqualTo("shop-backup-29420460").isNotEqualTo(name);
      Job own = client.batch().v1().jobs().inNamespace(ns).withName(running.getStatus().getJob()).get();
      assertThat(own.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
        assertThat(o.getKind()).isEqualTo("DirkBackup");
        assertThat(o.getUid()).isEqualTo(running.getMetadata().getUid());
      });
    }
    assertThat(events(ns, "mine", "BackupStarted")).noneSatisfy(e -> assertThat(e.getMessage())
        .contains("shop-backup-29420460"));
  }

  @Test
  void aUsersDirkBackupNamedLikeAScheduledJobStillFinishesAndTheClusterIsWarnedOnce(@TempDir Path logs) {
    String ns = "scheduled-name-taken";
    TestClusters.create(client, ns, cluster("shop"));
    CronJob cronJob = awaitCronJob(ns);
    requestBackup(ns, "shop-backup-29420520", Map.of());
    DirkBackup mine = awaitPhase(ns, "shop-backup-29420520", BackupPhase.Running);
    Job own = client.batch().v1().jobs().inNamespace(ns).withName(mine.getStatus().getJob()).get();

    Job scheduled = scheduleJob(cronJob, "shop-backup-29420520");
    await().atMost(TestClusters.PATIENCE).until(() -> !events(ns, "shop", "ScheduledBackupNameTaken").isEmpty());
    JobController jobs = new JobController(client, ns, logs);
    jobs.finish(own, 0, RESULT);
    DirkBackup done = awaitPhase(ns, "shop-backup-29420520", BackupPhase.Completed);
    assertThat(done.getStatus().getJob()).isEqualTo(own.getMetadata().getName());
    assertThat(done.getMetadata().getAnnotations()).doesNotContainKey("dirkdb.io/scheduled-job");
    jobs.finishScheduled(scheduled, 0, RESULT, 0);
    client.batch().v1().jobs().inNamespace(ns).withName("shop-backup-29420520")
        .edit(j -> new JobBuilder(j).editMetadata().addToLabels("touched", "yes").endMetadata().build());

    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(events(ns, "shop", "ScheduledBackupNameTaken")).singleElement().satisfies(e -> {
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getMessage()).contains("shop-backup-29420520");
      });
      assertThat(client.resources(DirkBackup.class).inNamespace(ns).withName("shop-backup-29420520").get().getStatus()
          .getPhase()).isEqualTo(BackupPhase.Completed);
    });
  }
}
