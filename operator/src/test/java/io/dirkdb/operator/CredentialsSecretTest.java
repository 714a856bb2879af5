package io.dirkdb.operator;

import static io.dirkdb.operator.TestClusters.awaitChildren;
import static io.dirkdb.operator.TestClusters.standardChildren;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.dependent.ClusterCredentials;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** One password per role in the generated Secret, and each pod given only the ones its role needs. */
@QuarkusTest
class CredentialsSecretTest {
  private static final List<String> KEYS = List.of("password", "replication-password", "admin-password");

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  private Secret secret(String ns, String name) {
    return client.secrets().inNamespace(ns).withName(name).get();
  }

  private static Map<String, String> keys(Secret secret) {
    return KEYS.stream().filter(k -> ClusterCredentials.value(secret, k) != null)
        .collect(Collectors.toMap(k -> k, k -> ClusterCredentials.value(secret, k)));
  }

  /** Env var name -> the Secret key it is read from (or "" for a plain value). */
  private static Map<String, String> env(Container container) {
    return container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName,
        e -> e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null ? ""
            : e.getValueFrom().getSecretKeyRef().getKey()));
  }

  @Test
  void generatedSecretHoldsThreeDistinctPasswordsAndEachPodOnlyWhatItsRoleNeeds() {
    String ns = "credentials-three";
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    awaitChildren(client, ns, standardChildren("demo", true));
    await().atMost(Duration.ofSeconds(20)).until(() -> keys(secret(ns, "demo-credentials")).size() == 3);
    Map<String, String> passwords = keys(secret(ns, "demo-credentials"));
    assertThat(Set.copyOf(passwords.values())).hasSize(3);
    assertThat(passwords.values()).allSatisfy(p -> assertThat(p).hasSizeGreaterThanOrEqualTo(24));

    for (String sts : List.of("demo-primary", "demo-secondary")) {
      Container member = client.apps().statefulSets().inNamespace(ns).withName(sts).require()
          .getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(env(member)).containsEntry("DIRK_PASSWORD", "password")
          .containsEntry("DIRK_REPLICATION_PASSWORD", "replication-password")
          .containsEntry("DIRK_ADMIN_PASSWORD", "admin-password");
    }
    List<Container> proxyPod = client.apps().deployments().inNamespace(ns).withName("demo-proxy").require()
        .getSpec().getTemplate().getSpec().getContainers();
    // The proxy and its cache serve applications: the application password only, never a control one.
    assertThat(proxyPod).allSatisfy(c -> assertThat(env(c).values()).doesNotContain("replication-password",
        "admin-password"));
    assertThat(env(proxyPod.get(0))).containsEntry("DIRK_PASSWORD", "password");
  }

  @Test
  void secretMadeBeforeRolesGetsTheMissingKeysAndKeepsItsPassword() {
    String ns = "credentials-upgrade";
    TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
    await().atMost(Duration.ofSeconds(20)).until(() -> secret(ns, "demo-credentials") != null);
    // As an earlier operator left it: the same Secret (owner, labels) with only "password".
    client.secrets().inNamespace(ns).withName("demo-credentials").edit(s -> new SecretBuilder(s)
        .withData(Map.of("password", java.util.Base64.getEncoder().encodeToString(
            "the-old-single-password".getBytes(java.nio.charset.StandardCharsets.UTF_8))))
        .withStringData(null).build());
    await().atMost(Duration.ofSeconds(20)).until(() -> keys(secret(ns, "demo-credentials")).size() == 3);
    Map<String, String> passwords = keys(secret(ns, "demo-credentials"));
    assertThat(passwords).containsEntry("password", "the-old-single-password");
    assertThat(Set.copyOf(passwords.values())).hasSize(3);
    // Nothing rotates afterwards.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
        .until(() -> keys(secret(ns, "demo-credentials")).equals(passwords));
  }

  @Test
  void userSecretWithOnlyAPasswordRunsMembersOnThatOnePassword() {
    String ns = "credentials-user";
    client.secrets().inNamespace(ns).resource(new SecretBuilder()
        .withNewMetadata().withName("dirk-admin").endMetadata()
        .addToStringData("password", "a-password-the-user-chose").build()).create();
    TestClusters.create(client, ns, TestClusters.example(client, "with-auth.yaml"));
    awaitChildren(client, ns, standardChildren("secured", false));
    Container member = client.apps().statefulSets().inNamespace(ns).withName("secured-primary").require()
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    // The two role keys are optional: absent from the user's Secret, the pod still starts (single password).
    assertThat(member.getEnv()).filteredOn(e -> e.getName().equals("DIRK_ADMIN_PASSWORD")).singleElement()
        .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getOptional()).isTrue());
    assertThat(keys(client.secrets().inNamespace(ns).withName("dirk-admin").require())).containsOnlyKeys("password");
  }
}
