package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** What a cluster administrator relies on: health, metrics, and one leader holding the Lease. */
@QuarkusTest
class OperatorEndpointsTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @TestHTTPResource("/q/health")
  URL health;

  @TestHTTPResource("/q/metrics")
  URL metrics;

  @Test
  void healthEndpointReportsUp() throws Exception {
    HttpResponse<String> response = get(health);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"status\": \"UP\"");
  }

  @Test
  void metricsEndpointExposesOperatorSdkMetrics() throws Exception {
    TestClusters.create(client, "metrics", TestClusters.example(client, "no-cache.yaml"));
    await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
      HttpResponse<String> response = get(metrics);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("reconciliations_success_total{controller_name=\"dirkcluster\"}");
    });
  }

  @Test
  void operatorHoldsTheLeaderLease() {
    await().atMost(TestClusters.PATIENCE).untilAsserted(() -> {
      Lease lease = client.leases().inNamespace("dirk-operator").withName("dirk-operator-lease").get();
      assertThat(lease).isNotNull();
      assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
    });
  }

  private static HttpResponse<String> get(URL url) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url.toString())).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
