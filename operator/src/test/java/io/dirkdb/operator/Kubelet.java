package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Plays the StatefulSet controller, the Deployment controller and the kubelet, which the mock API
 * server lacks: makes the pods a StatefulSet asks for and reports readiness and rollouts.
 */
final class Kubelet {

  private final KubernetesClient client;
  private final String namespace;

  Kubelet(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** Creates the pods of a StatefulSet from its template, ready or not; returns their names. */
  List<String> startPods(String statefulSetName, boolean ready) {
    return startPods(statefulSetName, ready, Map.of());
  }

  /** As above, the pods carrying extra labels from the start (e.g. a role set before a restart). */
  List<String> startPods(String statefulSetName, boolean ready, Map<String, String> extraLabels) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(namespace).withName(statefulSetName).require();
    int replicas = sts.getSpec().getReplicas();
    for (int i = 0; i < replicas; i++) {
      String name = statefulSetName + "-" + i;
      if (client.pods().inNamespace(namespace).withName(name).get() == null) {
        Pod pod = new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(sts.getSpec().getTemplate().getMetadata().getLabels())
            .addToLabels(extraLabels)
            .endMetadata()
            .withSpec(sts.getSpec().getTemplate().getSpec())
            .build();
        client.pods().inNamespace(namespace).resource(pod).create();
      }
      setReady(name, ready);
    }
    return IntStream.range(0, replicas).mapToObj(i -> statefulSetName + "-" + i).toList();
  }

  void setReady(String podName, boolean ready) {
    setRunning(client, namespace, podName, "127.0.0.1", ready);
  }

  /** What the kubelet reports of a started pod: running at {@code podIP}, ready or not. */
  static void setRunning(KubernetesClient client, String namespace, String podName, String podIP, boolean ready) {
    retryOnConflict(() -> client.pods().inNamespace(namespace).withName(podName).editStatus(pod -> new PodBuilder(pod)
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(podIP)
        .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
        // What its init containers did stays, as the kubelet keeps it (the restore of a recovery).
        .withInitContainerStatuses(pod.getStatus() == null ? null : pod.getStatus().getInitContainerStatuses())
        .endStatus()
        .build()));
  }

  /** Like the real controllers: the operator may write the same object meanwhile; read again and retry. */
  static void retryOnConflict(Runnable write) {
    for (int attempt = 1; ; attempt++) {
      try {
        write.run();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 20) {
          throw e;
        }
      }
    }
  }

  /** Reports that every pod of the StatefulSet runs its current template and is ready. */
  void finishRollout(String statefulSetName) {
    retryOnConflict(() -> client.apps().statefulSets().inNamespace(namespace).withName(statefulSetName).editStatus(sts -> {
      int replicas = sts.getSpec().getReplicas();
      String revision = statefulSetName + "-" + Integer.toHexString(sts.getSpec().getTemplate().hashCode());
      sts.setStatus(new StatefulSetStatusBuilder()
          .withReplicas(replicas)
          .withReadyReplicas(replicas)
          .withUpdatedReplicas(replicas)
          .withAvailableReplicas(replicas)
          .withCurrentRevision(revision)
          .withUpdateRevision(revision)
          .withObservedGeneration(sts.getMetadata().getGeneration())
          .build());
      return sts;
    }));
  }

  void proxyReady(String deploymentName) {
    retryOnConflict(() -> client.apps().deployments().inNamespace(namespace).withName(deploymentName).editStatus(d -> {
      Deployment copy = d;
      int replicas = d.getSpec().getReplicas();
      copy.setStatus(new DeploymentStatusBuilder()
          .withReplicas(replicas).withReadyReplicas(replicas).withAvailableReplicas(replicas).withUpdatedReplicas(replicas)
          .withObservedGeneration(d.getMetadata().getGeneration())
          .build());
      return copy;
    }));
  }
}
