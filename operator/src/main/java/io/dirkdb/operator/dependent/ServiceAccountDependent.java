package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** ServiceAccount {@code <name>-dirkdb}: the pods' identity; it holds no API rights and mounts no token. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class ServiceAccountDependent extends CRUDKubernetesDependentResource<ServiceAccount, DirkCluster> {

  public ServiceAccountDependent() {
    super(ServiceAccount.class);
  }

  @Override
  protected ServiceAccount desired(DirkCluster cluster, Context<DirkCluster> context) {
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.serviceAccount(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_CLUSTER))
        .endMetadata()
        .withAutomountServiceAccountToken(false)
        .build();
  }
}
