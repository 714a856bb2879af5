package io.dirkdb.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The RBAC rules the Helm chart grants the operator's ServiceAccount, as {@code helm template} renders
 * them, and the decision a Kubernetes API server's RBAC authorizer makes with them for one request.
 */
final class ChartRbac {

  /** Release and namespace the test installs the chart as; the operator's lease namespace in %test. */
  static final String RELEASE = "dirk-operator";
  static final String NAMESPACE = "dirk-operator";
  static final String SERVICE_ACCOUNT = "dirk-operator";
  static final String USER = "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT;

  /** One policy rule, in effect in {@code namespace} (null: cluster-wide, from a ClusterRoleBinding). */
  record Rule(Set<String> apiGroups, Set<String> resources, Set<String> verbs, Set<String> resourceNames,
      String namespace) {

    boolean allows(ApiRequest request) {
      return (namespace == null || namespace.equals(request.namespace()))
          && matches(apiGroups, request.apiGroup())
          && matches(resources, request.resourceWithSubresource())
          && matches(verbs, request.verb())
          // resourceNames never match a request that names no object (create, list, watch, deletecollection)
          && (resourceNames.isEmpty() || (request.name() != null && resourceNames.contains(request.name())));
    }

    private static boolean matches(Set<String> granted, String wanted) {
      return granted.contains("*") || granted.contains(wanted);
    }
  }

  private final List<Rule> rules;

  private ChartRbac(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  List<Rule> rules() {
    return rules;
  }

  /**
   * What any authenticated user may do on a real cluster (system:basic-user, system:discovery,
   * system:public-info-viewer): discovery, version, and reviews of its own rights.
   */
  static boolean openToEveryUser(ApiRequest request) {
    if (request.nonResourcePath()) {
      return request.verb().equals("get");
    }
    return request.apiGroup().equals("authorization.k8s.io") && request.verb().equals("create")
        && Set.of("selfsubjectaccessreviews", "selfsubjectrulesreviews").contains(request.resource());
  }

  boolean allows(ApiRequest request) {
    return openToEveryUser(request) || rules.stream().anyMatch(rule -> rule.allows(request));
  }

  /** Rules that hold in {@code namespace}, as a SelfSubjectRulesReview for it reports them. */
  List<Rule> rulesIn(String namespace) {
    return rules.stream().filter(r -> r.namespace() == null || r.namespace().equals(namespace)).toList();
  }

  /** Renders the chart with {@code helm} and keeps the rules bound to the operator's ServiceAccount. */
  static ChartRbac render(Path helm, Path chart) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(helm.toString(), "template", RELEASE, chart.toString(),
        "--namespace", NAMESPACE).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException("helm template failed: " + new String(output, StandardCharsets.UTF_8));
    }
    return fromManifests(new String(output, StandardCharsets.UTF_8));
  }

  static ChartRbac fromManifests(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    YAMLMapper mapper = new YAMLMapper();
    try (MappingIterator<JsonNode> it = mapper.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && doc.has("kind")) {
          docs.add(doc);
        }
      }
    }
    List<Rule> rules = new ArrayList<>();
    for (JsonNode binding : docs) {
      String kind = binding.path("kind").asText();
      if (!kind.equals("ClusterRoleBinding") && !kind.equals("RoleBinding")) {
        continue;
      }
      if (!bindsOperator(binding)) {
        continue;
      }
      String scope = kind.equals("RoleBinding") ? binding.path("metadata").path("namespace").asText() : null;
      JsonNode ref = binding.path("roleRef");
      String roleKind = ref.path("kind").asText();
      JsonNode role = docs.stream()
          .filter(d -> d.path("kind").asText().equals(roleKind))
          .filter(d -> d.path("metadata").path("name").asText().equals(ref.path("name").asText()))
          .filter(d -> roleKind.equals("ClusterRole") || d.path("metadata").path("namespace").asText().equals(scope))
          .findFirst().orElseThrow(() -> new IOException(kind + " " + binding.path("metadata").path("name").asText()
              + " refers to " + roleKind + " " + ref.path("name").asText() + ", which the chart does not render"));
      for (JsonNode rule : role.path("rules")) {
        rules.add(new Rule(strings(rule.path("apiGroups")), strings(rule.path("resources")),
            strings(rule.path("verbs")), strings(rule.path("resourceNames")), scope));
      }
    }
    if (rules.isEmpty()) {
      throw new IOException("the chart binds no rules to ServiceAccount " + NAMESPACE + "/" + SERVICE_ACCOUNT);
    }
    return new ChartRbac(rules);
  }

  private static boolean bindsOperator(JsonNode binding) {
    for (JsonNode subject : binding.path("subjects")) {
      if (subject.path("kind").asText().equals("ServiceAccount") && subject.path("name").asText().equals(SERVICE_ACCOUNT)
          && subject.path("namespace").asText().equals(NAMESPACE)) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> strings(JsonNode array) {
    Set<String> out = new HashSet<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Where the tests find helm: -Ddirk.kubeTools, the checkout's .tools/bin, then the PATH. */
  static Path findHelm(Path repoRoot) {
    List<Path> candidates = new ArrayList<>();
    String tools = System.getProperty("dirk.kubeTools");
    if (tools != null && !tools.isBlank()) {
      candidates.add(Path.of(tools, "helm"));
    }
    candidates.add(repoRoot.resolve(".tools/bin/helm"));
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isBlank()) {
        candidates.add(Path.of(dir, "helm"));
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }
}
