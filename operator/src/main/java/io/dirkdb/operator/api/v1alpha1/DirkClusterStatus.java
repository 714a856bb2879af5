package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What the operator observed, written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DirkClusterStatus {

  @JsonPropertyDescription("Pending, Creating, Ready, Degraded, FailingOver, Resyncing, Hibernated or Failed.")
  private ClusterPhase phase;

  @JsonPropertyDescription("Pod name of the member that is primary now.")
  private String currentPrimary;

  @JsonPropertyDescription("Ready members over desired members, e.g. 2/2.")
  private String readyMembers;

  @JsonPropertyDescription("Secondary pods observed (the scale subresource's status.replicas).")
  @StatusReplicas
  private Integer secondaries;

  @JsonPropertyDescription("Every desired member with its role and readiness.")
  private List<MemberStatus> members = new ArrayList<>();

  @JsonPropertyDescription("Ready, SpecValid, FailingOver, TargetPrimaryEligible, Resyncing (Kubernetes API conventions).")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The last failover or switchover.")
  private FailoverRecord lastFailover;

  @JsonPropertyDescription("metadata.generation of the spec this status describes.")
  private Long observedGeneration;

  /** The condition of this type, if the status has one. */
  public Optional<Condition> condition(ConditionType type) {
    return condition(type.name());
  }

  /** The condition of this type, if the status has one (for readers of a stored status; the operator names a {@link ConditionType}). */
  public Optional<Condition> condition(String type) {
    return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public ClusterPhase getPhase() { return phase; }
  public void setPhase(ClusterPhase phase) { this.phase = phase; }
  public String getCurrentPrimary() { return currentPrimary; }
  public void setCurrentPrimary(String currentPrimary) { this.currentPrimary = currentPrimary; }
  public String getReadyMembers() { return readyMembers; }
  public void setReadyMembers(String readyMembers) { this.readyMembers = readyMembers; }
  public Integer getSecondaries() { return secondaries; }
  public void setSecondaries(Integer secondaries) { this.secondaries = secondaries; }
  public List<MemberStatus> getMembers() { return members; }
  public void setMembers(List<MemberStatus> members) { this.members = members; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
  public FailoverRecord getLastFailover() { return lastFailover; }
  public void setLastFailover(FailoverRecord lastFailover) { this.lastFailover = lastFailover; }
  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
}
