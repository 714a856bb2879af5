package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * Which base backups a scheduled backup keeps ({@code dirk backup prune}): a backup goes once it is beyond
 * both limits set; the newest complete one always stays, with the archived log the kept ones need.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetentionSpec {

  @JsonPropertyDescription("Keep at least the newest N base backups (dirk backup prune --keep-last).")
  @Min(1)
  private Integer keepLast;

  @JsonPropertyDescription("Keep base backups younger than this, a number of days, hours or minutes: 30d, 12h, 90m"
      + " (dirk backup prune --max-age).")
  @Pattern(DirkClusterRules.RETENTION_AGE_PATTERN)
  private String maxAge;

  public Integer getKeepLast() { return keepLast; }
  public void setKeepLast(Integer keepLast) { this.keepLast = keepLast; }
  public String getMaxAge() { return maxAge; }
  public void setMaxAge(String maxAge) { this.maxAge = maxAge; }
}
