package io.dirkdb.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a reader of docs/getting-started.md types: the commands of its {@code bash} blocks, the {@code $ } lines of
 * its other blocks and, in blocks without a language, the lines that start with {@code ./}, {@code kubectl } or
 * {@code helm }, the commands quoted inline in its prose, and the statements of its {@code dirk> } lines.
 */
record GettingStartedPage(Path file, List<String> commands, List<String> statements, List<String> demoBanner) {

  static final Path FILE = KubeTools.repoRoot().resolve("docs/getting-started.md");

  /** Inline code that a reader runs, as opposed to names of things (`dirk server`, `FailoverPolicy`, ...). */
  private static final Pattern INLINE_COMMAND = Pattern.compile(
      "^(\\./dirk( |$)|\\./mvnw|\\.ci/|kubectl |helm |kind |kill |tail |export |DIRK_PASSWORD=)");
  /** A command written without {@code $ } in a block without a language. */
  private static final Pattern BARE_COMMAND = Pattern.compile("^(\\./|kubectl |helm )");
  /** A control statement quoted inline: `dirk fence;`. */
  private static final Pattern INLINE_STATEMENT = Pattern.compile("^dirk [a-z]+[^`]*;$");
  private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");

  static GettingStartedPage read() throws IOException {
    return parse(FILE, Files.readAllLines(FILE));
  }

  static GettingStartedPage parse(Path file, List<String> lines) {
    Set<String> commands = new LinkedHashSet<>();
    List<String> statements = new ArrayList<>();
    List<String> banner = new ArrayList<>();
    String fence = null; // the open block's language ("" for none), or null outside blocks
    boolean inBanner = false;
    for (String line : lines) {
      if (line.startsWith("```")) {
        fence = fence == null ? line.substring(3).trim() : null;
        inBanner = false;
        continue;
      }
      if (fence == null) {
        Matcher span = CODE_SPAN.matcher(line);
        while (span.find()) {
          String code = span.group(1).trim();
          if (INLINE_COMMAND.matcher(code).find() || INLINE_STATEMENT.matcher(code).matches()) {
            commands.add(code);
          }
        }
      } else if (fence.equals("bash")) {
        String command = withoutComment(line);
        if (!command.isEmpty()) {
          commands.add(command);
        }
      } else if (line.startsWith("$ ")) {
        String command = withoutComment(line.substring(2));
        commands.add(command);
        inBanner = command.equals("./dirk demo");
      } else if (fence.isEmpty() && BARE_COMMAND.matcher(line).find()) {
        commands.add(withoutComment(line)); // a command without its `$ ` is still one a reader types
        inBanner = false;
      } else if (line.startsWith("dirk> ")) {
        statements.add(line.substring("dirk> ".length()).trim());
        inBanner = false;
      } else if (inBanner) {
        banner.add(line);
      }
    }
    return new GettingStartedPage(file, List.copyOf(commands), List.copyOf(statements), List.copyOf(banner));
  }

  private static String withoutComment(String line) {
    String trimmed = line.trim();
    if (trimmed.startsWith("#")) {
      return "";
    }
    int comment = trimmed.indexOf("  #");
    return (comment < 0 ? trimmed : trimmed.substring(0, comment)).trim();
  }
}
