package io.dirkdb.operator;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The podman command line, for tests that run the built images as containers. Every container gets the
 * flags this machine's runc needs (explicit ulimits), the host's network and a label naming this run, and
 * is removed by {@link #close()}; nothing is pulled (no registry here: images are built locally by
 * .ci/build-test-images.sh).
 */
final class Podman implements AutoCloseable {

  /** Without explicit ulimits runc fails here ("error setting rlimits"). */
  static final List<String> RUNTIME_FLAGS = List.of("--runtime", "runc", "--ulimit", "nproc=4096:4096",
      "--ulimit", "nofile=1024:1024", "--network", "host", "--pull", "never");
  private static final long TIMEOUT_SECONDS = 180;

  record Result(int exitCode, String stdout, String stderr) {
    String output() {
      return stdout + stderr;
    }
  }

  private final String run = "dirk-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<String> containers = new ArrayList<>();

  /**
   * Podman with every image in {@code images}, or the test aborts naming what is missing (podman, runc, an
   * image and how to build it). In CI, where .ci/run installs podman and builds the images, a missing
   * image is a failure, so the test cannot vanish silently.
   */
  static Podman require(String test, String... images) {
    if (!onPath("podman") || !onPath("runc")) {
      skip(test + ": podman or runc is not installed (apt-get install -y podman runc debootstrap), so the images"
          + " cannot be run here");
    }
    Result info = exec(List.of("podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"));
    if (info.exitCode() != 0) {
      skip(test + ": podman does not work here: " + info.output().strip());
    }
    for (String image : images) {
      if (exec(List.of("podman", "image", "exists", image)).exitCode() != 0) {
        String reason = test + ": image " + image + " is not in podman's storage; build both images with"
            + " .ci/build-test-images.sh";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
          fail(reason + " (CI=true: .ci/run builds them, so their absence is a failure)");
        }
        skip(reason);
      }
    }
    return new Podman();
  }

  private static void skip(String reason) {
    System.out.println("[SKIPPED] " + reason);
    Assumptions.abort(reason);
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/usr/bin", tool));
  }

  /** Starts a detached container named {@code name} (made unique to this run); returns that name. */
  String start(String name, List<String> flags, String image, List<String> args) {
    String container = run + "-" + name;
    List<String> command = new ArrayList<>(List.of("podman", "run", "-d", "--name", container,
        "--label", "io.dirkdb.test-run=" + run));
    command.addAll(RUNTIME_FLAGS);
    command.addAll(flags);
    command.add(image);
    command.addAll(args);
    containers.add(container);
    Result result = exec(command);
    if (result.exitCode() != 0) {
      fail("podman run of " + name + " failed (exit " + result.exitCode() + "): " + result.output().strip()
          + "\n" + String.join(" ", command));
    }
    return container;
  }

  /** Runs a container to its end (as a Job's pod runs) and returns its exit code and output. */
  Result runToCompletion(String name, List<String> flags, String image, List<String> args) {
    String container = start(name, flags, image, args);
    Result waited = exec(List.of("podman", "wait", container));
    if (waited.exitCode() != 0) {
      fail("podman wait " + container + ": " + waited.output());
    }
    Result logs = exec(List.of("podman", "logs", container));
    return new Result(Integer.parseInt(waited.stdout().strip()), logs.stdout(), logs.stderr());
  }

  /** Stops a container as the kubelet stops a pod: SIGTERM, then SIGKILL after the grace period. */
  void stop(String container, int graceSeconds) {
    exec(List.of("podman", "stop", "-t", String.valueOf(graceSeconds), container));
  }

  void remove(String container) {
    exec(List.of("podman", "rm", "-f", "-t", "2", container));
    containers.remove(container);
  }

  boolean running(String container) {
    Result state = exec(List.of("podman", "inspect", "--format", "{{.State.Running}}", container));
    return state.exitCode() == 0 && state.stdout().strip().equals("true");
  }

  String logs(String container) {
    return exec(List.of("podman", "logs", "--tail", "60", container)).output();
  }

  Result execIn(String container, String... command) {
    List<String> full = new ArrayList<>(List.of("podman", "exec", container));
    full.addAll(List.of(command));
    return exec(full);
  }

  /** The Uid, Gid and Groups lines of the container's main process, from its /proc. */
  String mainProcessIds(String container) {
    return execIn(container, "cat", "/proc/1/status").stdout().lines()
        .filter(l -> l.startsWith("Uid:") || l.startsWith("Gid:") || l.startsWith("Groups:"))
        .map(l -> l.replaceAll("\\s+", " ").strip()).reduce("", (a, b) -> a + b + "\n");
  }

  /** The last lines of every container's log, for a failure's message. */
  String diagnostics() {
    StringBuilder out = new StringBuilder();
    for (String container : containers) {
      out.append("--- ").append(container).append(running(container) ? " (running)" : " (stopped)").append('\n')
          .append(logs(container)).append('\n');
    }
    return out.toString();
  }

  @Override
  public void close() {
    if (!containers.isEmpty()) {
      List<String> command = new ArrayList<>(List.of("podman", "rm", "-f", "-t", "2"));
      command.addAll(containers);
      exec(command);
      containers.clear();
    }
  }

  static Result exec(List<String> command) {
    try {
      Path out = Files.createTempFile("podman", ".out");
      Path err = Files.createTempFile("podman", ".err");
      try {
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      if (command.get(0).equals("podman")) {
        return new Result(127, "", e.getMessage());
      }
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
