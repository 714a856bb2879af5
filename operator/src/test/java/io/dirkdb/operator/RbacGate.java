package io.dirkdb.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sits in front of the Fabric8 mock server and answers the operator's requests as a real API server
 * with the chart's RBAC would: 403 Forbidden with a Kubernetes Status where the ServiceAccount has no
 * right, and SelfSubjectRulesReviews from the chart's rules. Requests of the tests (playing the user,
 * the kubelet and the controllers) pass untouched: the operator is recognised by its bearer token
 * ({@code %test.quarkus.kubernetes-client.token}).
 *
 * <p>Tests reach it under {@code /dirk-harness/} (see {@link Harness}): whether RBAC is enforced and
 * why not, every refusal, every right used, and faults to inject (refuse one kind of request in one
 * namespace, as a quota or a policy webhook would), and a log of the operator's requests while a test keeps one.
 */
final class RbacGate extends Dispatcher {

  /** The token the operator's client sends in tests: it stands for {@link ChartRbac#USER}. */
  static final String OPERATOR_TOKEN = "dirk-operator-service-account";
  /** Marks a test's own request made with the operator's token: refused alike, but not recorded as the operator's. */
  static final String PROBE_HEADER = "X-Dirk-Harness-Probe";

  /**
   * In production the Operator SDK applies these dependents by server-side apply (PATCH); the test
   * profile turns SSA off (the mock answers 415) and the SDK sends PUT instead, so a PUT of the
   * operator to these kinds is checked as the patch it is on a real cluster. ConfigMaps and Secrets
   * are never server-side applied by the SDK: their PUT stays an update.
   */
  private static final Set<String> SERVER_SIDE_APPLIED = Set.of("apps/statefulsets", "apps/deployments",
      "/services", "/serviceaccounts", "policy/poddisruptionbudgets");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Dispatcher next;
  private final ChartRbac rbac;
  private final String notEnforcedReason;
  private final List<String> refusals = new CopyOnWriteArrayList<>();
  private final Set<String> rightsUsed = ConcurrentHashMap.newKeySet();
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  /** The operator's requests since a test asked for a log (null: none kept), as {@link ApiRequest#toString()}. */
  private volatile List<String> requestLog;

  /**
   * A request kind refused on purpose: {@code verb} of {@code apiGroup/resource} in {@code namespace}; with
   * {@code delayMillis} above 0, answered as usual but that late instead (a slow API server).
   */
  record Fault(String verb, String apiGroup, String resource, String namespace, String message, long delayMillis) {

    boolean matches(ApiRequest request) {
      return verb.equals(request.verb()) && apiGroup.equals(request.apiGroup())
          && resource.equals(request.resourceWithSubresource()) && namespace.equals(request.namespace());
    }
  }

  RbacGate(Dispatcher next, ChartRbac rbac, String notEnforcedReason) {
    this.next = next;
    this.rbac = rbac;
    this.notEnforcedReason = notEnforcedReason;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    if (path.startsWith(Harness.PREFIX)) {
      return harness(request);
    }
    String authorization = request.getHeader("Authorization");
    if (authorization == null || !authorization.equals("Bearer " + OPERATOR_TOKEN)) {
      return next.dispatch(request);
    }
    ApiRequest api = authorized(ApiRequest.parse(request.getMethod(), path));
    List<String> log = requestLog;
    if (log != null && request.getHeader(PROBE_HEADER) == null) {
      log.add(api.toString());
    }
    long delayMillis = 0;
    for (Fault fault : faults) {
      if (fault.matches(api) && fault.delayMillis() > 0) {
        delayMillis = Math.max(delayMillis, fault.delayMillis());
      } else if (fault.matches(api)) {
        return status(403, "Forbidden", fault.message(), api);
      }
    }
    if (rbac != null) {
      ApiRequest ownerFinalizers = api.verb().equals("create") ? blockedOwnerFinalizers(api, request) : null;
      if (ownerFinalizers != null && !rbac.allows(ownerFinalizers)) {
        // OwnerReferencesPermissionEnforcement: blockOwnerDeletion needs update on the owner's finalizers.
        if (request.getHeader(PROBE_HEADER) == null) {
          refusals.add(api + " (blockOwnerDeletion: " + ownerFinalizers + ")");
        }
        return status(403, "Forbidden", api.forbiddenMessage(ChartRbac.USER) + ": cannot set blockOwnerDeletion if an "
            + "ownerReference refers to a resource you can't set finalizers on", api);
      }
      if (ownerFinalizers != null) {
        rightsUsed.add(ownerFinalizers.apiGroup() + "/" + ownerFinalizers.resourceWithSubresource() + ":update");
      }
      if (!rbac.allows(api)) {
        if (request.getHeader(PROBE_HEADER) == null) {
          refusals.add(api.toString());
        }
        return status(403, "Forbidden", api.forbiddenMessage(ChartRbac.USER), api);
      }
      if (!api.nonResourcePath() && request.getHeader(PROBE_HEADER) == null) {
        rightsUsed.add((api.apiGroup().isEmpty() ? "core" : api.apiGroup()) + "/" + api.resourceWithSubresource()
            + ":" + api.verb());
      }
      if (api.resource().equals("selfsubjectrulesreviews")) {
        return rulesReview(request);
      }
    }
    MockResponse response = next.dispatch(request);
    return delayMillis > 0 ? response.setBodyDelay(delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS) : response;
  }

