package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dirkdb.e2e.OperatorPermissions.Permission;
import io.dirkdb.e2e.OperatorPermissions.Scope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart grants the operator's ServiceAccount exactly the rights in {@link OperatorPermissions}, and
 * that table names every kind the operator's sources read or write.
 */
class ChartRbacTest {

  private static final String NAMESPACE = "dirk-system";
  private static final String SERVICE_ACCOUNT = "dirk-operator";

  /** Kubernetes kinds by the names the operator's code uses for them (Fabric8 classes and DSL calls). */
  private static final Map<String, String> KIND_BY_CODE_NAME = Map.ofEntries(
      Map.entry("DirkCluster", "dirkdb.io/dirkclusters"), Map.entry("DirkBackup", "dirkdb.io/dirkbackups"),
      Map.entry("cronjobs", "batch/cronjobs"),
      Map.entry("StatefulSet", "apps/statefulsets"), Map.entry("statefulSets", "apps/statefulsets"),
      Map.entry("Deployment", "apps/deployments"), Map.entry("deployments", "apps/deployments"),
      Map.entry("Service", "core/services"), Map.entry("services", "core/services"),
      Map.entry("ConfigMap", "core/configmaps"), Map.entry("configMaps", "core/configmaps"),
      Map.entry("ServiceAccount", "core/serviceaccounts"), Map.entry("serviceAccounts", "core/serviceaccounts"),
      Map.entry("Secret", "core/secrets"), Map.entry("secrets", "core/secrets"),
      Map.entry("Pod", "core/pods"), Map.entry("pods", "core/pods"),
      Map.entry("PodDisruptionBudget", "policy/poddisruptionbudgets"),
      Map.entry("podDisruptionBudget", "policy/poddisruptionbudgets"),
      Map.entry("Job", "batch/jobs"), Map.entry("jobs", "batch/jobs"),
      Map.entry("Lease", "coordination.k8s.io/leases"), Map.entry("leases", "coordination.k8s.io/leases"),
      Map.entry("v1().events", "core/events"), Map.entry("events().v1().events", "events.k8s.io/events"));

  /** Where the operator's code names a kind it reads or writes. */
  private static final List<Pattern> KIND_USES = List.of(
      Pattern.compile("DependentResource<(\\w+),"),
      Pattern.compile("InformerEventSourceConfiguration\\.from\\((\\w+)\\.class"),
      Pattern.compile("Reconciler<(\\w+)>"),
      Pattern.compile("\\.resources\\((\\w+)\\.class"),
      Pattern.compile("client\\(\\)\\.(pods|secrets|configMaps|services|serviceAccounts|leases)\\(\\)"),
      Pattern.compile("client\\.(pods|secrets|configMaps|services|serviceAccounts|leases)\\(\\)"),
      Pattern.compile("\\.apps\\(\\)\\.(statefulSets|deployments)\\(\\)"),
      Pattern.compile("\\.batch\\(\\)\\.v1\\(\\)\\.(jobs|cronjobs)\\(\\)"),
      Pattern.compile("\\.policy\\(\\)\\.v1\\(\\)\\.(podDisruptionBudget)\\(\\)"),
      Pattern.compile("\\.(v1\\(\\)\\.events)\\(\\)"),
      Pattern.compile("\\.(events\\(\\)\\.v1\\(\\)\\.events)\\(\\)"));

  @Test
  void defaultInstallGrantsExactlyTheOperatorsRightsInEveryNamespace() {
    Manifests chart = render();

    JsonNode binding = chart.get("ClusterRoleBinding", "dirk-operator");
    assertBindsOperator(binding);
    JsonNode clusterRole = chart.get("ClusterRole", binding.path("roleRef").path("name").asText());
    assertThat(granted(clusterRole)).containsExactlyInAnyOrderElementsOf(
        OperatorPermissions.triples(Scope.WATCHED_NAMESPACES));
    assertLeaseRights(chart, NAMESPACE);
    assertThat(chart.ofKind("ClusterRoleBinding")).hasSize(1);
    assertThat(chart.ofKind("RoleBinding")).hasSize(1);
  }

