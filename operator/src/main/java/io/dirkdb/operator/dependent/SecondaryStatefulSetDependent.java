package io.dirkdb.operator.dependent;

import io.dirkdb.operator.reconciler.ClusterAnnotations;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** StatefulSet {@code <name>-secondary}: {@code spec.secondaries} members (OnDelete: the operator rolls them by role). */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class SecondaryStatefulSetDependent extends CRUDKubernetesDependentResource<StatefulSet, DirkCluster> {

  public SecondaryStatefulSetDependent() {
    super(StatefulSet.class);
  }

  @Override
  protected StatefulSet desired(DirkCluster cluster, Context<DirkCluster> context) {
    return MemberStatefulSets.build(cluster, ClusterNaming.secondaryStatefulSet(cluster),
        ClusterAnnotations.hibernated(cluster) ? 0 : cluster.getSpec().getSecondaries(), cluster.getSpec().getImage(),
        ReferencedSecrets.of(cluster, context).podCredentialsHash(context.getSecondaryResourcesAsStream(StatefulSet.class)
            .filter(s -> ClusterNaming.secondaryStatefulSet(cluster).equals(s.getMetadata().getName()))
            .map(s -> AppliedCredentials.hashOf(s.getSpec().getTemplate())).findFirst().orElse(null)));
  }
}