  @Override
  public void shutdown() {
    next.shutdown();
  }

  /** The owner's finalizers an object created with {@code blockOwnerDeletion: true} asks to update, if any. */
  private static ApiRequest blockedOwnerFinalizers(ApiRequest api, RecordedRequest request) {
    try {
      JsonNode refs = JSON.readTree(body(request)).path("metadata").path("ownerReferences");
      for (JsonNode ref : refs) {
        if (ref.path("blockOwnerDeletion").asBoolean(false)) {
          String apiVersion = ref.path("apiVersion").asText();
          String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
          String plural = ref.path("kind").asText().toLowerCase() + "s"; // enough for the owners the operator sets
          return new ApiRequest("update", group, plural, "finalizers", api.namespace(), ref.path("name").asText(),
              api.path(), false);
        }
      }
    } catch (Exception e) {
      return null; // not JSON: nothing to check
    }
    return null;
  }

  private static ApiRequest authorized(ApiRequest api) {
    boolean applied = api.verb().equals("update") && api.subresource() == null
        && SERVER_SIDE_APPLIED.contains(api.apiGroup() + "/" + api.resource());
    return applied ? new ApiRequest("patch", api.apiGroup(), api.resource(), null, api.namespace(), api.name(),
        api.path(), false) : api;
  }

  private MockResponse rulesReview(RecordedRequest request) {
    String namespace;
    try {
      namespace = JSON.readTree(body(request)).path("spec").path("namespace").asText();
    } catch (Exception e) {
      return status(400, "BadRequest", "cannot read the SelfSubjectRulesReview: " + e.getMessage(),
          ApiRequest.parse(request.getMethod(), request.getPath()));
    }
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "authorization.k8s.io/v1");
    review.put("kind", "SelfSubjectRulesReview");
    review.putObject("metadata");
    review.putObject("spec").put("namespace", namespace);
    ObjectNode status = review.putObject("status");
    status.put("incomplete", false);
    ArrayNode resourceRules = status.putArray("resourceRules");
    for (ChartRbac.Rule rule : rbac.rulesIn(namespace)) {
      ObjectNode r = resourceRules.addObject();
      ArrayNode groups = r.putArray("apiGroups");
      rule.apiGroups().forEach(groups::add);
      ArrayNode resources = r.putArray("resources");
      rule.resources().forEach(resources::add);
      ArrayNode verbs = r.putArray("verbs");
      rule.verbs().forEach(verbs::add);
      if (!rule.resourceNames().isEmpty()) {
        ArrayNode names = r.putArray("resourceNames");
        rule.resourceNames().forEach(names::add);
      }
    }
    status.putArray("nonResourceRules");
    return json(201, review);
  }

  private MockResponse harness(RecordedRequest request) {
    String path = request.getPath();
    String method = request.getMethod().toUpperCase();
    try {
      if (path.startsWith(Harness.RBAC)) {
        ObjectNode out = JSON.createObjectNode();
        out.put("enforced", rbac != null);
        out.put("reason", notEnforcedReason);
        ArrayNode refused = out.putArray("refusals");
        refusals.forEach(refused::add);
        ArrayNode used = out.putArray("rightsUsed");
        rightsUsed.stream().sorted().forEach(used::add);
        return json(200, out);
      }
      if (path.startsWith(Harness.REQUESTS) && method.equals("POST")) {
        requestLog = new CopyOnWriteArrayList<>();
        return json(201, JSON.createObjectNode());
      }
      if (path.startsWith(Harness.REQUESTS) && method.equals("GET")) {
        ArrayNode out = JSON.createArrayNode();
        List<String> log = requestLog;
        if (log != null) {
          log.forEach(out::add);
        }
        return json(200, out);
      }
      if (path.startsWith(Harness.REQUESTS) && method.equals("DELETE")) {
        requestLog = null;
        return json(200, JSON.createObjectNode());
      }
      if (path.startsWith(Harness.FAULTS) && method.equals("POST")) {
        JsonNode f = JSON.readTree(body(request));
        faults.add(new Fault(f.path("verb").asText(), f.path("apiGroup").asText(), f.path("resource").asText(),
            f.path("namespace").asText(), f.path("message").asText(), f.path("delayMillis").asLong(0)));
        return json(201, f);
      }
      if (path.startsWith(Harness.FAULTS) && method.equals("DELETE")) {
        faults.clear();
        return json(200, JSON.createObjectNode());
      }
    } catch (Exception e) {
      return new MockResponse().setResponseCode(400).setBody(String.valueOf(e.getMessage()));
    }
    return new MockResponse().setResponseCode(404).setBody("no harness endpoint " + path);
  }

  /** The body, left in place for the mock server behind (reading it by getUtf8Body would drain it). */
  private static String body(RecordedRequest request) {
    return request.getBody() == null ? "" : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
  }

  /** A Kubernetes Status, as the API server answers a refused request. */
  private static MockResponse status(int code, String reason, String message, ApiRequest api) {
    ObjectNode status = JSON.createObjectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    ObjectNode details = status.putObject("details");
    if (api.name() != null) {
      details.put("name", api.name());
    }
    details.put("group", api.apiGroup());
    details.put("kind", api.resource());
    status.put("code", code);
    return json(code, status);
  }

  private static MockResponse json(int code, JsonNode body) {
    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
        .setBody(body.toString());
  }
}
