package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import org.junit.jupiter.api.Test;

/**
 * Why the operator's tests run with {@code %test.quarkus.operator-sdk.enable-ssa=false}: the Fabric8 mock in CRUD
 * mode takes neither of the two requests the Operator SDK makes by server-side apply (a dependent is created and
 * updated by {@code PATCH} with {@code application/apply-patch+yaml}, its field manager and {@code force=true}).
 * Should a Fabric8 upgrade teach it server-side apply, this fails, and the test profile may turn it on.
 */
class MockServerSideApplyTest {

  @Test
  void theCrudMockRefusesTheApplyPatchesTheOperatorSdkSends() {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    try (KubernetesClient client = server.createClient()) {
      ConfigMap config = new ConfigMapBuilder().withNewMetadata().withName("demo-config").withNamespace("ns")
          .endMetadata().addToData("config.json", "{}").build();

      // Create by apply, as the SDK creates a dependent with SSA on: the mock looks the object up first.
      KubernetesClientException create = catchThrowableOfType(KubernetesClientException.class, () ->
          client.configMaps().inNamespace("ns").resource(config).fieldManager("dirkcluster").forceConflicts()
              .serverSideApply());
      assertThat(create.getCode()).as("apply of an object that does not exist yet").isEqualTo(404);

      // Update by apply of an existing object: the media type is refused (only JSON patch and merge patch are).
      client.configMaps().inNamespace("ns").resource(config).create();
      ConfigMap changed = new ConfigMapBuilder(config).addToData("config.json", "{\"configVersion\": 2}").build();
      KubernetesClientException update = catchThrowableOfType(KubernetesClientException.class, () ->
          client.configMaps().inNamespace("ns").resource(changed).fieldManager("dirkcluster").forceConflicts()
              .serverSideApply());
      assertThat(update.getCode()).as("apply of an existing object").isEqualTo(415);
      System.out.println("Fabric8 CRUD mock and server-side apply: create -> " + create.getCode() + ", update -> "
          + update.getCode() + " " + update.getMessage());
    } finally {
      server.destroy();
    }
  }
}
