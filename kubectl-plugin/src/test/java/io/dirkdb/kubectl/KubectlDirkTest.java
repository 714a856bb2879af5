package io.dirkdb.kubectl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plugin against the Fabric8 mock server in CRUD mode; the test plays the operator where one is needed. */
@EnableKubernetesMockClient(crud = true)
class KubectlDirkTest {

  static final String NS = "shop";

  KubernetesMockServer server;
  KubernetesClient client;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void clusterWithAFilledStatus() throws IOException {
    try (var crd = new FileInputStream(System.getProperty("dirk.crd"))) {
      client.apiextensions().v1().customResourceDefinitions()
          .resource(Serialization.unmarshal(crd, CustomResourceDefinition.class)).createOr(c -> c.update());
    }
    GenericKubernetesResource cluster = Serialization.unmarshal("""
        apiVersion: dirkdb.io/v1alpha1
        kind: DirkCluster
        metadata: {name: demo, namespace: shop}
        spec: {secondaries: 2, proxy: {port: 3949}}
        """, GenericKubernetesResource.class);
    clusters().resource(cluster).create();
    writeStatus(Map.of(
        "phase", "Ready", "currentPrimary", "demo-primary-0", "readyMembers", "3/3",
        "members", java.util.List.of(
            Map.of("name", "demo-primary-0", "role", "primary", "epoch", 4, "lsn", 1200, "lag", 0, "ready", true,
                "missedHeartbeats", 0),
            Map.of("name", "demo-secondary-0", "role", "secondary", "epoch", 4, "lsn", 1187, "lag", 13, "ready", true,
                "missedHeartbeats", 0),
            Map.of("name", "demo-secondary-1", "role", "secondary", "epoch", 3, "lsn", 900, "lag", 300, "ready", false,
                "missedHeartbeats", 5)),
        "lastFailover", Map.of("fromPrimary", "demo-secondary-1", "toPrimary", "demo-primary-0", "epoch", 4,
            "reason", "PrimaryUnreachable", "step", "Completed", "startedAt", "2026-12-07T10:00:00Z",
            "completedAt", "2026-12-07T10:00:07Z"),
        "conditions", java.util.List.of(Map.of("type", "Ready", "status", "True", "reason", "AllReady",
            "message", "every member is ready"))));
  }

  io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList, io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> clusters() {
    return client.genericKubernetesResources(DirkClusters.DEFINITION).inNamespace(NS);
  }

  GenericKubernetesResource cluster() {
    return clusters().withName("demo").get();
  }

  void writeStatus(Map<String, Object> status) {
    GenericKubernetesResource cluster = cluster();
    cluster.setAdditionalProperty("status", status);
    clusters().resource(cluster).updateStatus();
  }

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var line = KubectlDirk.commandLine(new KubectlDirk(options -> server.createClient()));
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int exit = line.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  Map<String, String> annotations() {
    Map<String, String> annotations = cluster().getMetadata().getAnnotations();
    return annotations == null ? Map.of() : annotations;
  }

