package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Loads the example manifests and lists what the operator made, for the operator tests. */
final class TestClusters {

  static final Path EXAMPLES = Path.of("..", "examples");
  static final Duration PATIENCE = Duration.ofSeconds(15);

  private TestClusters() {}

  static DirkCluster example(KubernetesClient client, String file) {
    try (InputStream in = Files.newInputStream(EXAMPLES.resolve(file))) {
      return client.getKubernetesSerialization().unmarshal(in, DirkCluster.class);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read example " + file, e);
    }
  }

  static DirkCluster create(KubernetesClient client, String namespace, DirkCluster cluster) {
    cluster.getMetadata().setNamespace(namespace);
    return client.resources(DirkCluster.class).inNamespace(namespace).resource(cluster).create();
  }

  /** Every object of the kinds the operator makes, in a namespace. */
  static List<HasMetadata> children(KubernetesClient client, String namespace) {
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(client.apps().statefulSets().inNamespace(namespace).list().getItems());
    all.addAll(client.apps().deployments().inNamespace(namespace).list().getItems());
    all.addAll(client.services().inNamespace(namespace).list().getItems());
    all.addAll(client.configMaps().inNamespace(namespace).list().getItems());
    all.addAll(client.secrets().inNamespace(namespace).list().getItems());
    all.addAll(client.policy().v1().podDisruptionBudget().inNamespace(namespace).list().getItems());
    all.addAll(client.serviceAccounts().inNamespace(namespace).list().getItems());
    return all;
  }

  static List<String> childKeys(KubernetesClient client, String namespace) {
    return children(client, namespace).stream()
        .filter(o -> o.getMetadata().getOwnerReferences() != null && !o.getMetadata().getOwnerReferences().isEmpty())
        .map(o -> o.getKind() + "/" + o.getMetadata().getName()).sorted().toList();
  }

  static void awaitChildren(KubernetesClient client, String namespace, String... expected) {
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(childKeys(client, namespace)).containsExactlyInAnyOrder(expected));
  }

  static String[] standardChildren(String name, boolean generatedSecret) {
    return Stream.of(
        "StatefulSet/" + name + "-primary", "StatefulSet/" + name + "-secondary",
        "Service/" + name + "-members", "Service/" + name + "-primary", "Service/" + name + "-proxy",
        "Deployment/" + name + "-proxy", "ConfigMap/" + name + "-config",
        generatedSecret ? "Secret/" + name + "-credentials" : null,
        "PodDisruptionBudget/" + name + "-members", "ServiceAccount/" + name + "-dirkdb")
        .filter(s -> s != null).toArray(String[]::new);
  }
}
