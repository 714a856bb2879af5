package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harness's StatefulSet controller does what the real one does, so the journeys on it mean something. */
@QuarkusTest
class StatefulSetControllerTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void rollingUpdateReplacesTheHighestOrdinalFirstOnlyWhileAllAreReadyAndDownToThePartition() {
    String ns = "sts-rolling";
    StatefulSetController controller = new StatefulSetController(client, ns);
    create(ns, "RollingUpdate", 3, "v1");
    controller.sync("web");
    assertThat(names(ns)).containsExactly("web-0", "web-1", "web-2");
    String first = StatefulSetController.revisionOf(pod(ns, "web-0"));
    assertThat(first).isNotNull();
    assertThat(statefulSet(ns).getStatus().getUpdateRevision()).isEqualTo(first);

    changeImage(ns, "v2", 1);
    controller.sync("web");
    assertThat(deleting(ns)).as("nothing moves while pods are not Ready").isEmpty();
    List.of("web-0", "web-1", "web-2").forEach(p -> Kubelet.setRunning(client, ns, p, "127.0.0.1", true));
    controller.sync("web");
    assertThat(deleting(ns)).containsExactly("web-2");
    assertThat(statefulSet(ns).getStatus().getCurrentRevision()).isEqualTo(first);
    assertThat(statefulSet(ns).getStatus().getUpdateRevision()).isNotEqualTo(first);

    release(ns, "web-2");
    controller.sync("web");
    assertThat(StatefulSetController.revisionOf(pod(ns, "web-2"))).isEqualTo(statefulSet(ns).getStatus().getUpdateRevision());
    Kubelet.setRunning(client, ns, "web-2", "127.0.0.1", true);
    controller.sync("web");
    assertThat(deleting(ns)).containsExactly("web-1");
    release(ns, "web-1");
    controller.sync("web");
    Kubelet.setRunning(client, ns, "web-1", "127.0.0.1", true);
    controller.sync("web");
    assertThat(deleting(ns)).as("partition 1 keeps web-0 on the old template").isEmpty();
    assertThat(statefulSet(ns).getStatus().getUpdatedReplicas()).isEqualTo(2);
  }

  @Test
  void onDeleteReplacesAPodOnlyOnceDeletedAndScalingGoesByOrdinal() {
    String ns = "sts-ondelete";
    StatefulSetController controller = new StatefulSetController(client, ns);
    create(ns, "OnDelete", 2, "v1");
    controller.sync("web");
    List.of("web-0", "web-1").forEach(p -> Kubelet.setRunning(client, ns, p, "127.0.0.1", true));
    changeImage(ns, "v2", 0);
    controller.sync("web");
    assertThat(deleting(ns)).isEmpty();
    assertThat(statefulSet(ns).getStatus().getUpdatedReplicas()).isZero();

    client.pods().inNamespace(ns).withName("web-0").delete();
    assertThat(deleting(ns)).as("graceful: the kubelet's finalizer holds it").containsExactly("web-0");
    release(ns, "web-0");
    controller.sync("web");
    assertThat(StatefulSetController.revisionOf(pod(ns, "web-0"))).isEqualTo(statefulSet(ns).getStatus().getUpdateRevision());

    client.apps().statefulSets().inNamespace(ns).withName("web").edit(s -> {
      s.getSpec().setReplicas(3);
      return s;
    });
    controller.sync("web");
    assertThat(names(ns)).containsExactly("web-0", "web-1", "web-2");
    client.apps().statefulSets().inNamespace(ns).withName("web").edit(s -> {
      s.getSpec().setReplicas(1);
      return s;
    });
    controller.sync("web");
    assertThat(deleting(ns)).containsExactlyInAnyOrder("web-1", "web-2");
  }

  private void create(String ns, String strategy, int replicas, String image) {
    Map<String, String> labels = Map.of("app", "web-" + ns);
    StatefulSet sts = new StatefulSetBuilder()
        .withNewMetadata().withName("web").withNamespace(ns).endMetadata()
        .withNewSpec().withReplicas(replicas)
        .withNewSelector().withMatchLabels(labels).endSelector()
        .withNewUpdateStrategy().withType(strategy).endUpdateStrategy()
        .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec().addNewContainer().withName("web").withImage(image).endContainer().endSpec()
        .endTemplate().endSpec().build();
    client.apps().statefulSets().inNamespace(ns).resource(sts).create();
  }

  private void changeImage(String ns, String image, int partition) {
    client.apps().statefulSets().inNamespace(ns).withName("web").edit(s -> {
      s.getSpec().getTemplate().getSpec().getContainers().get(0).setImage(image);
      if ("RollingUpdate".equals(s.getSpec().getUpdateStrategy().getType())) {
        s.getSpec().getUpdateStrategy().setRollingUpdate(
            new io.fabric8.kubernetes.api.model.apps.RollingUpdateStatefulSetStrategyBuilder().withPartition(partition).build());
      }
      return s;
    });
  }

  /** What the kubelet does once the container stopped: drops its finalizer, and the pod goes. */
  private void release(String ns, String pod) {
    client.pods().inNamespace(ns).withName(pod).edit(p -> {
      p.getMetadata().getFinalizers().remove(StatefulSetController.KUBELET_FINALIZER);
      return p;
    });
    assertThat(client.pods().inNamespace(ns).withName(pod).get()).isNull();
  }

  private StatefulSet statefulSet(String ns) {
    return client.apps().statefulSets().inNamespace(ns).withName("web").require();
  }

  private Pod pod(String ns, String name) {
    return client.pods().inNamespace(ns).withName(name).require();
  }

  private List<String> names(String ns) {
    return client.pods().inNamespace(ns).list().getItems().stream().map(p -> p.getMetadata().getName()).sorted().toList();
  }

  private List<String> deleting(String ns) {
    return client.pods().inNamespace(ns).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() != null).map(p -> p.getMetadata().getName()).sorted().toList();
  }
}
