package io.dirkdb.kubectl;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/** Refusals of actions the operator would not carry out in the cluster's current state. */
final class Guards {

  private Guards() {}

  static void refuseWhilePausedOrHibernated(GenericKubernetesResource cluster, String action) {
    String name = cluster.getMetadata().getName();
    if (DirkClusters.RECONCILIATION_PAUSED.equals(DirkClusters.annotation(cluster, DirkClusters.RECONCILIATION))) {
      throw new UserError("reconciliation of " + name + " is paused, so the operator would not " + action
          + "; resume it first: kubectl dirk resume " + name);
    }
    if ("on".equals(DirkClusters.annotation(cluster, DirkClusters.HIBERNATION))) {
      throw new UserError(name + " is hibernated, so the operator would not " + action
          + "; wake it first: kubectl dirk hibernate off " + name);
    }
  }
}
