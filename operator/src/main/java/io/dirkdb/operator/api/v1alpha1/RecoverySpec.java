package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A new cluster made from a backup: the primary's pod restores it ({@code dirk restore ... --if-empty}) before
 * its member starts; the secondaries then join it as any primary. Without a target, everything archived is
 * replayed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = DirkClusterRules.ONE_RECOVERY_TARGET, message = DirkClusterRules.ONE_RECOVERY_TARGET_MESSAGE,
    reason = "FieldValueInvalid", fieldPath = ".targetTime")
public class RecoverySpec extends BackupRepositorySpec {

  @JsonPropertyDescription("Base backup to start from (an id of dirk backup list, or status.backupId of a"
      + " DirkBackup); unset: the latest one before the target.")
  @Pattern("^[A-Za-z0-9._:-]+$")
  private String backupId;

  @JsonPropertyDescription("Replay the archived log up to this log sequence number (inclusive); exclusive with"
      + " targetTime.")
  @Min(0)
  private Long targetLsn;

  @JsonPropertyDescription("Replay the archived log up to this time (RFC 3339, e.g. 2026-12-07T17:00:00Z);"
      + " exclusive with targetLsn.")
  @Pattern(DirkClusterRules.RFC3339_PATTERN)
  private String targetTime;

  public String getBackupId() { return backupId; }
  public void setBackupId(String backupId) { this.backupId = backupId; }
  public Long getTargetLsn() { return targetLsn; }
  public void setTargetLsn(Long targetLsn) { this.targetLsn = targetLsn; }
  public String getTargetTime() { return targetTime; }
  public void setTargetTime(String targetTime) { this.targetTime = targetTime; }
}