  @Test
  void watchedNamespacesAreGrantedInThoseNamespacesOnly() {
    Manifests chart = render("--set", "watchNamespaces={team-a,team-b}", "--set",
        "leaderElection.leaseNamespace=dirk-leases");

    assertThat(chart.ofKind("ClusterRoleBinding")).as("no cluster-wide grant when namespaces are listed").isEmpty();
    List<JsonNode> watched = chart.ofKind("RoleBinding").stream()
        .filter(b -> b.path("roleRef").path("kind").asText().equals("ClusterRole")).toList();
    assertThat(watched).extracting(b -> b.path("metadata").path("namespace").asText())
        .containsExactlyInAnyOrder("team-a", "team-b");
    for (JsonNode binding : watched) {
      assertBindsOperator(binding);
      JsonNode role = chart.get("ClusterRole", binding.path("roleRef").path("name").asText());
      assertThat(granted(role)).containsExactlyInAnyOrderElementsOf(OperatorPermissions.triples(Scope.WATCHED_NAMESPACES));
    }
    assertLeaseRights(chart, "dirk-leases");
    JsonNode env = chart.get("Deployment", "dirk-operator").at("/spec/template/spec/containers/0/env");
    assertThat(envValue(env, "DIRK_WATCH_NAMESPACES")).isEqualTo("team-a,team-b");
    assertThat(envValue(env, "DIRK_LEASE_NAMESPACE")).isEqualTo("dirk-leases");
  }

  @Test
  void rbacCanBeLeftToTheAdministrator() {
    Manifests chart = render("--set", "rbac.create=false");
    assertThat(Stream.of("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding").flatMap(k -> chart.ofKind(k).stream()))
        .isEmpty();
  }

  @Test
  void anExistingServiceAccountIsTheOneBoundAndRun() {
    Manifests chart = render("--set", "serviceAccount.create=false", "--set", "serviceAccount.name=platform-operator");
    assertThat(chart.ofKind("ServiceAccount")).isEmpty();
    assertThat(chart.get("Deployment", "dirk-operator").at("/spec/template/spec/serviceAccountName").asText())
        .isEqualTo("platform-operator");
    for (JsonNode binding : List.of(chart.get("ClusterRoleBinding", "dirk-operator"),
        chart.get("RoleBinding", "dirk-operator-leader-election"))) {
      assertThat(binding.at("/subjects/0/name").asText()).isEqualTo("platform-operator");
    }
  }

  @Test
  void permissionTableNamesEveryKindTheOperatorReadsOrWrites() throws IOException {
    String sources = operatorSources();
    Set<String> used = new TreeSet<>();
    List<String> unknown = new ArrayList<>();
    for (Pattern pattern : KIND_USES) {
      Matcher m = pattern.matcher(sources);
      while (m.find()) {
        String kind = KIND_BY_CODE_NAME.get(m.group(1));
        if (kind == null) {
          unknown.add(m.group(0));
        } else {
          used.add(kind);
        }
      }
    }
    assertThat(unknown).as("kinds the operator uses that this test cannot map: add them to KIND_BY_CODE_NAME "
        + "and their rights to OperatorPermissions and the chart").isEmpty();
    Set<String> inTable = new TreeSet<>();
    OperatorPermissions.ALL.forEach(p -> inTable.add((p.apiGroup().isEmpty() ? "core" : p.apiGroup()) + "/"
        + p.resource().replaceFirst("/.*", "")));
    assertThat(inTable).as("OperatorPermissions must have a row for every kind the operator uses")
        .containsAll(used);
  }

  @Test
  void everyGrantedVerbIsStillUsedByTheOperator() throws IOException {
    String sources = operatorSources();
    List<String> unused = new ArrayList<>();
    for (Permission p : OperatorPermissions.ALL) {
      boolean anyFound = false;
      for (var use : p.verbUses().entrySet()) {
        boolean found = Pattern.compile(use.getValue()).matcher(sources).find();
        anyFound |= found;
        if (!found && p.anticipated() == null) {
          unused.add(OperatorPermissions.triple(p.apiGroup(), p.resource(), use.getKey()) + " (" + p.usedBy()
              + "; no match for " + use.getValue() + ")");
        }
      }
      if (anyFound && p.anticipated() != null) {
        System.out.println("[chart] " + p.resource() + " is now used by the operator: drop its 'anticipated' note");
      }
    }
    assertThat(unused).as("verbs the chart grants but the operator no longer uses").isEmpty();
  }

