package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** Replication from the primary to the secondaries. */
public class ReplicationSpec {

  @JsonPropertyDescription("async: acknowledge after the primary's fsync; sync: after one secondary holds the write too.")
  @Default("async")
  private ReplicationMode mode = ReplicationMode.ASYNC;

  public ReplicationMode getMode() { return mode; }
  public void setMode(ReplicationMode mode) { this.mode = mode; }
}
