package io.dirkdb.operator;

import io.dirkdb.cli.Dirk;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.proxy.MemberListWatcher;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RoutingProxy;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.ReplicationSettings;
import io.dirkdb.replication.Replicator;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The kubelet of a DirkCluster with real members: makes the pods of its StatefulSets, starts a real
 * DirkDB member for each on its own loopback address (127.0.0.2, 127.0.0.3, ...) and a port (an ephemeral
 * one in process, for a process member the port its pod name keeps, standing in for 3948), which the pod
 * declares as its container port {@code sql} and its IP; runs the commands of
 * the resync Jobs the operator creates and reports their outcome; runs a real routing proxy.
 */
final class LiveCluster implements AutoCloseable {

  private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(2);
  /** The lease of in-process members in lease tests: {@code dirk server --primary-lease-ms}'s default. */
  static final Duration PRIMARY_LEASE = Duration.ofMillis(2000);
  private static final java.util.regex.Pattern IP_LITERAL = java.util.regex.Pattern.compile(
      "^(\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9a-fA-F:]*:[0-9a-fA-F:]*\\]?)$");

  /** How the kubelet runs a member's container. */
  enum MemberRuntime {
    /** A MemberServer in this JVM: fast to start; a kill is a stop of its server. */
    IN_PROCESS,
    /** {@code dirk server} in a JVM of its own: a kill is SIGKILL, a real crash. */
    PROCESS
  }

  /**
   * A running member; {@code stop} kills it (SIGKILL for a process) and is safe to call twice; {@code httpPort}
   * serves its /health/ready; {@code alive} says whether its container still runs.
   */
  record LiveMember(String pod, String host, int port, Path directory, Runnable stop, GracefulStop terminate,
      int httpPort, java.util.function.BooleanSupplier alive) {}

  /** How the kubelet stops a container: SIGTERM, then SIGKILL after the grace period; true if it exited in time. */
  @FunctionalInterface
  interface GracefulStop {
    boolean stop(Duration grace);
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Path root;
  private final ReplicationSettings replication;
  /** The application password the test's clients use (they move to a rotated one: {@link #useApplicationPassword}). */
  private volatile String password;
  private final Map<String, LiveMember> members = new ConcurrentHashMap<>();
  private final Set<String> jobsSeen = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService jobRunner = Executors.newSingleThreadScheduledExecutor();
  private final List<String> jobLog = new ArrayList<>();
  private final AtomicInteger jobsToFail = new AtomicInteger();
  private volatile boolean jobsHeld;
  private final MemberRuntime runtime;
  private final Path passwordFile;
  private final String replicationPassword;
  private final String adminPassword;
  private final Path replicationPasswordFile;
  private final Path adminPasswordFile;
  private final List<ControlRelay> relays = new CopyOnWriteArrayList<>();
  /** Each member pod's administration password, from the Secret as it was when the pod started (its env). */
  private final Map<String, String> podAdminPasswords = new ConcurrentHashMap<>();
  /** Each member pod's password files as they were when the pod started: a container restart keeps them. */
  private final Map<String, List<Path>> podPasswords = new ConcurrentHashMap<>();
  /** The databases of in-process members, by pod, for tests that change their limits. */
  private final Map<String, EngineDatabase> inProcessDatabases = new ConcurrentHashMap<>();
  /** Proxy pods started by {@link #startProxyPod}, closed with the cluster. */
  private final List<ProxyPod> proxyPods = new CopyOnWriteArrayList<>();

  /** A pod of the proxy Deployment (see {@link #startProxyPod}); closing it stops it, as its pod's deletion does. */
  record ProxyPod(String pod, RoutingProxy proxy, MemberListWatcher watch) implements AutoCloseable {
    int port() {
      return proxy.port();
    }

    @Override
    public void close() {
      watch.close();
      proxy.close(Duration.ofSeconds(5)); // the requests in flight finish
    }
  }
  private RoutingProxy proxy;
  /** Set for a cluster whose pods the harness controllers make and stop ({@link #startManaged}). */
  private ScheduledExecutorService controllers;
  private java.util.concurrent.ExecutorService kubeletWork;
  private final Set<String> podsInHand = ConcurrentHashMap.newKeySet();
  private final List<String> preStopLog = new CopyOnWriteArrayList<>();
  /** What each preStop hook printed, as {@code pod: output}. */
  private final List<String> preStopOutput = new CopyOnWriteArrayList<>();
  private volatile boolean podStartsHeld;
  /** The primary lease of in-process members (zero: none). */
  private volatile Duration inProcessLease = Duration.ZERO;
  private final Set<String> restartsHeld = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> readinessFailures = new ConcurrentHashMap<>();
  private final Map<String, Long> lastReadinessProbe = new ConcurrentHashMap<>();
  /**
   * Every place a member was told to reach a peer by IP (a follow, a resync Job, a config): in a cluster a pod's
   * IP changes when it restarts, so members reach each other by stable name only. Closing fails the test if any.
   */
  private final List<String> addressedByIp = new CopyOnWriteArrayList<>();
  /** Set when members read the config.json their pods mount ({@link #startManagedFromExample}). */
  private ConfigMapVolumes configVolumes;
  private MemberListWatcher proxyConfigWatch;
  /**
   * Each member pod's port, kept by every pod of that name (process members and those reading the mounted
   * config.json): the test network's stand-in for port 3948 on the pod's own IP.
   */
  private final Map<String, Integer> podPorts = new ConcurrentHashMap<>();
  private final List<String> memberStarts = new CopyOnWriteArrayList<>();
  private final List<String> startFailures = new CopyOnWriteArrayList<>();

  LiveCluster(KubernetesClient client, String namespace, String name, ReplicationMode mode, MemberRuntime runtime)
      throws IOException {
    this.client = client;
    this.runtime = runtime;
    this.namespace = namespace;
    this.name = name;
    this.root = Files.createTempDirectory("dirk-live-" + namespace);
    // The members run as the operator's pods do: one password per role, from the generated Secret.
    this.password = readPassword("password");
    this.replicationPassword = readPassword("replication-password");
    this.adminPassword = readPassword("admin-password");
    this.passwordFile = Files.writeString(root.resolve("password"), password);
    this.replicationPasswordFile = Files.writeString(root.resolve("replication-password"), replicationPassword);
    this.adminPasswordFile = Files.writeString(root.resolve("admin-password"), adminPassword);
    this.replication = ReplicationSettings.defaults(mode).withPeerPassword(replicationPassword)
        .withMaxBackoff(Duration.ofMillis(200)).withSyncTimeout(Duration.ofSeconds(3));
    jobRunner.scheduleWithFixedDelay(this::runNewJobs, 100, 100, TimeUnit.MILLISECONDS);
    jobRunner.scheduleWithFixedDelay(this::checkFollowedAddresses, 250, 250, TimeUnit.MILLISECONDS);
  }

  /** Whether {@code host} is an IP address rather than a name (IPv4 dotted quad or IPv6). */
  static boolean isIpLiteral(String host) {
    return host != null && IP_LITERAL.matcher(host).matches();
  }

