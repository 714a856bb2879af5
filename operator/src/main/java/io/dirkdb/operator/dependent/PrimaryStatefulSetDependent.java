package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.Optional;

/**
 * StatefulSet {@code <name>-primary}: the one pod that starts as primary. On an image change it keeps
 * its image until every secondary runs the new one and is ready, so the primary restarts last.
 */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class PrimaryStatefulSetDependent extends CRUDKubernetesDependentResource<StatefulSet, DirkCluster> {

  public PrimaryStatefulSetDependent() {
    super(StatefulSet.class);
  }

  @Override
  protected StatefulSet desired(DirkCluster cluster, Context<DirkCluster> context) {
    return MemberStatefulSets.build(cluster, ClusterNaming.primaryStatefulSet(cluster), 1, imageFor(cluster, context));
  }

  private static String imageFor(DirkCluster cluster, Context<DirkCluster> context) {
    String wanted = cluster.getSpec().getImage();
    Optional<String> running = statefulSet(context, ClusterNaming.primaryStatefulSet(cluster))
        .flatMap(MemberStatefulSets::image);
    if (running.isEmpty() || running.get().equals(wanted)) {
      return wanted;
    }
    boolean secondariesDone = cluster.getSpec().getSecondaries() == 0
        || statefulSet(context, ClusterNaming.secondaryStatefulSet(cluster))
            .map(sts -> MemberStatefulSets.rolledOutWith(sts, wanted))
            .orElse(false);
    return secondariesDone ? wanted : running.get();
  }

  private static Optional<StatefulSet> statefulSet(Context<DirkCluster> context, String name) {
    return context.getSecondaryResourcesAsStream(StatefulSet.class)
        .filter(sts -> name.equals(sts.getMetadata().getName()))
        .findFirst();
  }
}
