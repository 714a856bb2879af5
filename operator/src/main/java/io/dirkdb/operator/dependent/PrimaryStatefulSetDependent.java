package io.dirkdb.operator.dependent;

import io.dirkdb.operator.reconciler.ClusterAnnotations;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * StatefulSet {@code <name>-primary}: the one pod that starts as primary. Its template follows the spec
 * at once; with the {@code OnDelete} strategy no pod restarts for it: the operator replaces member
 * pods by role ({@link io.dirkdb.operator.failover.RollingUpdate}), the primary's after a switchover.
 */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class PrimaryStatefulSetDependent extends CRUDKubernetesDependentResource<StatefulSet, DirkCluster> {

  public PrimaryStatefulSetDependent() {
    super(StatefulSet.class);
  }

  @Override
  protected StatefulSet desired(DirkCluster cluster, Context<DirkCluster> context) {
    return MemberStatefulSets.build(cluster, ClusterNaming.primaryStatefulSet(cluster),
        ClusterAnnotations.hibernated(cluster) ? 0 : 1, cluster.getSpec().getImage(),
        ReferencedSecrets.of(cluster, context).podCredentialsHash(context.getSecondaryResourcesAsStream(StatefulSet.class)
            .filter(s -> ClusterNaming.primaryStatefulSet(cluster).equals(s.getMetadata().getName()))
            .map(s -> AppliedCredentials.hashOf(s.getSpec().getTemplate())).findFirst().orElse(null)));
  }
}
