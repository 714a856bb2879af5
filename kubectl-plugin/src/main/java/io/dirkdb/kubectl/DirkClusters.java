package io.dirkdb.kubectl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DirkCluster resources read and annotated as generic resources, and the annotations the operator honours
 * (the same ones a person can set with {@code kubectl annotate}).
 */
final class DirkClusters {

  static final ResourceDefinitionContext DEFINITION = new ResourceDefinitionContext.Builder()
      .withGroup("dirkdb.io").withVersion("v1alpha1").withKind("DirkCluster").withPlural("dirkclusters")
      .withNamespaced(true).build();

  /** {@code paused}: the operator changes nothing of the cluster (no failover either) until it is removed. */
  static final String RECONCILIATION = "dirkdb.io/reconciliation";
  static final String RECONCILIATION_PAUSED = "paused";
  /** {@code on}: every pod scaled to zero, volumes kept; {@code off} or absent: running. */
  static final String HIBERNATION = "dirkdb.io/hibernation";
  /** A JSON list of member pod names the operator keeps fenced, or {@code ["*"]} for every member. */
  static final String FENCED_MEMBERS = "dirkdb.io/fenced-members";
  static final String ALL_MEMBERS = "*";
  /** A member pod name the operator rebuilds from the primary once (a resync Job), then removes. */
  static final String RESYNC = "dirkdb.io/resync";

  static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String LABEL_COMPONENT = "app.kubernetes.io/component";
  static final String PASSWORD_KEY = "password";

  static final ObjectMapper JSON = new ObjectMapper();

  private DirkClusters() {}

  static Resource<GenericKubernetesResource> resource(KubernetesClient client, String namespace, String name) {
    return client.genericKubernetesResources(DEFINITION).inNamespace(namespace).withName(name);
  }

  /** The cluster, or a UserError naming what is missing. */
  static GenericKubernetesResource get(KubernetesClient client, String namespace, String name) {
    GenericKubernetesResource cluster = resource(client, namespace, name).get();
    if (cluster == null) {
      throw new UserError("no DirkCluster \"" + name + "\" in namespace \"" + namespace + "\" (kubectl get dirkclusters -n "
          + namespace + " lists them)");
    }
    return cluster;
  }

  static JsonNode tree(GenericKubernetesResource cluster) {
    return JSON.valueToTree(cluster);
  }

  /** Pod names of every member the spec wants, then any other the status still lists. */
  static List<String> members(GenericKubernetesResource cluster) {
    JsonNode tree = tree(cluster);
    String name = cluster.getMetadata().getName();
    Set<String> names = new LinkedHashSet<>();
    names.add(name + "-primary-0");
    int secondaries = tree.path("spec").path("secondaries").asInt(1);
    for (int i = 0; i < secondaries; i++) {
      names.add(name + "-secondary-" + i);
    }
    tree.path("status").path("members").forEach(m -> names.add(m.path("name").asText()));
    names.remove("");
    return new ArrayList<>(names);
  }

  /** {@code member} if it is one of the cluster's members, else a UserError listing them. */
  static String member(GenericKubernetesResource cluster, String member) {
    List<String> members = members(cluster);
    if (!members.contains(member)) {
      throw new UserError("DirkCluster \"" + cluster.getMetadata().getName() + "\" has no member \"" + member
          + "\"; its members are " + String.join(", ", members));
    }
    return member;
  }

  static String annotation(GenericKubernetesResource cluster, String key) {
    Map<String, String> annotations = cluster.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /** The fenced-members annotation as a set (empty when absent); a malformed one is a UserError. */
  static Set<String> fencedMembers(GenericKubernetesResource cluster) {
    String value = annotation(cluster, FENCED_MEMBERS);
    if (value == null || value.isBlank()) {
      return new LinkedHashSet<>();
    }
    try {
      return new LinkedHashSet<>(JSON.readValue(value, new TypeReference<List<String>>() {}));
    } catch (JsonProcessingException e) {
      throw new UserError("the annotation " + FENCED_MEMBERS + " of DirkCluster \"" + cluster.getMetadata().getName()
          + "\" is not a JSON list of pod names: " + value);
    }
  }

  static String fencedValue(Set<String> members) {
    try {
      return JSON.writeValueAsString(new ArrayList<>(members));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Sets (or, with a null value, removes) one annotation by a JSON patch (RFC 6902) built from the cluster as read,
   * so that removing an annotation already gone changes nothing.
   */
  static void annotate(KubernetesClient client, GenericKubernetesResource cluster, String key, String value) {
    Map<String, String> annotations = cluster.getMetadata().getAnnotations();
    ArrayNode patch = JsonNodeFactory.instance.arrayNode();
    String path = "/metadata/annotations/" + key.replace("~", "~0").replace("/", "~1");
    if (value == null) {
      if (annotations == null || !annotations.containsKey(key)) {
        return;
      }
      patch.addObject().put("op", "remove").put("path", path);
    } else if (annotations == null) {
      patch.addObject().put("op", "add").put("path", "/metadata/annotations").putObject("value").put(key, value);
    } else {
      patch.addObject().put("op", "add").put("path", path).put("value", value);
    }
    resource(client, cluster.getMetadata().getNamespace(), cluster.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON), patch.toString());
  }

  /** Sets spec.targetPrimary by a JSON merge patch. */
  static void setTargetPrimary(KubernetesClient client, GenericKubernetesResource cluster, String member) {
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.putObject("spec").put("targetPrimary", member);
    resource(client, cluster.getMetadata().getNamespace(), cluster.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
  }

  /** Selector of every pod the operator made for the cluster (members, proxy, resync Jobs). */
  static Map<String, String> selector(String name) {
    return Map.of(LABEL_INSTANCE, name, LABEL_MANAGED_BY, "dirk-operator");
  }

  /** The condition of that type in the status, or a missing node. */
  static JsonNode condition(JsonNode tree, String type) {
    for (JsonNode c : tree.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }
}
