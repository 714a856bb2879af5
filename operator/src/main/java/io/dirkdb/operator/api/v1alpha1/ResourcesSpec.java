package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** Compute resources per container kind; an unset section gets the operator's modest requests. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourcesSpec {

  @JsonPropertyDescription("Requests and limits of each member container (default requests: cpu 100m, memory 256Mi).")
  private ResourceRequirements members;

  @JsonPropertyDescription("Requests and limits of the proxy container (default requests: cpu 50m, memory 128Mi).")
  private ResourceRequirements proxy;

  @JsonPropertyDescription("Requests and limits of the cache sidecar (default requests: cpu 50m, memory 128Mi).")
  private ResourceRequirements cache;

  public ResourceRequirements getMembers() { return members; }
  public void setMembers(ResourceRequirements members) { this.members = members; }
  public ResourceRequirements getProxy() { return proxy; }
  public void setProxy(ResourceRequirements proxy) { this.proxy = proxy; }
  public ResourceRequirements getCache() { return cache; }
  public void setCache(ResourceRequirements cache) { this.cache = cache; }
}
