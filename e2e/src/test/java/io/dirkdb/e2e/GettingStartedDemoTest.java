package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo half of docs/getting-started.md, played as a reader plays it: each command below is the page's text,
 * run by bash in a directory where {@code ./dirk} is this checkout's entry point, on the documented ports. The
 * statements are the page's {@code dirk> } lines. {@link GettingStartedCoverageTest} checks that every command on the
 * page is one of these or is named with the test that exercises it.
 */
class GettingStartedDemoTest {
  static final String DEMO = "./dirk demo";
  static final String DEMO_NO_SHELL = "./dirk demo --no-shell";
  static final String CLIENT_CACHE = "./dirk client 127.0.0.1 3951";
  static final String CLIENT_PROXY = "./dirk client";
  static final String CLIENT_PROXY_PORT = "./dirk client 127.0.0.1 3949";
  static final String CLIENT_M1 = "DIRK_PASSWORD=$(cat dirk-demo-data/credentials/application) ./dirk client 127.0.0.1 3948";
  static final String CLIENT_M1_ADMIN =
      "DIRK_PASSWORD=$(cat dirk-demo-data/credentials/administration) ./dirk client 127.0.0.1 3948";
  static final String TAIL = "tail -f dirk-demo-data/dirk-demo.log";
  static final String KILL = "kill -9 7774";
  static final String FENCE = "dirk fence;";
  static final String HEARTBEAT = "dirk heartbeat;";

  /** Every command this test runs, as the page writes it. */
  static final List<String> RUNS = List.of(DEMO, DEMO_NO_SHELL, CLIENT_CACHE, CLIENT_PROXY, CLIENT_PROXY_PORT, CLIENT_M1,
      CLIENT_M1_ADMIN, TAIL, KILL, FENCE, HEARTBEAT);

  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static final Pattern MEMBER_LINE = Pattern.compile("^\\s+(m1|m2|proxy|cache)\\s.*\\spid (\\d+)\\s");
  private static final Pattern TABLE_ROW = Pattern.compile(
      "^\\| (m1|m2)\\s+\\| (\\w+)\\s+\\|\\s+(\\d+) \\|\\s+(\\d+) \\| (\\w+)\\s+\\|$");

  @TempDir
  Path work;

