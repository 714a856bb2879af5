package io.dirkdb.operator.api.v1alpha1;

/** The one-word state of a DirkCluster, shown in the Phase printer column. */
public enum ClusterPhase {
  /** Accepted; no member pod exists yet. */
  Pending,
  /** Member pods exist but the cluster has never been fully ready. */
  Creating,
  /** Every member and proxy pod is ready and the primary is labelled. */
  Ready,
  /** The cluster was ready once; some member or proxy pod is not ready now. */
  Degraded,
  /** The operator is promoting a secondary after losing the primary. */
  FailingOver,
  /** A member is being rebuilt from the primary by a resync Job. */
  Resyncing,
  /** The dirkdb.io/hibernation annotation is on: the primary fenced, every pod scaled to zero, volumes kept. */
  Hibernated,
  /** The spec is invalid or the operator cannot act on it; see the conditions. */
  Failed
}
