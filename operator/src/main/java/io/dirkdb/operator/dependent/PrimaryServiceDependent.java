package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.LinkedHashMap;
import java.util.Map;

/** Service {@code <name>-primary}: selects the pod labelled primary, so moving the label moves the traffic. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class PrimaryServiceDependent extends CRUDKubernetesDependentResource<Service, DirkCluster> {

  public PrimaryServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(DirkCluster cluster, Context<DirkCluster> context) {
    Map<String, String> selector = new LinkedHashMap<>(ClusterNaming.memberSelector(cluster));
    selector.put(ClusterNaming.LABEL_ROLE, ClusterNaming.ROLE_PRIMARY);
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.primaryService(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_MEMBER))
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(selector)
        .addNewPort().withName("sql").withPort(ClusterNaming.MEMBER_PORT).withNewTargetPort("sql").endPort()
        .endSpec()
        .build();
  }
}
