package io.dirkdb.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Users match condition types and reasons, Event reasons and lastFailover.reason by their words: the reference names
 * exactly the ones the code can write. Those are the constants of {@link Reason} and {@link ConditionType}, which every
 * condition and Event takes, so a word missing here is one a call site cannot write.
 */
class ReasonsDocumentedTest {

  private static final Path REFERENCE = Path.of("..", "docs", "reference-operator.md");
  private static final Pattern CODE = Pattern.compile("`([A-Za-z]+)`");

  @Test
  void theReferenceTablesOfReasonsNameExactlyTheReasonsTheOperatorWrites() throws IOException {
    Set<String> documented = new TreeSet<>();
    boolean inReasonTable = false;
    for (String line : Files.readAllLines(REFERENCE)) {
      if (!line.startsWith("|")) {
        inReasonTable = false;
        continue;
      }
      String first = line.split("\\|")[1].trim();
      if (first.equals("Reason")) {
        inReasonTable = true;
      } else if (inReasonTable) {
        documented.addAll(codes(first));
      }
    }
    Set<String> written = Arrays.stream(Reason.values()).map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
    assertThat(documented).as("reasons in the tables of docs/reference-operator.md whose first column is Reason")
        .isEqualTo(written);
  }

  @Test
  void theStatusTableNamesExactlyTheConditionTypes() throws IOException {
    String row = Files.readAllLines(REFERENCE).stream().filter(l -> l.startsWith("| `conditions[]`")).findFirst()
        .orElseThrow();
    String types = row.split("\\|")[2];
    types = types.substring(0, types.indexOf(" with `status`"));
    Set<String> documented = new TreeSet<>(codes(types));
    Set<String> written = Arrays.stream(ConditionType.values()).map(Enum::name)
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(documented).as("condition types in the conditions[] row of docs/reference-operator.md").isEqualTo(written);
  }

  private static List<String> codes(String cell) {
    Matcher m = CODE.matcher(cell);
    List<String> out = new java.util.ArrayList<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
