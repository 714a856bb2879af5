package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The manifests in examples/ are what users apply first: each must be a DirkCluster the API server
 * accepts as written, explain itself in its header, and be listed in the Kubernetes guide.
 * (The operator's ExamplesTest applies them and checks the children it makes.)
 */
class ExamplesTest {

  private static final List<String> EXAMPLES = List.of("basic.yaml", "ha-sync.yaml", "no-cache.yaml", "with-auth.yaml",
      "backup-s3.yaml", "recovery.yaml");

  private final CrdSchema schema = CrdSchema.load(KubeTools.repoRoot().resolve("crds/dirkclusters.dirkdb.io-v1.yml"));
  private final CrdSchema backupSchema = CrdSchema.load(KubeTools.repoRoot().resolve("crds/dirkbackups.dirkdb.io-v1.yml"));

  @Test
  void examplesAreTheDocumentedSet() throws IOException {
    try (Stream<Path> files = Files.list(KubeTools.repoRoot().resolve("examples"))) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrderElementsOf(EXAMPLES);
    }
  }

  @Test
  void everyExampleIsADirkClusterTheApiServerAccepts() {
    for (String example : EXAMPLES) {
      JsonNode resource = Manifests.read(example(example));
      assertThat(resource.path("kind").asText()).as("the first document of %s", example).isEqualTo("DirkCluster");
      assertThat(schema.validate(resource)).as(example).isEmpty();
    }
  }

  @Test
  void everyDocumentOfEveryExampleIsOneTheApiServerAccepts() throws IOException {
    for (String example : EXAMPLES) {
      for (JsonNode document : Manifests.parse(Files.readString(example(example))).all()) {
        String kind = document.path("kind").asText();
        assertThat(kind).as("a kind of %s", example).isIn("DirkCluster", "DirkBackup");
        CrdSchema of = kind.equals("DirkBackup") ? backupSchema : schema;
        assertThat(of.validate(document)).as(example + " " + kind).isEmpty();
      }
    }
  }

  @Test
  void backupSchemaRefusesADirkBackupWithoutItsCluster() {
    var backup = (ObjectNode) Manifests.parse("apiVersion: dirkdb.io/v1alpha1\nkind: DirkBackup\nmetadata:\n  name: b\n"
        + "spec:\n  clustr: demo\n").all().get(0);
    assertThat(backupSchema.validate(backup)).anySatisfy(p -> assertThat(p).contains("cluster"))
        .anySatisfy(p -> assertThat(p).startsWith("spec.clustr: unknown field"));
  }

  @Test
  void schemaCheckRefusesWhatTheApiServerWould() {
    ObjectNode broken = (ObjectNode) Manifests.read(example("basic.yaml"));
    ObjectNode spec = (ObjectNode) broken.get("spec");
    spec.put("secondaries", "two");
    spec.putObject("replicaton").put("mode", "sync");
    spec.putObject("replication").put("mode", "eventually");
    assertThat(schema.validate(broken)).anySatisfy(p -> assertThat(p).startsWith("spec.secondaries: expected an integer"))
        .anySatisfy(p -> assertThat(p).startsWith("spec.replicaton: unknown field"))
        .anySatisfy(p -> assertThat(p).startsWith("spec.replication.mode: \"eventually\" is not one of"));

    broken.put("apiVersion", "dirkdb.io/v9");
    assertThat(schema.validate(broken)).singleElement().asString().startsWith("apiVersion: dirkdb.io/v9");
  }

  @Test
  void everyExampleExplainsItselfAndIsInTheGettingStartedGuide() throws IOException {
    String guide = Files.readString(KubeTools.repoRoot().resolve("docs/getting-started.md"));
    for (String example : EXAMPLES) {
      List<String> lines = Files.readAllLines(example(example));
      assertThat(lines.get(0)).as("first line of %s names it and says what it is", example).startsWith("# " + example + ": ");
      assertThat(guide).as("docs/getting-started.md lists %s", example).contains("examples/" + example);
    }
  }

  private static Path example(String name) {
    return KubeTools.repoRoot().resolve("examples").resolve(name);
  }
}
