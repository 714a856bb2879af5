package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** Credentials of the database. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AuthSpec {

  @JsonPropertyDescription("Existing Secret with the key 'password'; unset makes the operator create <name>-credentials"
      + " with a random password.")
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  private String secretName;

  public String getSecretName() { return secretName; }
  public void setSecretName(String secretName) { this.secretName = secretName; }
}
