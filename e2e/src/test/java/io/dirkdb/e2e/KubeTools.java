package io.dirkdb.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The helm and kubectl binaries that .ci/install-kube-tools.sh puts in .tools/bin, and the checkout
 * they run against. Without them a developer's build skips the chart tests with the command to run;
 * in CI (CI=true) a missing binary is a failure, so the checks can never vanish silently.
 */
final class KubeTools {

  /** Long enough for helm install --wait on a fresh K3s; a hung tool fails the test after it. */
  private static final long TIMEOUT_SECONDS = 360;

  private KubeTools() {}

  static Path repoRoot() {
    String root = System.getProperty("dirk.repoRoot");
    Path path = root == null ? Path.of("..").toAbsolutePath().normalize() : Path.of(root);
    if (!Files.isDirectory(path.resolve("helm/dirk-operator"))) {
      fail("dirk.repoRoot=" + path + " is not the DirkDB checkout (no helm/dirk-operator)");
    }
    return path;
  }

  static Path chart() {
    return repoRoot().resolve("helm/dirk-operator");
  }

  static Path helm() {
    return binary("helm");
  }

  static Path kubectl() {
    return binary("kubectl");
  }

  static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  private static Path binary(String name) {
    String dir = System.getProperty("dirk.kubeTools");
    Path path = (dir == null ? repoRoot().resolve(".tools/bin") : Path.of(dir)).resolve(name);
    if (!Files.isExecutable(path)) {
      String reason = name + " not found at " + path + ": run .ci/install-kube-tools.sh";
      if (inCi()) {
        fail(reason + " (CI=true, so the chart checks may not be skipped)");
      }
      skipNotice(reason);
      Assumptions.abort(reason);
    }
    return path;
  }

  private static final Set<String> NOTICES_PRINTED = new HashSet<>();

  /** Surefire counts skipped tests without their reason: say it once in the build output. */
  static synchronized void skipNotice(String reason) {
    if (NOTICES_PRINTED.add(reason)) {
      System.out.println("[SKIPPED] " + reason);
    }
  }

  /** Runs a tool and returns its standard output; a non-zero exit fails the test with its messages. */
  static String run(Map<String, String> env, Path tool, String... args) {
    ProcessResult result = runAllowingFailure(env, tool, args);
    if (result.exitCode() != 0) {
      fail(tool.getFileName() + " " + String.join(" ", args) + " exited " + result.exitCode() + ":\n"
          + result.stderr() + result.stdout());
    }
    return result.stdout();
  }

  static String run(Path tool, String... args) {
    return run(Map.of(), tool, args);
  }

  record ProcessResult(int exitCode, String stdout, String stderr) {}

  static ProcessResult runAllowingFailure(Map<String, String> env, Path tool, String... args) {
    List<String> command = new ArrayList<>();
    command.add(tool.toString());
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("kube-tool", ".out");
      Path err = Files.createTempFile("kube-tool", ".err");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot().toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        // helm keeps caches and plugins under HOME; keep them out of the user's.
        builder.environment().put("HELM_CACHE_HOME", System.getProperty("java.io.tmpdir") + "/dirk-helm-cache");
        builder.environment().put("HELM_CONFIG_HOME", System.getProperty("java.io.tmpdir") + "/dirk-helm-config");
        builder.environment().put("HELM_DATA_HOME", System.getProperty("java.io.tmpdir") + "/dirk-helm-data");
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        return new ProcessResult(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
