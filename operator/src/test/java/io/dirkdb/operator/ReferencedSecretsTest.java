package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.AuthSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.TlsSpec;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.dependent.PodDefaults;
import io.dirkdb.operator.failover.ClusterTls;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The Secrets a DirkCluster names (spec.auth.secretName, spec.tls.secretName): watched, so that a change reaches
 * the pods and the operator at once; read from the operator's cache, not from the API server at every pass; and
 * the operator's copies of the TLS files gone with the cluster or its spec.tls.
 *
 * <p>The watch is shown on a running cluster that is Ready and quiet: no failover, roll or resync asks for another
 * pass, and the Operator SDK's own periodic pass comes every 10 hours (its default maximum reconciliation
 * interval). A pass within seconds of a Secret's change can only come from that change's event.
 */
@QuarkusTest
class ReferencedSecretsTest {

  private static final Duration EVENT_PATIENCE = Duration.ofSeconds(10);

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  private static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  private void putSecret(String ns, String name, Map<String, String> values) {
    var data = new java.util.LinkedHashMap<String, String>();
    values.forEach((k, v) -> data.put(k, b64(v)));
    var existing = client.secrets().inNamespace(ns).withName(name).get();
    if (existing == null) {
      client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
          .withData(data).build()).create();
    } else {
      Kubelet.retryOnConflict(() -> client.secrets().inNamespace(ns).withName(name)
          .edit(s -> new SecretBuilder(s).withData(data).build()));
    }
  }

  private DirkCluster cluster(String ns, String authSecret, String tlsSecret) {
    DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    if (authSecret != null) {
      AuthSpec auth = new AuthSpec();
      auth.setSecretName(authSecret);
      cluster.getSpec().setAuth(auth);
    }
    if (tlsSecret != null) {
      TlsSpec tls = new TlsSpec();
      tls.setSecretName(tlsSecret);
      cluster.getSpec().setTls(tls);
    }
    return TestClusters.create(client, ns, cluster);
  }

  /** The credentials hash on the three pod templates (primary, secondaries, proxy). */
  private List<String> credentialsHashes(String ns) {
    return List.of(
        hash(client.apps().statefulSets().inNamespace(ns).withName("demo-primary").get() == null ? null
            : client.apps().statefulSets().inNamespace(ns).withName("demo-primary").get().getSpec().getTemplate()
                .getMetadata()),
        hash(client.apps().statefulSets().inNamespace(ns).withName("demo-secondary").get() == null ? null
            : client.apps().statefulSets().inNamespace(ns).withName("demo-secondary").get().getSpec().getTemplate()
                .getMetadata()),
        hash(client.apps().deployments().inNamespace(ns).withName("demo-proxy").get() == null ? null
            : client.apps().deployments().inNamespace(ns).withName("demo-proxy").get().getSpec().getTemplate()
                .getMetadata()));
  }

  private static String hash(ObjectMeta template) {
    return Optional.ofNullable(template).map(ObjectMeta::getAnnotations)
        .map(a -> a.get(PodDefaults.CREDENTIALS_HASH_ANNOTATION)).orElse("none");
  }

  /** The first pass is over: its status write does not race the test's change (the mock then hung once). */
  private void awaitStatusOfThisGeneration(String ns) {
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").get();
      return c.getStatus() != null && c.getMetadata().getGeneration().equals(c.getStatus().getObservedGeneration());
    });
  }

  private static Path tlsCopies(String ns) {
    return ClusterTls.defaultRoot().resolve(ns).resolve("demo");
  }

  private static String copy(String ns, String key) throws Exception {
    Path file = tlsCopies(ns).resolve(key);
    return Files.exists(file) ? Files.readString(file) : null;
  }

  @Test
  void aChangedPasswordInTheUsersSecretRollsThePodTemplatesWithoutWaitingForAResync() throws Exception {
    String ns = "secrets-auth-watched";
    putSecret(ns, "demo-passwords", Map.of("password", "first-app", "replication-password", "first-repl",
        "admin-password", "first-admin"));
    try (LiveCluster live = LiveCluster.startManaged(client, ns, "demo", ReplicationMode.ASYNC, 1, spec -> {
      AuthSpec auth = new AuthSpec();
      auth.setSecretName("demo-passwords");
      spec.setAuth(auth);
    }, LiveCluster.MemberRuntime.IN_PROCESS)) {
      // Ready, every member heard, nothing under way: no failover, roll or resync asks for another pass.
      await().atMost(Duration.ofSeconds(20)).until(() -> credentialsHashes(ns).stream().noneMatch("none"::equals));
      String before = credentialsHashes(ns).get(0);
      assertThat(credentialsHashes(ns)).containsOnly(before);

      // Step 1 of a rotation of the application password.
      putSecret(ns, "demo-passwords", Map.of("password", "second-app", "replication-password", "first-repl",
          "admin-password", "first-admin", "previous-password", "first-app"));
      await().atMost(EVENT_PATIENCE).untilAsserted(() ->
          assertThat(credentialsHashes(ns)).as("credentials hash of the primary, secondary and proxy templates")
              .doesNotContain(before, "none").containsOnly(credentialsHashes(ns).get(0)));
      assertThat(client.secrets().inNamespace(ns).withName("demo-passwords").require().getMetadata().getLabels())
          .containsEntry("dirkdb.io/watched-secret", "true");
    }
  }

  @Test
  void aPassReadsTheSecretsTheClusterNamesFromTheOperatorsCacheNotFromTheApiServer() {
    String ns = "secrets-read-once";
    putSecret(ns, "app-passwords", Map.of("password", "app", "replication-password", "repl", "admin-password", "adm"));
    putSecret(ns, "demo-tls", Map.of("tls.crt", "CERT", "tls.key", "KEY", "ca.crt", "CA"));
    cluster(ns, "app-passwords", "demo-tls");
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren("demo", false));
    await().atMost(Duration.ofSeconds(20)).until(() -> credentialsHashes(ns).stream().noneMatch("none"::equals));

    Harness.logRequests(client);
    try {
      // One more pass, which ends with the status recording the new generation.
      var edited = new java.util.concurrent.atomic.AtomicReference<DirkCluster>();
      Kubelet.retryOnConflict(() -> edited.set(client.resources(DirkCluster.class).inNamespace(ns)
          .withName("demo").edit(c -> {
            c.getSpec().getProxy().setReplicas(c.getSpec().getProxy().getReplicas() + 1);
            return c;
          })));
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").get();
        return c.getStatus() != null
            && edited.get().getMetadata().getGeneration().equals(c.getStatus().getObservedGeneration());
      });
      List<String> secretReads = Harness.loggedRequests(client).stream()
          .filter(r -> r.startsWith("get core/secrets in " + ns + " ")).toList();
      assertThat(secretReads).as("GETs of the cluster's Secrets by a pass, once they are in the operator's cache")
          .isEmpty();
    } finally {
      Harness.stopLoggingRequests(client);
      // Its copies of the TLS files go with it, not left under /tmp.
      client.resources(DirkCluster.class).inNamespace(ns).withName("demo").delete();
      await().atMost(EVENT_PATIENCE).until(() -> !Files.exists(tlsCopies(ns)));
    }
  }

  @Test
  void theOperatorsTlsCopiesGoWhenTheClusterIsDeleted() throws Exception {
    String ns = "secrets-tls-deleted";
    putSecret(ns, "demo-tls", Map.of("tls.crt", "CERT", "tls.key", "KEY", "ca.crt", "CA"));
    cluster(ns, null, "demo-tls");
    await().atMost(Duration.ofSeconds(20)).until(() -> "KEY".equals(copy(ns, "tls.key")));
    awaitStatusOfThisGeneration(ns);

    client.resources(DirkCluster.class).inNamespace(ns).withName("demo").delete();
    await().atMost(EVENT_PATIENCE).untilAsserted(() -> assertThat(tlsCopies(ns))
        .as("the operator's copy of a deleted cluster's TLS files, private key included").doesNotExist());
  }

  @Test
  void theOperatorsTlsCopiesGoWhenSpecTlsIsRemoved() throws Exception {
    String ns = "secrets-tls-removed";
    putSecret(ns, "demo-tls", Map.of("tls.crt", "CERT", "tls.key", "KEY", "ca.crt", "CA"));
    cluster(ns, null, "demo-tls");
    await().atMost(Duration.ofSeconds(20)).until(() -> "KEY".equals(copy(ns, "tls.key")));
    awaitStatusOfThisGeneration(ns);

    Kubelet.retryOnConflict(() -> client.resources(DirkCluster.class).inNamespace(ns).withName("demo").edit(c -> {
      c.getSpec().setTls(null);
      return c;
    }));
    await().atMost(EVENT_PATIENCE).untilAsserted(() -> assertThat(tlsCopies(ns))
        .as("the operator's copy of the TLS files of a cluster that no longer uses TLS").doesNotExist());
  }

  /**
   * A user's Secret replaced by delete and create (`kubectl replace --force`, a GitOps tool) is missing for a
   * moment: a pass then must not strip the credentials hash from the pod templates (that would roll every member
   * and proxy towards pods that cannot start), and says why it holds them.
   */
  @Test
  void aUsersSecretMissingForAMomentLeavesThePodTemplatesAsTheyWereAndSaysCredentialsSecretMissing() {
    String ns = "secrets-auth-recreated";
    Map<String, String> passwords = Map.of("password", "app", "replication-password", "repl",
        "admin-password", "adm");
    putSecret(ns, "app-passwords", passwords);
    cluster(ns, "app-passwords", null);
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren("demo", false));
    await().atMost(Duration.ofSeconds(20)).until(() -> credentialsHashes(ns).stream().noneMatch("none"::equals));
    List<String> before = credentialsHashes(ns);

    client.secrets().inNamespace(ns).withName("app-passwords").delete();
    await().atMost(EVENT_PATIENCE).until(() -> client.secrets().inNamespace(ns).withName("app-passwords")
        .get() == null);
    // One pass while it is missing (a spec change, so the test needs no timing of the watch).
    var edited = new java.util.concurrent.atomic.AtomicReference<DirkCluster>();
    Kubelet.retryOnConflict(() -> edited.set(client.resources(DirkCluster.class).inNamespace(ns).withName("demo")
        .edit(c -> {
          c.getSpec().getProxy().setReplicas(c.getSpec().getProxy().getReplicas() + 1);
          return c;
        })));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      DirkCluster c = client.resources(DirkCluster.class).inNamespace(ns).withName("demo").require();
      assertThat(c.getStatus().getObservedGeneration()).isEqualTo(edited.get().getMetadata().getGeneration());
      assertThat(c.getStatus().condition("CredentialsApplied")).hasValueSatisfying(cond -> {
        assertThat(cond.getStatus()).isEqualTo("False");
        assertThat(cond.getReason()).isEqualTo("CredentialsSecretMissing");
      });
    });
    assertThat(credentialsHashes(ns))
        .as("credentials hash of the primary, secondary and proxy templates while their Secret is missing")
        .isEqualTo(before);

    putSecret(ns, "app-passwords", passwords);
    await().atMost(EVENT_PATIENCE).untilAsserted(() -> assertThat(client.resources(DirkCluster.class)
        .inNamespace(ns).withName("demo").require().getStatus().condition("CredentialsApplied"))
        .hasValueSatisfying(cond -> assertThat(cond.getStatus()).isEqualTo("True")));
    assertThat(credentialsHashes(ns)).as("the same passwords back: no roll").isEqualTo(before);
  }
}
