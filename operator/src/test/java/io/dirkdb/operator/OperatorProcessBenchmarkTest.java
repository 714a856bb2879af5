package io.dirkdb.operator;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The operator's own footprint: the packaged operator runs as its own process against a mock API
 * server in this JVM, reconciles 100 DirkClusters, and its resident memory is read from /proc; then
 * single clusters are created one at a time and the time until every child of each exists (seen by watches)
 * is timed. Needs the operator packaged with the test profile's build settings (no server-side apply):
 * ./mvnw -o -pl operator -am package -DskipTests -Dquarkus.profile=test -Dquarkus.package.output-directory=bench-app
 * then ./mvnw -o -pl operator -am test -Pbench -Dtest=OperatorProcessBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false.
 *
 * <p>By default the operator runs as the chart's Deployment runs it: JAVA_TOOL_OPTIONS from
 * {@code javaOptions} and MALLOC_ARENA_MAX from {@code mallocArenaMax} of the chart's values.yaml.
 * {@code -Dbench.operator.settings="chart|-XX:+UseSerialGC -Xmx128m"} runs several settings side by
 * side, separated by |: the word {@code chart}, or JVM options mixed with NAME=value environment
 * variables. With -XX:NativeMemoryTracking=summary among the options the JVM's own accounting
 * (jcmd VM.native_memory summary) after the 100 clusters is printed too.
 */
@Tag("bench")
class OperatorProcessBenchmarkTest {

  static final Path APP = Path.of("target", "bench-app", "quarkus-run.jar");
  static final Path CHART_VALUES = Path.of("..", "helm", "dirk-operator", "values.yaml");
  static final int CLUSTERS = 100;
  static final int LATENCY_WARMUP = 5;
  static final int LATENCY_RUNS = 30;

