package io.dirkdb.operator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A member pod's container: {@code dirk server} in a JVM of its own on the pod's loopback address, so a
 * test can SIGKILL it as a node crash would, with no clean stop and nothing flushed on the way out.
 */
final class MemberProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+) ");
  private static final Pattern HTTP = Pattern.compile("HTTP on port (\\d+)");
  /** Members still running; a hook kills them if the test JVM exits without closing them (a timeout, Ctrl-C). */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
        "member-processes-kill"));
  }

  private final Process process;
  private final int port;
  private final int httpPort;
  private final Path log;

  private MemberProcess(Process process, int[] ports, Path log) {
    this.process = process;
    this.port = ports[0];
    this.httpPort = ports[1];
    this.log = log;
  }

  /**
   * Starts member {@code pod} on {@code host:port} with the data in {@code directory}, and {@code passwordFiles}:
   * application, replication, administration, then optionally a rotation's previous ones. Its config.json lists
   * {@code otherMembers} (stable name to port), as the operator's lists every member at port 3948; a secondary
   * whose data directory holds no role yet follows {@code primaryHost} (one of them), the config's MASTER;
   * {@code primaryHost} null starts it on its own.
   */
  static MemberProcess start(String pod, boolean primary, String host, int port, Path directory, List<Path> passwordFiles,
      Map<String, Integer> otherMembers, String replicationMode, String primaryHost, List<String> podFlags) {
    if (primaryHost != null && !otherMembers.containsKey(primaryHost)) {
      throw new IllegalArgumentException("the primary to follow, " + primaryHost + ", is not a member: " + otherMembers);
    }
    try {
      Path config = directory.resolveSibling(pod + "-config.json");
      StringBuilder instances = new StringBuilder("""
          {"id": "%s", "role": "%s", "host": "%s", "port": %d}""".formatted(pod, primary ? "MASTER" : "REPLICA", host,
          port));
      // Every member under its pod name and stable name, as the operator's config.json lists them (a primary takes
      // a stream as its member's only when the name it announces is listed; dirk follow and dirk resync name only
      // listed members, at their listed port).
      for (Map.Entry<String, Integer> other : new java.util.TreeMap<>(otherMembers).entrySet()) {
        instances.append(",\n").append("""
            {"id": "%s", "role": "%s", "host": "%s", "port": %d}""".formatted(podOf(other.getKey()),
            other.getKey().equals(primaryHost) ? "MASTER" : "REPLICA", other.getKey(), other.getValue()));
      }
      Files.writeString(config, """
          {"configVersion": 1, "instances": [%s], "replication": {"mode": "%s"}}
          """.formatted(instances, replicationMode));
      return launch(pod, host, port, directory, passwordFiles, config, podFlags);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The pod a stable name ({@code <pod>.<cluster>-members.<ns>.svc}) belongs to. */
  private static String podOf(String stableName) {
    int dot = stableName.indexOf('.');
    return dot < 0 ? stableName : stableName.substring(0, dot);
  }

  /**
   * Starts member {@code pod} as its container would: {@code dirk server --config} on the config.json its pod
   * mounts (role, primary to follow, peers and replication mode come from there), on {@code host:port}.
   */
  static MemberProcess startFromConfig(String pod, String host, int port, Path directory, List<Path> passwordFiles,
      Path config, List<String> podFlags) {
    return launch(pod, host, port, directory, passwordFiles, config, podFlags);
  }

  /**
   * The flags of a member container's {@code dirk server} command that say how the member behaves rather than
   * where it runs (its lease, its heap share): a process member takes them from its pod, as the container does.
   */
  static List<String> behaviourFlags(List<String> containerArgs) {
    List<String> flags = new ArrayList<>();
    for (int i = 0; containerArgs != null && i + 1 < containerArgs.size(); i++) {
      if (List.of("--primary-lease-ms", "--max-heap-share").contains(containerArgs.get(i))) {
        flags.addAll(List.of(containerArgs.get(i), containerArgs.get(i + 1)));
      }
    }
    return flags;
  }

  private static MemberProcess launch(String pod, String host, int port, Path directory, List<Path> passwordFiles,
      Path config, List<String> podFlags) {
    try {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
      command.addAll(TestHosts.jvmOptions()); // the members' stable names resolve as in the test JVM
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk",
          "server", "--config", config.toString(), "--id", pod, "--host", host, "--port", Integer.toString(port),
          "--data-dir", directory.toString(), "--password-file", passwordFiles.get(0).toString(),
          "--replication-password-file", passwordFiles.get(1).toString(),
          "--admin-password-file", passwordFiles.get(2).toString(),
          "--sync-timeout-ms", "3000", "--shutdown-grace-seconds", "1", "--http-port", "0"));
      command.addAll(podFlags);
      // A rotation's previous passwords, when the pod's Secret has them (index 3 to 5; null: absent).
      List<String> previousFlags = List.of("--previous-password-file", "--previous-replication-password-file",
          "--previous-admin-password-file");
      for (int i = 3; i < passwordFiles.size(); i++) {
        if (passwordFiles.get(i) != null) {
          command.addAll(List.of(previousFlags.get(i - 3), passwordFiles.get(i).toString()));
        }
      }
      Path log = directory.resolveSibling(pod + "-" + System.nanoTime() + ".log");
      Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
      RUNNING.add(process);
      try {
        return new MemberProcess(process, awaitListening(process, log), log);
      } catch (RuntimeException | Error e) {
        process.destroyForcibly();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The SQL and HTTP ports from the "listening on" line; the rest of its output is drained so the process
   * never blocks.
   */
  private static int[] awaitListening(Process process, Path log) {
    CompletableFuture<int[]> listening = CompletableFuture.supplyAsync(() -> {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      try {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            Thread drain = new Thread(() -> {
              try {
                out.transferTo(java.io.Writer.nullWriter());
              } catch (IOException e) {
                // the process is gone
              }
            }, "member-output");
            drain.setDaemon(true);
            drain.start();
            Matcher http = HTTP.matcher(line);
            return new int[] {Integer.parseInt(m.group(1)), http.find() ? Integer.parseInt(http.group(1)) : -1};
          }
        }
      } catch (IOException e) {
        // the process is gone: reported below
      }
      return new int[] {-1, -1};
    });
    int[] port;
    try {
      port = listening.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the member did not start within 60 s; its log: " + readLog(log), e);
    }
    if (port[0] < 0) {
      throw new IllegalStateException("the member exited before listening; its log: " + readLog(log));
    }
    return port;
  }

  private static String readLog(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  int port() {
    return port;
  }

  /** The port of its /health/live, /health/ready and /metrics. */
  int httpPort() {
    return httpPort;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL: the JVM dies at once, connections drop without a goodbye, as when a node fails. */
  void kill() {
    try {
      process.destroyForcibly().waitFor();
      RUNNING.remove(process);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * SIGTERM, as the kubelet stops a container: the member shuts down cleanly; after {@code grace} it
   * gets SIGKILL. True when it exited within the grace period.
   */
  boolean terminate(java.time.Duration grace) {
    process.destroy();
    try {
      if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        RUNNING.remove(process);
        return true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    kill();
    return false;
  }

  String log() {
    return readLog(log);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
