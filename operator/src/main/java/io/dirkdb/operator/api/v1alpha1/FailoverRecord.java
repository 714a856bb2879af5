package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The last failover or switchover, written before its first step so a restarted operator resumes it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FailoverRecord {

  @JsonPropertyDescription("When the operator started the failover (RFC 3339).")
  private String startedAt;

  @JsonPropertyDescription("When the new primary was in place (RFC 3339); unset while in progress.")
  private String completedAt;

  @JsonPropertyDescription("The primary that was lost or handed over.")
  private String fromPrimary;

  @JsonPropertyDescription("The member promoted.")
  private String toPrimary;

  @JsonPropertyDescription("Epoch of the new primary.")
  private Long epoch;

  @JsonPropertyDescription("Why: e.g. PrimaryUnreachable, PodNotReady, Switchover, PrimaryFenced.")
  private String reason;

  @JsonPropertyDescription("Last step done: Started, Fenced, Promoting (a promote may have reached the candidate), Promoted, Completed; or Abandoning then Abandoned: a switchover that could not reach its promotion (target lost, fence, catch-up or promotion timed out) gives the role back to the old primary.")
  private String step;

  @JsonPropertyDescription("metadata.generation of the spec when it started (a switchover answers that spec).")
  private Long generation;

  public String getStartedAt() { return startedAt; }
  public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
  public String getCompletedAt() { return completedAt; }
  public void setCompletedAt(String completedAt) { this.completedAt = completedAt; }
  public String getFromPrimary() { return fromPrimary; }
  public void setFromPrimary(String fromPrimary) { this.fromPrimary = fromPrimary; }
  public String getToPrimary() { return toPrimary; }
  public void setToPrimary(String toPrimary) { this.toPrimary = toPrimary; }
  public Long getEpoch() { return epoch; }
  public void setEpoch(Long epoch) { this.epoch = epoch; }
  public String getReason() { return reason; }
  public void setReason(String reason) { this.reason = reason; }
  public String getStep() { return step; }
  public void setStep(String step) { this.step = step; }
  public Long getGeneration() { return generation; }
  public void setGeneration(Long generation) { this.generation = generation; }

  /** True from the record's first write until its last step. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean inProgress() {
    return startedAt != null && completedAt == null;
  }
}
