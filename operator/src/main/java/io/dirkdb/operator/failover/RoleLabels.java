package io.dirkdb.operator.failover;

import io.dirkdb.operator.dependent.ClusterNaming;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.jboss.logging.Logger;

/**
 * Moves the {@code dirkdb.io/role} label of member pods, which the Services select by. A JSON merge
 * patch touches nothing else of the pod; setting the label it already has is a no-op.
 */
public final class RoleLabels {

  private static final Logger LOG = Logger.getLogger(RoleLabels.class);

  private RoleLabels() {}

  public static String role(Pod pod) {
    return pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(ClusterNaming.LABEL_ROLE);
  }

  /** Returns the pod as it is after the change. */
  public static Pod set(KubernetesClient client, Pod pod, String role) {
    if (role.equals(role(pod))) {
      return pod;
    }
    LOG.infof("member %s/%s: %s %s -> %s", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        ClusterNaming.LABEL_ROLE, role(pod), role);
    String patch = "{\"metadata\":{\"labels\":{\"" + ClusterNaming.LABEL_ROLE + "\":\"" + role + "\"}}}";
    return client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }
}
