package io.dirkdb.operator.dependent;

import io.dirkdb.operator.reconciler.ClusterAnnotations;

import io.dirkdb.operator.api.v1alpha1.CacheSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.ArrayList;
import java.util.List;

/** Deployment {@code <name>-proxy}: the routing proxy and, when enabled, the cache sidecar in front of it. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNaming.MANAGED_SELECTOR))
public class ProxyDeploymentDependent extends CRUDKubernetesDependentResource<Deployment, DirkCluster> {

  public static final String PROXY_CONTAINER = "proxy";
  public static final String CACHE_CONTAINER = "cache";

  public ProxyDeploymentDependent() {
    super(Deployment.class);
  }

  /** Dropping the cache sidecar must count as a change: compare the container names too. */
  @Override
  public Matcher.Result<Deployment> match(Deployment actual, Deployment desired, DirkCluster cluster,
      Context<DirkCluster> context) {
    return NamedPartsMatch.alsoComparing(super.match(actual, desired, cluster, context), actual, desired,
        ProxyDeploymentDependent::containerNames);
  }

  private static List<String> containerNames(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().stream().map(Container::getName).toList();
  }

  @Override
  protected Deployment desired(DirkCluster cluster, Context<DirkCluster> context) {
    DirkClusterSpec spec = cluster.getSpec();
    List<Container> containers = new ArrayList<>();
    containers.add(proxyContainer(cluster));
    if (spec.getCache().isEnabled()) {
      containers.add(cacheContainer(cluster));
    }
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(ClusterNaming.proxy(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_PROXY))
        .endMetadata()
        .withNewSpec()
        .withReplicas(ClusterAnnotations.hibernated(cluster) ? 0 : spec.getProxy().getReplicas())
        .withNewSelector().withMatchLabels(ClusterNaming.proxySelector(cluster)).endSelector()
        // Never below the asked number of proxies while rolling: clients keep a route.
        .withNewStrategy().withType("RollingUpdate")
        .withNewRollingUpdate().withMaxUnavailable(new IntOrString(0)).withMaxSurge(new IntOrString(1)).endRollingUpdate()
        .endStrategy()
        .withNewTemplate()
        // A changed password rolls the proxies (RollingUpdate, never below the asked number).
        .withNewMetadata().withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_PROXY))
        .withAnnotations(PodDefaults.credentialsAnnotations(
            ReferencedSecrets.of(cluster, context).podCredentialsHash(context.getSecondaryResourcesAsStream(Deployment.class)
                .filter(d -> ClusterNaming.proxy(cluster).equals(d.getMetadata().getName()))
                .map(d -> AppliedCredentials.hashOf(d.getSpec().getTemplate())).findFirst().orElse(null))))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(ClusterNaming.serviceAccount(cluster))
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(PodDefaults.podSecurityContext())
        .withNodeSelector(PodDefaults.nodeSelector(cluster))
        .withTolerations(spec.getScheduling() == null ? null : spec.getScheduling().getTolerations())
        .withContainers(containers)
        .withVolumes(PodDefaults.configVolume(cluster), PodDefaults.tmpVolume())
        .addAllToVolumes(PodDefaults.tlsVolumes(cluster))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static Container proxyContainer(DirkCluster cluster) {
    DirkClusterSpec spec = cluster.getSpec();
    return new ContainerBuilder()
        .withName(PROXY_CONTAINER)
        .withImage(spec.getImage())
        .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
        .withArgs(proxyArgs(cluster))
        .withEnv(PodDefaults.passwordEnv(cluster), PodDefaults.previousApplicationPasswordEnv(cluster), PodDefaults.heapEnv())
        .withPorts(
            new ContainerPortBuilder().withName("proxy").withContainerPort(spec.getProxy().getPort()).build(),
            new ContainerPortBuilder().withName("proxy-http").withContainerPort(ClusterNaming.PROXY_HTTP_PORT).build())
        .withLivenessProbe(PodDefaults.httpProbe("/health/live", ClusterNaming.PROXY_HTTP_PORT, 10, 3))
        .withReadinessProbe(PodDefaults.httpProbe("/health/ready", ClusterNaming.PROXY_HTTP_PORT, 2, 2))
        .withResources(PodDefaults.resources(spec.getResources().getProxy(), "50m", PodDefaults.PROXY_MEMORY))
        .withSecurityContext(PodDefaults.containerSecurityContext())
        .withVolumeMounts(PodDefaults.configMount(), PodDefaults.tmpMount())
        .addAllToVolumeMounts(PodDefaults.tlsMounts(cluster))
        .build();
  }

  static List<String> proxyArgs(DirkCluster cluster) {
    List<String> args = new ArrayList<>(List.of("proxy",
        "--config", PodDefaults.CONFIG_PATH,
        "--host", "0.0.0.0",
        "--port", String.valueOf(cluster.getSpec().getProxy().getPort()),
        "--http-port", String.valueOf(ClusterNaming.PROXY_HTTP_PORT)));
    args.addAll(PodDefaults.relayListenerTlsArgs(cluster));
    args.addAll(PodDefaults.upstreamTlsArgs(cluster));
    return args;
  }

  static List<String> cacheArgs(DirkCluster cluster) {
    CacheSpec cache = cluster.getSpec().getCache();
    List<String> args = new ArrayList<>(List.of("cache", "127.0.0.1",
        String.valueOf(cluster.getSpec().getProxy().getPort()),
        String.valueOf(cache.getPort()),
        String.valueOf(cache.getTtlMillis()),
        String.valueOf(cache.getMaxEntries()),
        "--host", "0.0.0.0",
        "--http-port", String.valueOf(ClusterNaming.CACHE_HTTP_PORT)));
    args.addAll(PodDefaults.relayListenerTlsArgs(cluster));
    if (cluster.getSpec().tlsEnabled()) {
      // Its proxy listens with the cluster's certificate, reached on 127.0.0.1 inside the pod.
      args.addAll(PodDefaults.upstreamTlsArgs(cluster));
      args.addAll(List.of("--upstream-tls-server-name", ClusterNaming.proxy(cluster) + "."
          + cluster.getMetadata().getNamespace() + ".svc"));
    }
    return args;
  }

  private static Container cacheContainer(DirkCluster cluster) {
    DirkClusterSpec spec = cluster.getSpec();
    CacheSpec cache = spec.getCache();
    return new ContainerBuilder()
        .withName(CACHE_CONTAINER)
        .withImage(spec.getImage())
        .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
        .withArgs(cacheArgs(cluster))
        .withPorts(
            new ContainerPortBuilder().withName("cache").withContainerPort(cache.getPort()).build(),
            new ContainerPortBuilder().withName("cache-http").withContainerPort(ClusterNaming.CACHE_HTTP_PORT).build())
        .withEnv(PodDefaults.heapEnv())
        .withLivenessProbe(PodDefaults.httpProbe("/health/live", ClusterNaming.CACHE_HTTP_PORT, 10, 3))
        .withReadinessProbe(PodDefaults.httpProbe("/health/ready", ClusterNaming.CACHE_HTTP_PORT, 2, 2))
        .withResources(PodDefaults.resources(spec.getResources().getCache(), "50m", PodDefaults.PROXY_MEMORY))
        .withSecurityContext(PodDefaults.containerSecurityContext())
        .withVolumeMounts(PodDefaults.tmpMount())
        .addAllToVolumeMounts(PodDefaults.tlsMounts(cluster))
        .build();
  }
}
