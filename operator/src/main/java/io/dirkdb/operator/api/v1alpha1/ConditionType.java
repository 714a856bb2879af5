package io.dirkdb.operator.api.v1alpha1;

/**
 * The type of every condition in a DirkCluster's status; the constant's name is the word users and tools match.
 * docs/reference-operator.md (Status, {@code conditions[]}) names exactly these ({@code ReasonsDocumentedTest}).
 */
public enum ConditionType {
  /** Every member and proxy pod ready, the primary labelled. */
  Ready,
  /** The spec passed every rule. */
  SpecValid,
  /** True while a failover or switchover runs; False with the reason it ended or was blocked. */
  FailingOver,
  /** False when spec.targetPrimary names a member that cannot take over now, with why. */
  TargetPrimaryEligible,
  /** True while a resync Job rebuilds a member; its message names the Job. */
  Resyncing,
  /** False when the operator could not create or update a child (names it and the API server's answer). */
  ChildrenReconciled,
  /** True while a rolling update replaces member pods, with the step reached. */
  RollingUpdate,
  /** True while a member refuses writes that add data (or a secondary stopped following) for lack of heap. */
  MemoryPressure,
  /** False while pods are held on their passwords (the Secret missing, a rotation without its previous- keys). */
  CredentialsApplied,
  /** True while the annotation dirkdb.io/reconciliation=paused holds every change. */
  ReconciliationPaused,
  /** True while the annotation dirkdb.io/hibernation=on holds the cluster stopped. */
  Hibernated,
  /** True while the annotation dirkdb.io/fenced-members holds members fenced. */
  FencedByUser,
  /** A cluster made by spec.bootstrap.recovery: True once its primary's data is restored, False while or why not. */
  Restored
}
