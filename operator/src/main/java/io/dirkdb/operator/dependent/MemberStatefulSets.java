package io.dirkdb.operator.dependent;

import io.dirkdb.operator.reconciler.ClusterAnnotations;

import java.util.ArrayList;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.StorageSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds the two member StatefulSets; they differ only in name, size and (during a roll) image. */
public final class MemberStatefulSets {

  public static final String DATA_VOLUME = "data";
  public static final String DATA_MOUNT = "/var/lib/dirk";
  static final String CONTAINER = "dirk";
  public static final String ON_DELETE = "OnDelete";
  /** The label the StatefulSet controller puts on each pod: the revision of the template it was made from. */
  public static final String REVISION_LABEL = "controller-revision-hash";
  static final String DIRK_BINARY = "/usr/local/bin/dirk";
  /** How long a stopping primary waits for the operator to hand its role over. */
  static final int HANDOVER_SECONDS = 30;

  private MemberStatefulSets() {}

  static StatefulSet build(DirkCluster cluster, String name, int replicas, String image) {
    return build(cluster, name, replicas, image, null);
  }

  /** As above, the pod template annotated with the credentials' hash (null: none), so a rotation rolls the pods. */
  static StatefulSet build(DirkCluster cluster, String name, int replicas, String image, String credentialsHash) {
    DirkClusterSpec spec = cluster.getSpec();
    Map<String, String> podLabels = new LinkedHashMap<>(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_MEMBER));
    podLabels.put(ClusterNaming.LABEL_STATEFULSET, name);
    Map<String, String> selector = new LinkedHashMap<>(ClusterNaming.memberSelector(cluster));
    selector.put(ClusterNaming.LABEL_STATEFULSET, name);
    StorageSpec storage = spec.getStorage();

    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(cluster.getMetadata().getNamespace())
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .withLabels(ClusterNaming.labels(cluster, ClusterNaming.COMPONENT_MEMBER))
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withServiceName(ClusterNaming.membersService(cluster))
        .withPodManagementPolicy("Parallel")
        // The operator replaces the pods itself, by role: secondaries first, then a switchover, then the old primary.
        .withNewUpdateStrategy().withType(ON_DELETE).endUpdateStrategy()
        .withNewPersistentVolumeClaimRetentionPolicy()
        // Hibernation scales to zero to wake on the same volumes: never a claim deleted by that scale-down.
        .withWhenScaled(storage.isDeleteClaimOnScaleDown() && !ClusterAnnotations.hibernated(cluster) ? "Delete"
            : "Retain")
        .withWhenDeleted("Retain")
        .endPersistentVolumeClaimRetentionPolicy()
        .withNewSelector().withMatchLabels(selector).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(podLabels).withAnnotations(PodDefaults.credentialsAnnotations(credentialsHash))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(ClusterNaming.serviceAccount(cluster))
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        // Room for the preStop hand-over (up to HANDOVER_SECONDS) and a clean stop after it.
        .withTerminationGracePeriodSeconds(HANDOVER_SECONDS + 30L)
        .withSecurityContext(PodDefaults.podSecurityContext())
        .withNodeSelector(PodDefaults.nodeSelector(cluster))
        .withTolerations(spec.getScheduling() == null ? null : spec.getScheduling().getTolerations())
        .withAffinity(PodDefaults.memberAffinity(cluster))
        // A cluster made from a backup: the first primary restores it before its member starts (a no-op on data).
        .withInitContainers(name.equals(ClusterNaming.primaryStatefulSet(cluster)) && spec.recovery() != null
            ? List.of(io.dirkdb.operator.backup.BackupPods.restoreInitContainer(cluster)) : null)
        .withContainers(new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(image)
            .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
            .withArgs(serverArgs(cluster))
            .withEnv(memberEnv(cluster))
            .withPorts(
                new ContainerPortBuilder().withName("sql").withContainerPort(ClusterNaming.MEMBER_PORT).build(),
                new ContainerPortBuilder().withName("http").withContainerPort(ClusterNaming.MEMBER_HTTP_PORT).build())
            // Recovery replays the log before the server answers: give it time before liveness counts.
            .withStartupProbe(PodDefaults.httpProbe("/health/live", ClusterNaming.MEMBER_HTTP_PORT, 2, 90))
            .withLivenessProbe(PodDefaults.httpProbe("/health/live", ClusterNaming.MEMBER_HTTP_PORT, 10, 3))
            .withReadinessProbe(PodDefaults.httpProbe("/health/ready", ClusterNaming.MEMBER_HTTP_PORT, 2, 2))
            .withResources(PodDefaults.memberResources(cluster))
            .withNewLifecycle().withNewPreStop().withNewExec().withCommand(preStopCommand(cluster)).endExec().endPreStop()
            .endLifecycle()
            .withSecurityContext(PodDefaults.containerSecurityContext())
            .withVolumeMounts(
                new VolumeMountBuilder().withName(DATA_VOLUME).withMountPath(DATA_MOUNT).build(),
                PodDefaults.configMount(),
                PodDefaults.tmpMount())
            .addAllToVolumeMounts(PodDefaults.tlsMounts(cluster))
            .build())
        .withVolumes(PodDefaults.configVolume(cluster), PodDefaults.tmpVolume())
        .addAllToVolumes(PodDefaults.tlsVolumes(cluster))
        .endSpec()
        .endTemplate()
        .withVolumeClaimTemplates(new PersistentVolumeClaimBuilder()
            .withNewMetadata().withName(DATA_VOLUME).withLabels(ClusterNaming.memberSelector(cluster)).endMetadata()
            .withNewSpec()
            .withAccessModes("ReadWriteOnce")
            .withStorageClassName(storage.getStorageClassName())
            .withNewResources().withRequests(Map.of("storage", new Quantity(StorageQuantities.canonical(storage.getSize()))))
            .endResources()
            .endSpec()
            .build())
        .endSpec()
        .build();
  }

  /**
   * The member's preStop hook: a primary waits for the operator's switchover (it sees the pod's
   * deletionTimestamp) and fences itself if none came, so a deleted or drained primary hands over.
   */
  public static List<String> preStopCommand(DirkCluster cluster) {
    List<String> command = new ArrayList<>(List.of(DIRK_BINARY, "step-down", "--port",
        String.valueOf(ClusterNaming.MEMBER_PORT), "--handover-seconds", String.valueOf(HANDOVER_SECONDS)));
    // On 127.0.0.1 the member's certificate is checked for its stable name, from $DIRK_TLS_SERVER_NAME.
    command.addAll(PodDefaults.clientTlsArgs(cluster));
    return command;
  }

  /**
   * The primary lease the members hold ({@code dirk server --primary-lease-ms}): three heartbeat intervals, and no
   * less than the member's default of 2000 ms. The probes renew it every interval, each renewal counting from the
   * answer before it (up to an interval old), so a lease of two intervals would run out at the slightest delay;
   * the third is the delay a probe may take (a pause of the operator, a slow API server) without the primary
   * refusing writes. A failover from a primary the operator cannot reach waits out this lease.
   */
  public static long primaryLeaseMillis(DirkCluster cluster) {
    return Math.max(2000L, 3L * cluster.getSpec().getFailover().getHeartbeatIntervalMs());
  }

  static List<String> serverArgs(DirkCluster cluster) {
    List<String> args = new ArrayList<>(List.of("server",
        "--config", PodDefaults.CONFIG_PATH,
        "--data-dir", ClusterConfigRenderer.DATA_DIRECTORY,
        "--host", "0.0.0.0",
        "--port", String.valueOf(ClusterNaming.MEMBER_PORT),
        "--http-port", String.valueOf(ClusterNaming.MEMBER_HTTP_PORT),
        "--primary-lease-ms", String.valueOf(primaryLeaseMillis(cluster))));
    Double share = cluster.getSpec().getResources().getMemberMaxHeapShare();
    if (share != null) { // unset: no flag, so clusters made before the field do not roll
      args.addAll(List.of("--max-heap-share", String.valueOf(share)));
    }
    args.addAll(PodDefaults.memberTlsArgs(cluster));
    return args;
  }

  /** The member's id, password and heap; with TLS, its stable name for the preStop hook's certificate check. */
  private static List<EnvVar> memberEnv(DirkCluster cluster) {
    List<EnvVar> env = new ArrayList<>(List.of(PodDefaults.instanceIdEnv(), PodDefaults.passwordEnv(cluster),
        PodDefaults.replicationPasswordEnv(cluster), PodDefaults.adminPasswordEnv(cluster), PodDefaults.heapEnv()));
    env.addAll(PodDefaults.previousPasswordEnv(cluster));
    if (cluster.getSpec().tlsEnabled()) {
      // Kubernetes expands $(DIRK_INSTANCE_ID), defined above, to the pod's name.
      env.add(new EnvVarBuilder().withName("DIRK_TLS_SERVER_NAME")
          .withValue(ClusterNaming.memberHost(cluster, "$(DIRK_INSTANCE_ID)")).build());
    }
    return env;
  }

  /** The image of the member container of a StatefulSet as it is now. */
  public static Optional<String> image(StatefulSet statefulSet) {
    return statefulSet.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> CONTAINER.equals(c.getName()))
        .map(c -> c.getImage())
        .findFirst();
  }
}
