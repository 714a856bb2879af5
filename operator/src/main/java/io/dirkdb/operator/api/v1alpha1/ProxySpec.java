package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The routing proxy Deployment. */
public class ProxySpec {

  public static final int DEFAULT_PORT = 3949;

  @JsonPropertyDescription("Number of proxy pods.")
  @Default("1")
  @Min(1)
  @Max(10)
  private int replicas = 1;

  @JsonPropertyDescription("Port the proxy listens on and its Service exposes.")
  @Default("3949")
  @Min(1)
  @Max(65535)
  private int port = DEFAULT_PORT;

  public int getReplicas() { return replicas; }
  public void setReplicas(int replicas) { this.replicas = replicas; }
  public int getPort() { return port; }
  public void setPort(int port) { this.port = port; }
}
