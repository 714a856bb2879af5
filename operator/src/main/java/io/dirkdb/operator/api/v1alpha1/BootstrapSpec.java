package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How a new cluster's data starts: empty (no bootstrap section), or restored from a backup. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BootstrapSpec {

  @JsonPropertyDescription("Restore the primary's data from a backup repository before it first starts.")
  private RecoverySpec recovery;

  public RecoverySpec getRecovery() { return recovery; }
  public void setRecovery(RecoverySpec recovery) { this.recovery = recovery; }
}
