package io.dirkdb.operator;

import static io.dirkdb.operator.TestClusters.awaitChildren;
import static io.dirkdb.operator.TestClusters.standardChildren;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each manifest in examples/ yields exactly the expected children, with their fields, labels and owner. */
@QuarkusTest
class ExamplesTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void basicExampleMakesEveryChildOwnedAndLabelled() throws Exception {
    String ns = "example-basic";
    DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    awaitChildren(client, ns, standardChildren("demo", true));
    assertEveryChildOwnedAndLabelled(ns, cluster);

    StatefulSet primary = statefulSet(ns, "demo-primary");
    StatefulSet secondary = statefulSet(ns, "demo-secondary");
    assertThat(primary.getSpec().getReplicas()).isEqualTo(1);
    assertThat(secondary.getSpec().getReplicas()).isEqualTo(1);
    for (StatefulSet sts : List.of(primary, secondary)) {
      assertThat(sts.getSpec().getServiceName()).isEqualTo("demo-members");
      assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
          .containsEntry("app.kubernetes.io/component", "member")
          .doesNotContainKey("dirkdb.io/role");
      assertThat(sts.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(pvc -> {
        assertThat(pvc.getMetadata().getName()).isEqualTo("data");
        // docs/getting-started.md removes the volumes with `kubectl delete pvc -l app.kubernetes.io/instance=demo`.
        assertThat(pvc.getMetadata().getLabels()).containsEntry("app.kubernetes.io/instance", "demo");
        assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");
      });
      assertThat(sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled()).isEqualTo("Retain");
      Container member = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(member.getImage()).isEqualTo("dirkdb/dirk:0.1.0");
      assertThat(member.getArgs()).containsExactly("server", "--config", "/etc/dirk/config.json",
          "--data-dir", "/var/lib/dirk/data", "--host", "0.0.0.0", "--port", "3948", "--http-port", "8080",
          "--primary-lease-ms", "3000");
      assertThat(member.getEnv()).extracting(EnvVar::getName)
          .containsExactly("DIRK_INSTANCE_ID", "DIRK_PASSWORD", "DIRK_REPLICATION_PASSWORD", "DIRK_ADMIN_PASSWORD",
              "JAVA_TOOL_OPTIONS", "DIRK_PREVIOUS_PASSWORD", "DIRK_PREVIOUS_REPLICATION_PASSWORD",
              "DIRK_PREVIOUS_ADMIN_PASSWORD");
      // A memory limit the JVM sizes its heap from, not the node's memory.
      assertThat(member.getEnv().get(4).getValue()).contains("-XX:MaxRAMPercentage=50");
      assertThat(member.getResources().getLimits().get("memory").toString()).isEqualTo("512Mi");
      assertThat(member.getResources().getRequests().get("memory").toString()).isEqualTo("512Mi");
      assertThat(member.getEnv().get(0).getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
      assertThat(member.getEnv().get(1).getValueFrom().getSecretKeyRef().getName()).isEqualTo("demo-credentials");
      assertThat(member.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
      assertThat(member.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
      assertThat(member.getVolumeMounts()).extracting(m -> m.getMountPath())
          .containsExactlyInAnyOrder("/var/lib/dirk", "/etc/dirk", "/tmp");
      assertHardened(sts.getSpec().getTemplate().getSpec());
      assertThat(sts.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
          .getPreferredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
    }

    Deployment proxy = deployment(ns, "demo-proxy");
    List<Container> proxyContainers = proxy.getSpec().getTemplate().getSpec().getContainers();
    assertThat(proxyContainers).extracting(Container::getName).containsExactly("proxy", "cache");
    assertThat(proxyContainers.get(0).getArgs()).containsExactly("proxy", "--config", "/etc/dirk/config.json",
        "--host", "0.0.0.0", "--port", "3949", "--http-port", "8080");
    assertThat(proxyContainers.get(1).getArgs()).containsExactly("cache", "127.0.0.1", "3949", "3951", "3000", "200",
        "--host", "0.0.0.0", "--http-port", "8081");
    assertThat(proxyContainers.get(1).getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8081);
    assertThat(proxyContainers.get(0).getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8080);
    assertHardened(proxy.getSpec().getTemplate().getSpec());

    assertThat(service(ns, "demo-proxy").getSpec().getPorts()).extracting(ServicePort::getPort).containsExactly(3949, 3951);
    Service members = service(ns, "demo-members");
    assertThat(members.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(members.getSpec().getSelector()).doesNotContainKey("dirkdb.io/role");
    assertThat(service(ns, "demo-primary").getSpec().getSelector()).containsEntry("dirkdb.io/role", "primary");

    JsonNode config = new ObjectMapper().readTree(
        client.configMaps().inNamespace(ns).withName("demo-config").require().getData().get("config.json"));
    assertThat(config.get("configVersion").asInt()).isEqualTo(1);
    assertThat(config.at("/loadBalancer/listenPort").asInt()).isEqualTo(3949);
    assertThat(config.at("/replication/mode").asText()).isEqualTo("async");
    List<String> instances = new ArrayList<>();
    config.get("instances").forEach(i -> instances.add(i.get("id").asText() + " " + i.get("role").asText() + " "
        + i.get("host").asText() + ":" + i.get("port").asInt()));
    assertThat(instances).containsExactly(
        "demo-primary-0 MASTER demo-primary-0.demo-members.example-basic.svc:3948",
        "demo-secondary-0 REPLICA demo-secondary-0.demo-members.example-basic.svc:3948");

    Secret secret = client.secrets().inNamespace(ns).withName("demo-credentials").require();
    String password = secret.getStringData() != null && secret.getStringData().containsKey("password")
        ? secret.getStringData().get("password") : secret.getData().get("password");
    assertThat(password).hasSizeGreaterThanOrEqualTo(24);
    assertThat(client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("demo-members").require()
        .getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
  }

  @Test
  void haSyncExampleRendersSyncReplicationAndRequiredSpread() throws Exception {
    String ns = "example-ha";
    DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, "ha-sync.yaml"));
    awaitChildren(client, ns, standardChildren("ha", true));
    assertEveryChildOwnedAndLabelled(ns, cluster);

    StatefulSet secondary = statefulSet(ns, "ha-secondary");
    assertThat(secondary.getSpec().getReplicas()).isEqualTo(2);
    // No storage class named: the claims use the cluster's default class, whatever it is called there.
    assertThat(secondary.getSpec().getVolumeClaimTemplates().get(0).getSpec().getStorageClassName()).isNull();
    assertThat(secondary.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
    Container member = secondary.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(member.getResources().getRequests().get("cpu").toString()).isEqualTo("500m");
    assertThat(member.getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
    assertThat(deployment(ns, "ha-proxy").getSpec().getReplicas()).isEqualTo(2);

    JsonNode config = new ObjectMapper().readTree(
        client.configMaps().inNamespace(ns).withName("ha-config").require().getData().get("config.json"));
    assertThat(config.at("/replication/mode").asText()).isEqualTo("sync");
    assertThat(config.get("instances")).hasSize(3);
  }

  @Test
  void noCacheExampleRunsOnlyTheProxyAndExposesOnlyItsPort() {
    String ns = "example-plain";
    DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, "no-cache.yaml"));
    awaitChildren(client, ns, standardChildren("plain", true));
    assertEveryChildOwnedAndLabelled(ns, cluster);

    assertThat(deployment(ns, "plain-proxy").getSpec().getTemplate().getSpec().getContainers())
        .extracting(Container::getName).containsExactly("proxy");
    assertThat(service(ns, "plain-proxy").getSpec().getPorts()).extracting(ServicePort::getPort).containsExactly(3949);
  }

  @Test
  void withAuthExampleUsesTheNamedSecretAndGeneratesNone() {
    String ns = "example-secured";
    client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("dirk-admin").endMetadata()
        .addToStringData("password", "a-password-the-user-chose").build()).create();
    DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, "with-auth.yaml"));
    awaitChildren(client, ns, standardChildren("secured", false));
    assertEveryChildOwnedAndLabelled(ns, cluster);

    for (String name : List.of("secured-primary", "secured-secondary")) {
      EnvVar password = statefulSet(ns, name).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().get(1);
      assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo("dirk-admin");
    }
    EnvVar proxyPassword = deployment(ns, "secured-proxy").getSpec().getTemplate().getSpec().getContainers().get(0)
        .getEnv().get(0);
    assertThat(proxyPassword.getValueFrom().getSecretKeyRef().getName()).isEqualTo("dirk-admin");
    assertThat(client.secrets().inNamespace(ns).withName("dirk-admin").require().getMetadata().getOwnerReferences())
        .isNullOrEmpty();
  }

  @Test
  void backupExampleMakesAHardenedCronJobAndArchiverAndItsDirkBackupRunsAJob() throws Exception {
    String ns = "example-backed";
    String[] documents = java.nio.file.Files.readString(TestClusters.EXAMPLES.resolve("backup-s3.yaml"))
        .split("(?m)^---$");
    assertThat(documents).hasSize(2);
    DirkCluster cluster = TestClusters.create(client, ns, client.getKubernetesSerialization().unmarshal(documents[0],
        DirkCluster.class));
    var backup = client.getKubernetesSerialization().unmarshal(documents[1],
        io.dirkdb.operator.api.v1alpha1.DirkBackup.class);
    assertThat(backup.getSpec().getCluster()).isEqualTo("backed");
    backup.getMetadata().setNamespace(ns);
    client.resource(backup).create();
    List<String> children = new java.util.ArrayList<>(List.of(standardChildren("backed", true)));
    children.add("Deployment/backed-archiver");
    awaitChildren(client, ns, children.toArray(String[]::new));
    assertEveryChildOwnedAndLabelled(ns, cluster);

    var cronJob = org.awaitility.Awaitility.await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1()
        .cronjobs().inNamespace(ns).withName("backed-backup").get(), c -> c != null);
    assertThat(cronJob.getSpec().getSchedule()).isEqualTo("0 3 * * *");
    PodSpec scheduled = cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
    assertHardened(scheduled);
    assertThat(scheduled.getInitContainers()).singleElement().satisfies(c -> assertThat(c.getArgs())
        .contains("--repository", "s3://dirk-backups/backed", "--s3-endpoint", "https://minio.storage.svc:9000"));
    assertThat(scheduled.getContainers().get(0).getArgs()).contains("prune", "--keep-last", "7", "--max-age", "30d");
    assertHardened(deployment(ns, "backed-archiver").getSpec().getTemplate().getSpec());
    var job = org.awaitility.Awaitility.await().atMost(TestClusters.PATIENCE).until(() -> client.batch().v1().jobs()
        .inNamespace(ns).withLabel("dirkdb.io/backup", "backed-before-upgrade").list().getItems(), l -> l.size() == 1);
    assertHardened(job.get(0).getSpec().getTemplate().getSpec());
  }