  /** The host of a {@code host:port}. */
  private static String hostOf(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  /** Records every member whose heartbeat says it follows an IP: a follow that would break on a pod restart. */
  private void checkFollowedAddresses() {
    for (LiveMember member : List.copyOf(members.values())) {
      try (DirkConnection connection = DirkConnection.open(member.host(), member.port(), 500)) {
        String following = io.dirkdb.heartbeat.HeartbeatReport.parse(connection.execute("dirk heartbeat").messageText())
            .following();
        if (following != null && isIpLiteral(hostOf(following))) {
          String violation = member.pod() + " follows " + following + ", an IP, not its primary's stable name";
          if (!addressedByIp.contains(violation)) {
            addressedByIp.add(violation);
          }
        }
      } catch (IOException | RuntimeException e) {
        // stopped or starting: looked at again on the next check
      }
    }
  }

  /** Looks at once at what every member follows (the harness also does so every 250 ms). */
  void checkAddressesNow() {
    checkFollowedAddresses();
  }

  /** The peers reached by IP so far (empty when every follow, Job and config used stable names). */
  List<String> addressedByIp() {
    return List.copyOf(addressedByIp);
  }

  /**
   * Creates DirkCluster {@code name} from examples/basic.yaml with these settings in namespace {@code ns},
   * starts its members, and returns once the operator calls it Ready and has heard every member.
   */
  static LiveCluster start(KubernetesClient client, String ns, String name,
      io.dirkdb.operator.api.v1alpha1.ReplicationMode mode, int secondaries,
      java.util.function.Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust) throws IOException {
    return start(client, ns, name, mode, secondaries, adjust, MemberRuntime.IN_PROCESS);
  }

  /** As {@link #start(KubernetesClient, String, String, io.dirkdb.operator.api.v1alpha1.ReplicationMode, int,
   * java.util.function.Consumer)}, with members run as {@code runtime} says. */
  static LiveCluster start(KubernetesClient client, String ns, String name,
      io.dirkdb.operator.api.v1alpha1.ReplicationMode mode, int secondaries,
      java.util.function.Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust, MemberRuntime runtime)
      throws IOException {
    return start(client, ns, name, mode, secondaries, adjust, runtime, Duration.ZERO);
  }

  /**
   * As above, the in-process members holding a primary lease of {@code inProcessLease} (as {@code dirk server}
   * in a cluster does; zero: none, as before), for tests of what the lease bounds.
   */
  static LiveCluster start(KubernetesClient client, String ns, String name,
      io.dirkdb.operator.api.v1alpha1.ReplicationMode mode, int secondaries,
      java.util.function.Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust, MemberRuntime runtime,
      Duration inProcessLease) throws IOException {
    io.dirkdb.operator.api.v1alpha1.DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    cluster.getMetadata().setName(name);
    cluster.getSpec().setSecondaries(secondaries);
    cluster.getSpec().getReplication().setMode(mode);
    // Loopback members answer in microseconds: detection tuned for it, below the defaults a real cluster needs.
    cluster.getSpec().getFailover().setHeartbeatIntervalMs(500);
    cluster.getSpec().getFailover().setFailureThreshold(3);
    cluster.getSpec().getFailover().setFailoverDelaySeconds(0);
    adjust.accept(cluster.getSpec());
    TestClusters.create(client, ns, cluster);
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren(name,
        io.dirkdb.operator.dependent.ClusterNaming.generatesSecret(cluster)));
    LiveCluster live = new LiveCluster(client, ns, name, mode == io.dirkdb.operator.api.v1alpha1.ReplicationMode.SYNC
        ? ReplicationMode.SYNC : ReplicationMode.ASYNC, runtime);
    live.inProcessLease = inProcessLease;
    try {
      live.startAll();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        var c = client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(ns).withName(name)
            .require();
        org.assertj.core.api.Assertions.assertThat(c.getStatus().getPhase())
            .isEqualTo(io.dirkdb.operator.api.v1alpha1.ClusterPhase.Ready);
        org.assertj.core.api.Assertions.assertThat(client.pods().inNamespace(ns).withName(name + "-primary-0").require()
            .getMetadata().getLabels()).containsEntry("dirkdb.io/role", "primary");
        org.assertj.core.api.Assertions.assertThat(c.getStatus().getMembers()).allSatisfy(m -> {
          org.assertj.core.api.Assertions.assertThat(m.getEpoch()).isNotNull();
          org.assertj.core.api.Assertions.assertThat(m.getRole()).as("role of %s, from its heartbeats", m.getName())
              .isNotNull();
        });
      });
      return live;
    } catch (RuntimeException | Error e) {
      live.close();
      throw e;
    }
  }

  /**
   * Like {@link #start}, but nobody hand-makes pods: the harness's {@link StatefulSetController} makes
   * them from the StatefulSets the operator wrote, and this kubelet starts a real member for each new
   * pod (on the pod's data directory, its volume), and stops one gracefully when its pod is deleted:
   * the pod's preStop hook (the real {@code dirk} command it names, against the member), SIGTERM,
   * SIGKILL after the grace period, then the pod goes and the controller makes it again.
   */
  static LiveCluster startManaged(KubernetesClient client, String ns, String name,
      io.dirkdb.operator.api.v1alpha1.ReplicationMode mode, int secondaries,
      java.util.function.Consumer<io.dirkdb.operator.api.v1alpha1.DirkClusterSpec> adjust, MemberRuntime runtime)
      throws IOException {
    io.dirkdb.operator.api.v1alpha1.DirkCluster cluster = TestClusters.example(client, "basic.yaml");
    cluster.getMetadata().setName(name);
    cluster.getSpec().setSecondaries(secondaries);
    cluster.getSpec().getReplication().setMode(mode);
    adjust.accept(cluster.getSpec());
    TestClusters.create(client, ns, cluster);
    TestClusters.awaitChildren(client, ns, TestClusters.standardChildren(name,
        io.dirkdb.operator.dependent.ClusterNaming.generatesSecret(cluster)));
    LiveCluster live = new LiveCluster(client, ns, name, mode == io.dirkdb.operator.api.v1alpha1.ReplicationMode.SYNC
        ? ReplicationMode.SYNC : ReplicationMode.ASYNC, runtime);
    try {
      live.kubeletWork = Executors.newFixedThreadPool(3);
      live.controllers = Executors.newSingleThreadScheduledExecutor();
      live.controllers.scheduleWithFixedDelay(live::controllerPass, 0, 100, TimeUnit.MILLISECONDS);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        var c = client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(ns).withName(name)
            .require();
        org.assertj.core.api.Assertions.assertThat(c.getStatus().getPhase())
            .isEqualTo(io.dirkdb.operator.api.v1alpha1.ClusterPhase.Ready);
        org.assertj.core.api.Assertions.assertThat(c.getStatus().getMembers())
            .allSatisfy(m -> org.assertj.core.api.Assertions.assertThat(m.getEpoch()).isNotNull());
      });
      return live;
    } catch (RuntimeException | Error e) {
      live.close();
      throw e;
    }
  }

  /**
   * Like {@link #startManaged}, for a DirkCluster applied as the user would, from {@code examples/<file>}
   * unchanged; members run as processes, each started as its container is ({@code dirk server --config}
   * on the config.json its pod mounts from the operator's ConfigMap, which a running pod sees change only
   * {@code configSync} later), and the proxy follows the members its own mounted config.json lists.
   */
  static LiveCluster startManagedFromExample(KubernetesClient client, String ns, String file, Duration configSync)
      throws IOException {
    return startManagedFromExample(client, ns, file, configSync, cluster -> {});
  }

  /** As above, with the example changed by {@code adjust} before it is applied (e.g. its auth.secretName). */
  static LiveCluster startManagedFromExample(KubernetesClient client, String ns, String file, Duration configSync,
      java.util.function.Consumer<io.dirkdb.operator.api.v1alpha1.DirkCluster> adjust) throws IOException {
    return startManagedFromExample(client, ns, file, configSync, adjust, true);
  }

  /** As above; with {@code awaitReady} false it returns once the children exist (a cluster that cannot start). */
  static LiveCluster startManagedFromExample(KubernetesClient client, String ns, String file, Duration configSync,
      java.util.function.Consumer<io.dirkdb.operator.api.v1alpha1.DirkCluster> adjust, boolean awaitReady)
      throws IOException {
    io.dirkdb.operator.api.v1alpha1.DirkCluster cluster = TestClusters.example(client, file);
    adjust.accept(cluster);
    String name = cluster.getMetadata().getName();
    TestClusters.create(client, ns, cluster);
    List<String> children = new ArrayList<>(List.of(TestClusters.standardChildren(name,
        io.dirkdb.operator.dependent.ClusterNaming.generatesSecret(cluster))));
    if (cluster.getSpec().getBackup() != null && cluster.getSpec().getBackup().isArchiving()) {
      children.add("Deployment/" + name + "-archiver"); // the test runs its pod itself, if it wants one
    }
    TestClusters.awaitChildren(client, ns, children.toArray(String[]::new));
    var mode = cluster.getSpec().getReplication().getMode() == io.dirkdb.operator.api.v1alpha1.ReplicationMode.SYNC
        ? ReplicationMode.SYNC : ReplicationMode.ASYNC;
    LiveCluster live = new LiveCluster(client, ns, name, mode, MemberRuntime.PROCESS);
    try {
      live.configVolumes = new ConfigMapVolumes(client, ns, name + "-config", "config.json", live.root.resolve("volumes"),
          configSync, live::onTestNetwork);
      live.kubeletWork = Executors.newFixedThreadPool(4);
      live.controllers = Executors.newSingleThreadScheduledExecutor();
      live.controllers.scheduleWithFixedDelay(live::controllerPass, 0, 100, TimeUnit.MILLISECONDS);
      if (!awaitReady) {
        return live;
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        var c = client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(ns).withName(name)
            .require();
        org.assertj.core.api.Assertions.assertThat(c.getStatus().getPhase())
            .isEqualTo(io.dirkdb.operator.api.v1alpha1.ClusterPhase.Ready);
        org.assertj.core.api.Assertions.assertThat(c.getStatus().getMembers())
            .allSatisfy(m -> org.assertj.core.api.Assertions.assertThat(m.getEpoch()).isNotNull());
      });
      return live;
    } catch (RuntimeException | Error e) {
      live.close();
      throw e;
    }
  }

  /**
   * config.json as the test network sees it: each member's port 3948 (on its pod's own IP in a cluster) is
   * the port its pod has here; the stable names stay, resolved by {@link TestHosts}.
   */
  private String onTestNetwork(String configJson) {
    try {
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      var root = json.readTree(configJson);
      for (var instance : root.path("instances")) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) instance).put("port", podPort(instance.path("id").asText()));
      }
      return json.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A {@code --members} list of stable names at the members' port 3948 as the test network has it: each member's
   * port is the one its pod got here (the names resolve by {@link TestHosts}).
   */
  String membersOnTestNetwork(String members) {
    return java.util.Arrays.stream(members.split(","))
        .map(m -> {
          String host = m.substring(0, m.lastIndexOf(':'));
          return host + ":" + podPort(host.substring(0, host.indexOf('.')));
        })
        .collect(java.util.stream.Collectors.joining(","));
  }

  private int podPort(String pod) {
    return podPorts.computeIfAbsent(pod, p -> {
      try (var socket = new java.net.ServerSocket(0)) {
        return socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** The kubelet starts a pod whose member reads its mounted config.json, as {@code dirk server --config} does. */
  private void startPodFromMountedConfig(Pod pod) {
    String podName = pod.getMetadata().getName();
    try {
      String host = "127.0.0." + (NEXT_ADDRESS.getAndIncrement() % 250 + 2);
      TestHosts.map(stableName(podName), host);
      Path config = configVolumes.mount(podName);
      Path directory = root.resolve(podName);
      runInitContainers(pod, directory);
      MemberProcess process = MemberProcess.startFromConfig(podName, host, podPort(podName), directory,
          podPasswordFiles(podName), config, MemberProcess.behaviourFlags(pod.getSpec().getContainers().get(0).getArgs()));
      LiveMember live = new LiveMember(podName, host, process.port(), directory, process::close, process::terminate,
          process.httpPort(), process::alive);
      members.put(podName, live);
      memberStarts.add(podName);
      Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(podName).edit(p -> new PodBuilder(p)
          .editSpec().editFirstContainer()
          .withPorts(new ContainerPortBuilder().withName("sql").withContainerPort(live.port()).build())
          .endContainer().endSpec()
          .build()));
      // Ready only once /health/ready says so, as the kubelet's readiness probe decides: an empty primary still
      // waiting to hear its peers refuses writes and is not ready (the container loop probes it again).
      Kubelet.setRunning(client, namespace, podName, host, readyByProbe(live));
    } catch (RuntimeException e) {
      // A real kubelet would restart the container (CrashLoopBackOff); the next pass starts it again.
      startFailures.add(podName + ": " + e.getMessage());
      System.err.println("test kubelet: starting " + podName + " failed: " + e
          + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
    } finally {
      podsInHand.remove(podName);
    }
  }

  /**
   * The pod's init containers, in order, each to its end before the member starts (the {@code dirk restore} of a
   * recovery): {@code dirk <args>} with the member's data directory for {@code /var/lib/dirk/data} and the
   * environment the kubelet would give it. A failure stops the pod's start, as {@code Init:Error}.
   */
  private void runInitContainers(Pod pod, Path directory) {
    List<io.fabric8.kubernetes.api.model.Container> inits = pod.getSpec().getInitContainers();
    for (int i = 0; inits != null && i < inits.size(); i++) {
      io.fabric8.kubernetes.api.model.Container init = inits.get(i);
      String stamp = pod.getMetadata().getName() + "-init-" + init.getName() + "-" + System.nanoTime();
      // The container's terminationMessagePath, as the kubelet mounts it: a file of the test.
      Path terminationLog = root.resolve(stamp + ".termination-log");
      List<String> args = init.getArgs().stream()
          .map(a -> a.equals(io.dirkdb.operator.dependent.ClusterConfigRenderer.DATA_DIRECTORY) ? directory.toString()
              : a.equals(io.dirkdb.operator.backup.BackupPods.TERMINATION_LOG) ? terminationLog.toString() : a)
          .toList();
      Path log = root.resolve(stamp + ".log");
      int exit = JobController.runDirk(args, PodEnvironment.of(client, namespace, init), log, Duration.ofMinutes(5));
      String tail;
      try {
        String written = Files.exists(terminationLog) ? Files.readString(terminationLog).strip() : "";
        List<String> lines = Files.readAllLines(log);
        // The kubelet's rule: the file's text if any, else (FallbackToLogsOnError, a failure) the log's last lines.
        tail = !written.isEmpty() ? written : exit == 0 ? null
            : String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
      } catch (IOException e) {
        tail = e.toString();
      }
      recordInitStatus(pod, init, exit, tail);
      if (exit != 0) {
        throw new IllegalStateException("init container " + init.getName() + " exited " + exit + ": " + tail);
      }
    }
  }

  /**
   * What the kubelet writes of an init container that ended: {@code state.terminated} with its exit code, the one
   * before it in {@code lastState}, the restart count, and its termination message (the file it wrote, else with
   * {@code FallbackToLogsOnError} the log's last lines of a failure).
   */
  private void recordInitStatus(Pod pod, io.fabric8.kubernetes.api.model.Container init, int exit,
      String terminationMessage) {

    Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(pod.getMetadata().getName())
        .editStatus(p -> {
          List<io.fabric8.kubernetes.api.model.ContainerStatus> statuses = new ArrayList<>(
              p.getStatus() == null || p.getStatus().getInitContainerStatuses() == null ? List.of()
                  : p.getStatus().getInitContainerStatuses());
          io.fabric8.kubernetes.api.model.ContainerStatus before = statuses.stream()
              .filter(s -> init.getName().equals(s.getName())).findFirst().orElse(null);
          statuses.remove(before);
          var terminated = new io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder().withExitCode(exit)
              .withReason(exit == 0 ? "Completed" : "Error").withMessage(terminationMessage)
              .build();
          statuses.add(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder().withName(init.getName())
              .withImage(init.getImage()).withReady(exit == 0)
              .withRestartCount(before == null ? 0 : before.getRestartCount() + 1)
              .withLastState(before == null ? null : before.getState())
              .withNewState().withTerminated(terminated).endState().build());
          return new PodBuilder(p).editOrNewStatus().withInitContainerStatuses(statuses).endStatus().build();
        }));
  }

  /**
   * {@code kubectl delete dirkcluster} on a managed cluster, with the garbage collection the mock server
   * lacks: the DirkCluster and its children go except the credentials Secret (whose password the members'
   * processes were started with) and the volumes; each member pod is stopped as the kubelet stops a deleted
   * pod (preStop hook, SIGTERM). Returns once no pod of the cluster is left.
   *
   * <p>Like Kubernetes' garbage collector, it keeps collecting until then: a reconcile of the deleted
   * cluster already under way may still apply a StatefulSet or a Service owned by it (its status patch
   * then fails Not Found), and a one-shot deletion left such a StatefulSet making pods that could never
   * start for want of the deleted ConfigMap.
   */
  void deleteKeepingVolumes() {
    client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace).withName(name).delete();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> {
          collectChildrenOfDeletedCluster();
          return client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).list().getItems()
              .isEmpty();
        });
    jobsSeen.clear();
  }

  private void collectChildrenOfDeletedCluster() {
    client.apps().statefulSets().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.apps().deployments().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.services().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.configMaps().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.policy().v1().podDisruptionBudget().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name)
        .delete();
    client.serviceAccounts().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.batch().v1().jobs().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    // Only pods not yet being deleted: those already are keep their deletion timestamp and preStop hook.
    for (Pod pod : client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).list()
        .getItems()) {
      if (pod.getMetadata().getDeletionTimestamp() == null) {
        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).delete();
      }
    }
  }

  /** What pod {@code pod}'s container reads now at /etc/dirk/config.json. */
  String mountedConfig(String pod) {
    return configVolumes.seen(pod);
  }

  /** The pods whose member the kubelet started, in order, once per start. */
  List<String> memberStarts() {
    return List.copyOf(memberStarts);
  }

  /** Member starts that failed (each one a container restart in a cluster). */
  List<String> startFailures() {
    return List.copyOf(startFailures);
  }

  /** One pass of the harness controllers: StatefulSets, then the kubelet's work on their pods. */
  private void controllerPass() {
    try {
      StatefulSetController statefulSets = new StatefulSetController(client, namespace);
      statefulSets.sync(name + "-primary");
      statefulSets.sync(name + "-secondary");
      if (client.apps().deployments().inNamespace(namespace).withName(name + "-proxy").get() != null) {
        new Kubelet(client, namespace).proxyReady(name + "-proxy"); // gone while the cluster is deleted
      }
      containers();
      for (Pod pod : client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name)
          .withLabel("app.kubernetes.io/component", "member").list().getItems()) {
        String podName = pod.getMetadata().getName();
        if (!StatefulSetController.ownedHere(pod) || podsInHand.contains(podName)) {
          continue;
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
          podsInHand.add(podName);
          kubeletWork.submit(() -> stopPod(pod));
        } else if (!members.containsKey(podName) && !podStartsHeld) {
          podsInHand.add(podName);
          kubeletWork.submit(() -> startPod(pod));
        }
      }
    } catch (RuntimeException e) {
      System.err.println("test controllers: " + e);
    }
  }

  /**
   * The kubelet's care of running containers: a member whose container died (SIGKILL, a crash) is restarted
   * in place, on the same pod, address, port and volume, unless its restarts are held (its node is down);
   * readiness is what the member's {@code /health/ready} answers, probed every {@code periodSeconds} of the
   * pod's readinessProbe and NotReady after {@code failureThreshold} failures in a row, as the kubelet does.
   */
  private void containers() {
    long now = System.nanoTime();
    for (LiveMember member : List.copyOf(members.values())) {
      String podName = member.pod();
      if (podsInHand.contains(podName)) {
        continue;
      }
      Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
      if (pod == null || pod.getMetadata().getDeletionTimestamp() != null || !StatefulSetController.ownedHere(pod)) {
        continue;
      }
      if (!member.alive().getAsBoolean() && !restartsHeld.contains(podName)) {
        podsInHand.add(podName);
        kubeletWork.submit(() -> restartContainer(podName));
        continue;
      }
      var probe = pod.getSpec().getContainers().get(0).getReadinessProbe();
      long periodNanos = TimeUnit.SECONDS.toNanos(probe == null || probe.getPeriodSeconds() == null ? 10
          : probe.getPeriodSeconds());
      int threshold = probe == null || probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold();
      Long last = lastReadinessProbe.get(podName);
      if (last != null && now - last < periodNanos) {
        continue;
      }
      lastReadinessProbe.put(podName, now);
      boolean answered = readyByProbe(member);
      int failures = answered ? 0 : readinessFailures.merge(podName, 1, Integer::sum);
      if (answered) {
        readinessFailures.remove(podName);
      }
      boolean ready = StatefulSetController.ready(pod);
      if (answered && !ready || !answered && ready && failures >= threshold) {
        Kubelet.setRunning(client, namespace, podName, member.host(), answered);
      }
    }
  }

  /** Restarts a dead member's container in place, as the kubelet does after a crash. */
  private void restartContainer(String podName) {
    try {
      LiveMember live = restartInPlace(podName);
      readinessFailures.remove(podName);
      Kubelet.setRunning(client, namespace, podName, live.host(), readyByProbe(live));
      if (proxy != null) {
        proxy.replaceMembers(proxyMembers());
      }
    } catch (RuntimeException e) {
      System.err.println("test kubelet: restarting " + podName + " failed: " + e);
    } finally {
      podsInHand.remove(podName);
    }
  }

  /** What the member's /health/ready answers: 200 is ready; anything else, or no answer in 1 s, is not. */
  private static boolean readyByProbe(LiveMember member) {
    try {
      var connection = (java.net.HttpURLConnection) java.net.URI.create("http://" + member.host() + ":"
          + member.httpPort() + "/health/ready").toURL().openConnection();
      connection.setConnectTimeout(1000);
      connection.setReadTimeout(1000);
      try {
        return connection.getResponseCode() == 200;
      } finally {
        connection.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  /** While held, the kubelet does not restart {@code pod}'s member after it died: its node is down. */
  void holdRestarts(String pod, boolean held) {
    if (held) {
      restartsHeld.add(pod);
    } else {
      restartsHeld.remove(pod);
    }
  }

  /** The kubelet starts a pod: a member on the pod's volume; a new volume starts as its StatefulSet says. */
  private void startPod(Pod pod) {
    if (configVolumes != null) {
      startPodFromMountedConfig(pod);
      return;
    }
    String podName = pod.getMetadata().getName();
    try {
      Path directory = root.resolve(podName);
      boolean newVolume = !Files.exists(directory);
      Role role = Role.SECONDARY;
      LiveMember follow = null;
      if (newVolume && podName.equals(name + "-primary-0")) {
        role = Role.PRIMARY;
      } else if (newVolume) {
        // A new member follows the primary, as the config.json the operator renders tells it.
        var cluster = client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace)
            .withName(name).get();
        String primary = cluster == null || cluster.getStatus() == null || cluster.getStatus().getCurrentPrimary() == null
            ? name + "-primary-0" : cluster.getStatus().getCurrentPrimary();
        follow = members.get(primary);
        if (follow == null) {
          return; // the primary is not running yet: a later pass starts this pod
        }
      }
      String host = "127.0.0." + (NEXT_ADDRESS.getAndIncrement() % 250 + 2);
      TestHosts.map(stableName(podName), host); // what the cluster's DNS would answer for the headless Service
      LiveMember live = runtime == MemberRuntime.PROCESS ? startProcess(podName, role, host, directory, follow)
          : startInProcess(podName, role, host, 0, directory, follow);
      members.put(podName, live);
      // The pod declares the member's port (the test's members share loopback, not 3948) and runs at its address.
      Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(podName).edit(p -> new PodBuilder(p)
          .editSpec().editFirstContainer()
          .withPorts(new ContainerPortBuilder().withName("sql").withContainerPort(live.port()).build())
          .endContainer().endSpec()
          .build()));
      Kubelet.setRunning(client, namespace, podName, host, readyByProbe(live)); // Ready once /health/ready says so
      if (proxy != null) {
        proxy.replaceMembers(proxyMembers());
      }
    } catch (RuntimeException e) {
      System.err.println("test kubelet: starting " + podName + " failed: " + e
          + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
    } finally {
      podsInHand.remove(podName);
    }
  }

  /**
   * The kubelet stops a deleted pod: its preStop hook, SIGTERM, SIGKILL once the grace period is over;
   * then it releases the pod, which the API server removes.
   */
  private void stopPod(Pod pod) {
    String podName = pod.getMetadata().getName();
    try {
      LiveMember live = members.get(podName);
      if (live != null) {
        long grace = Optional.ofNullable(pod.getSpec().getTerminationGracePeriodSeconds()).orElse(30L);
        Instant deadline = Instant.now().plusSeconds(grace);
        runPreStop(pod, live, Duration.ofSeconds(grace));
        Duration left = Duration.between(Instant.now(), deadline);
        live.terminate().stop(left.isNegative() ? Duration.ZERO : left);
        members.remove(podName);
        if (configVolumes != null) {
          configVolumes.unmount(podName);
        } else if (proxy != null) {
          proxy.replaceMembers(proxyMembers());
        }
      }
      Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(podName).edit(p -> new PodBuilder(p)
          .editMetadata().removeFromFinalizers(StatefulSetController.KUBELET_FINALIZER).endMetadata()
          .build()));
    } catch (RuntimeException e) {
      System.err.println("test kubelet: stopping " + podName + " failed: " + e);
    } finally {
      podsInHand.remove(podName);
    }
  }

  /** Runs the container's preStop exec command, the {@code dirk} command it names, against this pod's member. */
  private void runPreStop(Pod pod, LiveMember live, Duration grace) {
    var container = pod.getSpec().getContainers().get(0);
    if (container.getLifecycle() == null || container.getLifecycle().getPreStop() == null
        || container.getLifecycle().getPreStop().getExec() == null) {
      return;
    }
    List<String> command = container.getLifecycle().getPreStop().getExec().getCommand();
    if (command.isEmpty() || !command.get(0).endsWith("/dirk")) {
      throw new IllegalStateException("the test kubelet runs only dirk commands, not " + command);
    }
    // Inside the pod the member is on localhost:3948 with $DIRK_PASSWORD set; here it is on its own address.
    List<String> args = new ArrayList<>(command.subList(1, command.size()));
    int port = args.indexOf("--port");
    if (port >= 0) {
      args.set(port + 1, Integer.toString(live.port()));
    } else {
      args.addAll(List.of("--port", Integer.toString(live.port())));
    }
    // The pod's $DIRK_ADMIN_PASSWORD, as the Secret was when the pod started.
    args.addAll(List.of("--host", live.host(), "--password",
        podAdminPasswords.getOrDefault(pod.getMetadata().getName(), adminPassword)));
    java.io.StringWriter output = new java.io.StringWriter();
    picocli.CommandLine dirk = Dirk.commandLine();
    dirk.setOut(new java.io.PrintWriter(output, true));
    CompletableFuture<Integer> hook = CompletableFuture.supplyAsync(() -> dirk.execute(args.toArray(String[]::new)));
    String outcome;
    try {
      outcome = "exit " + hook.get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      outcome = "still running when the grace period ended";
    } catch (Exception e) {
      outcome = "failed: " + e;
    }
    preStopOutput.add(pod.getMetadata().getName() + ": " + output.toString().strip());
    preStopLog.add(pod.getMetadata().getName() + " " + String.join(" ", command.subList(1, command.size())) + " -> "
        + outcome);
  }

  /** While held, the kubelet starts no member for a new pod (as a node still pulling an image). */
  void holdPodStarts(boolean held) {
    podStartsHeld = held;
  }

  /** The preStop hooks the kubelet ran: pod, command, outcome. */
  List<String> preStopLog() {
    return List.copyOf(preStopLog);
  }

  /** What the preStop hooks the kubelet ran printed: {@code pod: output}. */
  List<String> preStopOutput() {
    return List.copyOf(preStopOutput);
  }

  /** Members running now, by pod. */
  Set<String> runningMembers() {
    return Set.copyOf(members.keySet());
  }

  String password() {
    return password;
  }

  private String readPassword(String key) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      Secret secret = credentialsSecret();
      return secret != null && io.dirkdb.operator.dependent.ClusterCredentials.value(secret, key) != null;
    });
    return io.dirkdb.operator.dependent.ClusterCredentials.value(credentialsSecret(), key);
  }

  /** The Secret the cluster's pods read their passwords from: spec.auth.secretName, else the generated one. */
  private Secret credentialsSecret() {
    var cluster = client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace)
        .withName(name).get();
    String secret = cluster == null ? name + "-credentials"
        : io.dirkdb.operator.dependent.ClusterNaming.credentialsSecret(cluster);
    return client.secrets().inNamespace(namespace).withName(secret).get();
  }

  /** The keys of the Secret a member pod reads as files, in {@link MemberProcess}'s order. */
  private static final List<String> MEMBER_PASSWORD_KEYS = List.of("password", "replication-password", "admin-password",
      "previous-password", "previous-replication-password", "previous-admin-password");

  /**
   * The password files of a member pod starting now: the Secret's values as the kubelet puts them in its env
   * (DIRK_PASSWORD ... DIRK_PREVIOUS_ADMIN_PASSWORD, the previous ones optional: null when the key is absent).
   */
  private List<Path> podPasswordFiles(String pod) {
    Secret secret = credentialsSecret();
    try {
      Path dir = Files.createDirectories(root.resolve("env").resolve(pod + "-" + System.nanoTime()));
      List<Path> files = new ArrayList<>();
      for (String key : MEMBER_PASSWORD_KEYS) {
        String value = secret == null ? null : io.dirkdb.operator.dependent.ClusterCredentials.value(secret, key);
        files.add(value == null ? null : Files.writeString(dir.resolve(key), value));
      }
      String admin = secret == null ? null : io.dirkdb.operator.dependent.ClusterCredentials.value(secret,
          "admin-password");
      podAdminPasswords.put(pod, admin != null ? admin : adminPassword);
      podPasswords.put(pod, files);
      return files;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The application password the test's clients (and {@link #connect}) use from now on. */
  void useApplicationPassword(String applicationPassword) {
    this.password = applicationPassword;
  }

  /** Starts the primary member and pod, then every secondary following it; all pods Ready. */
  void startAll() {
    String primary = name + "-primary-0";
    startMember(primary, Role.PRIMARY, null);
    int secondaries = client.apps().statefulSets().inNamespace(namespace).withName(name + "-secondary").require()
        .getSpec().getReplicas();
    // Secondaries need only the primary's address: processes start side by side (a JVM start each).
    List<CompletableFuture<LiveMember>> started = new ArrayList<>();
    for (int i = 0; i < secondaries; i++) {
      String pod = name + "-secondary-" + i;
      Supplier<LiveMember> start = () -> startMember(pod, Role.SECONDARY, members.get(primary));
      started.add(runtime == MemberRuntime.PROCESS ? CompletableFuture.supplyAsync(start)
          : CompletableFuture.completedFuture(start.get()));
    }
    // allOf waits for every start, failed or not, so close() after a failure finds every process to kill.
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).join();
    Kubelet kubelet = new Kubelet(client, namespace);
    kubelet.finishRollout(name + "-primary");
    kubelet.finishRollout(name + "-secondary");
    kubelet.proxyReady(name + "-proxy");
  }

  /** Starts (or restarts, on its data directory) the member of pod {@code pod} and creates its pod. */
  LiveMember startMember(String pod, Role role, LiveMember follow) {
    String host = "127.0.0." + (NEXT_ADDRESS.getAndIncrement() % 250 + 2);
    TestHosts.map(stableName(pod), host); // what the cluster's DNS would answer for the headless Service
    Path directory = root.resolve(pod);
    LiveMember live = runtime == MemberRuntime.PROCESS ? startProcess(pod, role, host, directory, follow)
        : startInProcess(pod, role, host, 0, directory, follow);
    members.put(pod, live);
    createPod(live);
    if (proxy != null) {
      proxy.replaceMembers(proxyMembers());
    }
    return live;
  }

  /**
   * A member as {@code dirk server} in a process of its own, on its pod's port ({@link #podPort}: the same for
   * every pod of that name, as 3948 is in a cluster), its config.json listing every other member of the cluster
   * at its stable name and pod port, as the operator's does: after any pod's restart, on a new IP, the others
   * still reach it where their config.json says.
   */
  private LiveMember startProcess(String pod, Role role, String host, Path directory, LiveMember follow) {
    Map<String, Integer> others = new TreeMap<>();
    for (String other : io.dirkdb.operator.dependent.ClusterNaming.memberNames(client
        .resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace).withName(name).require())) {
      if (!other.equals(pod)) {
        others.put(stableName(other), podPort(other));
      }
    }
    if (follow != null) {
      others.putIfAbsent(stableName(follow.pod()), follow.port()); // a pod the spec no longer counts, still primary
    }
    // The primary by its stable name too, never its IP.
    MemberProcess process = MemberProcess.start(pod, role == Role.PRIMARY, host, podPort(pod), directory,
        podPasswordFiles(pod), others, replication.mode().wireName(), follow == null ? null : stableName(follow.pod()),
        templateFlags(pod));
    return new LiveMember(pod, host, process.port(), directory, process::close, process::terminate,
        process.httpPort(), process::alive);
  }

  /** The behaviour flags (lease, heap share) of the member command in the StatefulSet template of {@code pod}. */
  private List<String> templateFlags(String pod) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(namespace).withName(pod.substring(0, pod.lastIndexOf('-')))
        .get();
    return sts == null ? List.of()
        : MemberProcess.behaviourFlags(sts.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
  }

  private LiveMember startInProcess(String pod, Role role, String host, int port, Path directory, LiveMember follow) {
    EngineDatabase database = EngineDatabase.open(directory);
    inProcessDatabases.put(pod, database);
    // The peers config.json lists: an empty member asks them before it may begin a history of its own.
    List<io.dirkdb.heartbeat.MemberAddress> peers = members.values().stream().filter(m -> !m.pod().equals(pod))
        .map(m -> new io.dirkdb.heartbeat.MemberAddress(m.pod(), stableName(m.pod()), m.port())).toList();
    Member member = Member.start(pod, database, directory, role, new Member.Bootstrap(peers, null));
    // Every member of the cluster, started yet or not, as config.json lists them (a primary counts only their
    // streams as confirming sync writes), plus the tests' cut-off address: a partition, not a stranger.
    List<Member.Peer> cluster = new ArrayList<>();
    for (String other : io.dirkdb.operator.dependent.ClusterNaming.memberNames(client
        .resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace).withName(name).require())) {
      if (!other.equals(pod)) {
        cluster.add(new Member.Peer(stableName(other), 0, other));
      }
    }
    cluster.add(new Member.Peer("cut-off." + name + "-members." + namespace + ".svc", 0, null));
    member.limitPeersTo(cluster);
    // As dirk server in a cluster (config.json lists its peers): as primary it acknowledges only while heard from.
    member.useLease(inProcessLease);
    if (follow != null && member.state().primaryHost() == null) {
      member.follow(stableName(follow.pod()), follow.port()); // by name, as config.json says, never by IP
    }
    var registry = HealthHttpServer.newRegistry();
    Replicator.attach(member, database.engine(), replication.withSourceHost(host), registry); // streams from its own address, as a pod does
    try {
      MemberServer server = MemberServer.start(member, new ServerSettings(host, port, password, 64,
          RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofMillis(200))
          .withCredentials(new io.dirkdb.server.Credentials(password, replicationPassword, adminPassword)), registry);
      HealthHttpServer http;
      try {
        http = HealthHttpServer.start(host, 0, registry, server::readiness);
      } catch (IOException | RuntimeException e) {
        server.close();
        throw e;
      }
      java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
      Runnable stop = () -> {
        running.set(false);
        http.close();
        server.close();
      };
      return new LiveMember(pod, host, server.port(), directory, stop, grace -> {
        stop.run();
        return true;
      }, http.port(), running::get);
    } catch (IOException e) {
      member.close();
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Kills a member: SIGKILL for a process member; for an in-process one, a stop of its server. Its pod
   * stays, Ready, until the kubelet would notice.
   */
  void kill(String pod) {
    members.get(pod).stop().run();
  }

  /** Gives the in-process member of {@code pod} a {@code --max-heap-share} of this JVM's heap, as its flag would. */
  void limitMemory(String pod, double maxHeapShare) {
    inProcessDatabases.get(pod).engine().limitMemory(io.dirkdb.engine.MemoryLimit.ofHeapShare(maxHeapShare));
  }

  /**
   * The member of {@code pod} dies and its container comes back at once on the same address and port, but on an
   * empty volume (a node's local disk lost, a PersistentVolume replaced): it answers again, holding nothing.
   */
  void restartInPlaceOnAnEmptyVolume(String pod) throws IOException {
    holdRestarts(pod, true);
    try {
      kill(pod);
      try (var files = Files.walk(members.get(pod).directory())) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          if (!file.equals(members.get(pod).directory())) {
            Files.delete(file);
          }
        }
      }
      restartInPlace(pod);
    } finally {
      holdRestarts(pod, false);
    }
  }

  /** Restarts a stopped member with the same data directory on the same address and port. */
  LiveMember restartInPlace(String pod) {
    LiveMember old = members.get(pod);
    if (configVolumes != null) { // a container restart reads the same mounted config.json
      Pod running = client.pods().inNamespace(namespace).withName(pod).get();
      MemberProcess process = MemberProcess.startFromConfig(pod, old.host(), old.port(), old.directory(),
          podPasswords.getOrDefault(pod, List.of(passwordFile, replicationPasswordFile, adminPasswordFile)),
          configVolumes.mount(pod), running == null ? List.of()
              : MemberProcess.behaviourFlags(running.getSpec().getContainers().get(0).getArgs()));
      LiveMember live = new LiveMember(pod, old.host(), process.port(), old.directory(), process::close,
          process::terminate, process.httpPort(), process::alive);
      members.put(pod, live);
      memberStarts.add(pod);
      return live;
    }
    LiveMember live = runtime == MemberRuntime.PROCESS
        ? startProcess(pod, Role.SECONDARY, old.host(), old.directory(), null)
        : startInProcess(pod, Role.SECONDARY, old.host(), old.port(), old.directory(), null);
    members.put(pod, live);
    return live;
  }

  /**
   * {@code kubectl delete dirkcluster} with the garbage collection the mock server lacks: every member stops,
   * the DirkCluster goes, and so do its pods and children except the credentials Secret and the volumes.
   */
  void deleteWithItsPods() {
    members.values().forEach(m -> m.stop().run());
    client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace).withName(name).delete();
    client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.apps().statefulSets().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.apps().deployments().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.services().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.configMaps().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.policy().v1().podDisruptionBudget().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name)
        .delete();
    client.serviceAccounts().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    client.batch().v1().jobs().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).delete();
    await(() -> client.pods().inNamespace(namespace).list().getItems().isEmpty()
        && client.apps().statefulSets().inNamespace(namespace).list().getItems().isEmpty());
    jobsSeen.clear();
  }

  /**
   * Deletes the DirkCluster as {@code kubectl delete} with garbage collection would (its member pods and
   * children go; the members' volumes stay, and so does the credentials Secret, whose password the members
   * were started with), then creates it again with the same spec and restarts every member on its retained
   * data directory, as the new StatefulSets would. The members in {@code wiped} come back on an empty volume.
   */
  void recreateOverRetainedVolumes(Set<String> wiped) throws IOException {
    var old = client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace)
        .withName(name).require();
    deleteWithItsPods();
    for (String pod : wiped) {
      try (var files = Files.walk(members.get(pod).directory())) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
    }
    var fresh = new io.dirkdb.operator.api.v1alpha1.DirkCluster();
    fresh.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
    fresh.setSpec(old.getSpec());
    TestClusters.create(client, namespace, fresh);
    TestClusters.awaitChildren(client, namespace, TestClusters.standardChildren(name, true));
    List<String> pods = new ArrayList<>(members.keySet());
    pods.sort(null);
    for (String pod : pods) {
      // The configured role decides only for an empty volume: the role saved in a retained one wins.
      startMember(pod, pod.equals(name + "-primary-0") ? Role.PRIMARY : Role.SECONDARY, null);
    }
    Kubelet kubelet = new Kubelet(client, namespace);
    kubelet.finishRollout(name + "-primary");
    kubelet.finishRollout(name + "-secondary");
    kubelet.proxyReady(name + "-proxy");
  }

  /** As Kubernetes restarts a pod: a new pod (no role label) with a new IP, the same volume. */
  LiveMember restartPod(String pod) {
    client.pods().inNamespace(namespace).withName(pod).delete();
    await(() -> client.pods().inNamespace(namespace).withName(pod).get() == null);
    return startMember(pod, Role.SECONDARY, null);
  }

  private void createPod(LiveMember live) {
    String statefulSet = live.pod().substring(0, live.pod().lastIndexOf('-'));
    StatefulSet sts = client.apps().statefulSets().inNamespace(namespace).withName(statefulSet).require();
    PodSpec spec = new io.fabric8.kubernetes.api.model.PodSpecBuilder(sts.getSpec().getTemplate().getSpec())
        .editFirstContainer()
        .withPorts(new ContainerPortBuilder().withName("sql").withContainerPort(live.port()).build())
        .endContainer()
        .build();
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(live.pod()).withNamespace(namespace)
        .withLabels(sts.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
        .withSpec(spec)
        .build();
    client.pods().inNamespace(namespace).resource(pod).create();
    Kubelet.setRunning(client, namespace, live.pod(), live.host(), true);
  }

  LiveMember member(String pod) {
    return members.get(pod);
  }

  /** {@code <pod>.<cluster>-members.<ns>.svc}, which resolves to the member's loopback address in tests. */
  String stableName(String pod) {
    return pod + "." + name + "-members." + namespace + ".svc";
  }

  /** The stable name and port of a member, as the operator tells other members to reach it. */
  String stableAddress(String pod) {
    return stableName(pod) + ":" + members.get(pod).port();
  }

  /**
   * Puts a {@link ControlRelay} in front of {@code pod}'s member and has the pod declare the relay's
   * port, so the operator's statements to that member pass through it. Closed with the cluster.
   */
  ControlRelay relay(String pod) throws IOException {
    LiveMember member = members.get(pod);
    ControlRelay relay = ControlRelay.start(member.host(), member.port());
    relays.add(relay);
    // A whole-pod update keeps the status it carries; the operator may relabel meanwhile, hence the retry.
    Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(pod).edit(p -> new PodBuilder(p)
        .editSpec().editFirstContainer()
        .withPorts(new ContainerPortBuilder().withName("sql").withContainerPort(relay.port()).build())
        .endContainer().endSpec()
        .build()));
    return relay;
  }

  /** A real routing proxy in front of the members, learning roles from their heartbeats. */
  RoutingProxy startProxy() throws IOException {
    List<MemberAddress> initial = proxyMembers();
    Path proxyConfig = null;
    if (configVolumes != null) {
      // The proxy pod's config.json, reread every second as --config-reload-interval-ms does.
      proxyConfig = configVolumes.mount(name + "-proxy-0");
      initial = configuredMembers(proxyConfig);
    }
    proxy = RoutingProxy.start(ProxySettings.loopback(initial).withPassword(password)
        .withHeartbeatIntervalMillis(100).withWriteWaitMillis(15_000).withBackendTimeoutMillis(10_000),
        HealthHttpServer.newRegistry());
    if (proxyConfig != null) {
      proxyConfigWatch = new MemberListWatcher(proxyConfig, LiveCluster::configuredMembers, initial,
          proxy::replaceMembers).start(1000);
    }
    return proxy;
  }

  /**
   * A pod of the proxy Deployment started now, as the Deployment's rolling update starts one: its application
   * password and previous one from the Secret as it is now (its env), following the config.json it mounts.
   * Clients reach it at its own port (the test's stand-in for the proxy Service sending new connections to it).
   * Returns once it is Ready.
   */
  ProxyPod startProxyPod(String pod) throws IOException {
    Secret secret = credentialsSecret();
    String current = io.dirkdb.operator.dependent.ClusterCredentials.value(secret, "password");
    String previous = io.dirkdb.operator.dependent.ClusterCredentials.value(secret, "previous-password");
    Path config = configVolumes.mount(pod);
    List<MemberAddress> initial = configuredMembers(config);
    RoutingProxy started = RoutingProxy.start(ProxySettings.loopback(initial).withPassword(current)
        .withPreviousPassword(previous).withHeartbeatIntervalMillis(100).withWriteWaitMillis(15_000)
        .withBackendTimeoutMillis(10_000), HealthHttpServer.newRegistry());
    MemberListWatcher watch = new MemberListWatcher(config, LiveCluster::configuredMembers, initial,
        started::replaceMembers).start(1000);
    ProxyPod proxyPod = new ProxyPod(pod, started, watch);
    proxyPods.add(proxyPod);
    // The Deployment routes to a new pod, and removes an old one, only once it is Ready: it knows the primary.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> started.table().writeTarget().isPresent());
    return proxyPod;
  }

  /** The members a config.json lists, as {@code dirk proxy} reads them. */
  private static List<MemberAddress> configuredMembers(Path file) {
    return io.dirkdb.server.ClusterConfig.load(file).instances().stream()
        .map(i -> new MemberAddress(i.id(), i.host(), i.port())).toList();
  }

  /** What the proxy's pod reads at /etc/dirk/config.json now; null while no proxy runs. */
  String proxyMountedConfig() {
    return proxyConfigWatch == null ? null : configVolumes.seen(name + "-proxy-0");
  }

  private List<MemberAddress> proxyMembers() {
    return members.values().stream().map(m -> new MemberAddress(m.pod(), m.host(), m.port())).toList();
  }

  int proxyPort() {
    return proxy.port();
  }

  DirkConnection connectProxy() throws IOException {
    DirkConnection connection = DirkConnection.open("127.0.0.1", proxy.port());
    check(connection.authenticate(password));
    return connection;
  }

  /** Whether {@code pod}'s member says its primary lease ran out (it takes no writes until renewed). */
  boolean leaseExpired(String pod) throws IOException {
    try (DirkConnection c = connect(pod)) {
      return c.execute("dirk heartbeat").messageText().contains("\"leaseExpired\":true");
    }
  }

  DirkConnection connect(String pod) throws IOException {
    LiveMember member = members.get(pod);
    DirkConnection connection = DirkConnection.open(member.host(), member.port());
    check(connection.authenticate(password));
    return connection;
  }

  /** A connection to {@code pod}'s member holding the administration credential (fence, promote, follow). */
  DirkConnection connectAdmin(String pod) throws IOException {
    LiveMember member = members.get(pod);
    DirkConnection connection = DirkConnection.open(member.host(), member.port());
    check(connection.authenticate(adminPassword));
    return connection;
  }

  /** Every table's rows on a member, to compare members. */
  Map<String, List<List<Object>>> contents(String pod) throws IOException {
    Map<String, List<List<Object>>> contents = new TreeMap<>();
    try (DirkConnection connection = connect(pod)) {
      for (String database : names(connection.execute("asehoy ny tahiry"))) {
        check(connection.execute("ampiasao " + database));
        for (String table : names(connection.execute("asehoy ny tabilao"))) {
          Reply rows = check(connection.execute("alaivo * ao@ " + table));
          List<List<Object>> sorted = new ArrayList<>(((Result.Relation) rows.result()).rows());
          sorted.sort((a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
          contents.put(database + "." + table, sorted);
        }
      }
    }
    return contents;
  }

  static Reply check(Reply reply) {
    if (reply.isError()) {
      throw new IllegalStateException(reply.errorMessage());
    }
    return reply;
  }

  private static List<String> names(Reply reply) {
    return ((Result.Relation) check(reply).result()).rows().stream().map(row -> (String) row.get(0)).sorted().toList();
  }

  /** While held, new Jobs stay pending (not started), so a test can look at a Job in progress. */
  void holdJobs(boolean held) {
    jobsHeld = held;
  }

  /** The next {@code count} resync Jobs fail. */
  void failNextJobs(int count) {
    jobsToFail.set(count);
  }

  List<String> jobLog() {
    synchronized (jobLog) {
      return List.copyOf(jobLog);
    }
  }

  /** Runs every new resync Job through the harness's {@link JobController}: real processes, real status. */
  private void runNewJobs() {
    if (jobsHeld) {
      return;
    }
    try {
      // Resync Jobs only: a test runs a backup Job itself, with its pod's environment.
      for (Job job : client.batch().v1().jobs().inNamespace(namespace)
          .withLabel(io.dirkdb.operator.dependent.ClusterNaming.LABEL_COMPONENT,
              io.dirkdb.operator.resync.ResyncJobs.COMPONENT_RESYNC).list().getItems()) {
        String jobName = job.getMetadata().getName();
        if (!jobsSeen.add(jobName)) {
          continue;
        }
        List<String> args0 = job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
        for (int i = 0; i + 1 < args0.size(); i++) {
          if (List.of("--from", "--to").contains(args0.get(i)) && isIpLiteral(hostOf(args0.get(i + 1)))) {
            addressedByIp.add("Job " + jobName + " has " + args0.get(i) + " " + args0.get(i + 1)
                + ", an IP, not the member's stable name");
          }
        }
        // The Job's $DIRK_ADMIN_PASSWORD.
        List<String> extra = List.of("--password", adminPassword, "--timeout-seconds", "30", "--poll-ms", "50");
        // A pod told to fail exits 1 without running, as a resync whose source vanished would.
        List<Integer> exits = new JobController(client, namespace, root.resolve("jobs"))
            .run(job, extra, () -> jobsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 1 : 0);
        List<String> args = job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
        synchronized (jobLog) {
          jobLog.add(jobName + " " + String.join(" ", args) + " -> exit " + exits.get(exits.size() - 1));
        }
      }
    } catch (RuntimeException e) {
      System.err.println("test kubelet: running Jobs failed: " + e);
    }
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(condition::getAsBoolean);
  }

  /** Records every host in the operator's rendered config.json that is an IP: members read their peers there. */
  private void checkRenderedConfig() {
    java.util.regex.Pattern host = java.util.regex.Pattern.compile("\"host\"\\s*:\\s*\"([^\"]+)\"");
    for (var configMap : client.configMaps().inNamespace(namespace).withLabel("app.kubernetes.io/instance", name).list()
        .getItems()) {
      for (var entry : Optional.ofNullable(configMap.getData()).orElse(Map.of()).entrySet()) {
        java.util.regex.Matcher m = host.matcher(entry.getValue());
        while (m.find()) {
          if (isIpLiteral(m.group(1))) {
            addressedByIp.add("ConfigMap " + configMap.getMetadata().getName() + " " + entry.getKey() + " names host "
                + m.group(1) + ", an IP, not a stable name");
          }
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      checkRenderedConfig();
    } catch (RuntimeException e) {
      System.err.println("test kubelet: could not read the rendered config: " + e);
    }
    try {
      // Deleting the cluster stops the operator's probes of members that are about to go.
      client.resources(io.dirkdb.operator.api.v1alpha1.DirkCluster.class).inNamespace(namespace).withName(name).delete();
    } finally {
      if (controllers != null) {
        controllers.shutdownNow();
        kubeletWork.shutdownNow();
        try {
          // A member start in progress must finish (or fail) before the members are stopped below.
          controllers.awaitTermination(5, TimeUnit.SECONDS);
          kubeletWork.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      jobRunner.shutdownNow();
      if (proxyConfigWatch != null) {
        proxyConfigWatch.close();
      }
      if (configVolumes != null) {
        configVolumes.close();
      }
      try {
        if (proxy != null) {
          proxy.close();
        }
        for (ProxyPod pod : proxyPods) {
          try {
            pod.close();
          } catch (RuntimeException e) {
            System.err.println("test kubelet: stopping a proxy pod failed: " + e);
          }
        }
      } finally {
        // Every member goes, whatever failed before: a process member left behind would outlive the build.
        relays.forEach(ControlRelay::close);
        members.values().forEach(m -> m.stop().run());
        keepLogs();
        deleteTree(root); // the members' volumes, passwords and job output: nothing outlives the test
      }
    }
    if (!addressedByIp.isEmpty()) {
      throw new AssertionError("members were told to reach peers by IP, which changes when a pod restarts: "
          + addressedByIp);
    }
  }

  /**
   * With DIRK_TEST_KEEP_LOGS=dir in the environment, the process members' standard error and config.json files
   * are copied to {@code dir/<namespace>-<millis>/} before the cluster's files are removed, to read after a failed
   * run (the proxy, the operator and the test kubelet log to the test's own output).
   */
  private void keepLogs() {
    String keep = System.getenv("DIRK_TEST_KEEP_LOGS");
    if (keep == null || keep.isBlank()) {
      return;
    }
    Path target = Path.of(keep).resolve(namespace + "-" + System.currentTimeMillis());
    try (var paths = Files.walk(root)) {
      for (Path path : paths.filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".json")).toList()) {
        Path copy = target.resolve(root.relativize(path));
        Files.createDirectories(copy.getParent());
        Files.copy(path, copy);
      }
      System.err.println("test kubelet: member logs kept in " + target);
    } catch (IOException | UncheckedIOException e) {
      System.err.println("test kubelet: could not keep the member logs in " + target + ": " + e);
    }
  }

  private static void deleteTree(Path top) {
    try (var paths = Files.walk(top)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      System.err.println("test kubelet: could not remove " + top + ": " + e);
    }
  }
}
