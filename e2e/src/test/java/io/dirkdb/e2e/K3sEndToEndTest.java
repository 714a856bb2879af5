package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The whole path on a real Kubernetes (K3s in Docker): the images loaded into K3s, the chart
 * installed with helm, examples/basic.yaml applied, rows written through the proxy, the primary pod
 * deleted, a secondary promoted, and every acknowledged row read back.
 *
 * <p>Needs a Docker engine (skipped, with its reason printed, where there is none) and the two
 * images in it: {@code ./mvnw package -Pimages -DskipTests -Djib.goal=dockerBuild}.
 */
class K3sEndToEndTest {

  private static final String K3S_IMAGE = "rancher/k3s:v1.31.5-k3s1";
  private static final String OPERATOR_NAMESPACE = "dirk-system";
  private static final String NAMESPACE = "dirk-e2e";
  private static final String CLUSTER = "demo";
  private static final int ROWS = 50;
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static K3sContainer k3s;
  private static Path kubeconfig;
  private static Process portForward;

  /** Skips (aborts) here, inside the test, so surefire counts and reports the test as skipped. */
  private static void startK3sWithTheChartInstalled() throws Exception {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      String reason = "K3sEndToEndTest: no Docker engine reachable, so no K3s cluster to run the end-to-end test on";
      KubeTools.skipNotice(reason);
      Assumptions.abort(reason);
    }
    String version = ChartTest.appVersion();
    List<String> images = List.of("dirkdb/dirk:" + version, "dirkdb/dirk-operator:" + version);
    DockerClient docker = DockerClientFactory.instance().client();
    for (String image : images) {
      try {
        docker.inspectImageCmd(image).exec();
      } catch (NotFoundException e) {
        String reason = "K3sEndToEndTest: image " + image + " is not in the local Docker; build both with "
            + "./mvnw package -Pimages -DskipTests -Djib.goal=dockerBuild -Djib.from.platforms=linux/amd64"
            + " -Dquarkus.jib.platforms=linux/amd64";
        if (KubeTools.inCi()) {
          fail(reason);
        }
        KubeTools.skipNotice(reason);
        Assumptions.abort(reason);
      }
    }
    KubeTools.helm();
    KubeTools.kubectl();

    k3s = new K3sContainer(DockerImageName.parse(K3S_IMAGE));
    k3s.start();
    kubeconfig = Files.createTempFile("k3s", ".kubeconfig");
    Files.writeString(kubeconfig, k3s.getKubeConfigYaml());
    for (String image : images) {
      loadIntoK3s(docker, image);
    }

