package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One member as the operator last saw it. Epoch, LSN and lag come from heartbeats, when a prober runs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MemberStatus {

  @JsonPropertyDescription("Pod name of the member, e.g. demo-secondary-0.")
  private String name;

  @JsonPropertyDescription("Role from the pod's dirkdb.io/role label: primary, secondary or fenced.")
  private String role;

  @JsonPropertyDescription("Term of the primary this member follows, from its last heartbeat.")
  private Long epoch;

  @JsonPropertyDescription("Last log sequence number the member applied, from its last heartbeat.")
  private Long lsn;

  @JsonPropertyDescription("Whether the member's pod is Ready.")
  private boolean ready;

  @JsonPropertyDescription("Log records the member is behind the primary.")
  private Long lag;

  @JsonPropertyDescription("Heartbeats the member missed in a row (0 while it answers).")
  private Integer missedHeartbeats;

  @JsonPropertyDescription("Estimated heap the member's data takes (rows, indexes, schema), in bytes, from its last heartbeat.")
  private Long dataBytes;

  @JsonPropertyDescription("Data, in bytes, past which the member refuses writes that add data: its --max-heap-share of heapMaxBytes.")
  private Long heapLimitBytes;

  @JsonPropertyDescription("The member's maximum heap (its JVM's), in bytes.")
  private Long heapMaxBytes;

  @JsonPropertyDescription("Why the member refuses writes that add data (or, a secondary, stopped following) for lack of memory; absent while it does not.")
  private String memoryError;

  public MemberStatus() {}

  public MemberStatus(String name, String role, boolean ready) {
    this.name = name;
    this.role = role;
    this.ready = ready;
  }

  public String getName() { return name; }
  public void setName(String name) { this.name = name; }
  public String getRole() { return role; }
  public void setRole(String role) { this.role = role; }
  public Long getEpoch() { return epoch; }
  public void setEpoch(Long epoch) { this.epoch = epoch; }
  public Long getLsn() { return lsn; }
  public void setLsn(Long lsn) { this.lsn = lsn; }
  public boolean isReady() { return ready; }
  public void setReady(boolean ready) { this.ready = ready; }
  public Long getLag() { return lag; }
  public void setLag(Long lag) { this.lag = lag; }
  public Integer getMissedHeartbeats() { return missedHeartbeats; }
  public void setMissedHeartbeats(Integer missedHeartbeats) { this.missedHeartbeats = missedHeartbeats; }
  public Long getDataBytes() { return dataBytes; }
  public void setDataBytes(Long dataBytes) { this.dataBytes = dataBytes; }
  public Long getHeapLimitBytes() { return heapLimitBytes; }
  public void setHeapLimitBytes(Long heapLimitBytes) { this.heapLimitBytes = heapLimitBytes; }
  public Long getHeapMaxBytes() { return heapMaxBytes; }
  public void setHeapMaxBytes(Long heapMaxBytes) { this.heapMaxBytes = heapMaxBytes; }
  public String getMemoryError() { return memoryError; }
  public void setMemoryError(String memoryError) { this.memoryError = memoryError; }

  @Override
  public boolean equals(Object o) {
    return o instanceof MemberStatus m && ready == m.ready && Objects.equals(name, m.name) && Objects.equals(role, m.role)
        && Objects.equals(epoch, m.epoch) && Objects.equals(lsn, m.lsn) && Objects.equals(lag, m.lag)
        && Objects.equals(missedHeartbeats, m.missedHeartbeats) && Objects.equals(dataBytes, m.dataBytes)
        && Objects.equals(heapLimitBytes, m.heapLimitBytes) && Objects.equals(heapMaxBytes, m.heapMaxBytes)
        && Objects.equals(memoryError, m.memoryError);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, role, epoch, lsn, ready, lag, missedHeartbeats, dataBytes, heapLimitBytes, heapMaxBytes,
        memoryError);
  }
}
