package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every command on docs/getting-started.md is exercised by a test: the demo's by {@link GettingStartedDemoTest}, which
 * runs them as written; the Kubernetes quick start's, which need an API server, by the tests named here (the
 * K3s journey where Docker runs, the operator's tests on the mock API server everywhere), and the facts they rest on
 * (names of the release, Deployment, CRD, columns, images) are checked here against the chart, CRD and build.
 */
class GettingStartedCoverageTest {
  private static final String K3S = "K3sEndToEndTest#primaryPodLossPromotesASecondaryAndKeepsEveryAcknowledgedRow";
  private static final String OPERATOR_BASIC = "ExamplesTest#basicExampleMakesEveryChildOwnedAndLabelled";

  /**
   * A command of the Kubernetes half, how it is exercised (printed with the table: run, or only the names it relies on
   * checked), and the tests (Class#method) or files that do it.
   */
  private record Exercised(Pattern command, String how, List<String> by) {
    Exercised(String regex, String how, String... by) {
      this(Pattern.compile(regex), how, List.of(by));
    }
  }

  private static final String NOT_RUN = "not run: needs an API server";

  private static final List<Exercised> ELSEWHERE = List.of(
      new Exercised("^\\.ci/install-kube-tools\\.sh$", "run by CI before the build", ".ci/run"),
      new Exercised("^\\./mvnw -B package -Pimages -DskipTests -Djib\\.goal=dockerBuild .*",
          "run by CI where Docker runs; the images are checked and used by the K3s journey",
          ".ci/run", "ContainerImagesTest#", K3S),
      new Exercised("^kind load docker-image dirkdb/dirk:\\S+ dirkdb/dirk-operator:\\S+$",
          "image names checked here, not run (no kind); the K3s journey imports the same images",
          "GettingStartedCoverageTest#theImagesTheQuickStartLoadsAreTheOnesTheBuildMakes", K3S),
      new Exercised("^helm install dirk-operator \\./helm/dirk-operator --namespace dirk-system --create-namespace$",
          "run here as a client-side dry run; installed for real by the K3s journey",
          "GettingStartedCoverageTest#theQuickStartsHelmInstallRendersTheDeploymentItWaitsFor", K3S),
      new Exercised("^kubectl -n dirk-system rollout status deployment/dirk-operator$",
          "only the Deployment's name and namespace checked here; " + NOT_RUN,
          "GettingStartedCoverageTest#theQuickStartsHelmInstallRendersTheDeploymentItWaitsFor"),
      new Exercised("^kubectl apply -f examples/basic\\.yaml$",
          "applied on the mock API server by the operator's tests and on K3s by the journey",
          "ExamplesTest#everyExampleIsADirkClusterTheApiServerAccepts", OPERATOR_BASIC, K3S),
      new Exercised("^kubectl get (dirkclusters|dirk)$",
          "names and columns checked here, " + NOT_RUN + "; the K3s journey gets the same resource",
          "GettingStartedCoverageTest#theCrdAnswersToTheNamesAndColumnsThePageShows", K3S),
      new Exercised("^kubectl port-forward svc/demo-proxy 3949$",
          "the Service the operator makes checked on the mock API server; the K3s journey connects through it",
          OPERATOR_BASIC, K3S),
      new Exercised("^export DIRK_PASSWORD=\\$\\(kubectl get secret demo-credentials .*jsonpath='\\{\\.data\\.password\\}'.*",
          "the Secret checked on the mock API server; DIRK_PASSWORD used by the demo test; K3s journey reads it",
          OPERATOR_BASIC, "GettingStartedDemoTest#", K3S),
      new Exercised("^kubectl delete pod demo-primary-0$",
          "a pod deleted by the planned-operations test (mock API server) and by the K3s journey",
          "PlannedOperationsTest#deletingThePrimaryPodHandsOverWithoutFailedWritesAndItReturnsAsSecondary", K3S),
      new Exercised("^kubectl delete dirkcluster demo$",
          "the owner references that make it delete the children checked on the mock API server, not run",
          OPERATOR_BASIC),
      new Exercised("^kubectl delete pvc -l app\\.kubernetes\\.io/instance=demo$",
          "only the label checked, on the mock API server; " + NOT_RUN, OPERATOR_BASIC),
      new Exercised("^helm uninstall dirk-operator -n dirk-system$",
          "only the release name and namespace checked here; " + NOT_RUN,
          "GettingStartedCoverageTest#theQuickStartsHelmInstallRendersTheDeploymentItWaitsFor"),
      new Exercised("^kubectl delete crd dirkclusters\\.dirkdb\\.io$", "only the CRD's name checked here; " + NOT_RUN,
          "GettingStartedCoverageTest#theCrdAnswersToTheNamesAndColumnsThePageShows"),
      new Exercised("^kubectl create secret generic dirk-admin --from-literal=password=\\.\\.\\.$",
          "the Secret's use checked on the mock API server, not run",
          "ExamplesTest#withAuthExampleUsesTheNamedSecretAndGeneratesNone"),
      // What the demo's supervisor sends (the page describes it; a reader does not type it).
      new Exercised("^dirk (promote \\d+|follow 'host' port);$", "sent by the supervisor in its unit test",
          "LocalSupervisorTest#lostPrimaryIsFencedThenBestSecondaryPromotedThenOthersRepointed"));

