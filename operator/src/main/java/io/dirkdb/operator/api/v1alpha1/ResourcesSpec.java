package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * Compute resources per container kind; an unset section gets the operator's modest requests. A memory
 * limit is always set (the section's, else its memory request, else the default), and every JVM sizes its
 * heap to half of it ({@code JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=50}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourcesSpec {

  @JsonPropertyDescription("Requests and limits of each member container (default: requests cpu 100m and memory 512Mi, memory limit 512Mi; the heap is half the memory limit).")
  private ResourceRequirements members;

  @JsonPropertyDescription("Requests and limits of the proxy container (default: requests cpu 50m and memory 256Mi, memory limit 256Mi; the heap is half the memory limit).")
  private ResourceRequirements proxy;

  @JsonPropertyDescription("Requests and limits of the cache sidecar (default: requests cpu 50m and memory 256Mi, memory limit 256Mi; the heap is half the memory limit).")
  private ResourceRequirements cache;

  @JsonPropertyDescription("Share of a member's heap (above 0, at most 1) its data may take, by the member's estimate, "
      + "before it refuses writes that add data (reads, deletes and drops go on); unset: the member's default, 0.8.")
  @Min(value = 0, inclusive = false)
  @Max(1)
  private Double memberMaxHeapShare;

  public ResourceRequirements getMembers() { return members; }
  public void setMembers(ResourceRequirements members) { this.members = members; }
  public ResourceRequirements getProxy() { return proxy; }
  public void setProxy(ResourceRequirements proxy) { this.proxy = proxy; }
  public ResourceRequirements getCache() { return cache; }
  public void setCache(ResourceRequirements cache) { this.cache = cache; }
  public Double getMemberMaxHeapShare() { return memberMaxHeapShare; }
  public void setMemberMaxHeapShare(Double memberMaxHeapShare) { this.memberMaxHeapShare = memberMaxHeapShare; }
}
