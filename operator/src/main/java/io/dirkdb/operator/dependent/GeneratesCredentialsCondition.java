package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** The operator makes the credentials Secret only when the user names none. */
public class GeneratesCredentialsCondition implements Condition<Secret, DirkCluster> {

  @Override
  public boolean isMet(DependentResource<Secret, DirkCluster> dependentResource, DirkCluster cluster,
      Context<DirkCluster> context) {
    return ClusterNaming.generatesSecret(cluster);
  }
}
