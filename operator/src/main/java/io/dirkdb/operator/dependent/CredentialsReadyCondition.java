package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * The pods' Secret is there to read: the generated one exists (a user's Secret is the user's to make),
 * so the workloads that come after it never start a pod that waits for its password.
 */
public class CredentialsReadyCondition implements Condition<Secret, DirkCluster> {

  @Override
  public boolean isMet(DependentResource<Secret, DirkCluster> dependentResource, DirkCluster cluster,
      Context<DirkCluster> context) {
    return !ClusterNaming.generatesSecret(cluster) || dependentResource.getSecondaryResource(cluster, context).isPresent();
  }
}
