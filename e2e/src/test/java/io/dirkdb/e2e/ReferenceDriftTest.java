package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dirkdb.cli.Dirk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The references are checked against their sources, so a new flag or field cannot ship undocumented: every option of
 * every `dirk` command appears in that command's section of docs/reference-dirk.md, and every DirkCluster spec field
 * (two levels deep) in docs/reference-operator.md.
 */
class ReferenceDriftTest {

  @Test
  void everyOptionOfEveryDirkCommandIsInItsSectionOfTheReference() throws IOException {
    String reference = Files.readString(KubeTools.repoRoot().resolve("docs/reference-dirk.md"));
    List<String> missing = new ArrayList<>();
    check(Dirk.commandLine(), reference, missing);
    assertThat(missing).as("options missing from docs/reference-dirk.md").isEmpty();
  }

  private static void check(CommandLine command, String reference, List<String> missing) {
    String name = command.getCommandSpec().qualifiedName(" ");
    if (command.getParent() != null) {
      String section = section(reference, "`" + name);
      if (section == null) {
        missing.add(name + " (no section whose heading starts with `" + name + ")");
      } else {
        for (OptionSpec option : command.getCommandSpec().options()) {
          if (option.usageHelp() || option.versionHelp()) {
            continue;
          }
          // Options a group of commands shares are documented once: in the section around the command's
          // (the backup commands' repository and member flags), or, for TLS, in the TLS section.
          String around = enclosingSection(reference, "`" + name);
          String tls = option.longestName().contains("tls") ? section(reference, "TLS") : "";
          String flag = "`" + option.longestName();
          if (!section.contains(flag) && !around.contains(flag) && !tls.contains(flag)) {
            missing.add(name + " " + option.longestName());
          }
        }
      }
    }
    for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
      check(sub.getValue(), reference, missing);
    }
  }

  /**
   * The section one level above the heading that starts with {@code start}, when that is a group of a few commands
   * (level 3 or deeper: "Backups", `dirk bench`); "" when there is none or it is one of the page's top sections.
   */
  private static String enclosingSection(String page, String start) {
    String[] lines = page.split("\n", -1);
    int found = -1;
    for (int i = 0; i < lines.length && found < 0; i++) {
      if (lines[i].startsWith("#") && lines[i].indexOf(' ') > 0) {
        String heading = lines[i].substring(lines[i].indexOf(' ') + 1);
        if (heading.equals(start) || heading.startsWith(start + "`") || heading.startsWith(start + " ")) {
          found = i;
        }
      }
    }
    if (found < 0) {
      return "";
    }
    int level = lines[found].indexOf(' ');
    for (int i = found - 1; i >= 0; i--) {
      int parentLevel = lines[i].startsWith("#") ? lines[i].indexOf(' ') : -1;
      if (parentLevel > 0 && parentLevel < level) {
        if (parentLevel <= 2) {
          // A page's top sections hold many commands: an option documented under another command is not this one's.
          return "";
        }
        String parent = lines[i].substring(parentLevel + 1);
        String text = section(page, parent);
        return text == null ? "" : text;
      }
    }
    return "";
  }

  /** The text from the heading that starts with {@code start} to the next heading of the same or a higher level. */
  private static String section(String page, String start) {
    String[] lines = page.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("#")) {
        continue;
      }
      int level = lines[i].indexOf(' ');
      String heading = level < 0 ? "" : lines[i].substring(level + 1);
      if (level < 0 || !heading.equals(start) && !heading.startsWith(start + "`") && !heading.startsWith(start + " ")) {
        continue;
      }
      StringBuilder text = new StringBuilder();
      for (int j = i; j < lines.length; j++) {
        if (j > i && lines[j].startsWith("#") && lines[j].indexOf(' ') > 0 && lines[j].indexOf(' ') <= level) {
          break;
        }
        text.append(lines[j]).append('\n');
      }
      return text.toString();
    }
    return null;
  }

  @Test
  void everyDirkClusterSpecFieldIsInTheOperatorReference() throws IOException {
    String reference = Files.readString(KubeTools.repoRoot().resolve("docs/reference-operator.md"));
    List<String> missing = new ArrayList<>();
    try (var crds = Files.list(KubeTools.repoRoot().resolve("crds"))) {
      for (Path crd : crds.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(crd.toFile());
        JsonNode spec = root.path("spec").path("versions").path(0).path("schema").path("openAPIV3Schema")
            .path("properties").path("spec");
        fields(spec, "", 1, reference, root.path("spec").path("names").path("kind").asText(), missing);
      }
    }
    assertThat(missing).as("spec fields missing from docs/reference-operator.md").isEmpty();
  }

  /** Leaves at the first level, everything at the second (an object there is documented as a whole or by its parts). */
  private static void fields(JsonNode node, String prefix, int depth, String reference, String kind, List<String> missing) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String path = prefix + field.getKey();
      boolean object = field.getValue().has("properties");
      if (depth == 1 && object) {
        fields(field.getValue(), path + ".", 2, reference, kind, missing);
      } else if (!reference.contains("`" + path)) {
        missing.add(kind + " spec." + path);
      }
    }
  }
}
