package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

/** The member StatefulSets as the dependents build them, for tests in other packages. */
public final class StatefulSetsForTests {

  private StatefulSetsForTests() {}

  public static StatefulSet primary(DirkCluster cluster) {
    return MemberStatefulSets.build(cluster, ClusterNaming.primaryStatefulSet(cluster), 1, cluster.getSpec().getImage());
  }

  public static StatefulSet secondary(DirkCluster cluster) {
    return MemberStatefulSets.build(cluster, ClusterNaming.secondaryStatefulSet(cluster),
        cluster.getSpec().getSecondaries(), cluster.getSpec().getImage());
  }
}
