package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** When the primary acknowledges a write. */
public enum ReplicationMode {
  /** After the primary's own fsync. */
  @JsonProperty("async") ASYNC,
  /** After at least one secondary holds the write durably: no acknowledged write is lost on failover. */
  @JsonProperty("sync") SYNC;

  public String wireName() {
    return this == SYNC ? "sync" : "async";
  }
}