  @Test
  void everyVerbTheOperatorsCallsNeedIsGranted() throws IOException {
    String sources = operatorSources();
    Set<String> granted = new TreeSet<>(OperatorPermissions.triples(Scope.WATCHED_NAMESPACES));
    List<String> missing = new ArrayList<>();
    for (OperatorPermissions.CodeCall call : OperatorPermissions.CODE_CALLS) {
      Matcher m = Pattern.compile(call.sourceCall()).matcher(sources);
      String needed = OperatorPermissions.triple(call.apiGroup(), call.resource(), call.verb());
      if (m.find() && !granted.contains(needed)) {
        missing.add(needed + ": " + call.why() + " at '" + m.group() + "'");
      }
    }
    assertThat(missing).as("calls in the operator whose verb the chart does not grant (a real API server answers 403)")
        .isEmpty();
  }

  @Test
  void dependentsTheWorkflowMayRemoveCanBeDeleted() throws IOException {
    // JOSDK deletes a dependent whose reconcilePrecondition (or activationCondition) turns false: its kind
    // needs "delete". Each @Dependent of the workflow is read whole, whatever the order of its attributes.
    String reconciler = Files.readString(operatorMain().resolve("io/dirkdb/operator/reconciler/DirkClusterReconciler.java"));
    List<String> declarations = dependentDeclarations(reconciler);
    Matcher types = Pattern.compile("\\btype\\s*=\\s*\\w+\\.class").matcher(reconciler);
    int typed = 0;
    while (types.find()) {
      typed++;
    }
    assertThat(declarations).as("@Dependent declarations of DirkClusterReconciler's workflow").isNotEmpty()
        .hasSize(typed);
    Pattern conditionAttribute = Pattern.compile("\\b(reconcilePrecondition|activationCondition)\\s*=");
    Set<String> conditional = new LinkedHashSet<>();
    for (String declaration : declarations) {
      if (conditionAttribute.matcher(declaration).find()) {
        Matcher type = Pattern.compile("\\btype\\s*=\\s*(\\w+)\\.class").matcher(declaration);
        assertThat(type.find()).as("the type of " + declaration).isTrue();
        conditional.add(type.group(1));
      }
    }
    // Every condition attribute the reconciler's source holds belongs to a dependent found above: a lookup
    // that missed one (another layout, a constant) fails here instead of checking nothing.
    Matcher anywhere = conditionAttribute.matcher(reconciler);
    int conditions = 0;
    while (anywhere.find()) {
      conditions++;
    }
    assertThat(conditional).as("conditional dependents found, against the %d condition attributes in the source",
        conditions).hasSize(conditions);
    // Today none is conditional (the generated Secret stays when a user's Secret takes over): the checks
    // above make sure the next one added is found, and below that its kind may then be deleted.
    String sources = operatorSources();
    for (String dependent : conditional) {
      Matcher kind = Pattern.compile("class " + dependent + " extends \\w*DependentResource<(\\w+),").matcher(sources);
      assertThat(kind.find()).as("source of " + dependent).isTrue();
      String[] groupResource = KIND_BY_CODE_NAME.get(kind.group(1)).split("/");
      String group = groupResource[0].equals("core") ? "" : groupResource[0];
      assertThat(OperatorPermissions.triples(Scope.WATCHED_NAMESPACES))
          .as(dependent + " may be deleted by the workflow")
          .contains(OperatorPermissions.triple(group, groupResource[1], "delete"));
    }
  }

  /** The text of each {@code @Dependent(...)} in {@code source}, parentheses balanced. */
  static List<String> dependentDeclarations(String source) {
    List<String> found = new ArrayList<>();
    Matcher start = Pattern.compile("@Dependent\\s*\\(").matcher(source);
    while (start.find()) {
      int depth = 0;
      for (int i = start.end() - 1; i < source.length(); i++) {
        char c = source.charAt(i);
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (depth == 0) {
          found.add(source.substring(start.start(), i + 1));
          break;
        }
      }
    }
    return found;
  }

