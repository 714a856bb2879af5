package io.dirkdb.operator;

import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The operator's own memory: the packaged operator runs as its own process against a mock API
 * server in this JVM, reconciles 100 DirkClusters, and its resident memory is read from /proc.
 * Needs the operator packaged with the test profile's build settings (no server-side apply):
 * ./mvnw -pl operator package -DskipTests -Dquarkus.profile=test -Dquarkus.package.output-directory=bench-app
 * then ./mvnw -pl operator test -Pbench. JVM options of the operator: -Dbench.operator.jvm="...".
 */
@Tag("bench")
class OperatorProcessBenchmarkTest {

  static final String RECOMMENDED_JVM = "-XX:+UseSerialGC -Xmx128m -XX:TieredStopAtLevel=1";
  static final Path APP = Path.of("target", "bench-app", "quarkus-run.jar");

  @Test
  void operatorProcessMemoryAfterHundredClusters() throws Exception {
    if (!Files.exists(APP)) {
      throw new IllegalStateException("package the operator first: ./mvnw -pl operator package -DskipTests"
          + " -Dquarkus.profile=test -Dquarkus.package.output-directory=bench-app");
    }
    KubernetesServer server = new KubernetesServer(false, true, InetAddress.getLoopbackAddress(), 0, List.of());
    server.before();
    Process operator = null;
    try {
      new OperatorTestServerSetup().accept(server);
      KubernetesClient client = server.getClient();
      // The options the README (the operator section) recommends for the operator's container.
      String jvm = System.getProperty("bench.operator.jvm", RECOMMENDED_JVM);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      if (!jvm.isBlank()) {
        command.addAll(List.of(jvm.trim().split("\\s+")));
      }
      command.addAll(List.of(
          "-Dquarkus.profile=test",
          "-Dquarkus.kubernetes-client.api-server-url=" + client.getConfiguration().getMasterUrl(),
          "-Dquarkus.kubernetes-client.trust-certs=true",
          "-Dquarkus.http.port=0",
          "-jar", APP.toString()));
      operator = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(Path.of("target", "bench-operator.log").toFile())
          .start();
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() ->
          client.leases().inNamespace("dirk-operator").withName("dirk-operator-lease").get() != null);
      long idle = residentMiB(operator.pid());

      int clusters = 100;
      String ns = "bench-process";
      long start = System.nanoTime();
      for (int i = 0; i < clusters; i++) {
        DirkCluster cluster = TestClusters.example(client, "basic.yaml");
        cluster.getMetadata().setName("c" + i);
        TestClusters.create(client, ns, cluster);
      }
      int expected = clusters * ReconcileBenchmarkTest.CHILDREN_PER_CLUSTER;
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100)).until(() ->
          TestClusters.children(client, ns).stream().map(HasMetadata::getMetadata)
              .filter(m -> m.getOwnerReferences() != null && !m.getOwnerReferences().isEmpty()).count() == expected);
      long done = (System.nanoTime() - start) / 1_000_000;
      long loaded = residentMiB(operator.pid());
      System.out.printf("BENCH operator process (jvm options '%s'): idle %d MiB resident; %d clusters with every"
          + " child after %d ms; then %d MiB resident%n", jvm, idle, clusters, done, loaded);
    } finally {
      if (operator != null) {
        operator.destroy();
        operator.waitFor();
      }
      server.after();
    }
  }

  private static long residentMiB(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) >> 10)
        .findFirst().orElse(-1L);
  }
}
