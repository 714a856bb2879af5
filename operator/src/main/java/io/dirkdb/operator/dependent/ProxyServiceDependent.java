package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.List;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Service {@code <name>-proxy}: what clients use; the proxy port, and the cache port when the cache runs. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class ProxyServiceDependent extends CRUDKubernetesDependentResource<Service, DirkCluster> {

  public ProxyServiceDependent() {
    super(Service.class);
  }

  /** Dropping the cache port must count as a change: compare the port names too. */
  @Override
  public Matcher.Result<Service> match(Service actual, Service desired, DirkCluster cluster,
      Context<DirkCluster> context) {
    return NamedPartsMatch.alsoComparing(super.match(actual, desired, cluster, context), actual, desired,
        ProxyServiceDependent::portNames);
  }

  private static List<String> portNames(Service service) {
    return service.getSpec().getPorts().stream().map(ServicePort::getName).toList();
  }

  @Override
  protected Service desired(DirkCluster cluster, Context<DirkCluster> context) {
    var spec = cluster.getSpec();
    ServiceBuilder builder = new ServiceBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.proxy(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_PROXY))
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(ClusterNaming.proxySelector(cluster))
        .withPorts(new ServicePortBuilder().withName("proxy").withPort(spec.getProxy().getPort())
            .withNewTargetPort("proxy").build())
        .endSpec();
    if (spec.getCache().isEnabled()) {
      builder.editSpec()
          .addNewPort().withName("cache").withPort(spec.getCache().getPort()).withNewTargetPort("cache").endPort()
          .endSpec();
    }
    return builder.build();
  }
}
