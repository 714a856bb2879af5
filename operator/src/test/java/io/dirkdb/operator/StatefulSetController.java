package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The StatefulSet controller the mock API server lacks, one pass at a time (the caller runs {@link #sync}
 * on a timer): pods by ordinal from the template (the template's labels plus {@code controller-revision-hash}),
 * recreated when gone; scale up and down by ordinal; {@code RollingUpdate} from the highest ordinal, one
 * pod at a time, only while every pod is Ready, down to {@code partition}; {@code OnDelete} replaces a pod
 * only once something deleted it; {@code status} with both revisions and the replica counts.
 * Pods carry the kubelet's finalizer, so a delete is graceful: it sets {@code deletionTimestamp}
 * and the kubelet removes the pod once its container stopped.
 */
final class StatefulSetController {

  static final String REVISION_LABEL = "controller-revision-hash";
  /** Holds a deleted pod until the kubelet has stopped its container, as a real kubelet does. */
  static final String KUBELET_FINALIZER = "harness.dirkdb.io/kubelet";

  private final KubernetesClient client;
  private final String namespace;

  StatefulSetController(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** One pass over StatefulSet {@code name}: pods, rollout, status. */
  void sync(String name) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
    if (sts == null) {
      return;
    }
    String updateRevision = revision(sts);
    int replicas = Optional.ofNullable(sts.getSpec().getReplicas()).orElse(1);
    Map<Integer, Pod> pods = pods(sts);
    for (int ordinal = 0; ordinal < replicas; ordinal++) {
      if (!pods.containsKey(ordinal)) {
        create(sts, ordinal, updateRevision);
      }
    }
    for (Map.Entry<Integer, Pod> entry : pods.entrySet()) {
      if (entry.getKey() >= replicas && entry.getValue().getMetadata().getDeletionTimestamp() == null) {
        delete(entry.getValue()); // scale down: the highest ordinals go
      }
    }
    pods = pods(sts);
    boolean allReadyAndPresent = pods.size() >= replicas && pods.values().stream()
        .allMatch(p -> p.getMetadata().getDeletionTimestamp() == null && ready(p));
    String strategy = sts.getSpec().getUpdateStrategy() == null ? "RollingUpdate"
        : Optional.ofNullable(sts.getSpec().getUpdateStrategy().getType()).orElse("RollingUpdate");
    if ("RollingUpdate".equals(strategy) && allReadyAndPresent) {
      var rollingUpdate = sts.getSpec().getUpdateStrategy() == null ? null
          : sts.getSpec().getUpdateStrategy().getRollingUpdate();
      int partition = rollingUpdate == null ? 0 : Optional.ofNullable(rollingUpdate.getPartition()).orElse(0);
      pods.entrySet().stream()
          .filter(e -> e.getKey() >= partition && e.getKey() < replicas)
          .filter(e -> !updateRevision.equals(revisionOf(e.getValue())))
          .max(Map.Entry.comparingByKey())
          .ifPresent(e -> delete(e.getValue()));
    }
    writeStatus(sts, updateRevision, replicas, pods);
  }

  private void writeStatus(StatefulSet sts, String updateRevision, int replicas, Map<Integer, Pod> pods) {
    List<Pod> present = pods.entrySet().stream().filter(e -> e.getKey() < replicas).map(Map.Entry::getValue).toList();
    int ready = (int) present.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null && ready(p)).count();
    int updated = (int) present.stream().filter(p -> updateRevision.equals(revisionOf(p))).count();
    String previous = sts.getStatus() == null ? null : sts.getStatus().getCurrentRevision();
    // The current revision is the one every pod ran last; it moves once the update reached them all.
    String current = updated == replicas || previous == null ? updateRevision : previous;
    var status = new StatefulSetStatusBuilder()
        .withReplicas(present.size())
        .withReadyReplicas(ready)
        .withAvailableReplicas(ready)
        .withUpdatedReplicas(updated)
        .withCurrentReplicas((int) present.stream().filter(p -> current.equals(revisionOf(p))).count())
        .withCurrentRevision(current)
        .withUpdateRevision(updateRevision)
        .withObservedGeneration(sts.getMetadata().getGeneration())
        .build();
    if (Serialization.asJson(status).equals(Serialization.asJson(sts.getStatus()))) {
      return;
    }
    Kubelet.retryOnConflict(() -> client.apps().statefulSets().inNamespace(namespace)
        .withName(sts.getMetadata().getName()).editStatus(s -> {
          s.setStatus(status);
          return s;
        }));
  }

  private void create(StatefulSet sts, int ordinal, String revision) {
    Map<String, String> labels = new LinkedHashMap<>(sts.getSpec().getTemplate().getMetadata().getLabels());
    labels.put(REVISION_LABEL, revision);
    labels.put("statefulset.kubernetes.io/pod-name", sts.getMetadata().getName() + "-" + ordinal);
    Pod pod = new PodBuilder()
        .withNewMetadata()
        .withName(sts.getMetadata().getName() + "-" + ordinal)
        .withNamespace(namespace)
        .withLabels(labels)
        .withFinalizers(KUBELET_FINALIZER)
        .endMetadata()
        .withSpec(sts.getSpec().getTemplate().getSpec())
        .build();
    try {
      client.pods().inNamespace(namespace).resource(pod).create();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) { // the old pod is still being removed: next pass
        throw e;
      }
    }
  }

  private void delete(Pod pod) {
    client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).delete();
  }

  /** The pods of the StatefulSet by ordinal. */
  private Map<Integer, Pod> pods(StatefulSet sts) {
    String prefix = sts.getMetadata().getName() + "-";
    Map<Integer, Pod> byOrdinal = new java.util.TreeMap<>();
    for (Pod pod : client.pods().inNamespace(namespace)
        .withLabels(sts.getSpec().getSelector().getMatchLabels()).list().getItems()) {
      String name = pod.getMetadata().getName();
      if (name.startsWith(prefix) && name.substring(prefix.length()).matches("\\d+")) {
        byOrdinal.put(Integer.parseInt(name.substring(prefix.length())), pod);
      }
    }
    return byOrdinal;
  }

  /** A hash of the pod template, as the real controller names its ControllerRevisions. */
  static String revision(StatefulSet sts) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(Serialization.asJson(sts.getSpec().getTemplate()).getBytes(StandardCharsets.UTF_8));
      return sts.getMetadata().getName() + "-" + HexFormat.of().formatHex(digest, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String revisionOf(Pod pod) {
    return pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(REVISION_LABEL);
  }

  static boolean ready(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  static boolean ownedHere(Pod pod) {
    return pod.getMetadata().getFinalizers() != null && pod.getMetadata().getFinalizers().contains(KUBELET_FINALIZER);
  }
}
