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

  /**
   * Every object of the kinds the operator makes, in a namespace: the resource types of the reconciler's workflow
   * dependents, read from its annotation, so a new child kind is covered without being listed here.
   */
  static List<HasMetadata> children(KubernetesClient client, String namespace) {
    List<HasMetadata> all = new ArrayList<>();
    for (Class<? extends HasMetadata> kind : childKinds()) {
      all.addAll(client.resources(kind).inNamespace(namespace).list().getItems());
    }
    return all;
  }

  /** The resource types of the workflow's dependents (each {@code XxxDependent extends ...DependentResource<R, P>}). */
  @SuppressWarnings("unchecked")
  static java.util.Set<Class<? extends HasMetadata>> childKinds() {
    java.util.Set<Class<? extends HasMetadata>> kinds = new java.util.LinkedHashSet<>();
    for (io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent dependent
        : io.dirkdb.operator.reconciler.DirkClusterReconciler.class
            .getAnnotation(io.javaoperatorsdk.operator.api.reconciler.Workflow.class).dependents()) {
      java.lang.reflect.Type parent = dependent.type().getGenericSuperclass();
      if (!(parent instanceof java.lang.reflect.ParameterizedType parameterized)) {
        throw new IllegalStateException(dependent.type() + " does not name its resource type in its superclass");
      }
      kinds.add((Class<? extends HasMetadata>) parameterized.getActualTypeArguments()[0]);
    }
    return kinds;
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
