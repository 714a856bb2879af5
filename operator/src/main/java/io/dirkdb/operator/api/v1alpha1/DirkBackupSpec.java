package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Which cluster to back up; the repository is the cluster's spec.backup. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self == oldSelf", message = "a DirkBackup's spec cannot change: create another DirkBackup",
    reason = "FieldValueForbidden")
public class DirkBackupSpec {

  @JsonPropertyDescription("Name of the DirkCluster, in this namespace, to back up.")
  @Required
  @Pattern("^[a-z]([-a-z0-9]*[a-z0-9])?$")
  private String cluster;

  public String getCluster() { return cluster; }
  public void setCluster(String cluster) { this.cluster = cluster; }
}