  @Test
  void everyCommandOnTheGettingStartedPageIsExercisedByANamedTest() throws IOException {
    GettingStartedPage page = GettingStartedPage.read();
    assertThat(page.commands()).as("commands found on the page").hasSizeGreaterThan(15)
        .contains("./dirk demo", "kubectl apply -f examples/basic.yaml");
    assertThat(page.statements()).as("statements found on the page").isNotEmpty();
    List<String> unexercised = new ArrayList<>();
    List<Exercised> used = new ArrayList<>();
    StringBuilder table = new StringBuilder("Commands on " + page.file() + " and how each is exercised:\n");
    for (String command : page.commands()) {
      String withPid = command.replaceAll("^kill -9 \\d+$", GettingStartedDemoTest.KILL);
      if (GettingStartedDemoTest.RUNS.contains(withPid)) {
        table.append(String.format("  %-60s run as written by GettingStartedDemoTest%n", abbreviated(command)));
        continue;
      }
      List<Exercised> matching = ELSEWHERE.stream().filter(e -> e.command().matcher(command).matches()).toList();
      if (matching.isEmpty()) {
        unexercised.add(command);
        table.append(String.format("  %-60s NOT EXERCISED%n", abbreviated(command)));
      }
      for (Exercised entry : matching) {
        table.append(String.format("  %-60s %s (%s)%n", abbreviated(command), entry.how(),
            String.join(", ", entry.by())));
      }
      used.addAll(matching);
    }
    System.out.print(table);
    assertThat(unexercised).as("commands on %s that no test runs: run them in GettingStartedDemoTest, or name the "
        + "test that exercises them in GettingStartedCoverageTest", page.file()).isEmpty();
    assertThat(ELSEWHERE).as("entries for commands no longer on the page").allMatch(used::contains);
    for (Exercised entry : ELSEWHERE) {
      assertThat(entry.how()).as("how %s is exercised", entry.command()).isNotBlank();
      for (String evidence : entry.by()) {
        assertThat(exists(evidence)).as("%s, named for %s", evidence, entry.command()).isTrue();
      }
    }
  }

  @Test
  void aCommandWithoutItsPromptInABlockWithoutALanguageIsStillACommand() {
    GettingStartedPage page = GettingStartedPage.parse(Path.of("page.md"), List.of("```", "./dirk demo --no-shell",
        "kubectl get dirk   # the short name", "helm list -A", "NAME   PHASE", "dirk demo ready: client port 3951",
        "```"));
    assertThat(page.commands()).containsExactly("./dirk demo --no-shell", "kubectl get dirk", "helm list -A");
  }

  @Test
  void theQuickStartsHelmInstallRendersTheDeploymentItWaitsFor() throws IOException {
    // The page's command, with a client-side dry run: no cluster needed, the same rendering.
    String manifest = KubeTools.run(Map.of("KUBECONFIG", "/nonexistent"), KubeTools.helm(), "install", "dirk-operator",
        KubeTools.chart().toString(), "--namespace", "dirk-system", "--create-namespace", "--dry-run=client");
    assertThat(manifest).contains("NAME: dirk-operator", "NAMESPACE: dirk-system");
    String manifests = manifest.substring(manifest.indexOf("MANIFEST:") + "MANIFEST:".length());
    manifests = manifests.contains("\nNOTES:") ? manifests.substring(0, manifests.indexOf("\nNOTES:")) : manifests;
    List<JsonNode> deployments = documents(manifests)
        .filter(d -> d.path("kind").asText().equals("Deployment")).toList();
    assertThat(deployments).as("the Deployment `kubectl -n dirk-system rollout status deployment/dirk-operator` awaits")
        .singleElement().satisfies(d -> {
          assertThat(d.at("/metadata/name").asText()).isEqualTo("dirk-operator");
          assertThat(d.at("/metadata/namespace").asText()).isEqualTo("dirk-system");
        });
  }

