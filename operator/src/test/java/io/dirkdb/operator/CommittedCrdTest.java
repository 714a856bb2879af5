package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The CRD committed in crds/ is the one the build generates from the Java classes. */
@QuarkusTest
class CommittedCrdTest {

  static final java.util.List<String> FILES = java.util.List.of("dirkclusters.dirkdb.io-v1.yml",
      "dirkbackups.dirkdb.io-v1.yml");

  @Test
  void committedCrdsEqualGeneratedCrds() throws Exception {
    for (String file : FILES) {
      committedCrdEqualsGeneratedCrd(file);
    }
  }

  private static void committedCrdEqualsGeneratedCrd(String FILE) throws Exception {
    Path GENERATED = Path.of("target", "kubernetes", FILE);
    Path COMMITTED = Path.of("..", "crds", FILE);
    // The Quarkus boot of this test generated the CRD from io.dirkdb.operator.api.v1alpha1.
    assertThat(GENERATED).exists();
    assertThat(COMMITTED).exists();
    assertThat(Files.readString(COMMITTED))
        .as("crds/%s differs from the CRD the build generates from the Java classes. If the API change is"
            + " intended, refresh it with: ./mvnw -pl operator package -DskipTests && cp operator/%s crds/%s",
            FILE, GENERATED, FILE)
        .isEqualTo(Files.readString(GENERATED));
  }
}
