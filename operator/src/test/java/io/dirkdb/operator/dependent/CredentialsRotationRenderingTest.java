package io.dirkdb.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A password rotation reaches the pods: the Secret's {@code previous-*} keys become environment variables, and a
 * digest of the passwords annotates the pod templates, so a changed password rolls the members (by role) and the proxy.
 */
class CredentialsRotationRenderingTest {

  private static DirkCluster cluster() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    return cluster;
  }

  private static Secret secret(Map<String, String> values) {
    Map<String, String> data = new LinkedHashMap<>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder().withNewMetadata().withName("demo-credentials").endMetadata().withData(data).build();
  }

  private static final Map<String, String> CURRENT = Map.of("password", "app", "replication-password", "repl",
      "admin-password", "admin");

  @Test
  void membersGetThePreviousPasswordsAsOptionalVariablesFromTheSecret() {
    var env = MemberStatefulSets.build(cluster(), "demo-primary", 1, "dirkdb/dirk:test").getSpec().getTemplate()
        .getSpec().getContainers().get(0).getEnv();
    Map<String, String> keys = new LinkedHashMap<>();
    for (EnvVar var : env) {
      if (var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null) {
        assertThat(var.getValueFrom().getSecretKeyRef().getName()).isEqualTo("demo-credentials");
        keys.put(var.getName(), var.getValueFrom().getSecretKeyRef().getKey());
        if (var.getName().startsWith("DIRK_PREVIOUS_")) {
          assertThat(var.getValueFrom().getSecretKeyRef().getOptional()).as(var.getName()).isTrue();
        }
      }
    }
    assertThat(keys).containsEntry("DIRK_PREVIOUS_PASSWORD", "previous-password")
        .containsEntry("DIRK_PREVIOUS_REPLICATION_PASSWORD", "previous-replication-password")
        .containsEntry("DIRK_PREVIOUS_ADMIN_PASSWORD", "previous-admin-password");
  }

  @Test
  void theMemberPodTemplateCarriesTheCredentialsHash() {
    String hash = ClusterCredentials.hash(secret(CURRENT));
    var template = MemberStatefulSets.build(cluster(), "demo-secondary", 2, "dirkdb/dirk:test", hash).getSpec()
        .getTemplate();
    assertThat(template.getMetadata().getAnnotations())
        .containsEntry(PodDefaults.CREDENTIALS_HASH_ANNOTATION, hash);
    assertThat(hash).hasSize(16).doesNotContain("app", "repl", "admin");
  }

  @Test
  void theHashChangesWithEveryPasswordThePodsReadAndOnlyWithThem() {
    String before = ClusterCredentials.hash(secret(CURRENT));
    for (String key : ClusterCredentials.POD_KEYS) {
      Map<String, String> changed = new LinkedHashMap<>(CURRENT);
      changed.put(key, "rotated");
      assertThat(ClusterCredentials.hash(secret(changed))).as(key).isNotEqualTo(before);
    }
    Map<String, String> unrelated = new LinkedHashMap<>(CURRENT);
    unrelated.put("note", "kept by the user");
    assertThat(ClusterCredentials.hash(secret(unrelated))).isEqualTo(before);
    assertThat(ClusterCredentials.hash(null)).isNull();
  }

  @Test
  void theOperatorTriesThePreviousAdministrationPasswordThenTheApplicationOne() {
    ClusterCredentials credentials = new ClusterCredentials("admin-new", "app-new", "admin-old");
    assertThat(credentials.fallbacks()).containsExactly("admin-old", "app-new");
    assertThat(new ClusterCredentials("app", "app").fallbacks()).isEmpty();
  }
}