  @Test
  void theDemoSectionWorksAsWrittenFromTheFirstCommandToACrashAndARestart() throws Exception {
    requireFreshDataPlaneJar();
    GettingStartedPage page = GettingStartedPage.read();
    for (int port : new int[] {3948, 3949, 3950, 3951, 8080, 8081, 8082, 8083}) {
      assertFree(port);
    }
    // `./dirk` here is this checkout's entry point, as it is for a reader at the top of the checkout.
    Path dirk = work.resolve("dirk");
    Files.writeString(dirk, "#!/usr/bin/env bash\nexec '" + KubeTools.repoRoot().resolve("dirk") + "' \"$@\"\n");
    dirk.toFile().setExecutable(true);

    List<String> tail;
    try (Running demo = Running.start(work, DEMO)) {
      try {
        await("the shell's prompt").atMost(Duration.ofMinutes(4))
            .until(() -> demo.output.stream().anyMatch(l -> l.startsWith("Connected to 127.0.0.1:3951.")));
      } catch (ConditionTimeoutException e) {
        fail("./dirk demo opened no shell within 4 minutes; its output:\n" + joined(demo.output) + "\nits errors:\n"
            + Files.readString(demo.errors));
      }
      assertThat(normalized(banner(demo.output))).as("the demo's first lines, as the page shows them")
          .isEqualTo(normalized(page.demoBanner()));
      Map<String, Long> pids = pids(demo.output);

      try (Running log = Running.start(work, TAIL)) {
        tail = log.output;
        // The page's statements, typed into the demo's shell (on the cache).
        for (String statement : page.statements()) {
          demo.type(statement);
        }
        await("the rows the page inserts").atMost(PATIENCE).until(() -> joined(demo.output).contains("rice"));
        assertThat(demo.output).as("the shell's replies").noneMatch(l -> l.contains("Hadisoana"));

        // The other clients the page names: through the cache, the proxy, and m1 directly with a member password.
        for (String client : List.of(CLIENT_CACHE, CLIENT_PROXY, CLIENT_PROXY_PORT, CLIENT_M1)) {
          assertThat(run(client, "ampiasao shop;\nalaivo * #ao@ orders;\n")).as(client).contains("tea", "rice");
        }

        // A planned hand-over: m1 fenced by hand; m2 takes over at epoch 2 and m1 follows it.
        assertThat(run(CLIENT_M1_ADMIN, FENCE + "\n")).as(FENCE).doesNotContain("Hadisoana");
        awaitRoles(demo, "m2", 2);
        await("the supervisor's log").atMost(PATIENCE)
            .until(() -> matches(tail, "promoted m2\\b.* to primary at epoch 2"));
        write("(3, 'salt')");

        // A crash: kill -9 of the primary's pid (m2's now), while the shell keeps going.
        long primaryPid = pids.get("m2");
        assertThat(run(KILL.replace("7774", Long.toString(primaryPid)), "")).isEmpty();
        await("the crash in the log").atMost(PATIENCE)
            .until(() -> joined(tail).contains("m2 (pid " + primaryPid + ") exited with code 137; starting it again"));
        await("the failover in the log").atMost(PATIENCE)
            .until(() -> matches(tail, "promoted m1\\b.* to primary at epoch 3"));
        write("(4, 'pepper')");
        awaitRoles(demo, "m1", 3);
        assertThat(ProcessHandle.of(primaryPid)).as("the killed process").isEmpty();
      }
      assertThat(run(CLIENT_CACHE, "ampiasao shop;\nalaivo * #ao@ orders;\n")).contains("tea", "rice", "salt", "pepper");

      demo.type("miala");
      assertThat(demo.awaitExit()).as("exit code after miala; demo output: " + demo.output).isZero();
      // Every piece of the banner, and m2 as started again after the kill -9 (its pid is in the supervisor's log).
      Map<String, Long> running = new java.util.HashMap<>(pids);
      running.put("m2 started again", restartedPid(work.resolve("dirk-demo-data/dirk-demo.log"), "m2"));
      awaitStopped(running);
    }

    // For scripts: no shell, a ready line, and the data of the first run still there.
    try (Running demo = Running.start(work, DEMO_NO_SHELL)) {
      await("the ready line").atMost(PATIENCE)
          .until(() -> demo.output.contains("dirk demo ready: client port 3951"));
      assertThat(run(CLIENT_CACHE, "ampiasao shop;\nalaivo * #ao@ orders;\n")).contains("tea", "rice", "salt", "pepper");
      Map<String, Long> pids = pids(demo.output); // the same banner, before the ready line
      demo.process.destroy(); // SIGTERM
      assertThat(demo.awaitExit()).as("exit code after SIGTERM").isZero();
      awaitStopped(pids);
    }
  }

  /** Each of {@code pids} (named for the message) ends: the demo stops every piece it started. */
  private static void awaitStopped(Map<String, Long> pids) {
    for (Map.Entry<String, Long> piece : pids.entrySet()) {
      long pid = piece.getValue();
      await(piece.getKey() + " (pid " + pid + ") stopped with the demo").atMost(PATIENCE)
          .until(() -> ProcessHandle.of(pid).isEmpty());
    }
  }

  /** The pid of {@code label}'s last start again, from DemoCluster's line "{label} started again as pid {pid}". */
  private static long restartedPid(Path log, String label) throws IOException {
    Pattern again = Pattern.compile("\\b" + Pattern.quote(label) + " started again as pid (\\d+)");
    Long pid = null;
    for (String line : Files.readAllLines(log)) {
      Matcher matcher = again.matcher(line);
      if (matcher.find()) {
        pid = Long.parseLong(matcher.group(1));
      }
    }
    if (pid == null) {
      fail("no \"" + label + " started again as pid N\" in " + log + ":\n" + Files.readString(log));
    }
    return pid;
  }

