package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The CRD committed in crds/ is the one the build generates from the Java classes. */
@QuarkusTest
class CommittedCrdTest {

  static final String FILE = "dirkclusters.dirkdb.io-v1.yml";
  static final Path GENERATED = Path.of("target", "kubernetes", FILE);
  static final Path COMMITTED = Path.of("..", "crds", FILE);

  @Test
  void committedCrdEqualsGeneratedCrd() throws Exception {
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
