package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.ProxyDeploymentDependent;
import io.dirkdb.operator.resync.ResyncJobRendering;
import io.dirkdb.protocol.Reply;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images run as the operator runs them. The operator (in this JVM, against the test API server)
 * renders examples/basic.yaml; its StatefulSets, proxy Deployment and a resync Job are started from the
 * built images under podman with exactly their command, arguments, environment, user and fsGroup,
 * read-only root, {@code /tmp} emptyDir, dropped capabilities, memory limit and data volume
 * ({@link PodmanPod} says what it translates, and the one thing it changes: each pod's network is a
 * loopback address of the host). Then: each member answers {@code dirk heartbeat} with its role, writes
 * go through the proxy container, reads through the cache container, and a resync container rebuilds an
 * emptied member. A wrong entry point, user, file permission or flag fails here, not on a user's cluster.
 *
 * <p>Needs podman and runc, and both images in podman's storage (.ci/build-test-images.sh, which .ci/run
 * calls); skipped with the reason otherwise.
 */
@QuarkusTest
class ContainerImagesTest {

  static final String VERSION = "0.1.0";
  static final String DIRK_IMAGE = "dirkdb/dirk:" + VERSION;
  static final String OPERATOR_IMAGE = "dirkdb/dirk-operator:" + VERSION;
  private static final Duration START = Duration.ofSeconds(120);
  private static final int ROWS = 20;

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @Test
  void basicClusterRunsFromTheImagesAsRenderedAndAResyncContainerRebuildsAnEmptiedMember(@TempDir Path dir)
      throws Exception {
    try (Podman podman = Podman.require("ContainerImagesTest", DIRK_IMAGE)) {
      String ns = "containers";
      DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, "basic.yaml"));
      String name = cluster.getMetadata().getName();
      await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-primary").get()).isNotNull();
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-secondary").get()).isNotNull();
        assertThat(client.apps().deployments().inNamespace(ns).withName(name + "-proxy").get()).isNotNull();
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get()).isNotNull();
        assertThat(client.secrets().inNamespace(ns).withName(name + "-credentials").get()).isNotNull();
      });
      DirkCluster rendered = client.resources(DirkCluster.class).inNamespace(ns).withName(name).require();
      String primary = name + "-primary-0";
      String secondary = name + "-secondary-0";

      // The cluster's DNS: every pod on a loopback address of its own, members also by their stable names.
      Map<String, String> addresses = new LinkedHashMap<>();
      for (String pod : List.of(primary, secondary, name + "-proxy")) {
        addresses.put(pod, freeLoopbackAddress(addresses.values()));
      }
      Map<String, String> dns = new LinkedHashMap<>();
      for (String member : List.of(primary, secondary)) {
        dns.put(ClusterNaming.memberHost(rendered, member), addresses.get(member));
      }

      Map<String, PodmanPod> members = new LinkedHashMap<>();
      for (String member : List.of(primary, secondary)) {
        String statefulSet = member.substring(0, member.lastIndexOf('-'));
        PodSpec spec = client.apps().statefulSets().inNamespace(ns).withName(statefulSet).require()
            .getSpec().getTemplate().getSpec();
        StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName(statefulSet).require();
        String claim = sts.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
        members.put(member, new PodmanPod(client, ns, member, addresses.get(member), spec, dir)
            .claim(claim, dir.resolve("volumes").resolve(claim + "-" + member)).resolving(dns));
      }
      Map<String, String> started = new LinkedHashMap<>();
      try {
        for (PodmanPod pod : members.values()) {
          started.put(pod.name, startContainer(podman, pod, "dirk"));
        }
        for (PodmanPod pod : members.values()) {
          awaitReady(podman, started.get(pod.name), pod, "dirk", "http");
        }
        String password = secret(ns, name + "-credentials", ClusterNaming.PASSWORD_KEY);

        // Each member answers the heartbeat with its role; the secondary follows the primary by its stable name.
        HeartbeatReport primaryBeat = heartbeat(members.get(primary), password);
        assertThat(primaryBeat.role()).isEqualTo(HeartbeatReport.PRIMARY);
        await("the secondary follows the primary").atMost(START).ignoreExceptions().untilAsserted(() -> {
          HeartbeatReport beat = heartbeat(members.get(secondary), password);
          assertThat(beat.role()).isEqualTo(HeartbeatReport.SECONDARY);
          assertThat(beat.following()).isEqualTo(ClusterNaming.memberHost(rendered, primary) + ":"
              + ClusterNaming.MEMBER_PORT);
        });
        // The user, the read-only root and the fsGroup-owned data volume, as Pod Security "restricted" has them.
        assertThat(podman.mainProcessIds(started.get(primary)))
            .contains("Uid: 10001 10001 10001 10001", "Gid: 10001 10001 10001 10001", "Groups: 10001");
        Podman.Result write = podman.execIn(started.get(primary), "touch", "/image-is-writable");
        assertThat(write.exitCode()).as("the root filesystem is read-only: %s", write.output()).isNotZero();

        // The proxy pod: proxy and cache containers on the pod's one address (the cache reaches its proxy there).
        Deployment proxyDeployment = client.apps().deployments().inNamespace(ns).withName(name + "-proxy").require();
        PodmanPod proxyPod = new PodmanPod(client, ns, name + "-proxy", addresses.get(name + "-proxy"),
            proxyDeployment.getSpec().getTemplate().getSpec(), dir).resolving(dns);
        String proxy = startContainer(podman, proxyPod, ProxyDeploymentDependent.PROXY_CONTAINER);
        String cache = startContainer(podman, proxyPod, ProxyDeploymentDependent.CACHE_CONTAINER);
        awaitReady(podman, proxy, proxyPod, ProxyDeploymentDependent.PROXY_CONTAINER, "proxy-http");
        awaitReady(podman, cache, proxyPod, ProxyDeploymentDependent.CACHE_CONTAINER, "cache-http");
        int proxyPort = proxyPod.port(ProxyDeploymentDependent.PROXY_CONTAINER, "proxy");
        int cachePort = proxyPod.port(ProxyDeploymentDependent.CACHE_CONTAINER, "cache");

        try (DirkConnection db = DirkConnection.open(proxyPod.address, proxyPort, 10_000)) {
          ok(db.authenticate(password));
          ok(db.execute("manamboara tahiry images"));
          ok(db.execute("ampiasao images"));
          ok(db.execute("manamboara tabilao orders (id ISA(null, null), item LAHATSORATRA(null, null))"));
          for (int i = 1; i <= ROWS; i++) {
            ok(db.execute("manampia ao@ orders (id, item) sanda (" + i + ", 'item-" + i + "')"));
          }
        }
        try (DirkConnection db = DirkConnection.open(proxyPod.address, cachePort, 10_000)) {
          ok(db.authenticate(password));
          ok(db.execute("ampiasao images"));
          assertThat(rowCount(db)).as("rows read through the cache container").isEqualTo(ROWS);
        }
        await("the secondary holds every row").atMost(START).ignoreExceptions()
            .untilAsserted(() -> assertThat(rowsOn(members.get(secondary), password)).isEqualTo(ROWS));

        // The secondary's volume is lost: its pod comes back on an empty volume, and a resync Job rebuilds it.
        podman.remove(started.get(secondary));
        deleteContents(dir.resolve("volumes").resolve("data-" + secondary));
        String restarted = startContainer(podman, members.get(secondary), "dirk");
        started.put(secondary, restarted);
        awaitReady(podman, restarted, members.get(secondary), "dirk", "http");

        Job job = ResyncJobRendering.desired(rendered, secondary, 1,
            new MemberAddress(primary, ClusterNaming.memberHost(rendered, primary), ClusterNaming.MEMBER_PORT),
            new MemberAddress(secondary, ClusterNaming.memberHost(rendered, secondary), ClusterNaming.MEMBER_PORT));
        PodmanPod resyncPod = new PodmanPod(client, ns, job.getMetadata().getName(), freeLoopbackAddress(addresses.values()),
            job.getSpec().getTemplate().getSpec(), dir).resolving(dns);
        String resyncContainer = resyncPod.spec.getContainers().get(0).getName();
        Podman.Result resync = podman.runToCompletion(resyncPod.name, resyncPod.flags(resyncContainer),
            resyncPod.image(resyncContainer), resyncPod.args(resyncContainer));
        System.out.println("resync container " + resyncPod.name + ": " + resync.output().strip());
        assertThat(resync.exitCode()).as("dirk resync in its container:\n%s", resync.output()).isZero();
        assertThat(rowsOn(members.get(secondary), password)).as("rows on the rebuilt member").isEqualTo(ROWS);
        HeartbeatReport rebuilt = heartbeat(members.get(secondary), password);
        assertThat(rebuilt.role()).isEqualTo(HeartbeatReport.SECONDARY);
        assertThat(rebuilt.mustResync()).isFalse();
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\ncontainer logs:\n" + podman.diagnostics(), e);
      }
    }
  }

  /**
   * The operator image with the chart's own Deployment (helm template, with dirkImage values of the
   * user's): its environment, user, read-only root and /tmp. It runs against a test API server that
   * enforces the chart's RBAC, starts, reports itself healthy, takes the leader Lease, and gives a
   * DirkCluster without spec.image the chart's dirkImage: the values reach the operator in its image.
   */
  @Test
  void operatorImageStartsWithTheChartsDeploymentAndRunsTheChartsDirkImage(@TempDir Path dir) throws Exception {
    try (Podman podman = Podman.require("ContainerImagesTest", OPERATOR_IMAGE)) {
      Path repo = Path.of("..").toAbsolutePath().normalize();
      Path helm = ChartRbac.findHelm(repo);
      if (helm == null) {
        String reason = "ContainerImagesTest: helm not found (-Ddirk.kubeTools, .tools/bin or PATH), so the chart's"
            + " operator Deployment cannot be rendered; run .ci/install-kube-tools.sh";
        System.out.println("[SKIPPED] " + reason);
        org.junit.jupiter.api.Assumptions.abort(reason);
      }
      String dirkImage = "registry.example/dirk:9.9.9";
      Deployment deployment = chartDeployment(helm, repo, "--set", "dirkImage.repository=registry.example/dirk",
          "--set", "dirkImage.tag=9.9.9");
      assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
          .as("the chart's operator image is the one built here").isEqualTo(OPERATOR_IMAGE);

      KubernetesServer api = new KubernetesServer(false, true, java.net.InetAddress.getLoopbackAddress(), 0, List.of());
      api.before();
      try {
        ServerSideApplyRecorder applies = ServerSideApplyRecorder.install(api);
        new OperatorTestServerSetup().accept(api);
        KubernetesClient apiClient = api.getClient();
        PodmanPod pod = new PodmanPod(apiClient, ChartRbac.NAMESPACE, ChartRbac.RELEASE + "-0",
            freeLoopbackAddress(List.of()), deployment.getSpec().getTemplate().getSpec(), dir);
        String containerName = pod.spec.getContainers().get(0).getName();
        List<String> flags = new java.util.ArrayList<>(pod.flags(containerName));
        // In a cluster the API server is found from the pod's service account; here it is the test's.
        flags.addAll(List.of(
            "--env", "QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL=" + apiClient.getConfiguration().getMasterUrl(),
            "--env", "QUARKUS_KUBERNETES_CLIENT_TOKEN=dirk-operator-service-account",
            // The pod network: Quarkus listens on 0.0.0.0, here the pod's loopback address.
            "--env", "QUARKUS_HTTP_HOST=" + pod.address));
        String operator = podman.start(pod.name + "-" + containerName, flags, pod.image(containerName),
            pod.args(containerName));
        try {
          int port = pod.port(containerName, "http");
          for (String path : List.of(
              pod.container(containerName).getStartupProbe().getHttpGet().getPath(),
              pod.container(containerName).getLivenessProbe().getHttpGet().getPath(),
              pod.container(containerName).getReadinessProbe().getHttpGet().getPath())) {
            URI uri = URI.create("http://" + pod.address + ":" + port + path);
            await(operator + " answers " + uri).atMost(START).pollInterval(Duration.ofMillis(500)).until(() -> {
              if (!podman.running(operator)) {
                throw new AssertionError(operator + " stopped:\n" + podman.logs(operator));
              }
              return status(uri) == 200;
            });
          }
          await("the operator holds the leader Lease").atMost(START).untilAsserted(() -> {
            var lease = apiClient.leases().inNamespace(ChartRbac.NAMESPACE).withName("dirk-operator-lease").get();
            assertThat(lease).isNotNull();
            assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
          });

          DirkCluster cluster = TestClusters.example(apiClient, "basic.yaml");
          cluster.getSpec().setImage(null);
          TestClusters.create(apiClient, "chart-image", cluster);
          // The image is built as production runs (server-side apply), which the test API server does not
          // implement: the StatefulSet the operator applies is read off its request.
          await("the operator applies the cluster's StatefulSet with the chart's dirkImage").atMost(START)
              .untilAsserted(() -> assertThat(applies.applied())
                  .filteredOn(a -> a.contains("/namespaces/chart-image/statefulsets/demo-primary"))
                  .anySatisfy(a -> assertThat(a).contains(dirkImage)));
          assertThat(Harness.rbac(apiClient).refusals()).as("requests the chart's RBAC refused").isEmpty();
        } catch (AssertionError | RuntimeException e) {
          throw new AssertionError(e.getMessage() + "\noperator log:\n" + podman.logs(operator), e);
        } finally {
          podman.remove(operator); // before its API server goes away
        }
      } finally {
        api.after();
      }
    }
  }

  private Deployment chartDeployment(Path helm, Path repo, String... values) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(helm.toString(), "template", ChartRbac.RELEASE,
        repo.resolve("helm/dirk-operator").toString(), "--namespace", ChartRbac.NAMESPACE));
    command.addAll(List.of(values));
    Podman.Result rendered = Podman.exec(command);
    assertThat(rendered.exitCode()).as("helm template: %s", rendered.stderr()).isZero();
    for (String document : rendered.stdout().split("(?m)^---\\s*$")) {
      if (document.contains("kind: Deployment")) {
        return client.getKubernetesSerialization().unmarshal(document, Deployment.class);
      }
    }
    throw new AssertionError("helm template rendered no Deployment");
  }

  private static int status(URI uri) {
    try {
      return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
          .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
              HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String startContainer(Podman podman, PodmanPod pod, String container) {
    return podman.start(pod.name + "-" + container, pod.flags(container), pod.image(container), pod.args(container));
  }

  /** The kubelet's readiness probe: the container's HTTP port, on the pod's address. */
  private static void awaitReady(Podman podman, String container, PodmanPod pod, String containerName, String portName) {
    String path = pod.container(containerName).getReadinessProbe().getHttpGet().getPath();
    URI uri = URI.create("http://" + pod.address + ":" + pod.port(containerName, portName) + path);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    await(container + " ready at " + uri).atMost(START).pollInterval(Duration.ofMillis(250)).until(() -> {
      if (!podman.running(container)) {
        throw new AssertionError(container + " stopped:\n" + podman.logs(container));
      }
      try {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      }
    });
  }

  private static HeartbeatReport heartbeat(PodmanPod member, String password) throws IOException {
    try (DirkConnection db = DirkConnection.open(member.address, ClusterNaming.MEMBER_PORT, 10_000)) {
      ok(db.authenticate(password));
      return HeartbeatReport.parse(db.execute("dirk heartbeat").messageText());
    }
  }

  private static long rowsOn(PodmanPod member, String password) throws IOException {
    try (DirkConnection db = DirkConnection.open(member.address, ClusterNaming.MEMBER_PORT, 10_000)) {
      ok(db.authenticate(password));
      ok(db.execute("ampiasao images"));
      return rowCount(db);
    }
  }

  private static long rowCount(DirkConnection db) throws IOException {
    Reply reply = db.execute("alaivo * #ao@ orders #rehefa id <= " + ROWS);
    ok(reply);
    return ((Result.Relation) reply.result()).rows().size();
  }

  private static void ok(Reply reply) {
    assertThat(reply.isError()).as("statement failed: %s", reply.errorMessage()).isFalse();
  }

  private String secret(String ns, String secret, String key) {
    Secret s = client.secrets().inNamespace(ns).withName(secret).require();
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }

  /**
   * A loopback address no other pod of the test has, whose DirkDB ports are free: a random 127.0.x.y, so
   * tests of other builds on this machine (which use 127.0.0.x with ephemeral ports) never collide.
   */
  static String freeLoopbackAddress(java.util.Collection<String> taken) {
    for (int attempt = 0; attempt < 50; attempt++) {
      String address = "127.0." + ThreadLocalRandom.current().nextInt(64, 192) + "."
          + ThreadLocalRandom.current().nextInt(2, 250);
      if (taken.contains(address)) {
        continue;
      }
      boolean free = Stream.of(3948, 3949, 3951, 8080, 8081).allMatch(port -> {
        try (ServerSocket socket = new ServerSocket()) {
          socket.bind(new InetSocketAddress(address, port));
          return true;
        } catch (IOException e) {
          return false;
        }
      });
      if (free) {
        return address;
      }
    }
    throw new IllegalStateException("no free loopback address with the DirkDB ports free");
  }

  private static void deleteContents(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(directory)).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