    KubeTools.run(env(), KubeTools.helm(), "install", "dirk-operator", KubeTools.chart().toString(),
        "--namespace", OPERATOR_NAMESPACE, "--create-namespace", "--wait", "--timeout", "5m");
    kubectl("create", "namespace", NAMESPACE);
    kubectl("apply", "-n", NAMESPACE, "-f", KubeTools.repoRoot().resolve("examples/basic.yaml").toString());
  }

  @AfterAll
  static void stopK3s() throws IOException {
    if (portForward != null) {
      portForward.destroy();
    }
    if (k3s != null) {
      k3s.stop();
    }
    if (kubeconfig != null) {
      Files.deleteIfExists(kubeconfig);
    }
  }

  @Test
  void primaryPodLossPromotesASecondaryAndKeepsEveryAcknowledgedRow() throws Exception {
    startK3sWithTheChartInstalled();
    try {
      awaitPhase("Ready");
      String password = new String(Base64.getDecoder().decode(
          kubectl("get", "secret", CLUSTER + "-credentials", "-n", NAMESPACE, "-o", "jsonpath={.data.password}").trim()),
          StandardCharsets.UTF_8);
      int port = startPortForward();

      try (DirkConnection db = DirkConnection.open("127.0.0.1", port)) {
        ok(db.authenticate(password));
        ok(db.execute("manamboara tahiry e2e"));
        ok(db.execute("ampiasao e2e"));
        ok(db.execute("manamboara tabilao orders (id ISA(null, null), item LAHATSORATRA(null, null))"));
        for (int i = 1; i <= ROWS; i++) {
          ok(db.execute("manampia ao@ orders (id, item) sanda (" + i + ", 'item-" + i + "')"));
        }
        assertThat(rowCount(db, "id <= " + ROWS)).isEqualTo(ROWS);
      }
      // basic.yaml replicates asynchronously: lose the primary only once the secondary holds every row.
      awaitSecondaryCaughtUp(port);

      String oldPrimary = kubectl("get", "dirkcluster", CLUSTER, "-n", NAMESPACE, "-o", "jsonpath={.status.currentPrimary}").trim();
      assertThat(oldPrimary).isNotEmpty();
      kubectl("delete", "pod", oldPrimary, "-n", NAMESPACE, "--wait=false");

      await("a secondary promoted").atMost(READY_TIMEOUT).pollInterval(Duration.ofSeconds(1)).until(() -> {
        String current = kubectl("get", "dirkcluster", CLUSTER, "-n", NAMESPACE, "-o",
            "jsonpath={.status.currentPrimary}").trim();
        return !current.isEmpty() && !current.equals(oldPrimary);
      });
      String newPrimary = kubectl("get", "dirkcluster", CLUSTER, "-n", NAMESPACE, "-o",
          "jsonpath={.status.currentPrimary}").trim();
      await("the primary label moved to " + newPrimary).atMost(Duration.ofMinutes(1)).until(() ->
          kubectl("get", "pods", "-n", NAMESPACE, "-l", "dirkdb.io/role=primary", "-o",
              "jsonpath={.items[*].metadata.name}").trim().equals(newPrimary));

      await("every acknowledged row readable after failover").atMost(READY_TIMEOUT)
          .pollInterval(Duration.ofSeconds(2)).ignoreExceptions().untilAsserted(() -> {
            try (DirkConnection db = DirkConnection.open("127.0.0.1", port)) {
              ok(db.authenticate(password));
              ok(db.execute("ampiasao e2e"));
              assertThat(rowCount(db, "id <= " + ROWS)).isEqualTo(ROWS);
            }
          });
      // A write whose reply was lost may still have landed: insert only while the row is absent.
      await("writes accepted by the new primary").atMost(READY_TIMEOUT)
          .pollInterval(Duration.ofSeconds(2)).ignoreExceptions().untilAsserted(() -> {
            try (DirkConnection db = DirkConnection.open("127.0.0.1", port)) {
              ok(db.authenticate(password));
              ok(db.execute("ampiasao e2e"));
              if (rowCount(db, "id = " + (ROWS + 1)) == 0) {
                ok(db.execute("manampia ao@ orders (id, item) sanda (" + (ROWS + 1) + ", 'after-failover')"));
              }
              assertThat(rowCount(db, "id = " + (ROWS + 1))).isEqualTo(1);
            }
          });
      awaitPhase("Ready");
    } catch (AssertionError | Exception e) {
      saveDiagnostics();
      throw e;
    }
  }

  private static void loadIntoK3s(DockerClient docker, String image) throws IOException, InterruptedException {
    Path tar = Files.createTempFile("image", ".tar");
    try (InputStream saved = docker.saveImageCmd(image).exec()) {
      Files.copy(saved, tar, StandardCopyOption.REPLACE_EXISTING);
    }
    String inContainer = "/tmp/" + tar.getFileName();
    k3s.copyFileToContainer(MountableFile.forHostPath(tar), inContainer);
    var result = k3s.execInContainer("ctr", "-n", "k8s.io", "images", "import", inContainer);
    Files.deleteIfExists(tar);
    assertThat(result.getExitCode()).as("ctr images import %s: %s", image, result.getStderr()).isZero();
  }

  private static int startPortForward() throws Exception {
    portForward = new ProcessBuilder(KubeTools.kubectl().toString(), "port-forward", "-n", NAMESPACE,
        "--address", "127.0.0.1", "svc/" + CLUSTER + "-proxy", ":3949")
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(portForward.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
      Pattern forwarding = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) -> 3949");
      try {
        for (String line; (line = out.readLine()) != null; ) {
          Matcher m = forwarding.matcher(line);
          if (m.find()) {
            return Integer.parseInt(m.group(1));
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      throw new IllegalStateException("kubectl port-forward ended before forwarding");
    });
    return port.get(60, TimeUnit.SECONDS);
  }

  private static void awaitPhase(String phase) {
    await("DirkCluster " + CLUSTER + " " + phase).atMost(READY_TIMEOUT).pollInterval(Duration.ofSeconds(2)).until(() ->
        phase.equals(kubectl("get", "dirkcluster", CLUSTER, "-n", NAMESPACE, "-o", "jsonpath={.status.phase}").trim()));
  }

  /** Waits until every member the proxy sees serves at the primary's LSN, as its heartbeat reports. */
  private static void awaitSecondaryCaughtUp(int port) {
    await("secondary caught up with the primary").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
        .until(() -> {
          try (DirkConnection db = DirkConnection.open("127.0.0.1", port)) {
            JsonNode heartbeat = JSON.readTree(db.execute("dirk heartbeat").messageText());
            List<Long> lsns = new ArrayList<>();
            for (JsonNode member : heartbeat.path("members")) {
              if (!"serving".equals(member.path("health").asText())) {
                return false;
              }
              lsns.add(member.path("lsn").asLong());
            }
            return lsns.size() == 2 && lsns.get(0).equals(lsns.get(1));
          }
        });
  }

  private static long rowCount(DirkConnection db, String condition) throws IOException {
    Reply reply = db.execute("alaivo * #ao@ orders #rehefa " + condition);
    assertThat(reply.isError()).as("read: %s", reply.errorMessage()).isFalse();
    return ((Result.Relation) reply.result()).rows().size();
  }

  private static void ok(Reply reply) {
    assertThat(reply.isError()).as("statement failed: %s", reply.errorMessage()).isFalse();
  }

  private static Map<String, String> env() {
    return Map.of("KUBECONFIG", kubeconfig.toString());
  }

  private static String kubectl(String... args) {
    return KubeTools.run(env(), KubeTools.kubectl(), args);
  }

  /** On failure: the cluster's objects, Events and logs under target/k3s-diagnostics/ for the post-mortem. */
  private static void saveDiagnostics() {
    Path dir = Path.of("target/k3s-diagnostics");
    List<String[]> commands = new ArrayList<>();
    commands.add(new String[] {"get", "all,dirkclusters,leases,jobs", "-A", "-o", "wide"});
    commands.add(new String[] {"describe", "dirkcluster", CLUSTER, "-n", NAMESPACE});
    commands.add(new String[] {"get", "events", "-A", "--sort-by=.lastTimestamp"});
    commands.add(new String[] {"logs", "-n", OPERATOR_NAMESPACE, "deployment/dirk-operator", "--tail=2000"});
    commands.add(new String[] {"logs", "-n", NAMESPACE, "-l", "app.kubernetes.io/instance=" + CLUSTER,
        "--all-containers", "--prefix", "--tail=500"});
    try {
      Files.createDirectories(dir);
      int i = 0;
      for (String[] command : commands) {
        var result = KubeTools.runAllowingFailure(env(), KubeTools.kubectl(), command);
        Files.writeString(dir.resolve((i++) + "-" + command[0] + ".txt"), result.stdout() + result.stderr());
      }
    } catch (IOException | RuntimeException e) {
      System.out.println("[k3s] could not save diagnostics: " + e);
    }
  }
}
