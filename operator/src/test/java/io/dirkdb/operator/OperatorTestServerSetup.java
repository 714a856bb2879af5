package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.util.function.Consumer;

/**
 * Prepares the Fabric8 mock server for the operator: it answers 422 to the Operator SDK's startup
 * check of the lease rights, so the test grants them the way a real API server would for our RBAC.
 */
public class OperatorTestServerSetup implements Consumer<KubernetesServer> {

  @Override
  public void accept(KubernetesServer server) {
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
}