  @Test
  void operatorProcessFootprintAfterHundredClusters() throws Exception {
    if (!Files.exists(APP)) {
      throw new IllegalStateException("package the operator first: ./mvnw -pl operator package -DskipTests"
          + " -Dquarkus.profile=test -Dquarkus.package.output-directory=bench-app");
    }
    String[] settings = System.getProperty("bench.operator.settings", "chart").split("\\|");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < settings.length; i++) {
      lines.add(run(settings[i].trim(), i));
    }
    System.out.println("BENCH operator process footprint (" + CLUSTERS + " clusters; latency: median of "
        + LATENCY_RUNS + " single clusters after " + LATENCY_WARMUP + " warm-up; targets 150 MiB, 100 ms):");
    lines.forEach(l -> System.out.println("BENCH   " + l));
  }

  private String run(String setting, int index) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    List<String> jvm = new ArrayList<>();
    if (setting.equals("chart")) {
      JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(CHART_VALUES.toFile());
      String javaOptions = values.path("javaOptions").asText("");
      if (!javaOptions.isBlank()) {
        env.put("JAVA_TOOL_OPTIONS", javaOptions); // as the chart's Deployment passes them
      }
      if (!values.path("mallocArenaMax").isMissingNode() && !values.path("mallocArenaMax").isNull()) {
        env.put("MALLOC_ARENA_MAX", values.path("mallocArenaMax").asText());
      }
    } else {
      for (String token : setting.split("\\s+")) {
        if (token.matches("[A-Z_][A-Z0-9_]*=.*")) {
          env.put(token.substring(0, token.indexOf('=')), token.substring(token.indexOf('=') + 1));
        } else if (!token.isBlank()) {
          jvm.add(token);
        }
      }
    }
    String described = setting.equals("chart") ? "chart " + env : String.join(" ", jvm) + (env.isEmpty() ? "" : " " + env);

    KubernetesServer server = new KubernetesServer(false, true, InetAddress.getLoopbackAddress(), 0, List.of());
    server.before();
    Process operator = null;
    try {
      new OperatorTestServerSetup().accept(server);
      KubernetesClient client = server.getClient();
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvm);
      command.addAll(List.of(
          "-Dquarkus.profile=test",
          "-Dquarkus.kubernetes-client.api-server-url=" + client.getConfiguration().getMasterUrl(),
          "-Dquarkus.kubernetes-client.trust-certs=true",
          "-Dquarkus.http.port=0",
          "-jar", APP.toString()));
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(Path.of("target", "bench-operator-" + index + ".log").toFile());
      builder.environment().remove("JAVA_TOOL_OPTIONS");
      builder.environment().remove("MALLOC_ARENA_MAX");
      builder.environment().putAll(env);
      operator = builder.start();
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100)).until(() ->
          client.leases().inNamespace("dirk-operator").withName("dirk-operator-lease").get() != null);
      long idle = residentMiB(operator.pid());
      String nmt = String.join(" ", jvm) + " " + env.getOrDefault("JAVA_TOOL_OPTIONS", "");
      if (nmt.contains("NativeMemoryTracking")) {
        // What the operator holds before any cluster, to set against the same after the 100 (a full GC each).
        jcmd(operator.pid(), Path.of("target", "bench-operator-" + index + "-idle-histogram.txt"), "GC.class_histogram");
        jcmd(operator.pid(), Path.of("target", "bench-operator-" + index + "-idle-nmt.txt"),
            "VM.native_memory", "summary", "scale=KB");
      }

      String ns = "bench-process";
      long start = System.nanoTime();
      for (int i = 0; i < CLUSTERS; i++) {
        DirkCluster cluster = TestClusters.example(client, "basic.yaml");
        cluster.getMetadata().setName("c" + i);
        TestClusters.create(client, ns, cluster);
      }
      int expected = CLUSTERS * ReconcileBenchmarkTest.CHILDREN_PER_CLUSTER;
      await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(100)).until(() ->
          ownedChildren(client, ns) == expected);
      long done = (System.nanoTime() - start) / 1_000_000;
      long loaded = residentMiB(operator.pid());
      long threads = procStatus(operator.pid(), "Threads:");
      if (nmt.contains("NativeMemoryTracking")) {
        printNativeMemory(operator.pid(), index);
      }

      // Create-to-every-child of one cluster at a time, with the 100 clusters already held. The children are
      // seen by watches opened before the create: listing every kind every few ms would take the CPU the
      // operator and the API server need on a small machine, and add its own delay to the figure.
      List<Long> millis = new ArrayList<>();
      int listed = 0;
      for (int i = 0; i < LATENCY_WARMUP + LATENCY_RUNS; i++) {
        String single = "bench-single-" + i;
        try (ChildArrivals arrivals = new ChildArrivals(client, single)) {
          long begin = System.nanoTime();
          TestClusters.create(client, single, TestClusters.example(client, "basic.yaml"));
          long last = arrivals.awaitAll(ReconcileBenchmarkTest.CHILDREN_PER_CLUSTER, Duration.ofSeconds(60));
          if (last < 0) { // a watch missed an event: the time a list saw them all bounds it from above
            listed++;
            last = System.nanoTime();
          }
          if (i >= LATENCY_WARMUP) {
            millis.add((last - begin) / 1_000_000);
          }
        }
      }
      Collections.sort(millis);
      long after = residentMiB(operator.pid());
      return String.format("[%s]: idle %d MiB; %d clusters with every child after %d ms, then %d MiB resident,"
              + " %d threads; create-to-every-child median %d ms, p90 %d ms (%d of %d seen by a list, not the"
              + " watches); %d MiB resident after %d more clusters",
          described, idle, CLUSTERS, done, loaded, threads, millis.get(millis.size() / 2),
          millis.get(millis.size() * 9 / 10), listed, LATENCY_WARMUP + LATENCY_RUNS, after,
          LATENCY_WARMUP + LATENCY_RUNS);
    } finally {
      if (operator != null) {
        operator.destroy();
        if (!operator.waitFor(30, TimeUnit.SECONDS)) {
          operator.destroyForcibly().waitFor();
        }
      }
      server.after();
    }
  }

  /** When each owned child of the operator's kinds shows up in a namespace, from watches on those kinds. */
  private static final class ChildArrivals implements AutoCloseable {
    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final List<Watch> watches = new ArrayList<>();

    ChildArrivals(KubernetesClient client, String namespace) {
      this.client = client;
      this.namespace = namespace;
      watches.add(client.apps().statefulSets().inNamespace(namespace).watch(watcher()));
      watches.add(client.apps().deployments().inNamespace(namespace).watch(watcher()));
      watches.add(client.services().inNamespace(namespace).watch(watcher()));
      watches.add(client.configMaps().inNamespace(namespace).watch(watcher()));
      watches.add(client.secrets().inNamespace(namespace).watch(watcher()));
      watches.add(client.policy().v1().podDisruptionBudget().inNamespace(namespace).watch(watcher()));
      watches.add(client.serviceAccounts().inNamespace(namespace).watch(watcher()));
    }

    private <T extends HasMetadata> Watcher<T> watcher() {
      return new Watcher<>() {
        @Override
        public void eventReceived(Action action, T child) {
          long now = System.nanoTime();
          var owners = child.getMetadata().getOwnerReferences();
          if (action != Action.DELETED && owners != null && !owners.isEmpty()) {
            if (seen.putIfAbsent(child.getKind() + "/" + child.getMetadata().getName(), now) == null) {
              synchronized (seen) {
                seen.notifyAll();
              }
            }
          }
        }

        @Override
        public void onClose(WatcherException cause) {
        }
      };
    }

    /**
     * The System.nanoTime at which the last of {@code count} children arrived, or -1 when a list shows all of
     * them but the watches do not (an event missed while a watch was opening).
     */
    long awaitAll(int count, Duration atMost) throws InterruptedException {
      long deadline = System.nanoTime() + atMost.toNanos();
      while (true) {
        int before;
        synchronized (seen) {
          before = seen.size();
          if (before < count) {
            seen.wait(500); // woken by each new child
          }
        }
        if (seen.size() >= count) {
          return Collections.max(seen.values());
        }
        if (seen.size() == before && ownedChildren(client, namespace) >= count) { // 500 ms without a new one
          return -1;
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("not every child of " + namespace + " within " + atMost + ": " + seen.keySet());
        }
      }
    }

    @Override
    public void close() {
      watches.forEach(Watch::close);
    }
  }

  private static long ownedChildren(KubernetesClient client, String ns) {
    return TestClusters.children(client, ns).stream().map(HasMetadata::getMetadata)
        .filter(m -> m.getOwnerReferences() != null && !m.getOwnerReferences().isEmpty()).count();
  }

  /**
   * The JVM's own account of its memory, by category, written next to the log and summed up here;
   * its threads and heap go to files beside it.
   */
  private static void printNativeMemory(long pid, int index) throws IOException, InterruptedException {
    Path out = Path.of("target", "bench-operator-" + index + "-nmt.txt");
    jcmd(pid, Path.of("target", "bench-operator-" + index + "-threads.txt"), "Thread.print");
    jcmd(pid, Path.of("target", "bench-operator-" + index + "-heap.txt"), "GC.heap_info");
    jcmd(pid, out, "VM.native_memory", "summary", "scale=KB");
    Files.copy(Path.of("/proc", String.valueOf(pid), "smaps"), Path.of("target", "bench-operator-" + index + "-smaps.txt"),
        StandardCopyOption.REPLACE_EXISTING);
    jcmd(pid, Path.of("target", "bench-operator-" + index + "-codecache.txt"), "Compiler.codecache");
    jcmd(pid, Path.of("target", "bench-operator-" + index + "-histogram.txt"), "GC.class_histogram");
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      if (line.startsWith("Total:") || line.startsWith("-") && line.contains("committed=")) {
        System.out.println("BENCH   nmt " + line.replaceAll("\\s+", " ").trim());
      }
    }
  }

  private static void jcmd(long pid, Path out, String... arguments) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(pid)));
    command.addAll(List.of(arguments));
    Process jcmd = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!jcmd.waitFor(60, TimeUnit.SECONDS)) {
      jcmd.destroyForcibly().waitFor();
    }
  }

  private static long residentMiB(long pid) throws IOException {
    return procStatus(pid, "VmRSS:") >> 10;
  }

  private static long procStatus(long pid, String field) throws IOException {
    return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
        .filter(l -> l.startsWith(field))
        .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
        .findFirst().orElse(-1L);
  }
}
