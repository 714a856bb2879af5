package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.operator.api.v1alpha1.BackupPhase;
import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.BootstrapSpec;
import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkBackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.RecoverySpec;
import io.dirkdb.operator.backup.RestoreReport;
import io.dirkdb.operator.api.v1alpha1.S3Spec;
import io.dirkdb.operator.api.v1alpha1.BackupRepositorySpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup and recovery end to end on the harness, with the data plane's real commands and a real S3 API (S3Proxy on
 * 127.0.0.1): a cluster with archiving takes a DirkBackup (its Job runs {@code dirk backup}; the operator reads the
 * result from the pod's termination message), writes more rows that only the archiver keeps, and a new DirkCluster
 * made by {@code spec.bootstrap.recovery} (its primary's init container runs {@code dirk restore}) becomes Ready with
 * every row, its secondary joining the restored primary.
 */
@QuarkusTest
class BackupRecoveryJourneyTest {

  private static final Pattern ARCHIVED_LSN = Pattern.compile("(?m)^dirk_archive_last_lsn(?:\\{[^}]*})? ([0-9.E]+)$");

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void aClusterBackedUpToS3WithArchivingIsRecoveredIntoANewClusterHoldingEveryRow(@TempDir Path root) throws Exception {
    Assumptions.assumeTrue(io.dirkdb.cli.Dirk.commandLine().getSubcommands().containsKey("archive"),
        "the data plane has no dirk archive (branch backup not merged)");
    String ns = "backup-recovery";
    String restoredNs = "backup-recovered";
    try (S3TestServer s3 = S3TestServer.start(root.resolve("s3"), "backups")) {
      for (String namespace : List.of(ns, restoredNs)) {
        client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName("s3-keys")
            .endMetadata().addToStringData("ACCESS_KEY_ID", S3TestServer.ACCESS_KEY)
            .addToStringData("SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY).build()).create();
      }
      Process archiver = null;
      long backupEnd;
      try (LiveCluster live = LiveCluster.startManagedFromExample(client, ns, "basic.yaml", Duration.ofSeconds(1),
          c -> {
            BackupSpec backup = new BackupSpec();
            repository(backup, s3);
            backup.setArchiving(true);
            c.getSpec().setBackup(backup);
          })) {
        writeRows(live, "demo-primary-0", 1, 5, true);

        // The archiver's pod, as the kubelet would run the operator's Deployment.
        Deployment deployment = await().atMost(TestClusters.PATIENCE).until(() -> client.apps().deployments()
            .inNamespace(ns).withName("demo-archiver").get(), d -> d != null);
        var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        int httpPort = freePort();
        archiver = JobController.startDirk(onTestNetwork(live, container.getArgs(), httpPort),
            PodEnvironment.of(client, ns, container), root.resolve("archiver.log"));

        DirkBackup request = new DirkBackup();
        request.setMetadata(new ObjectMetaBuilder().withName("demo-first").withNamespace(ns).build());
        DirkBackupSpec spec = new DirkBackupSpec();
        spec.setCluster("demo");
        request.setSpec(spec);
        client.resources(DirkBackup.class).inNamespace(ns).resource(request).create();
        Job job = await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().jobs().inNamespace(ns)
            .withLabel("dirkdb.io/backup", "demo-first").list().getItems(), l -> l.size() == 1).get(0);
        List<Integer> exits = new JobController(client, ns, root.resolve("jobs"))
            .asPod(args -> onTestNetwork(live, args, 0)).run(job, List.of(), () -> 0);
        assertThat(exits).as("dirk backup's exit (log in %s)", root.resolve("jobs")).containsExactly(0);
        DirkBackup done = await().atMost(TestClusters.PATIENCE).until(() -> client.resources(DirkBackup.class)
            .inNamespace(ns).withName("demo-first").get(), b -> b.getStatus() != null && b.getStatus().finished());
        assertThat(done.getStatus().getPhase()).as("status %s", done.getStatus().getError())
            .isEqualTo(BackupPhase.Completed);
        assertThat(done.getStatus().getBackupId()).isNotBlank();
        backupEnd = done.getStatus().getEndLsn();
        assertThat(backupEnd).isGreaterThanOrEqualTo(done.getStatus().getStartLsn()).isPositive();

        // Rows after the base backup: only the archived log holds them.
        writeRows(live, "demo-primary-0", 6, 8, false);
        long primaryLsn = lsnOf(live, "demo-primary-0");
        assertThat(primaryLsn).isGreaterThan(backupEnd);
        URI metrics = URI.create("http://127.0.0.1:" + httpPort + "/metrics");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> archivedLsn(metrics) >= primaryLsn);
      } finally {
        if (archiver != null) {
          archiver.destroy();
          archiver.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      }

      try (LiveCluster restored = LiveCluster.startManagedFromExample(client, restoredNs, "basic.yaml",
          Duration.ofSeconds(1), c -> {
            c.getMetadata().setName("again");
            RecoverySpec recovery = new RecoverySpec();
            repository(recovery, s3);
            BootstrapSpec bootstrap = new BootstrapSpec();
            bootstrap.setRecovery(recovery);
            c.getSpec().setBootstrap(bootstrap);
          })) {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
          assertThat(ids(restored, "again-primary-0")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
          assertThat(ids(restored, "again-secondary-0")).as("the secondary joined the restored primary")
              .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        });
        assertThat(restored.startFailures()).isEmpty();
        DirkCluster again = client.resources(DirkCluster.class).inNamespace(restoredNs).withName("again").get();
        assertThat(again.getStatus().getCurrentPrimary()).isEqualTo("again-primary-0");
        await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
          assertThat(client.resources(DirkCluster.class).inNamespace(restoredNs).withName("again").require().getStatus()
              .condition(RestoreReport.CONDITION)).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo(RestoreReport.REASON_COMPLETED.name());
                assertThat(c.getMessage()).contains("again-primary-0", "the latest backup");
              });
          assertThat(events(restoredNs, RestoreReport.REASON_COMPLETED.name())).hasSize(1);
        });
      }
    }
  }

  @Test
  void aRecoveryFromARepositoryWithoutBackupsSaysWhyInItsStatusAndOneEventAndTheClusterIsNotReady(@TempDir Path root)
      throws Exception {
    String ns = "backup-recovery-empty";
    try (S3TestServer s3 = S3TestServer.start(root.resolve("s3"), "backups")) {
      client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("s3-keys")
          .endMetadata().addToStringData("ACCESS_KEY_ID", S3TestServer.ACCESS_KEY)
          .addToStringData("SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY).build()).create();
      try (LiveCluster restored = LiveCluster.startManagedFromExample(client, ns, "basic.yaml", Duration.ofSeconds(1),
          c -> {
            c.getMetadata().setName("empty");
            RecoverySpec recovery = new RecoverySpec();
            repository(recovery, s3);
            BootstrapSpec bootstrap = new BootstrapSpec();
            bootstrap.setRecovery(recovery);
            c.getSpec().setBootstrap(bootstrap);
          }, false)) {
        // dirk restore runs in a JVM of its own per attempt: seconds each on a loaded machine.
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
          DirkCluster cluster = client.resources(DirkCluster.class).inNamespace(ns).withName("empty").require();
          assertThat(cluster.getStatus().condition(RestoreReport.CONDITION)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo(RestoreReport.REASON_FAILED.name());
            assertThat(c.getMessage()).contains("dirk restore in empty-primary-0 exited 1: ",
                "holds no complete base backup", "the kubelet tries again").doesNotContain("Picked up", "\n");
          });
          assertThat(cluster.getStatus().getPhase()).isNotEqualTo(io.dirkdb.operator.api.v1alpha1.ClusterPhase.Ready);
        });
        // The kubelet keeps trying; the same error is one Event, not one per attempt.
        List<io.fabric8.kubernetes.api.model.Event> failed = events(ns, RestoreReport.REASON_FAILED.name());
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).getType()).isEqualTo("Warning");
        assertThat(failed.get(0).getMessage()).contains("holds no complete base backup");
      }
    }
  }

  private List<io.fabric8.kubernetes.api.model.Event> events(String ns, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).toList();
  }

  private static void repository(BackupRepositorySpec repository, S3TestServer s3) {
    repository.setRepository("s3://backups/demo");
    S3Spec spec = new S3Spec();
    spec.setEndpoint(s3.endpoint());
    spec.setPathStyle(true);
    repository.setS3(spec);
    repository.setCredentialsSecret("s3-keys");
  }

  /** The container's args as its pod sees the network here: members at their test ports, the HTTP port free. */
  private static List<String> onTestNetwork(LiveCluster live, List<String> args, int httpPort) {
    List<String> out = new ArrayList<>(args);
    for (int i = 0; i + 1 < out.size(); i++) {
      if (out.get(i).equals("--members")) {
        out.set(i + 1, live.membersOnTestNetwork(out.get(i + 1)));
      } else if (out.get(i).equals("--http-port")) {
        out.set(i + 1, String.valueOf(httpPort));
      }
    }
    return out;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static long archivedLsn(URI metrics) throws Exception {
    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = ARCHIVED_LSN.matcher(body);
    return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
  }

  private static long lsnOf(LiveCluster live, String pod) throws IOException {
    try (DirkConnection c = live.connect(pod)) {
      String heartbeat = c.execute("dirk heartbeat").messageText();
      Matcher m = Pattern.compile("\"lsn\":(\\d+)").matcher(heartbeat);
      assertThat(m.find()).as("heartbeat %s", heartbeat).isTrue();
      return Long.parseLong(m.group(1));
    }
  }

  private static void writeRows(LiveCluster live, String pod, int from, int to, boolean create) throws IOException {
    if (create) {
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
        try (DirkConnection c = live.connect(pod)) {
          LiveCluster.check(c.execute("manamboara tahiry shop"));
        }
      });
    }
    try (DirkConnection c = live.connect(pod)) {
      LiveCluster.check(c.execute("ampiasao shop"));
      if (create) {
        LiveCluster.check(c.execute("manamboara tabilao item(id ISA(null,null))"));
      }
      for (int id = from; id <= to; id++) {
        LiveCluster.check(c.execute("manampia ao@ item (id) sanda (" + id + ")"));
      }
    }
  }

  private static Set<Long> ids(LiveCluster live, String pod) throws IOException {
    Set<Long> ids = new TreeSet<>();
    for (List<Object> row : live.contents(pod).getOrDefault("shop.item", List.of())) {
      ids.add(((Number) row.get(0)).longValue());
    }
    return ids;
  }
}
