package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.Reason;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Whether the pods may follow the credentials Secret as it is now, and which passwords the operator itself uses.
 *
 * <p>The operator remembers, per cluster and in memory, the passwords its pod templates were last made for (the
 * "applied" ones, which the members run on). The templates keep their current hash, so no pod rolls, while the
 * Secret is missing (replaced by delete and create) or while a password changed without its {@code previous-}
 * key holding the value the members run on (a rotation written in one step: rolled members could not reach the
 * others, nor the operator them). Meanwhile the operator keeps using the applied passwords, the Secret's new
 * ones as a fallback. After an operator restart nothing is remembered until the Secret matches the templates.
 */
public final class AppliedCredentials {

  private static final Logger LOG = Logger.getLogger(AppliedCredentials.class);
  /** namespace/name/uid to the Secret (pod keys only) the templates were last made for (a few hundred bytes each). */
  private static final Map<String, Secret> APPLIED = new ConcurrentHashMap<>();
  private static final List<List<String>> ROLES = List.of(
      List.of(ClusterNaming.PASSWORD_KEY, ClusterNaming.PREVIOUS_PASSWORD_KEY),
      List.of(ClusterNaming.REPLICATION_PASSWORD_KEY, ClusterNaming.PREVIOUS_REPLICATION_PASSWORD_KEY),
      List.of(ClusterNaming.ADMIN_PASSWORD_KEY, ClusterNaming.PREVIOUS_ADMIN_PASSWORD_KEY));

  /**
   * @param hold        the templates keep the hash they carry
   * @param reason      null when the Secret is applied, else why it is not
   * @param message     a sentence for the condition and the Event
   * @param credentials the passwords the operator uses for its control statements and lease renewals
   */
  public record Decision(boolean hold, Reason reason, String message, ClusterCredentials credentials) {

    /** The hash a pod template gets, given the one it carries now (null for a child not made yet). */
    public String hash(Secret secret, String current) {
      return hold ? current : ClusterCredentials.hash(secret);
    }
  }

  private AppliedCredentials() {}

  /**
   * Decides for one pass.
   *
   * @param key          namespace/name/uid of the cluster
   * @param secretName   the credentials Secret's name, for the messages
   * @param secret       the credentials Secret, null when missing
   * @param templateHash the hash the primary's (else the proxy's) pod template carries now, null when none
   */
  static Decision decide(String key, String secretName, Secret secret, String templateHash) {
    Secret applied = APPLIED.get(key);
    if (secret == null) {
      return new Decision(true, Reason.CredentialsSecretMissing, "Secret " + secretName + " does not exist: the pods keep the "
          + "passwords they run on and are not rolled until it is back",
          applied == null ? ClusterCredentials.NONE : ClusterCredentials.of(applied));
    }
    String hash = ClusterCredentials.hash(secret);
    if (applied == null && templateHash != null && !templateHash.equals(hash)) {
      // Nothing remembered (the operator restarted) and the Secret changed meanwhile: it cannot be checked.
      LOG.infof("DirkCluster %s: Secret %s changed while the operator was away; rolling the pods to it", key,
          secretName);
    }
    if (applied != null && !hash.equals(ClusterCredentials.hash(applied))) {
      List<List<String>> unbridged = new ArrayList<>();
      for (List<String> role : ROLES) {
        String was = ClusterCredentials.value(applied, role.get(0));
        String now = ClusterCredentials.value(secret, role.get(0));
        if (was != null && now != null && !was.equals(now)
            && !was.equals(ClusterCredentials.value(secret, role.get(1)))) {
          unbridged.add(role);
        }
      }
      if (!unbridged.isEmpty()) {
        ClusterCredentials runningOn = ClusterCredentials.of(applied);
        String message = "Secret " + secretName + " changes " + String.join(", ", unbridged.stream()
            .map(r -> r.get(0)).toList()) + " without " + String.join(", ", unbridged.stream().map(r -> r.get(1))
            .toList()) + " holding the password the members run on: the pods are not rolled (they keep the current "
            + "passwords) until the Secret has those previous- keys with the old values, as in \"Rotating the "
            + "password\"";
        return new Decision(true, Reason.RotationNeedsPreviousPassword, message, new ClusterCredentials(runningOn.administration(),
            runningOn.application(), ClusterCredentials.of(secret).administration()));
      }
    }
    if (applied == null || !hash.equals(ClusterCredentials.hash(applied))) {
      APPLIED.put(key, podKeysOnly(secret));
    }
    return new Decision(false, null, "the pods run on the passwords of Secret " + secretName,
        ClusterCredentials.of(secret));
  }

  /** Forgets a deleted cluster's applied passwords ({@code key}: namespace/name/uid). */
  static void forget(String key) {
    APPLIED.remove(key);
  }

  /** The credentials hash a pod template carries, null when none. */
  public static String hashOf(PodTemplateSpec template) {
    return Optional.ofNullable(template).map(PodTemplateSpec::getMetadata).map(ObjectMeta::getAnnotations)
        .map(a -> a.get(PodDefaults.CREDENTIALS_HASH_ANNOTATION)).orElse(null);
  }

  private static Secret podKeysOnly(Secret secret) {
    var data = new java.util.LinkedHashMap<String, String>();
    for (String key : ClusterCredentials.POD_KEYS) {
      String value = ClusterCredentials.value(secret, key);
      if (value != null) {
        data.put(key, java.util.Base64.getEncoder().encodeToString(
            value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
    }
    return new SecretBuilder().withData(data).build();
  }
}
