package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** The persistent volume of each member. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StorageSpec {

  @JsonPropertyDescription("Size of each member's volume claim, a Kubernetes quantity such as 1Gi.")
  @Default("1Gi")
  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
  private String size = "1Gi";

  @JsonPropertyDescription("Storage class of the volume claims; unset uses the cluster's default class.")
  private String storageClassName;

  @JsonPropertyDescription("Delete a member's volume claim when scaling down removes it; by default it is kept.")
  @Default("false")
  private boolean deleteClaimOnScaleDown;

  public String getSize() { return size; }
  public void setSize(String size) { this.size = size; }
  public String getStorageClassName() { return storageClassName; }
  public void setStorageClassName(String storageClassName) { this.storageClassName = storageClassName; }
  public boolean isDeleteClaimOnScaleDown() { return deleteClaimOnScaleDown; }
  public void setDeleteClaimOnScaleDown(boolean deleteClaimOnScaleDown) { this.deleteClaimOnScaleDown = deleteClaimOnScaleDown; }
}
