package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.BackupPhase;
import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkBackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.S3Spec;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Backups on the strict harness (the chart's RBAC enforced on every request of the operator): a DirkBackup's Job,
 * its result read back from the pod's termination message, failures with their error and a Warning Event, and the
 * CronJob and archiver Deployment following spec.backup.
 */
@QuarkusTest
class BackupJourneyTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @TestHTTPResource("/q/metrics")
  URL metrics;

  private static DirkCluster cluster(String name, boolean withBackup) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).build());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    if (withBackup) {
      BackupSpec backup = new BackupSpec();
      backup.setRepository("s3://backups/" + name);
      S3Spec s3 = new S3Spec();
      s3.setEndpoint("http://127.0.0.1:9000");
      s3.setPathStyle(true);
      backup.setS3(s3);
      backup.setCredentialsSecret("s3-keys");
      cluster.getSpec().setBackup(backup);
    }
    return cluster;
  }

  private DirkBackup requestBackup(String ns, String name, String cluster) {
    DirkBackup backup = new DirkBackup();
    backup.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    DirkBackupSpec spec = new DirkBackupSpec();
    spec.setCluster(cluster);
    backup.setSpec(spec);
    return client.resources(DirkBackup.class).inNamespace(ns).resource(backup).create();
  }

  private Job awaitJob(String ns, DirkBackup backup) {
    return await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().jobs().inNamespace(ns)
        .withLabel("dirkdb.io/backup", backup.getMetadata().getName()).list().getItems(), l -> l.size() == 1).get(0);
  }

  private DirkBackup awaitPhase(String ns, String name, BackupPhase phase) {
    return await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkBackup.class).inNamespace(ns)
        .withName(name).get(), b -> b.getStatus() != null && b.getStatus().getPhase() == phase);
  }

  private List<Event> events(String ns, String involved, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> involved.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
  }

  @Test
  void aDirkBackupRunsOneJobAndCompletesWithTheLsnRangeOfItsTerminationMessage(@org.junit.jupiter.api.io.TempDir Path logs)
      throws Exception {
    String ns = "backup-completes";
    TestClusters.create(client, ns, cluster("shop", true));
    DirkBackup backup = requestBackup(ns, "shop-now", "shop");
    Job job = awaitJob(ns, backup);
    assertThat(job.getMetadata().getName()).startsWith("shop-backup-");
    assertThat(job.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("shop-now"));
    assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .startsWith("backup", "--members").contains("--repository", "s3://backups/shop", "--s3-path-style");
    awaitPhase(ns, "shop-now", BackupPhase.Running);

    new JobController(client, ns, logs).finish(job, 0, "{\"backupId\":\"20261207-shop-1\",\"historyId\":\"h-1\","
        + "\"startLsn\":17,\"endLsn\":42,\"epoch\":2,\"bytes\":8192,\"startedAt\":\"2026-12-07T17:00:00Z\","
        + "\"completedAt\":\"2026-12-07T17:00:03Z\",\"member\":\"shop-secondary-0.shop-members." + ns + ".svc:3948\"}");

    DirkBackup done = awaitPhase(ns, "shop-now", BackupPhase.Completed);
    assertThat(done.getStatus().getBackupId()).isEqualTo("20261207-shop-1");
    assertThat(done.getStatus().getStartLsn()).isEqualTo(17L);
    assertThat(done.getStatus().getEndLsn()).isEqualTo(42L);
    assertThat(done.getStatus().getBytes()).isEqualTo(8192L);
    assertThat(done.getStatus().getCompletedAt()).isEqualTo("2026-12-07T17:00:03Z");
    assertThat(done.getStatus().getError()).isNull();
    await().atMost(TestClusters.PATIENCE).until(() -> !events(ns, "shop-now", "BackupCompleted").isEmpty());
    assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems()).as("one Job per DirkBackup").hasSize(1);

    HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics.toURI()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(scraped.body()).containsPattern("dirk_backup_last_success_timestamp_seconds\\{[^}]*cluster=\"shop\"[^}]*"
        + "namespace=\"" + ns + "\"[^}]*} 1\\.796662803E9"); // 2026-12-07T17:00:03Z
  }

  @Test
  void aFailingBackupJobFailsTheDirkBackupWithItsErrorAndAWarningEvent(@org.junit.jupiter.api.io.TempDir Path logs) {
    String ns = "backup-fails";
    TestClusters.create(client, ns, cluster("shop", true));
    DirkBackup backup = requestBackup(ns, "shop-broken", "shop");
    Job job = awaitJob(ns, backup);
    new JobController(client, ns, logs).finish(job, 1,
        "{\"error\":\"cannot write to s3://backups/shop: 403 AccessDenied\"}");
    DirkBackup failed = awaitPhase(ns, "shop-broken", BackupPhase.Failed);
    assertThat(failed.getStatus().getError()).isEqualTo("cannot write to s3://backups/shop: 403 AccessDenied");
    await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
      assertThat(events(ns, "shop-broken", "BackupFailed")).singleElement().satisfies(e -> {
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getMessage()).isEqualTo("cannot write to s3://backups/shop: 403 AccessDenied");
      });
      assertThat(events(ns, "shop", "BackupFailed")).as("also on the cluster").hasSize(1);
    });
  }

  @Test
  void aJobThatSucceedsWithoutAResultOrWithOneThatIsNotJsonFailsTheDirkBackup(
      @org.junit.jupiter.api.io.TempDir Path logs) {
    String ns = "backup-no-result";
    TestClusters.create(client, ns, cluster("shop", true));
    DirkBackup silent = requestBackup(ns, "silent", "shop");
    new JobController(client, ns, logs).finish(awaitJob(ns, silent), 0, null);
    assertThat(awaitPhase(ns, "silent", BackupPhase.Failed).getStatus().getError())
        .contains("left no result in its termination message");
    DirkBackup garbled = requestBackup(ns, "garbled", "shop");
    new JobController(client, ns, logs).finish(awaitJob(ns, garbled), 1,
        "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n\tat x.y(Z.java:1)");
    assertThat(awaitPhase(ns, "garbled", BackupPhase.Failed).getStatus().getError())
        .isEqualTo("at x.y(Z.java:1)");
  }

  @Test
  void aDirkBackupOfAClusterWithoutBackupsOrOfNoClusterFailsAtOnceWithoutAJob() {
    String ns = "backup-refused";
    TestClusters.create(client, ns, cluster("plain", false));
    requestBackup(ns, "of-plain", "plain");
    requestBackup(ns, "of-nothing", "ghost");
    assertThat(awaitPhase(ns, "of-plain", BackupPhase.Failed).getStatus().getError())
        .isEqualTo("DirkCluster plain has no spec.backup: set its repository (spec.backup.repository) to take backups");
    assertThat(awaitPhase(ns, "of-nothing", BackupPhase.Failed).getStatus().getError())
        .isEqualTo("DirkCluster ghost does not exist in namespace " + ns);
    assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems()).isEmpty();
  }

  @Test
  void theCronJobAndTheArchiverFollowSpecBackupAndGoWhenTurnedOff() {
    String ns = "backup-children";
    DirkCluster cluster = cluster("shop", true);
    cluster.getSpec().getBackup().setSchedule("0 3 * * *");
    cluster.getSpec().getBackup().setArchiving(true);
    TestClusters.create(client, ns, cluster);
    CronJob cronJob = await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().cronjobs()
        .inNamespace(ns).withName("shop-backup").get(), c -> c != null);
    assertThat(cronJob.getSpec().getSchedule()).isEqualTo("0 3 * * *");
    Deployment archiver = await().atMost(TestClusters.PATIENCE).until(() -> client.apps().deployments()
        .inNamespace(ns).withName("shop-archiver").get(), d -> d != null);
    assertThat(archiver.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).startsWith("archive");
    assertThat(client.apps().deployments().inNamespace(ns).withName("shop-proxy").get())
        .as("the proxy stays, beside the archiver").isNotNull();

    editCluster(ns, "shop", c -> c.getSpec().getBackup().setSchedule("30 1 * * *"));
    await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().cronjobs().inNamespace(ns)
        .withName("shop-backup").get().getSpec().getSchedule().equals("30 1 * * *"));

    editCluster(ns, "shop", c -> {
      c.getSpec().getBackup().setSchedule(null);
      c.getSpec().getBackup().setArchiving(false);
    });
    await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().cronjobs().inNamespace(ns)
        .withName("shop-backup").get() == null
        && client.apps().deployments().inNamespace(ns).withName("shop-archiver").get() == null);
    assertThat(client.apps().deployments().inNamespace(ns).withName("shop-proxy").get()).isNotNull();
  }

  @Test
  void whileHibernatedTheCronJobIsSuspendedAndTheArchiverScaledToZeroAndBothComeBackOnWaking() {
    String ns = "backup-hibernated";
    DirkCluster cluster = cluster("shop", true);
    cluster.getSpec().getBackup().setSchedule("0 3 * * *");
    cluster.getSpec().getBackup().setArchiving(true);
    TestClusters.create(client, ns, cluster);
    awaitBackupChildren(ns, false, 1);
    // The operator's first status write done before the test edits the cluster: the mock server can drop a status
    // patch racing an edit of a cluster that has no status yet (the client then waits out its 10 s timeout).
    await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkCluster.class).inNamespace(ns)
        .withName("shop").get().getStatus() != null);

    annotate(ns, "shop", "dirkdb.io/hibernation", "on");
    awaitBackupChildren(ns, true, 0);
    assertThat(client.batch().v1().cronjobs().inNamespace(ns).withName("shop-backup").get().getSpec().getSchedule())
        .as("kept with its settings, not deleted").isEqualTo("0 3 * * *");

    annotate(ns, "shop", "dirkdb.io/hibernation", "off");
    awaitBackupChildren(ns, false, 1);
  }

  @Test
  void whilePausedHibernationChangesNeitherTheCronJobNorTheArchiverUntilResumed() {
    String ns = "backup-paused-hibernated";
    DirkCluster cluster = cluster("shop", true);
    cluster.getSpec().getBackup().setSchedule("0 3 * * *");
    cluster.getSpec().getBackup().setArchiving(true);
    TestClusters.create(client, ns, cluster);
    awaitBackupChildren(ns, false, 1);
    // The operator's first status write done before the test edits the cluster: the mock server can drop a status
    // patch racing an edit of a cluster that has no status yet (the client then waits out its 10 s timeout).
    await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkCluster.class).inNamespace(ns)
        .withName("shop").get().getStatus() != null);

    annotate(ns, "shop", "dirkdb.io/reconciliation", "paused");
    await().atMost(TestClusters.PATIENCE).until(() -> java.util.Optional.ofNullable(client.resources(DirkCluster.class)
        .inNamespace(ns).withName("shop").get().getStatus()).flatMap(s -> s.condition("ReconciliationPaused"))
        .filter(c -> "True".equals(c.getStatus())).isPresent());
    annotate(ns, "shop", "dirkdb.io/hibernation", "on");
    await().during(java.time.Duration.ofSeconds(3)).atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(client.batch().v1().cronjobs().inNamespace(ns).withName("shop-backup").get().getSpec().getSuspend())
          .isFalse();
      assertThat(client.apps().deployments().inNamespace(ns).withName("shop-archiver").get().getSpec().getReplicas())
          .isEqualTo(1);
    });

    annotate(ns, "shop", "dirkdb.io/reconciliation", null);
    awaitBackupChildren(ns, true, 0);
  }

  @Test
  void aDirkBackupOfAHibernatedClusterFailsAtOnceSayingSoWithoutAJob() {
    String ns = "backup-of-hibernated";
    DirkCluster cluster = cluster("shop", true);
    cluster.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of("dirkdb.io/hibernation", "on")));
    TestClusters.create(client, ns, cluster);
    requestBackup(ns, "while-asleep", "shop");
    DirkBackup failed = awaitPhase(ns, "while-asleep", BackupPhase.Failed);
    assertThat(failed.getStatus().getError()).isEqualTo("DirkCluster shop is hibernated (dirkdb.io/hibernation: on):"
        + " no member runs to back up; wake it (kubectl dirk hibernate off shop) and ask again");
    await().atMost(TestClusters.PATIENCE).until(() -> !events(ns, "while-asleep", "BackupFailed").isEmpty());
    assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems()).isEmpty();
  }

  private void awaitBackupChildren(String ns, boolean suspended, int archivers) {
    await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
      CronJob cronJob = client.batch().v1().cronjobs().inNamespace(ns).withName("shop-backup").get();
      assertThat(cronJob).isNotNull();
      assertThat(cronJob.getSpec().getSuspend()).isEqualTo(suspended);
      Deployment archiver = client.apps().deployments().inNamespace(ns).withName("shop-archiver").get();
      assertThat(archiver).isNotNull();
      assertThat(archiver.getSpec().getReplicas()).isEqualTo(archivers);
    });
  }

  private void annotate(String ns, String name, String key, String value) {
    editCluster(ns, name, c -> {
      if (c.getMetadata().getAnnotations() == null) {
        c.getMetadata().setAnnotations(new java.util.HashMap<>());
      }
      if (value == null) {
        c.getMetadata().getAnnotations().remove(key);
      } else {
        c.getMetadata().getAnnotations().put(key, value);
      }
    });
  }

  @Test
  void anInvalidScheduleIsASpecErrorAndNoCronJobIsMade() {
    String ns = "backup-bad-cron";
    DirkCluster cluster = cluster("shop", true);
    cluster.getSpec().getBackup().setSchedule("0 25 * * *");
    TestClusters.create(client, ns, cluster);
    DirkCluster stored = await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkCluster.class)
        .inNamespace(ns).withName("shop").get(), c -> c.getStatus() != null
            && c.getStatus().condition("SpecValid").filter(s -> "False".equals(s.getStatus())).isPresent());
    assertThat(stored.getStatus().condition("SpecValid").get().getMessage()).contains("spec.backup.schedule")
        .contains("hour field '25'");
    assertThat(client.batch().v1().cronjobs().inNamespace(ns).list().getItems()).isEmpty();
  }

  @Test
  void aCronJobTheApiServerRefusesIsReportedAndTheRestOfTheClusterIsStillMade() {
    String ns = "backup-cronjob-refused";
    Harness.refuse(client, "create", "batch", "cronjobs", ns, "cronjobs are not allowed in this namespace");
    try {
      DirkCluster cluster = cluster("shop", true);
      cluster.getSpec().getBackup().setSchedule("@daily");
      TestClusters.create(client, ns, cluster);
      DirkCluster stored = await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkCluster.class)
          .inNamespace(ns).withName("shop").get(), c -> c.getStatus() != null
              && c.getStatus().condition("ChildrenReconciled").filter(s -> "False".equals(s.getStatus())).isPresent());
      assertThat(stored.getStatus().condition("ChildrenReconciled").get().getMessage())
          .contains("CronJob (shop-backup) could not be applied").contains("403");
      assertThat(client.apps().statefulSets().inNamespace(ns).withName("shop-primary").get()).isNotNull();
    } finally {
      Harness.clearFaults(client);
    }
  }

  private void editCluster(String ns, String name, java.util.function.Consumer<DirkCluster> change) {
    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName(name).edit(c -> {
      change.accept(c);
      return c;
    }));
  }
}
