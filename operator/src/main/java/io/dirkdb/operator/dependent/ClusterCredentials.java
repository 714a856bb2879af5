package io.dirkdb.operator.dependent;

import io.fabric8.kubernetes.api.model.Secret;
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

  /** The passwords of the Secret the pods use ({@link ReferencedSecrets#credentials()}); {@link #NONE} for null. */
  public static ClusterCredentials of(Secret secret) {
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

  /** The Secret's keys the pods read as passwords: a change of any rolls the pods (see {@link #hash(Secret)}). */
  public static final java.util.List<String> POD_KEYS = java.util.List.of(ClusterNaming.PASSWORD_KEY,
      ClusterNaming.REPLICATION_PASSWORD_KEY, ClusterNaming.ADMIN_PASSWORD_KEY, ClusterNaming.PREVIOUS_PASSWORD_KEY,
      ClusterNaming.PREVIOUS_REPLICATION_PASSWORD_KEY, ClusterNaming.PREVIOUS_ADMIN_PASSWORD_KEY);

  /**
   * A digest of the passwords the pods read ({@link #POD_KEYS}), for the pod templates' annotation: a changed
   * password changes the template, which rolls the pods. Null when the Secret does not exist (yet). It reveals
   * nothing of the passwords (SHA-256 over all of them, 16 hex digits kept).
   */
  public static String hash(Secret secret) {
    if (secret == null) {
      return null;
    }
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      for (String key : POD_KEYS) {
        String value = value(secret, key);
        sha.update((key + "=" + (value == null ? "" : Base64.getEncoder().encodeToString(
            value.getBytes(StandardCharsets.UTF_8))) + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
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
