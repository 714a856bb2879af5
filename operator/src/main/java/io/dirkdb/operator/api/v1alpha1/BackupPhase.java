package io.dirkdb.operator.api.v1alpha1;

/** Where a DirkBackup is. */
public enum BackupPhase {
  /** Accepted; its Job is not created yet. */
  Pending,
  /** Its Job runs {@code dirk backup}. */
  Running,
  /** The base backup is in the repository; status says which and what it holds. */
  Completed,
  /** No backup was taken; status.error says why. Not retried: create another DirkBackup. */
  Failed
}
