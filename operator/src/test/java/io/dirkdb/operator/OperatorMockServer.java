package io.dirkdb.operator;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.kubernetes.client.KubernetesServerTestResource;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * One Fabric8 mock API server in CRUD mode for every operator test, declared globally so Quarkus
 * boots the operator once for the whole suite; tests keep apart by namespace.
 */
@WithTestResource(value = OperatorMockServer.class, scope = TestResourceScope.GLOBAL)
public class OperatorMockServer extends KubernetesServerTestResource {

  public OperatorMockServer() {
    init(Settings.class.getAnnotation(WithKubernetesTestServer.class));
  }

  @WithKubernetesTestServer(crud = true, setup = OperatorTestServerSetup.class)
  private static final class Settings {}
}
