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
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Secret {@code <name>-credentials}, made only when {@code spec.auth.secretName} is unset. Create-only
 * on purpose: a password generated once must never be replaced by a new random one on the next pass.
 * With a user's Secret it does nothing (rather than a false precondition, which would make the SDK
 * delete the workloads that depend on it) and is ready at once.
 */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class CredentialsSecretDependent extends KubernetesDependentResource<Secret, DirkCluster>
    implements Creator<Secret, DirkCluster>, GarbageCollected<DirkCluster> {

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
    return new SecretBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.generatedSecret(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_CLUSTER))
        .endMetadata()
        .withType("Opaque")
        .addToStringData(ClusterNaming.PASSWORD_KEY, randomPassword())
        .build();
  }

  static String randomPassword() {
    byte[] bytes = new byte[PASSWORD_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
