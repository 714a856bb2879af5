package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The caching sidecar of the proxy pod. */
public class CacheSpec {

  public static final int DEFAULT_PORT = 3951;

  @JsonPropertyDescription("Run the cache sidecar; when false the proxy Service exposes only the proxy port.")
  @Default("true")
  private boolean enabled = true;

  @JsonPropertyDescription("Time a cached read stays valid, in milliseconds.")
  @Default("3000")
  @Min(0)
  @Max(86400000)
  private long ttlMillis = 3000;

  @JsonPropertyDescription("Most entries the cache holds before evicting the least recently used.")
  @Default("200")
  @Min(1)
  @Max(1000000)
  private int maxEntries = 200;

  @JsonPropertyDescription("Port the cache listens on and the proxy Service exposes.")
  @Default("3951")
  @Min(1)
  @Max(65535)
  private int port = DEFAULT_PORT;

  public boolean isEnabled() { return enabled; }
  public void setEnabled(boolean enabled) { this.enabled = enabled; }
  public long getTtlMillis() { return ttlMillis; }
  public void setTtlMillis(long ttlMillis) { this.ttlMillis = ttlMillis; }
  public int getMaxEntries() { return maxEntries; }
  public void setMaxEntries(int maxEntries) { this.maxEntries = maxEntries; }
  public int getPort() { return port; }
  public void setPort(int port) { this.port = port; }
}