  @Test
  void statusShowsEveryMemberTheLastFailoverAndResyncJobs() {
    client.batch().v1().jobs().inNamespace(NS).resource(new JobBuilder().withNewMetadata().withName("demo-resync-s1-1")
        .withLabels(Map.of(DirkClusters.LABEL_INSTANCE, "demo", DirkClusters.LABEL_MANAGED_BY, "dirk-operator",
            DirkClusters.LABEL_COMPONENT, "resync", "dirkdb.io/member", "demo-secondary-1"))
        .endMetadata().withNewSpec().withNewTemplate().endTemplate().endSpec()
        .withNewStatus().withActive(1).withStartTime("2026-12-07T10:01:00Z").endStatus().build()).create();

    Run status = run("status", "demo", "-n", NS);

    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).containsPattern("demo\\s+shop\\s+Ready\\s+demo-primary-0\\s+3/3")
        .containsPattern("demo-primary-0\\s+primary\\s+4\\s+1200\\s+0\\s+yes\\s+0")
        .containsPattern("demo-secondary-0\\s+secondary\\s+4\\s+1187\\s+13\\s+yes")
        .containsPattern("demo-secondary-1\\s+secondary\\s+3\\s+900\\s+300\\s+no\\s+5")
        .containsPattern("demo-secondary-1\\s+demo-primary-0\\s+4\\s+PrimaryUnreachable\\s+Completed")
        .containsPattern("demo-resync-s1-1\\s+demo-secondary-1\\s+Running");
  }

  @Test
  void theNamespaceFlagWorksBeforeTheCommandAsKubectlPassesIt() {
    Run status = run("-n", NS, "status", "demo");

    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).contains("demo-primary-0");
    assertThat(run("--namespace=elsewhere", "status", "demo").err())
        .contains("no DirkCluster \"demo\" in namespace \"elsewhere\"");
  }

  @Test
  void statusOfAnUnknownClusterIsAClearError() {
    Run status = run("status", "nope", "-n", NS);

    assertThat(status.exit()).isEqualTo(1);
    assertThat(status.err()).contains("no DirkCluster \"nope\" in namespace \"shop\"").doesNotContain("Exception");
  }

  @Test
  void statusSaysPausedHibernatedAndFencedMembers() {
    run("pause", "demo", "-n", NS);
    run("fence", "demo", "demo-secondary-0", "-n", NS);

    Run status = run("status", "demo", "-n", NS);

    assertThat(status.out()).contains("Reconciliation: PAUSED").contains("Fenced by the user: demo-secondary-0")
        .containsPattern("demo-secondary-0\\s+secondary.*yes \\(user\\)");
  }

  @Test
  void promoteSetsTargetPrimaryAndWaitsUntilTheOperatorReportsIt() {
    CompletableFuture<Run> promote = CompletableFuture.supplyAsync(() -> run("promote", "demo", "demo-secondary-0",
        "-n", NS, "--timeout", "30"));
    await().atMost(Duration.ofSeconds(10)).until(() -> "demo-secondary-0".equals(
        DirkClusters.tree(cluster()).path("spec").path("targetPrimary").asText()));
    assertThat(promote).isNotDone();

    // The operator: hand-over in progress, then done.
    writeStatus(Map.of("phase", "FailingOver", "currentPrimary", "demo-primary-0"));
    writeStatus(Map.of("phase", "Ready", "currentPrimary", "demo-secondary-0",
        "lastFailover", Map.of("fromPrimary", "demo-primary-0", "toPrimary", "demo-secondary-0", "epoch", 5,
            "reason", "Switchover", "step", "Completed")));

    Run done = promote.join();
    assertThat(done.exit()).as(done.err()).isZero();
    assertThat(done.out()).contains("demo-secondary-0 is the primary of demo (epoch 5)");
  }

  @Test
  void promoteReportsTheOperatorsRefusalAsAnError() {
    CompletableFuture<Run> promote = CompletableFuture.supplyAsync(() -> run("promote", "demo", "demo-secondary-1",
        "-n", NS, "--timeout", "30"));
    await().atMost(Duration.ofSeconds(10)).until(() -> "demo-secondary-1".equals(
        DirkClusters.tree(cluster()).path("spec").path("targetPrimary").asText()));
    writeStatus(Map.of("phase", "Ready", "currentPrimary", "demo-primary-0", "conditions", java.util.List.of(
        Map.of("type", "TargetPrimaryEligible", "status", "False", "reason", "TargetNotEligible",
            "message", "demo-secondary-1 is not ready"))));

    Run refused = promote.join();
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("the operator refused the switchover to demo-secondary-1: demo-secondary-1 is "
        + "not ready");
  }

  @Test
  void promoteGivesUpAfterItsTimeoutLeavingTheTarget() {
    Run promote = run("promote", "demo", "demo-secondary-0", "-n", NS, "--timeout", "1");

    assertThat(promote.exit()).isEqualTo(1);
    assertThat(promote.err()).contains("did not finish within 1 s");
    assertThat(DirkClusters.tree(cluster()).path("spec").path("targetPrimary").asText()).isEqualTo("demo-secondary-0");
  }

  @Test
  void promoteOfAMemberThatDoesNotExistIsAClearErrorAndChangesNothing() {
    Run promote = run("promote", "demo", "demo-secondary-7", "-n", NS);

    assertThat(promote.exit()).isEqualTo(1);
    assertThat(promote.err()).contains("DirkCluster \"demo\" has no member \"demo-secondary-7\"; its members are "
        + "demo-primary-0, demo-secondary-0, demo-secondary-1");
    assertThat(DirkClusters.tree(cluster()).path("spec").has("targetPrimary")).isFalse();
  }

  @Test
  void promoteOfAPausedOrFencedClusterIsRefusedBeforeAnyChange() {
    run("fence", "demo", "demo-secondary-0", "-n", NS);
    Run fenced = run("promote", "demo", "demo-secondary-0", "-n", NS);
    assertThat(fenced.exit()).isEqualTo(1);
    assertThat(fenced.err()).contains("demo-secondary-0 is fenced");

    run("pause", "demo", "-n", NS);
    Run paused = run("promote", "demo", "demo-secondary-1", "-n", NS);
    assertThat(paused.exit()).isEqualTo(1);
    assertThat(paused.err()).contains("reconciliation of demo is paused");
    assertThat(DirkClusters.tree(cluster()).path("spec").has("targetPrimary")).isFalse();
  }

  @Test
  void fenceAndUnfenceEditTheFencedMembersList() {
    assertThat(run("fence", "demo", "demo-primary-0", "-n", NS).exit()).isZero();
    assertThat(run("fence", "demo", "demo-secondary-1", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.FENCED_MEMBERS, "[\"demo-primary-0\",\"demo-secondary-1\"]");

    assertThat(run("unfence", "demo", "demo-primary-0", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.FENCED_MEMBERS, "[\"demo-secondary-1\"]");

    Run notFenced = run("unfence", "demo", "demo-primary-0", "-n", NS);
    assertThat(notFenced.exit()).isEqualTo(1);
    assertThat(notFenced.err()).contains("demo-primary-0 is not fenced");

    assertThat(run("fence", "demo", "--all", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.FENCED_MEMBERS, "[\"*\"]");
    // Unfencing one member out of "*" leaves every other one fenced.
    assertThat(run("unfence", "demo", "demo-secondary-0", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.FENCED_MEMBERS, "[\"demo-primary-0\",\"demo-secondary-1\"]");

    assertThat(run("unfence", "demo", "--all", "-n", NS).exit()).isZero();
    assertThat(annotations()).doesNotContainKey(DirkClusters.FENCED_MEMBERS);
  }

  @Test
  void fenceOfAnUnknownMemberIsAClearError() {
    Run fence = run("fence", "demo", "other-primary-0", "-n", NS);

    assertThat(fence.exit()).isEqualTo(1);
    assertThat(fence.err()).contains("has no member \"other-primary-0\"");
    assertThat(annotations()).doesNotContainKey(DirkClusters.FENCED_MEMBERS);
  }

  @Test
  void pauseResumeAndHibernateSetAndRemoveTheirAnnotations() {
    assertThat(run("pause", "demo", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.RECONCILIATION, "paused");
    assertThat(run("resume", "demo", "-n", NS).exit()).isZero();
    assertThat(annotations()).doesNotContainKey(DirkClusters.RECONCILIATION);

    assertThat(run("hibernate", "on", "demo", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.HIBERNATION, "on");
    assertThat(run("hibernate", "off", "demo", "-n", NS).exit()).isZero();
    assertThat(annotations()).doesNotContainKey(DirkClusters.HIBERNATION);

    Run wrong = run("hibernate", "maybe", "demo", "-n", NS);
    assertThat(wrong.exit()).isNotZero();
    assertThat(wrong.err()).contains("on, off");
  }

  @Test
  void resyncAsksForOneJobOfASecondaryAndRefusesThePrimary() {
    assertThat(run("resync", "demo", "demo-secondary-1", "-n", NS).exit()).isZero();
    assertThat(annotations()).containsEntry(DirkClusters.RESYNC, "demo-secondary-1");

    Run other = run("resync", "demo", "demo-secondary-0", "-n", NS);
    assertThat(other.exit()).isEqualTo(1);
    assertThat(other.err()).contains("a resync of demo-secondary-1 is still pending");

    Run primary = run("resync", "demo", "demo-primary-0", "-n", NS);
    assertThat(primary.exit()).isEqualTo(1);
    assertThat(primary.err()).contains("demo-primary-0 is the primary of demo");
  }

  @Test
  void clientWithoutTheCredentialsSecretOrItsPasswordKeyIsAClearError() {
    Run missing = run("client", "demo", "-n", NS);
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("the credentials Secret \"demo-credentials\" of demo does not exist");

    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("demo-credentials")
        .endMetadata().addToData("admin-password", "c2VjcmV0").build()).create();
    Run noKey = run("client", "demo", "-n", NS);
    assertThat(noKey.exit()).isEqualTo(1);
    assertThat(noKey.err()).contains("has no \"password\" key (it has: admin-password)");
  }

  @Test
  void clientWithoutAReadyProxyIsAClearError() {
    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("demo-credentials")
        .endMetadata().addToData("password", "c2VjcmV0").build()).create();

    Run noProxy = run("client", "demo", "-n", NS);

    assertThat(noProxy.exit()).isEqualTo(1);
    assertThat(noProxy.err()).contains("no proxy pod of demo is ready");
  }

  @Test
  void logsPrintsEveryContainerOfEveryPodOfTheClusterPrefixedAndOnlyThisClusters() {
    pod("demo-primary-0", "demo", "member", "dirk");
    pod("demo-proxy-7c9", "demo", "proxy", "proxy", "cache");
    pod("other-primary-0", "other", "member", "dirk");
    String base = "/api/v1/namespaces/" + NS + "/pods/";
    server.expect().get().withPath(base + "demo-primary-0/log?pretty=false&container=dirk")
        .andReturn(200, "member started\nprimary at epoch 4\n").always();
    server.expect().get().withPath(base + "demo-proxy-7c9/log?pretty=false&container=proxy")
        .andReturn(200, "proxy listening on 3949\n").always();
    server.expect().get().withPath(base + "demo-proxy-7c9/log?pretty=false&container=cache")
        .andReturn(200, "cache listening on 3951\n").always();
    server.expect().get().withPath(base + "demo-proxy-7c9/log?pretty=false&container=cache&tailLines=1")
        .andReturn(200, "cache listening on 3951\n").always();
    server.expect().get().withPath(base + "demo-primary-0/log?pretty=false&container=dirk&tailLines=1")
        .andReturn(200, "primary at epoch 4\n").always();
    server.expect().get().withPath(base + "demo-proxy-7c9/log?pretty=false&container=proxy&tailLines=1")
        .andReturn(200, "proxy listening on 3949\n").always();

    Run logs = run("logs", "demo", "-n", NS);

    assertThat(logs.exit()).as(logs.err()).isZero();
    assertThat(logs.out().lines()).containsExactly(
        "demo-primary-0/dirk member started",
        "demo-primary-0/dirk primary at epoch 4",
        "demo-proxy-7c9/proxy proxy listening on 3949",
        "demo-proxy-7c9/cache cache listening on 3951");

    Run tail = run("logs", "demo", "--tail", "1", "-n", NS);
    assertThat(tail.exit()).as(tail.err()).isZero();
    assertThat(tail.out().lines()).containsExactly(
        "demo-primary-0/dirk primary at epoch 4",
        "demo-proxy-7c9/proxy proxy listening on 3949",
        "demo-proxy-7c9/cache cache listening on 3951");
  }

  private void pod(String name, String cluster, String component, String... containers) {
    var spec = new io.fabric8.kubernetes.api.model.PodSpecBuilder();
    for (String container : containers) {
      spec.addNewContainer().withName(container).withImage("dirkdb/dirk:0.1.0").endContainer();
    }
    client.pods().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
        .withName(name).addToLabels(DirkClusters.selector(cluster)).addToLabels(DirkClusters.LABEL_COMPONENT, component)
        .endMetadata().withSpec(spec.build()).build()).create();
  }

  @Test
  void logsOfAClusterWithoutPodsSaysSo() {
    Run logs = run("logs", "demo", "-n", NS);

    assertThat(logs.exit()).isEqualTo(1);
    assertThat(logs.err()).contains("DirkCluster \"demo\" has no pods");
  }
}