  @Test
  void theCrdAnswersToTheNamesAndColumnsThePageShows() throws IOException {
    JsonNode crd = new ObjectMapper(new YAMLFactory())
        .readTree(KubeTools.repoRoot().resolve("crds/dirkclusters.dirkdb.io-v1.yml").toFile());
    assertThat(crd.at("/metadata/name").asText()).as("`kubectl delete crd dirkclusters.dirkdb.io`")
        .isEqualTo("dirkclusters.dirkdb.io");
    assertThat(crd.at("/spec/names/plural").asText()).as("`kubectl get dirkclusters`").isEqualTo("dirkclusters");
    assertThat(crd.at("/spec/names/shortNames").toString()).as("`kubectl get dirk`").contains("\"dirk\"");
    List<String> columns = new ArrayList<>(List.of("NAME"));
    crd.at("/spec/versions/0/additionalPrinterColumns")
        .forEach(c -> columns.add(c.path("name").asText().toUpperCase(java.util.Locale.ROOT)));
    List<String> lines = Files.readAllLines(GettingStartedPage.FILE);
    String header = lines.stream().filter(l -> l.startsWith("NAME ")).findFirst().orElseThrow();
    assertThat(List.of(header.trim().split("\\s+"))).as("the page's `kubectl get dirkclusters` output")
        .isEqualTo(columns);
  }

  @Test
  void theImagesTheQuickStartLoadsAreTheOnesTheBuildMakes() throws IOException {
    String kindLoad = GettingStartedPage.read().commands().stream().filter(c -> c.startsWith("kind load "))
        .findFirst().orElseThrow();
    String version = ChartTest.appVersion();
    assertThat(kindLoad).endsWith("dirkdb/dirk:" + version + " dirkdb/dirk-operator:" + version);
    String comment = Files.readAllLines(GettingStartedPage.FILE).stream()
        .filter(l -> l.startsWith("# 1. Build both images")).findFirst().orElseThrow();
    assertThat(comment).contains("dirkdb/dirk:" + version, "dirkdb/dirk-operator:" + version);
  }

  private static String abbreviated(String command) {
    return command.length() <= 60 ? command : command.substring(0, 57) + "...";
  }

  private static Stream<JsonNode> documents(String yaml) throws IOException {
    ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
    List<JsonNode> out = new ArrayList<>();
    try (var parser = mapper.getFactory().createParser(yaml)) {
      var values = mapper.readValues(parser, JsonNode.class);
      while (values.hasNext()) {
        JsonNode node = values.next();
        if (node != null && !node.isNull() && !node.isMissingNode()) {
          out.add(node);
        }
      }
    }
    return out.stream();
  }

  /** "Class#method" (a test method in any module's tests), "Class#" (the class), or a file of the checkout. */
  private static boolean exists(String evidence) throws IOException {
    Path root = KubeTools.repoRoot();
    if (!evidence.contains("#")) {
      return Files.isRegularFile(root.resolve(evidence));
    }
    String type = evidence.substring(0, evidence.indexOf('#'));
    String method = evidence.substring(evidence.indexOf('#') + 1);
    try (Stream<Path> files = Stream.of("dirk-common", "dirk-server-image", "operator", "kubectl-plugin", "e2e")
        .map(m -> root.resolve(m).resolve("src/test/java")).filter(Files::isDirectory)
        .flatMap(GettingStartedCoverageTest::walk)) {
      return files.filter(f -> f.getFileName().toString().equals(type + ".java")).anyMatch(f -> {
        try {
          return method.isEmpty() || Files.readString(f).contains("void " + method + "(");
        } catch (IOException e) {
          return false;
        }
      });
    }
  }

  private static Stream<Path> walk(Path directory) {
    try {
      return Files.walk(directory);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
