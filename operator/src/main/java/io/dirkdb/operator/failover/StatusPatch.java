package io.dirkdb.operator.failover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Writes a DirkCluster's whole status as a JSON patch of its {@code status} subresource (RBAC verb
 * {@code patch}, the one the chart grants) that also sets {@code metadata.resourceVersion} to the one the
 * operator read: the API server checks it as for a PUT, so a concurrent writer makes the write fail with
 * 409 Conflict and the pass is retried from fresh state. The status is replaced whole, as a PUT would.
 */
public final class StatusPatch {

  private StatusPatch() {}

  /** Patches {@code cluster}'s status to what it holds now; returns the stored result. */
  public static DirkCluster write(KubernetesClient client, DirkCluster cluster) {
    return client.resources(DirkCluster.class).inNamespace(cluster.getMetadata().getNamespace())
        .withName(cluster.getMetadata().getName()).subresource("status")
        .patch(PatchContext.of(PatchType.JSON), body(client, cluster).toString());
  }

  static ArrayNode body(KubernetesClient client, DirkCluster cluster) {
    DirkClusterStatus status = cluster.getStatus() == null ? new DirkClusterStatus() : cluster.getStatus();
    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    ops.addObject().put("op", "replace").put("path", "/metadata/resourceVersion")
        .put("value", cluster.getMetadata().getResourceVersion());
    // "add" sets a member whether or not it exists: the first status write too.
    ops.addObject().put("op", "add").put("path", "/status")
        .set("value", client.getKubernetesSerialization().convertValue(status, JsonNode.class));
    return ops;
  }
}
