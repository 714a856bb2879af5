package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** ConfigMap {@code <name>-config}: the data plane's config.json, mounted at /etc/dirk in every pod. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class ConfigMapDependent extends CRUDKubernetesDependentResource<ConfigMap, DirkCluster> {

  public ConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  protected ConfigMap desired(DirkCluster cluster, Context<DirkCluster> context) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.configMap(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_CLUSTER))
        .endMetadata()
        .addToData(ClusterNaming.CONFIG_KEY, ClusterConfigRenderer.render(cluster))
        .build();
  }
}
