package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * Headless Service {@code <name>-members}: the stable DNS names of every member. Not-ready members are
 * published too, since a starting secondary must reach the primary before it can become ready.
 */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class MembersServiceDependent extends CRUDKubernetesDependentResource<Service, DirkCluster> {

  public MembersServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(DirkCluster cluster, Context<DirkCluster> context) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.membersService(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_MEMBER))
        .endMetadata()
        .withNewSpec()
        .withClusterIP("None")
        .withPublishNotReadyAddresses(true)
        .withSelector(ClusterNaming.memberSelector(cluster))
        .addNewPort().withName("sql").withPort(ClusterNaming.MEMBER_PORT).withNewTargetPort("sql").endPort()
        .addNewPort().withName("http").withPort(ClusterNaming.MEMBER_HTTP_PORT).withNewTargetPort("http").endPort()
        .endSpec()
        .build();
  }
}
