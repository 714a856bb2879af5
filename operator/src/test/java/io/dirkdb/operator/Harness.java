package io.dirkdb.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the tests ask of the test API server's {@link RbacGate}, over HTTP (it lives in the mock server). */
final class Harness {

  static final String PREFIX = "/dirk-harness/";
  static final String RBAC = PREFIX + "rbac";
  static final String FAULTS = PREFIX + "faults";
  static final String REQUESTS = PREFIX + "requests";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Harness() {}

  /** Whether the chart's RBAC is enforced on the operator's requests, and why not when it is not. */
  record RbacState(boolean enforced, String reason, List<String> refusals, List<String> rightsUsed) {}

  static RbacState rbac(KubernetesClient client) {
    JsonNode node = read(client.raw(url(client, RBAC)));
    return new RbacState(node.path("enforced").asBoolean(), node.path("reason").asText(null),
        strings(node.path("refusals")), strings(node.path("rightsUsed")));
  }

  /** Makes the API server refuse the operator's {@code verb} on {@code apiGroup/resource} in {@code namespace}. */
  static void refuse(KubernetesClient client, String verb, String apiGroup, String resource, String namespace,
      String message) {
    client.raw(url(client, FAULTS), "POST", Map.of("verb", verb, "apiGroup", apiGroup, "resource", resource,
        "namespace", namespace, "message", message));
  }

  /** Makes the API server answer the operator's {@code verb} on {@code apiGroup/resource} in {@code namespace} late. */
  static void delay(KubernetesClient client, String verb, String apiGroup, String resource, String namespace,
      long delayMillis) {
    client.raw(url(client, FAULTS), "POST", Map.of("verb", verb, "apiGroup", apiGroup, "resource", resource,
        "namespace", namespace, "delayMillis", delayMillis));
  }

  /** Starts a fresh log of the operator's requests (replacing any earlier one). */
  static void logRequests(KubernetesClient client) {
    client.raw(url(client, REQUESTS), "POST", Map.of());
  }

  /** The operator's requests since {@link #logRequests}, e.g. {@code get core/secrets in ns name s}. */
  static List<String> loggedRequests(KubernetesClient client) {
    return strings(read(client.raw(url(client, REQUESTS))));
  }

  static void stopLoggingRequests(KubernetesClient client) {
    client.raw(url(client, REQUESTS), "DELETE", null);
  }

  static void clearFaults(KubernetesClient client) {
    client.raw(url(client, FAULTS), "DELETE", null);
  }

  private static String url(KubernetesClient client, String path) {
    String master = client.getConfiguration().getMasterUrl();
    return (master.endsWith("/") ? master.substring(0, master.length() - 1) : master) + path;
  }

  private static JsonNode read(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
