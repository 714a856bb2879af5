package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.Updater;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Secret {@code <name>-credentials}, made only when {@code spec.auth.secretName} is unset, with one
 * password per role: {@value ClusterNaming#PASSWORD_KEY} (applications), {@value
 * ClusterNaming#REPLICATION_PASSWORD_KEY} and {@value ClusterNaming#ADMIN_PASSWORD_KEY}. A password
 * generated once is never replaced: an update only adds a missing key (a Secret made before roles had
 * their own passwords gets the two new ones; its {@code password} stays).
 * With a user's Secret it does nothing (rather than a false precondition, which would make the SDK
 * delete the workloads that depend on it) and is ready at once.
 */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class CredentialsSecretDependent extends KubernetesDependentResource<Secret, DirkCluster>
    implements Creator<Secret, DirkCluster>, Updater<Secret, DirkCluster>, GarbageCollected<DirkCluster> {

  static final List<String> KEYS = List.of(ClusterNaming.PASSWORD_KEY, ClusterNaming.REPLICATION_PASSWORD_KEY,
      ClusterNaming.ADMIN_PASSWORD_KEY);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int PASSWORD_BYTES = 24;

  public CredentialsSecretDependent() {
    super(Secret.class);
  }

  @Override
  public ReconcileResult<Secret> reconcile(DirkCluster cluster, Context<DirkCluster> context) {
    return ClusterNaming.generatesSecret(cluster) ? super.reconcile(cluster, context) : ReconcileResult.noOperation(null);
  }

  @Override
  protected Secret desired(DirkCluster cluster, Context<DirkCluster> context) {
    // By name from this dependent's own informer (the workflow has a second informer on Secrets, the users').
    Secret actual = eventSource().flatMap(secrets -> secrets.get(new ResourceID(ClusterNaming.generatedSecret(cluster),
        cluster.getMetadata().getNamespace()))).orElse(null);
    // Every key the Secret has keeps its value; only missing ones get a new random password.
    Map<String, String> data = new LinkedHashMap<>();
    if (actual != null && actual.getData() != null) {
      data.putAll(actual.getData());
    }
    for (String key : KEYS) {
      if (actual == null || ClusterCredentials.value(actual, key) == null) {
        data.put(key, Base64.getEncoder().encodeToString(randomPassword().getBytes(StandardCharsets.UTF_8)));
      }
    }
    return new SecretBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.generatedSecret(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_CLUSTER))
        .endMetadata()
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** Up to date once every key is there: values are never compared, so nothing is ever rotated. */
  @Override
  public Result<Secret> match(Secret actual, DirkCluster primary, Context<DirkCluster> context) {
    boolean complete = KEYS.stream().allMatch(key -> ClusterCredentials.value(actual, key) != null);
    return complete ? Result.nonComputed(true) : Result.nonComputed(false);
  }

  static String randomPassword() {
    byte[] bytes = new byte[PASSWORD_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
