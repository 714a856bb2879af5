package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The passwords the operator itself gives members, read from the cluster's credentials Secret: the
 * administration one for its control requests and lease renewals, then, when a member refuses it, the previous
 * administration one of a rotation (a pod not restarted since), then the application one (a member still running
 * on the single password: a Secret without the administration key, or a pod not restarted since it was added).
 *
 * @param administration         the {@value ClusterNaming#ADMIN_PASSWORD_KEY} key, else the
 *                               {@value ClusterNaming#PASSWORD_KEY} key (a single-password Secret); null when neither
 * @param application            the {@value ClusterNaming#PASSWORD_KEY} key, or null
 * @param previousAdministration the {@value ClusterNaming#PREVIOUS_ADMIN_PASSWORD_KEY} key, else the
 *                               {@value ClusterNaming#PREVIOUS_PASSWORD_KEY} key; null when neither (no rotation)
 */
public record ClusterCredentials(String administration, String application, String previousAdministration) {

  public static final ClusterCredentials NONE = new ClusterCredentials(null, null, null);

  /** Outside a rotation. */
  public ClusterCredentials(String administration, String application) {
    this(administration, application, null);
  }

  /** What is tried, in order, when a member refuses {@link #administration()}. */
  public java.util.List<String> fallbacks() {
    java.util.LinkedHashSet<String> tried = new java.util.LinkedHashSet<>();
    tried.add(previousAdministration);
    tried.add(application);
    tried.remove(null);
    tried.remove(administration);
    return java.util.List.copyOf(tried);
  }

  /** Reads the Secret the pods use; {@link #NONE} when it does not exist (yet). */
  public static ClusterCredentials read(KubernetesClient client, DirkCluster cluster) {
    Secret secret = client.secrets().inNamespace(cluster.getMetadata().getNamespace())
        .withName(ClusterNaming.credentialsSecret(cluster)).get();
    if (secret == null) {
      return NONE;
    }
    String application = value(secret, ClusterNaming.PASSWORD_KEY);
    String administration = value(secret, ClusterNaming.ADMIN_PASSWORD_KEY);
    String previousAdministration = value(secret, ClusterNaming.PREVIOUS_ADMIN_PASSWORD_KEY);
    if (previousAdministration == null) {
      previousAdministration = value(secret, ClusterNaming.PREVIOUS_PASSWORD_KEY);
    }
    return new ClusterCredentials(administration != null ? administration : application, application,
        previousAdministration);
  }

  /** A key's value, from {@code data} (base64) or {@code stringData}; null when absent or empty. */
  public static String value(Secret secret, String key) {
    String value = null;
    if (secret.getData() != null && secret.getData().get(key) != null) {
      value = new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    } else if (secret.getStringData() != null) {
      value = secret.getStringData().get(key);
    }
    return value == null || value.isEmpty() ? null : value;
  }

  @Override
  public String toString() {
    return "ClusterCredentials[" + (administration == null ? "none" : "set") + "]"; // never print a password
  }
}
