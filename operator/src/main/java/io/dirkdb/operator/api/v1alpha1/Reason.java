package io.dirkdb.operator.api.v1alpha1;

/**
 * Every reason the operator writes: a condition's {@code reason}, an Event's {@code reason}, or
 * {@code status.lastFailover.reason}. The constant's name is the word on the wire, which users and tools match,
 * so a typo does not compile. docs/reference-operator.md ("Reasons") lists exactly these
 * ({@code ReasonsDocumentedTest}).
 */
public enum Reason {
  // The spec (condition SpecValid, a Warning Event; condition Ready InvalidSpec)
  Valid,
  SpecMissing,
  SectionNull,
  ImageMissing,
  SecondariesOutOfRange,
  HeapShareOutOfRange,
  SyncNeedsSecondary,
  CachePortClash,
  PortReservedForHealth,
  FailoverDetectionTooSlow,
  TargetPrimaryNotMember,
  BackupRepositoryMissing,
  BackupRepositoryInvalid,
  BackupScheduleInvalid,
  RetentionInvalid,
  RecoveryTargetAmbiguous,
  RecoveryTargetInvalid,
  ClusterNameInvalid,
  StorageFixed,

  // Readiness (condition Ready)
  AllReady,
  MembersNotReady,
  PrimaryUnknown,
  PrimaryNotLabelled,
  ProxyNotReady,
  InvalidSpec,
  ReconcileError,

  // Children, memory, credentials
  AllApplied,
  ChildNotApplied,
  WithinLimits,
  WritesRefused,
  MemoryPressure,
  Applied,
  CredentialsSecretMissing,
  RotationNeedsPreviousPassword,

  // The user's annotations
  PausedByUser,
  ReconciliationPaused,
  Reconciling,
  ReconciliationResumed,
  HibernatedByUser,
  Hibernating,
  Awake,
  HibernationEnded,
  InvalidValue,
  HibernationValueInvalid,
  FencedByUser,
  MembersFenced,
  NoneFenced,
  MembersUnfenced,

  // Finding the primary, failover and switchover (condition FailingOver, Events, lastFailover.reason)
  PrimaryFound,
  PrimaryAvailable,
  PrimaryUnreachable,
  PrimaryPodNotReady,
  PrimaryLostItsData,
  NoPrimaryAnswers,
  Switchover,
  PrimaryPodDeleted,
  PrimaryFenced,
  PrimaryLostInHandOver,
  FailoverStarted,
  SwitchoverStarted,
  WaitingForLease,
  FailoverCandidateChanged,
  FailoverCompleted,
  SwitchoverCompleted,
  FailoverBlocked,
  SwitchoverBlocked,
  SwitchoverAbandoned,
  TargetLost,
  FenceTimedOut,
  CatchUpTimedOut,
  PromotionTimedOut,
  // condition TargetPrimaryEligible
  NoSwitchoverPending,
  TargetEligible,
  TargetNotEligible,

  // Rolling updates (condition RollingUpdate, Events; RollingUpdate is also a lastFailover.reason)
  Waiting,
  ReplacingPod,
  SwitchingOver,
  RolledOut,
  RollingUpdate,
  RollingUpdateCompleted,

  // Resync (condition Resyncing, Events)
  NoResync,
  ResyncJobRunning,
  ResyncJobRefused,
  ResyncStarted,
  ResyncSucceeded,
  ResyncFailed,
  ResyncRequested,
  ResyncRequestRefused,

  // Backups (Events on the DirkBackup and its DirkCluster)
  BackupStarted,
  BackupCompleted,
  BackupFailed,
  BackupPruneFailed,
  ScheduledBackupNameTaken,

  // Restore of a cluster made by spec.bootstrap.recovery (condition Restored, Events)
  Restoring,
  RestoreCompleted,
  RestoreFailed,
  RestoreSkipped;

  /** Whether {@code wire} (a reason read back from a stored status) is this reason. */
  public boolean is(String wire) {
    return name().equals(wire);
  }

  /** The reason a stored status names, or {@code otherwise} for one this operator does not know. */
  public static Reason of(String wire, Reason otherwise) {
    for (Reason r : values()) {
      if (r.name().equals(wire)) {
        return r;
      }
    }
    return otherwise;
  }
}
