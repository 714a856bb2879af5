package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.DefaultMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Prepares the Fabric8 mock server as a cluster the chart was installed on: the CRD from
 * {@code crds/} (applied by the installer, not by the operator) and the chart's RBAC enforced on the
 * operator's requests by {@link RbacGate}. Without helm the gate lets everything through, says so
 * once, and the RBAC tests skip naming helm; in CI (CI=true) a missing helm fails the suite.
 */
public class OperatorTestServerSetup implements Consumer<KubernetesServer> {

  @Override
  public void accept(KubernetesServer server) {
    Path repo = Path.of("..").toAbsolutePath().normalize();
    installCrd(server, repo.resolve("crds/dirkclusters.dirkdb.io-v1.yml"));
    installCrd(server, repo.resolve("crds/dirkbackups.dirkdb.io-v1.yml"));
    ChartRbac rbac = null;
    String reason = null;
    Path helm = ChartRbac.findHelm(repo);
    if (helm == null) {
      reason = "helm not found (-Ddirk.kubeTools, .tools/bin or PATH): the chart's RBAC is NOT enforced on the "
          + "operator's requests; run .ci/install-kube-tools.sh";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException(reason + " (CI=true, so RBAC enforcement may not be skipped)");
      }
      System.out.println("[SKIPPED] " + reason);
    } else {
      try {
        rbac = ChartRbac.render(helm, repo.resolve("helm/dirk-operator"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    if (rbac == null) {
      // Without the gate's answer from the chart, JOSDK's startup check of the lease rights needs this one.
      grantLeasesToRulesReview(server);
    }
    installGate(server, rbac, reason);
  }

  private static void installCrd(KubernetesServer server, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      CustomResourceDefinition crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
      server.getClient().apiextensions().v1().customResourceDefinitions().resource(crd).create();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void grantLeasesToRulesReview(KubernetesServer server) {
    SelfSubjectRulesReview review = new SelfSubjectRulesReviewBuilder()
        .withNewStatus()
        .withIncomplete(false)
        .addNewResourceRule()
        .withApiGroups("coordination.k8s.io")
        .withResources("leases")
        .withVerbs("*")
        .endResourceRule()
        .endStatus()
        .build();
    server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, review).always();
  }

  /** The mock server keeps its web server and dispatcher private: the gate is put in front by reflection. */
  private static void installGate(KubernetesServer server, ChartRbac rbac, String reason) {
    try {
      Field webServerField = DefaultMockServer.class.getDeclaredField("server");
      webServerField.setAccessible(true);
      MockWebServer webServer = (MockWebServer) webServerField.get(server.getKubernetesMockServer());
      Field dispatcherField = MockWebServer.class.getDeclaredField("dispatcher");
      dispatcherField.setAccessible(true);
      Dispatcher current = (Dispatcher) dispatcherField.get(webServer);
      webServer.setDispatcher(new RbacGate(current, rbac, reason));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot put the RBAC gate in front of the Fabric8 mock server", e);
    }
  }
}
