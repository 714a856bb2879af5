package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the backup Job did, from its pod's termination message ({@code dirk backup --termination-message-path}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DirkBackupStatus {

  @JsonPropertyDescription("Pending, Running, Completed or Failed.")
  private BackupPhase phase;

  @JsonPropertyDescription("The Job taking the backup.")
  private String job;

  @JsonPropertyDescription("Id of the base backup in the repository (bootstrap.recovery.backupId).")
  private String backupId;

  @JsonPropertyDescription("History the backed-up data belongs to.")
  private String historyId;

  @JsonPropertyDescription("First log sequence number the backup needs replayed from the archive.")
  private Long startLsn;

  @JsonPropertyDescription("Log sequence number the backup is consistent at; a restore reaches at least this one.")
  private Long endLsn;

  @JsonPropertyDescription("Epoch of the primary when the backup was taken.")
  private Long epoch;

  @JsonPropertyDescription("Size of the base backup in the repository, in bytes.")
  private Long bytes;

  @JsonPropertyDescription("Member the backup was read from (host:port).")
  private String member;

  @JsonPropertyDescription("When the backup started (RFC 3339).")
  private String startedAt;

  @JsonPropertyDescription("When the backup completed or failed (RFC 3339).")
  private String completedAt;

  @JsonPropertyDescription("Why the backup failed, in one line.")
  private String error;

  public BackupPhase getPhase() { return phase; }
  public void setPhase(BackupPhase phase) { this.phase = phase; }
  public String getJob() { return job; }
  public void setJob(String job) { this.job = job; }
  public String getBackupId() { return backupId; }
  public void setBackupId(String backupId) { this.backupId = backupId; }
  public String getHistoryId() { return historyId; }
  public void setHistoryId(String historyId) { this.historyId = historyId; }
  public Long getStartLsn() { return startLsn; }
  public void setStartLsn(Long startLsn) { this.startLsn = startLsn; }
  public Long getEndLsn() { return endLsn; }
  public void setEndLsn(Long endLsn) { this.endLsn = endLsn; }
  public Long getEpoch() { return epoch; }
  public void setEpoch(Long epoch) { this.epoch = epoch; }
  public Long getBytes() { return bytes; }
  public void setBytes(Long bytes) { this.bytes = bytes; }
  public String getMember() { return member; }
  public void setMember(String member) { this.member = member; }
  public String getStartedAt() { return startedAt; }
  public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
  public String getCompletedAt() { return completedAt; }
  public void setCompletedAt(String completedAt) { this.completedAt = completedAt; }
  public String getError() { return error; }
  public void setError(String error) { this.error = error; }

  /** Completed or Failed: nothing more happens to the backup. */
  public boolean finished() { return phase == BackupPhase.Completed || phase == BackupPhase.Failed; }
}
