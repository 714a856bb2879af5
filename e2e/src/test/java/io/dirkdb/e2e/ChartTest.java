package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** helm/dirk-operator lints clean, carries the generated CRD, and renders what its values say. */
class ChartTest {

  @Test
  void chartLintsWithoutWarnings() {
    String out = KubeTools.run(KubeTools.helm(), "lint", "--strict", KubeTools.chart().toString());
    assertThat(out).contains("1 chart(s) linted, 0 chart(s) failed").doesNotContain("[WARNING]").doesNotContain("[ERROR]");
  }

  @Test
  void chartCrdsAreTheGeneratedOnes() throws IOException {
    Map<String, String> root = files(KubeTools.repoRoot().resolve("crds"));
    Map<String, String> chart = files(KubeTools.chart().resolve("crds"));
    assertThat(root).as("crds/ at the root").isNotEmpty();
    assertThat(chart.keySet()).as("helm/dirk-operator/crds/ has the same files as crds/ (copy them over)")
        .isEqualTo(root.keySet());
    root.forEach((name, text) -> assertThat(chart.get(name))
        .as("helm/dirk-operator/crds/%s equals crds/%s (cp crds/* helm/dirk-operator/crds/)", name, name)
        .isEqualTo(text));
  }

  @Test
  void defaultOperatorPodRunsNonRootWithHealthProbesAndTheAppVersionImage() throws IOException {
    Manifests chart = ChartRbacTest.render();
    JsonNode deployment = chart.get("Deployment", "dirk-operator");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(1);
    JsonNode pod = deployment.at("/spec/template/spec");
    assertThat(pod.path("serviceAccountName").asText()).isEqualTo("dirk-operator");
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    JsonNode container = pod.at("/containers/0");
    assertThat(container.path("image").asText()).isEqualTo("dirkdb/dirk-operator:" + appVersion());
    assertThat(container.path("imagePullPolicy").asText()).isEqualTo("IfNotPresent");
    assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    // /q/health/ready is DOWN on a standby replica: a rolling update would wait forever for the new pod.
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
    assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
    assertThat(ChartRbacTest.envValue(container.path("env"), "DIRK_WATCH_NAMESPACES")).isEmpty();
    assertThat(ChartRbacTest.envValue(container.path("env"), "DIRK_LEASE_NAMESPACE")).isEqualTo("dirk-system");
    // The DirkDB image of clusters that name none: the chart's dirkImage values reach the operator.
    assertThat(ChartRbacTest.envValue(container.path("env"), "DIRK_DEFAULT_IMAGE")).isEqualTo("dirkdb/dirk:" + appVersion());
    assertThat(chart.get("Service", "dirk-operator-metrics").at("/spec/ports/0/port").asInt()).isEqualTo(8080);
    assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
    assertThat(chart.ofKind("CustomResourceDefinition")).as("helm installs crds/ itself, outside templates").isEmpty();
  }

  @Test
  void nonDefaultValuesReachTheManifests() {
    Manifests chart = ChartRbacTest.render("--set", "replicas=2", "--set", "watchNamespaces={apps}",
        "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.interval=15s",
        "--set", "metrics.serviceMonitor.labels.release=prom", "--set", "image.tag=1.2.3",
        "--set", "image.pullPolicy=Always", "--set", "logLevel=DEBUG", "--set", "resources.limits.memory=1Gi",
        "--set", "dirkImage.repository=registry.example/dirk", "--set", "dirkImage.tag=2.0.0",
        "--set", "dirkImage.pullPolicy=Always");

    JsonNode deployment = chart.get("Deployment", "dirk-operator");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
    JsonNode container = deployment.at("/spec/template/spec/containers/0");
    assertThat(container.path("image").asText()).isEqualTo("dirkdb/dirk-operator:1.2.3");
    assertThat(container.path("imagePullPolicy").asText()).isEqualTo("Always");
    assertThat(container.at("/resources/limits/memory").asText()).isEqualTo("1Gi");
    assertThat(ChartRbacTest.envValue(container.path("env"), "DIRK_WATCH_NAMESPACES")).isEqualTo("apps");
    assertThat(ChartRbacTest.envValue(container.path("env"), "QUARKUS_LOG_LEVEL")).isEqualTo("DEBUG");
    assertThat(ChartRbacTest.envValue(container.path("env"), "DIRK_DEFAULT_IMAGE")).isEqualTo("registry.example/dirk:2.0.0");
    assertThat(ChartRbacTest.envValue(container.path("env"), "DIRK_DEFAULT_IMAGE_PULL_POLICY")).isEqualTo("Always");
    // Two replicas share one Lease: the leader-election rights are there whatever the replica count.
    assertThat(chart.find("Role", "dirk-operator-leader-election")).isPresent();

    JsonNode monitor = chart.get("ServiceMonitor", "dirk-operator");
    assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("prom");
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
    assertThat(monitor.at("/spec/endpoints/0/interval").asText()).isEqualTo("15s");
    assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo("http");
    JsonNode service = chart.get("Service", "dirk-operator-metrics");
    assertThat(service.at("/spec/ports/0/name").asText()).isEqualTo("http");
    monitor.at("/spec/selector/matchLabels").fields().forEachRemaining(label ->
        assertThat(service.at("/metadata/labels/" + label.getKey().replace("/", "~1")).asText())
            .as("the ServiceMonitor selects the metrics Service by %s", label.getKey())
            .isEqualTo(label.getValue().asText()));
  }

