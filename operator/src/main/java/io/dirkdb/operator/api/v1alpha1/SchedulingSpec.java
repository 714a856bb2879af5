package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** Where the pods of the cluster may run. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class SchedulingSpec {

  @JsonPropertyDescription("Node labels every pod of the cluster requires.")
  private Map<String, String> nodeSelector;

  @JsonPropertyDescription("Tolerations of every pod of the cluster.")
  private List<Toleration> tolerations;

  @JsonPropertyDescription("Affinity of the member pods; unset spreads members over nodes (preferred anti-affinity).")
  private Affinity affinity;

  public Map<String, String> getNodeSelector() { return nodeSelector; }
  public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
  public List<Toleration> getTolerations() { return tolerations; }
  public void setTolerations(List<Toleration> tolerations) { this.tolerations = tolerations; }
  public Affinity getAffinity() { return affinity; }
  public void setAffinity(Affinity affinity) { this.affinity = affinity; }
}