  /**
   * {@code ./dirk} builds the data plane when a source (its own or dirk-common's) is newer than
   * dirk-server-image/target/dirk.jar: in a test that would be a Maven build inside this one. The jar must be there
   * and current; then the script only runs it.
   */
  private static void requireFreshDataPlaneJar() throws IOException {
    Path module = KubeTools.repoRoot().resolve("dirk-server-image");
    Path jar = module.resolve("target/dirk.jar");
    String reason = null;
    if (!Files.isRegularFile(jar)) {
      reason = jar + " is missing";
    } else {
      java.nio.file.attribute.FileTime built = Files.getLastModifiedTime(jar);
      // What the dirk script compares: the data plane's and dirk-common's (its lib/dirk-common jar) pom and sources.
      Path common = KubeTools.repoRoot().resolve("dirk-common");
      List<Path> sources = new ArrayList<>(List.of(module.resolve("pom.xml"), common.resolve("pom.xml")));
      for (Path main : List.of(module.resolve("src/main"), common.resolve("src/main"))) {
        try (java.util.stream.Stream<Path> files = Files.walk(main)) {
          files.filter(Files::isRegularFile).forEach(sources::add);
        }
      }
      for (Path source : sources) {
        if (Files.getLastModifiedTime(source).compareTo(built) > 0) {
          reason = source + " is newer than " + jar;
          break;
        }
      }
    }
    if (reason == null) {
      return;
    }
    reason += ": ./dirk would build the data plane inside this test; build it first with "
        + "`./mvnw -pl dirk-server-image -am package -DskipTests`";
    if (KubeTools.inCi()) {
      fail(reason + " (CI=true, so the demo test may not be skipped)");
    }
    org.junit.jupiter.api.Assumptions.abort(reason);
  }

  /** A write through the cache, tried again while the proxy waits for a new primary or says it is gone. */
  private void write(String values) {
    await("a write of " + values + " through the cache").atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
        .until(() -> {
          Result result = runAllowingFailure(CLIENT_CACHE, "ampiasao shop;\nmanampia ao@ orders (id, item) sanda "
              + values + ";\n");
          return result.exitCode == 0 && !result.output.contains("Hadisoana");
        });
  }

