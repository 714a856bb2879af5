package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** The S3 API server of a backup repository: {@code dirk}'s {@code --s3-endpoint}, {@code --s3-region}, {@code --s3-path-style}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class S3Spec {

  @JsonPropertyDescription("URL of the S3 API, e.g. https://minio.storage.svc:9000; unset: AWS's own endpoints.")
  @Pattern("^https?://\\S+$")
  private String endpoint;

  @JsonPropertyDescription("Region of the bucket; unset: us-east-1.")
  @Pattern("^[a-z0-9-]+$")
  private String region;

  @JsonPropertyDescription("Path-style addressing (http://endpoint/bucket/key), which MinIO-like servers need;"
      + " unset or false: virtual-hosted style.")
  private Boolean pathStyle;

  public String getEndpoint() { return endpoint; }
  public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
  public String getRegion() { return region; }
  public void setRegion(String region) { this.region = region; }
  public Boolean getPathStyle() { return pathStyle; }
  public void setPathStyle(Boolean pathStyle) { this.pathStyle = pathStyle; }
}