  @Test
  void notesTellTheNextCommands() {
    String out = KubeTools.run(KubeTools.helm(), "install", "dirk-operator", KubeTools.chart().toString(),
        "--namespace", "dirk-system", "--dry-run=client", "--set", "dirkImage.tag=9.9.9",
        "--set", "dirkImage.pullPolicy=Always");
    String notes = out.substring(out.indexOf("NOTES:"));
    assertThat(notes).contains("kubectl -n dirk-system rollout status deployment/dirk-operator",
        "kubectl apply -f examples/basic.yaml", "when it is unset dirkdb/dirk:9.9.9", "imagePullPolicy: Always",
        "kubectl get dirkclusters",
        "kubectl port-forward svc/demo-proxy 3949", "./dirk client 127.0.0.1 3949",
        "kubectl describe dirkcluster demo");
  }

  @Test
  void everyValueIsDocumentedInTheChartReadme() throws IOException {
    String readme = Files.readString(KubeTools.chart().resolve("README.md"));
    JsonNode values = Manifests.read(KubeTools.chart().resolve("values.yaml"));
    List<String> keys = new java.util.ArrayList<>();
    collectKeys("", values, keys);
    for (String key : keys) {
      assertThat(readme).as("helm/dirk-operator/README.md documents %s", key).contains("`" + key + "`");
    }
  }

  @Test
  void imageVersionsAgreeAcrossChartOperatorAndCrd() throws IOException {
    String version = appVersion();
    String operatorProps = Files.readString(KubeTools.repoRoot().resolve("operator/src/main/resources/application.properties"));
    assertThat(operatorProps).as("operator image tag").contains("quarkus.container-image.tag=" + version);
    // The DirkDB image's tag: ImagesTest.
    // A DirkCluster without spec.image runs the operator's default (the chart sets it from dirkImage).
    assertThat(operatorProps).as("the operator's default DirkDB image")
        .contains("dirk.operator.default-image=${DIRK_DEFAULT_IMAGE:dirkdb/dirk:" + version + "}");
  }

  @Test
  void chartKubeVersionAdmitsOnlyApiServersThatKeepTheCrdsValidationFields() throws IOException {
    String crd = Files.readString(KubeTools.repoRoot().resolve("crds/dirkclusters.dirkdb.io-v1.yml"));
    String kubeVersion = Manifests.read(KubeTools.chart().resolve("Chart.yaml")).path("kubeVersion").asText();
    var minimum = java.util.regex.Pattern.compile(">=\\s*1\\.(\\d+)").matcher(kubeVersion);
    assertThat(minimum.find()).as("Chart.yaml kubeVersion names a minimum: %s", kubeVersion).isTrue();
    // reason and fieldPath of x-kubernetes-validations exist from Kubernetes 1.28; older servers drop them.
    if (crd.contains("fieldPath:") || crd.contains("reason:")) {
      assertThat(Integer.parseInt(minimum.group(1))).as("kubeVersion %s with validation reason/fieldPath", kubeVersion)
          .isGreaterThanOrEqualTo(28);
    }
    // CEL's quantity() is accepted in a CRD's new rules from 1.29 (a server takes the libraries of the release before it).
    if (crd.contains("quantity(")) {
      assertThat(Integer.parseInt(minimum.group(1))).as("kubeVersion %s with quantity() in the CRD's rules", kubeVersion)
          .isGreaterThanOrEqualTo(29);
    }
  }

  static String appVersion() {
    return Manifests.read(KubeTools.chart().resolve("Chart.yaml")).path("appVersion").asText();
  }

  private static void collectKeys(String prefix, JsonNode node, List<String> out) {
    node.fields().forEachRemaining(e -> {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      // Maps the user fills (resources, securityContext...) are documented as a whole.
      if (e.getValue().isObject() && e.getValue().size() > 0 && !isFreeForm(key)) {
        collectKeys(key, e.getValue(), out);
      } else {
        out.add(key);
      }
    });
  }

  private static boolean isFreeForm(String key) {
    return List.of("resources", "podSecurityContext", "securityContext").contains(key);
  }

  private static Map<String, String> files(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        out.put(f.getFileName().toString(), Files.readString(f));
      }
    }
    return out;
  }
}