  @Test
  void aReconcilerWithCleanupMayWriteItsFinalizer() throws IOException {
    // JOSDK adds and removes its finalizer on the DirkCluster itself for a Cleaner: that needs patch.
    boolean cleaner = Pattern.compile("implements[^{]*\\bCleaner<DirkCluster>").matcher(operatorSources()).find();
    // ResyncRequest removes the dirkdb.io/resync annotation it served: a patch of the DirkCluster's metadata.
    boolean patchesMetadata = Pattern.compile("resources\\(DirkCluster\\.class\\)[^;]*\\.patch\\(")
        .matcher(operatorSources()).find();
    boolean mayPatch = OperatorPermissions.triples(Scope.WATCHED_NAMESPACES)
        .contains(OperatorPermissions.triple("dirkdb.io", "dirkclusters", "patch"));
    assertThat(mayPatch).as(cleaner || patchesMetadata ? "the reconciler is a Cleaner or patches a DirkCluster's "
        + "metadata: grant patch on dirkclusters" : "no Cleaner, no metadata patch: patch on dirkclusters is not needed")
        .isEqualTo(cleaner || patchesMetadata);
  }

  static Manifests render(String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("template", "dirk-operator", KubeTools.chart().toString(),
        "--namespace", NAMESPACE));
    args.addAll(List.of(extraArgs));
    return Manifests.parse(KubeTools.run(KubeTools.helm(), args.toArray(String[]::new)));
  }

  private static void assertLeaseRights(Manifests chart, String leaseNamespace) {
    JsonNode binding = chart.get("RoleBinding", "dirk-operator-leader-election");
    assertThat(binding.path("metadata").path("namespace").asText()).isEqualTo(leaseNamespace);
    assertBindsOperator(binding);
    JsonNode role = chart.get("Role", binding.path("roleRef").path("name").asText());
    assertThat(role.path("metadata").path("namespace").asText()).isEqualTo(leaseNamespace);
    assertThat(granted(role)).containsExactlyInAnyOrderElementsOf(OperatorPermissions.triples(Scope.LEASE_NAMESPACE));
  }

  private static void assertBindsOperator(JsonNode binding) {
    assertThat(binding.path("subjects")).singleElement().satisfies(s -> {
      assertThat(s.path("kind").asText()).isEqualTo("ServiceAccount");
      assertThat(s.path("name").asText()).isEqualTo(SERVICE_ACCOUNT);
      assertThat(s.path("namespace").asText()).isEqualTo(NAMESPACE);
    });
  }

  /** Every (group, resource, verb) a role grants; wildcards and resourceNames are refused outright. */
  private static List<String> granted(JsonNode role) {
    List<String> out = new ArrayList<>();
    for (JsonNode rule : role.path("rules")) {
      assertThat(rule.has("resourceNames") || rule.has("nonResourceURLs")).as("rule %s", rule).isFalse();
      for (JsonNode group : rule.path("apiGroups")) {
        for (JsonNode resource : rule.path("resources")) {
          for (JsonNode verb : rule.path("verbs")) {
            assertThat(List.of(group.asText(), resource.asText(), verb.asText())).as("rule %s", rule)
                .doesNotContain("*");
            out.add(OperatorPermissions.triple(group.asText(), resource.asText(), verb.asText()));
          }
        }
      }
    }
    assertThat(out).as("a right granted twice").doesNotHaveDuplicates();
    return out;
  }

  static String envValue(JsonNode env, String name) {
    for (JsonNode var : env) {
      if (name.equals(var.path("name").asText())) {
        return var.path("value").asText();
      }
    }
    throw new AssertionError("no env " + name + " in " + env);
  }

  private static Path operatorMain() {
    return KubeTools.repoRoot().resolve("operator/src/main/java");
  }

  private static String operatorSources() throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.walk(operatorMain())) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        all.append(Files.readString(file)).append('\n');
      }
    }
    return all.toString();
  }
}