  @Test
  void recoveryExampleRestoresInThePrimarysPodOnly() {
    String ns = "example-restored";
    DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, "recovery.yaml"));
    awaitChildren(client, ns, standardChildren("restored", true));
    assertEveryChildOwnedAndLabelled(ns, cluster);
    PodSpec primary = statefulSet(ns, "restored-primary").getSpec().getTemplate().getSpec();
    assertThat(primary.getInitContainers()).singleElement().satisfies(c -> {
      assertThat(c.getArgs()).containsSubsequence("restore", "--repository", "s3://dirk-backups/backed",
          "--target-time", "2026-12-07T17:00:00Z", "--if-empty",
          "--termination-message-path", "/dev/termination-log");
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
    });
    assertThat(statefulSet(ns, "restored-secondary").getSpec().getTemplate().getSpec().getInitContainers())
        .isNullOrEmpty();
  }

  private void assertEveryChildOwnedAndLabelled(String ns, DirkCluster cluster) {
    DirkCluster stored = client.resources(DirkCluster.class).inNamespace(ns).withName(cluster.getMetadata().getName())
        .require();
    List<HasMetadata> owned = TestClusters.children(client, ns).stream()
        .filter(o -> o.getMetadata().getOwnerReferences() != null && !o.getMetadata().getOwnerReferences().isEmpty())
        .toList();
    assertThat(owned).isNotEmpty().allSatisfy(child -> {
      assertThat(child.getMetadata().getOwnerReferences()).singleElement().satisfies((OwnerReference ref) -> {
        assertThat(ref.getKind()).isEqualTo("DirkCluster");
        assertThat(ref.getApiVersion()).isEqualTo("dirkdb.io/v1alpha1");
        assertThat(ref.getName()).isEqualTo(stored.getMetadata().getName());
        assertThat(ref.getUid()).isEqualTo(stored.getMetadata().getUid());
        assertThat(ref.getController()).isTrue();
      });
      Map<String, String> labels = child.getMetadata().getLabels();
      assertThat(labels)
          .containsEntry("app.kubernetes.io/name", "dirkdb")
          .containsEntry("app.kubernetes.io/instance", stored.getMetadata().getName())
          .containsEntry("app.kubernetes.io/managed-by", "dirk-operator")
          .containsKey("app.kubernetes.io/component");
    });
  }

  private static void assertHardened(PodSpec pod) {
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getContainers()).allSatisfy(c -> {
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
      assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    });
  }

  private StatefulSet statefulSet(String ns, String name) {
    return client.apps().statefulSets().inNamespace(ns).withName(name).require();
  }

  private Deployment deployment(String ns, String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).require();
  }

  private Service service(String ns, String name) {
    return client.services().inNamespace(ns).withName(name).require();
  }
}
