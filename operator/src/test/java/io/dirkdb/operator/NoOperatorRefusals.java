package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Run around every test class (registered by auto-detection): fails the class if the test API server
 * refused the operator anything under the chart's RBAC while it ran, so every journey test proves the
 * chart grants what the operator does. Faults a test injects on purpose ({@link Harness#refuse}) are not
 * RBAC refusals and do not count.
 */
public class NoOperatorRefusals implements BeforeAllCallback, AfterAllCallback {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(NoOperatorRefusals.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    // Before the first class the mock server may not be up yet: nothing was refused then.
    context.getStore(STORE).put("before", rbacState().path("refusals").size());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Integer before = context.getStore(STORE).get("before", Integer.class);
    JsonNode rbac = rbacState();
    List<String> all = strings(rbac.path("refusals"));
    recordRightsUsed(strings(rbac.path("rightsUsed")));
    List<String> during = all.subList(Math.min(before == null ? 0 : before, all.size()), all.size());
    assertThat(during).as("requests of the operator a cluster with the chart's RBAC refuses (403) during "
        + context.getDisplayName() + ": grant them in helm/dirk-operator/templates/_helpers.tpl or stop making them")
        .isEmpty();
  }

  /** Asked over plain HTTP: this extension is not loaded where the Quarkus Kubernetes client is. */
  private static JsonNode rbacState() {
    String master = System.getProperty("kubernetes.master");
    if (master == null) {
      return MissingNode.getInstance();
    }
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(master.replaceAll("/$", "")
          + Harness.RBAC)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      return new ObjectMapper().readTree(response.body());
    } catch (IOException e) {
      return MissingNode.getInstance(); // the server is gone (after the last class): nothing more to check
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return MissingNode.getInstance();
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Every right the operator used so far, for comparing with the chart after a whole run. */
  private static void recordRightsUsed(List<String> rights) {
    if (rights.isEmpty()) {
      return;
    }
    try {
      Path file = Path.of("target", "rbac-rights-used.txt");
      Files.createDirectories(file.getParent());
      Files.write(file, rights);
    } catch (IOException e) {
      System.out.println("[rbac] could not write target/rbac-rights-used.txt: " + e.getMessage());
    }
  }
}
