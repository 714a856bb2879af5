package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * Where backups live and how to reach them: an S3 bucket (AWS or any S3 API server) and the Secret with
 * its keys. Shared by {@code spec.backup} (where backups go) and {@code spec.bootstrap.recovery} (where one
 * is read from).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupRepositorySpec {

  @JsonPropertyDescription("The repository, s3://BUCKET/PREFIX (PREFIX may be empty or nested); everything under it"
      + " belongs to one cluster history. Only S3 repositories: a directory would need a volume shared by the"
      + " backup Jobs, the archiver and the restoring pod.")
  @Required
  @Pattern(DirkClusterRules.S3_REPOSITORY_PATTERN)
  private String repository;

  @JsonPropertyDescription("How to reach the S3 API: endpoint, region, path-style addressing; unset: AWS's own"
      + " endpoints in us-east-1.")
  private S3Spec s3;

  @JsonPropertyDescription("Secret in the cluster's namespace with the keys ACCESS_KEY_ID and SECRET_ACCESS_KEY"
      + " (optional SESSION_TOKEN), given to dirk as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN;"
      + " unset: the AWS SDK's default chain (e.g. the pod's web identity).")
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  private String credentialsSecret;

  public String getRepository() { return repository; }
  public void setRepository(String repository) { this.repository = repository; }
  public S3Spec getS3() { return s3; }
  public void setS3(S3Spec s3) { this.s3 = s3; }
  public String getCredentialsSecret() { return credentialsSecret; }
  public void setCredentialsSecret(String credentialsSecret) { this.credentialsSecret = credentialsSecret; }
}
