package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** PodDisruptionBudget {@code <name>-members}: a node drain takes at most one member at a time. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class MembersDisruptionBudgetDependent extends CRUDKubernetesDependentResource<PodDisruptionBudget, DirkCluster> {

  public MembersDisruptionBudgetDependent() {
    super(PodDisruptionBudget.class);
  }

  @Override
  protected PodDisruptionBudget desired(DirkCluster cluster, Context<DirkCluster> context) {
    return new PodDisruptionBudgetBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.disruptionBudget(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_MEMBER))
        .endMetadata()
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(ClusterNaming.memberSelector(cluster)).endSelector()
        .endSpec()
        .build();
  }
}