  /** `dirk heartbeat;` in the shell until its table shows {@code primary} as primary at {@code epoch}, the other serving. */
  private static void awaitRoles(Running demo, String primary, long epoch) {
    await(primary + " primary at epoch " + epoch + " in `dirk heartbeat;`").atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(500)).until(() -> {
          int from = demo.output.size();
          demo.type(HEARTBEAT);
          try {
            await().atMost(Duration.ofSeconds(10)).until(() -> demo.output.size() > from
                && demo.output.subList(from, demo.output.size()).stream().anyMatch(l -> l.startsWith("(2 rows)")));
          } catch (ConditionTimeoutException slow) {
            return false; // a slow reply (a loaded machine, a failover under way): ask again
          }
          boolean primaryRow = false;
          boolean otherServing = false;
          for (String line : demo.output.subList(from, demo.output.size())) {
            Matcher row = TABLE_ROW.matcher(line.replaceFirst("^dirk(:\\w+)?> ", ""));
            if (row.matches()) {
              if (row.group(1).equals(primary)) {
                primaryRow = row.group(2).equals("primary") && Long.parseLong(row.group(3)) == epoch;
              } else {
                otherServing = row.group(2).equals("secondary") && row.group(5).equals("serving");
              }
            }
          }
          return primaryRow && otherServing;
        });
  }

  private static List<String> banner(List<String> output) {
    List<String> banner = new ArrayList<>();
    for (String line : output) {
      if (line.startsWith("dirk demo: data in")) {
        banner.clear();
      }
      banner.add(line);
      if (line.startsWith("Connected to ")) {
        break;
      }
    }
    return banner;
  }

  /** Pids, paths and column widths differ from run to run; the words may not. */
  private List<String> normalized(List<String> lines) {
    return lines.stream()
        .map(l -> l.replace(work.resolve("dirk-demo-data").toString(), "DATA").replace("/home/me/dirk-demo-data", "DATA")
            .replaceAll("pid \\d+", "pid N").replaceAll("\\s+", " ").trim())
        .toList();
  }

  private static Map<String, Long> pids(List<String> output) {
    Map<String, Long> pids = new java.util.HashMap<>();
    for (String line : output) {
      Matcher member = MEMBER_LINE.matcher(line + " ");
      if (member.find()) {
        pids.put(member.group(1), Long.parseLong(member.group(2)));
      }
    }
    assertThat(pids).as("pids in the banner").containsOnlyKeys("m1", "m2", "proxy", "cache");
    return pids;
  }

  private static boolean matches(List<String> lines, String regex) {
    Pattern pattern = Pattern.compile(regex);
    return lines.stream().anyMatch(l -> pattern.matcher(l).find());
  }

  private static String joined(List<String> lines) {
    return String.join("\n", lines);
  }

  private static void assertFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    } catch (IOException e) {
      fail("port " + port + " on 127.0.0.1 is in use (" + e.getMessage() + "): the getting-started page's demo "
          + "listens on 3948-3951 and 8080-8083; stop what holds it");
    }
  }

  private record Result(int exitCode, String output) {}

  /** A command of the page, run to its end with {@code input} as its standard input; it must exit 0. */
  private String run(String command, String input) {
    Result result = runAllowingFailure(command, input);
    assertThat(result.exitCode).as(command + " exit code; output:\n" + result.output).isZero();
    return result.output;
  }

  private Result runAllowingFailure(String command, String input) {
    try {
      // The output goes to a file, read after the end or the timeout: a client that hangs cannot block the test.
      Path output = Files.createTempFile(work, "run-", ".log");
      Process process = bash(work, command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      try (OutputStream in = process.getOutputStream()) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      } catch (IOException gone) {
        // it ended without reading its input; its exit code and output tell
      }
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        destroyTree(process);
        fail(command + " did not end within 60 s; output so far:\n" + Files.readString(output));
      }
      return new Result(process.exitValue(), Files.readString(output));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Kills {@code process} and everything under it (bash -c's java, say): the children are listed before it dies. */
  private static void destroyTree(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  private static ProcessBuilder bash(Path directory, String command) {
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", command).directory(directory.toFile());
    builder.environment().remove("DIRK_PASSWORD"); // a reader's shell has none set for the demo
    return builder;
  }

  /** A long-running command of the page (the demo, tail -f), its output collected line by line. */
  private static final class Running implements AutoCloseable {
    final Process process;
    final List<String> output = new CopyOnWriteArrayList<>();
    final Path errors;
    private final OutputStream input;

    private Running(Process process, Path errors) {
      this.process = process;
      this.errors = errors;
      this.input = process.getOutputStream();
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) {
            output.add(line);
          }
        } catch (IOException e) {
          // the process is gone
        }
      }, "getting-started-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** Its standard error goes to a file beside: a terminal library's notices there are not the page's output. */
    static Running start(Path directory, String command) throws IOException {
      Path errors = Files.createTempFile(directory, "stderr-", ".log");
      return new Running(bash(directory, "exec " + command).redirectError(errors.toFile()).start(), errors);
    }

    void type(String line) {
      try {
        input.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        input.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("the shell is gone; its output:\n" + String.join("\n", output), e);
      }
    }

    int awaitExit() throws InterruptedException {
      if (!process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
        fail("did not exit within " + PATIENCE.toSeconds() + " s; output:\n" + String.join("\n", output));
      }
      return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }
}
