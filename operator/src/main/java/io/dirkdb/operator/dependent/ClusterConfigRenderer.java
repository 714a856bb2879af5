package io.dirkdb.operator.dependent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the data plane's {@code config.json}: the members by their stable DNS names and their
 * initial roles. Roles move later by labels and control requests, not by rewriting this file.
 */
public final class ClusterConfigRenderer {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  public static final String DATA_DIRECTORY = "/var/lib/dirk/data";

  private ClusterConfigRenderer() {}

  public static String render(DirkCluster cluster) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("configVersion", 1);
    config.put("loadBalancer", ordered("listenHost", "0.0.0.0", "listenPort", cluster.getSpec().getProxy().getPort()));
    List<Map<String, Object>> instances = new ArrayList<>();
    String primary = ClusterNaming.initialPrimary(cluster);
    for (String member : ClusterNaming.memberNames(cluster)) {
      Map<String, Object> instance = new LinkedHashMap<>();
      instance.put("id", member);
      instance.put("role", member.equals(primary) ? "MASTER" : "REPLICA");
      instance.put("host", ClusterNaming.memberHost(cluster, member));
      instance.put("port", ClusterNaming.MEMBER_PORT);
      instance.put("dataDirectory", DATA_DIRECTORY);
      instances.add(instance);
    }
    config.put("instances", instances);
    config.put("routing", ordered(
        "reads", ordered("strategy", "ROUND_ROBIN", "includeRoles", List.of("REPLICA", "MASTER")),
        "writes", ordered("mode", "SINGLE_PRIMARY")));
    config.put("replication", ordered("mode", cluster.getSpec().getReplication().getMode().wireName()));
    try {
      return JSON.writeValueAsString(config) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("config.json of plain maps cannot fail to serialize", e);
    }
  }

  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
