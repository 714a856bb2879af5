package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * TLS on every DirkDB connection of the cluster, from one Secret in the cluster's namespace: the
 * members (mutual TLS between them), the proxy and cache toward clients and toward the members, the
 * resync Jobs and the operator's own probes and control requests.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsSpec {

  @JsonPropertyDescription("Secret (type kubernetes.io/tls, e.g. made by cert-manager) with tls.crt, tls.key and"
      + " ca.crt. The certificate must carry the DNS names *.<cluster>-members.<namespace>.svc (or each member's"
      + " <pod>.<cluster>-members.<namespace>.svc), <cluster>-proxy.<namespace>.svc and"
      + " <cluster>-primary.<namespace>.svc, and allow both server and client authentication; ca.crt must sign it.")
  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  private String secretName;

  public String getSecretName() { return secretName; }
  public void setSecretName(String secretName) { this.secretName = secretName; }
}
