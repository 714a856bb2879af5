package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Detection of a lost primary and promotion of a secondary. */
public class FailoverSpec {

  @JsonPropertyDescription("Promote a secondary automatically when the primary is lost.")
  @Default("true")
  private boolean enabled = true;

  @JsonPropertyDescription("Interval between heartbeat probes of every member, in milliseconds.")
  @Default("1000")
  @Min(50)
  @Max(60000)
  private int heartbeatIntervalMs = 1000;

  @JsonPropertyDescription("Missed heartbeats in a row after which the primary counts as lost.")
  @Default("3")
  @Min(1)
  @Max(100)
  private int failureThreshold = 3;

  @JsonPropertyDescription("Extra wait after the primary is lost before promoting, in seconds.")
  @Default("2")
  @Min(0)
  @Max(3600)
  private int failoverDelaySeconds = 2;

  @JsonPropertyDescription("Promote even when that may lose acknowledged writes (sync mode with a silent secondary).")
  @Default("false")
  private boolean allowDataLoss;

  public boolean isEnabled() { return enabled; }
  public void setEnabled(boolean enabled) { this.enabled = enabled; }
  public int getHeartbeatIntervalMs() { return heartbeatIntervalMs; }
  public void setHeartbeatIntervalMs(int heartbeatIntervalMs) { this.heartbeatIntervalMs = heartbeatIntervalMs; }
  public int getFailureThreshold() { return failureThreshold; }
  public void setFailureThreshold(int failureThreshold) { this.failureThreshold = failureThreshold; }
  public int getFailoverDelaySeconds() { return failoverDelaySeconds; }
  public void setFailoverDelaySeconds(int failoverDelaySeconds) { this.failoverDelaySeconds = failoverDelaySeconds; }
  public boolean isAllowDataLoss() { return allowDataLoss; }
  public void setAllowDataLoss(boolean allowDataLoss) { this.allowDataLoss = allowDataLoss; }
}
