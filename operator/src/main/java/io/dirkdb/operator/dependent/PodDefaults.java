package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.SchedulingSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import java.util.Map;

/** The hardening, resources, probes and mounts every DirkDB pod (members, proxy, resync Jobs) gets. */
public final class PodDefaults {

  /** The image's non-root user; any non-zero id works since nothing is written outside the mounts. */
  static final long RUN_AS_USER = 10001L;
  static final String CONFIG_VOLUME = "config";
  static final String TMP_VOLUME = "tmp";
  static final String CONFIG_DIR = "/etc/dirk";
  static final String CONFIG_PATH = CONFIG_DIR + "/" + ClusterNaming.CONFIG_KEY;

  static final String TLS_VOLUME = "tls";
  /** Where the cluster's TLS Secret is mounted: tls.crt, tls.key, ca.crt. */
  public static final String TLS_DIR = "/etc/dirk/tls";
  public static final String TLS_CERT = TLS_DIR + "/tls.crt";
  public static final String TLS_KEY = TLS_DIR + "/tls.key";
  public static final String TLS_CA = TLS_DIR + "/ca.crt";

  private PodDefaults() {}

  public static PodSecurityContext podSecurityContext() {
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(RUN_AS_USER)
        .withRunAsGroup(RUN_AS_USER)
        .withFsGroup(RUN_AS_USER)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }

  public static SecurityContext containerSecurityContext() {
    return new SecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withReadOnlyRootFilesystem(true)
        .withAllowPrivilegeEscalation(false)
        .withPrivileged(false)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .build();
  }

  /** Memory of a member container when the spec sets none: request and limit, the heap derived from it. */
  public static final String MEMBER_MEMORY = "512Mi";
  /** Memory of the proxy and of the cache container when the spec sets none. */
  public static final String PROXY_MEMORY = "256Mi";
  /**
   * The JVM's heap as a share of the container's memory limit; the rest is for metaspace, threads, the
   * code cache and direct buffers. Without a limit the JVM would size itself from the node's memory.
   */
  public static final String JAVA_TOOL_OPTIONS = "-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError";

  /**
   * The user's requirements, or modest requests; a memory limit is always set (the user's, else their
   * memory request, else {@code memory}) so the JVM's heap has a bound to derive from.
   */
  public static ResourceRequirements resources(ResourceRequirements requested, String cpu, String memory) {
    boolean hasRequests = requested != null && requested.getRequests() != null && !requested.getRequests().isEmpty();
    boolean hasLimits = requested != null && requested.getLimits() != null && !requested.getLimits().isEmpty();
    ResourceRequirementsBuilder builder = requested == null
        ? new ResourceRequirementsBuilder() : new ResourceRequirementsBuilder(requested);
    if (!hasRequests && !hasLimits) {
      builder.withRequests(Map.of("cpu", new Quantity(cpu), "memory", new Quantity(memory)));
    }
    if (!hasLimits || !requested.getLimits().containsKey("memory")) {
      Quantity limit = hasRequests && requested.getRequests().containsKey("memory")
          ? requested.getRequests().get("memory") : new Quantity(memory);
      builder.addToLimits("memory", limit);
    }
    return builder.build();
  }

  public static ResourceRequirements memberResources(DirkCluster cluster) {
    return resources(cluster.getSpec().getResources().getMembers(), "100m", MEMBER_MEMORY);
  }

  /** The spec's pull policy (the operator fills an unset one); null leaves it to Kubernetes. */
  public static String pullPolicy(DirkCluster cluster) {
    return cluster.getSpec().getImagePullPolicy() == null ? null : cluster.getSpec().getImagePullPolicy().name();
  }

  /** Sizes the heap of any JVM in the container from its memory limit (read by every JVM at start). */
  public static EnvVar heapEnv() {
    return new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS").withValue(JAVA_TOOL_OPTIONS).build();
  }

  public static Probe httpProbe(String path, int port, int periodSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet().withPath(path).withPort(new IntOrString(port)).endHttpGet()
        .withPeriodSeconds(periodSeconds)
        .withTimeoutSeconds(2)
        .withFailureThreshold(failureThreshold)
        .build();
  }

  public static EnvVar passwordEnv(DirkCluster cluster) {
    return new EnvVarBuilder().withName("DIRK_PASSWORD")
        .withNewValueFrom().withNewSecretKeyRef()
        .withName(ClusterNaming.credentialsSecret(cluster)).withKey(ClusterNaming.PASSWORD_KEY)
        .endSecretKeyRef().endValueFrom()
        .build();
  }

  /**
   * {@code DIRK_REPLICATION_PASSWORD}, from the Secret's {@value ClusterNaming#REPLICATION_PASSWORD_KEY} key. Optional:
   * a user's Secret with only {@code password} runs the members on that one password for every role.
   */
  public static EnvVar replicationPasswordEnv(DirkCluster cluster) {
    return optionalSecretEnv(cluster, "DIRK_REPLICATION_PASSWORD", ClusterNaming.REPLICATION_PASSWORD_KEY);
  }

  /** {@code DIRK_ADMIN_PASSWORD}, from the Secret's {@value ClusterNaming#ADMIN_PASSWORD_KEY} key (optional, as above). */
  public static EnvVar adminPasswordEnv(DirkCluster cluster) {
    return optionalSecretEnv(cluster, "DIRK_ADMIN_PASSWORD", ClusterNaming.ADMIN_PASSWORD_KEY);
  }

  /**
   * During a rotation, the previous passwords: {@code DIRK_PREVIOUS_PASSWORD}, {@code DIRK_PREVIOUS_REPLICATION_PASSWORD}
   * and {@code DIRK_PREVIOUS_ADMIN_PASSWORD} from the Secret's {@code previous-*} keys (optional references).
   */
  public static List<EnvVar> previousPasswordEnv(DirkCluster cluster) {
    return List.of(previousApplicationPasswordEnv(cluster),
        optionalSecretEnv(cluster, "DIRK_PREVIOUS_REPLICATION_PASSWORD", ClusterNaming.PREVIOUS_REPLICATION_PASSWORD_KEY),
        optionalSecretEnv(cluster, "DIRK_PREVIOUS_ADMIN_PASSWORD", ClusterNaming.PREVIOUS_ADMIN_PASSWORD_KEY));
  }

  /** {@code DIRK_PREVIOUS_PASSWORD} alone (the proxy's), from the Secret's {@code previous-password} key (optional). */
  public static EnvVar previousApplicationPasswordEnv(DirkCluster cluster) {
    return optionalSecretEnv(cluster, "DIRK_PREVIOUS_PASSWORD", ClusterNaming.PREVIOUS_PASSWORD_KEY);
  }

  /** The pod template annotation holding {@link ClusterCredentials#hash}: a changed password rolls the pods. */
  public static final String CREDENTIALS_HASH_ANNOTATION = "dirkdb.io/credentials-hash";

  /** The pod template annotations for credentials of that hash (none while the Secret is missing). */
  public static Map<String, String> credentialsAnnotations(String credentialsHash) {
    return credentialsHash == null ? null : Map.of(CREDENTIALS_HASH_ANNOTATION, credentialsHash);
  }

  private static EnvVar optionalSecretEnv(DirkCluster cluster, String name, String key) {
    return new EnvVarBuilder().withName(name)
        .withNewValueFrom().withNewSecretKeyRef()
        .withName(ClusterNaming.credentialsSecret(cluster)).withKey(key).withOptional(true)
        .endSecretKeyRef().endValueFrom()
        .build();
  }

  static EnvVar instanceIdEnv() {
    return new EnvVarBuilder().withName("DIRK_INSTANCE_ID")
        .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom()
        .build();
  }

  static Volume configVolume(DirkCluster cluster) {
    return new VolumeBuilder().withName(CONFIG_VOLUME)
        .withNewConfigMap().withName(ClusterNaming.configMap(cluster)).endConfigMap()
        .build();
  }

  /** The root filesystem is read-only; the JVM and the server still need a scratch directory. */
  public static Volume tmpVolume() {
    return new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().endEmptyDir().build();
  }

  static VolumeMount configMount() {
    return new VolumeMountBuilder().withName(CONFIG_VOLUME).withMountPath(CONFIG_DIR).withReadOnly(true).build();
  }

  public static VolumeMount tmpMount() {
    return new VolumeMountBuilder().withName(TMP_VOLUME).withMountPath("/tmp").build();
  }

  /** The cluster's TLS Secret as a volume, readable by the pod's group only; empty without spec.tls. */
  public static List<Volume> tlsVolumes(DirkCluster cluster) {
    if (!cluster.getSpec().tlsEnabled()) {
      return List.of();
    }
    return List.of(new VolumeBuilder().withName(TLS_VOLUME)
        .withNewSecret().withSecretName(cluster.getSpec().getTls().getSecretName()).withDefaultMode(0440).endSecret()
        .build());
  }

  /** Its mount; empty without spec.tls. */
  public static List<VolumeMount> tlsMounts(DirkCluster cluster) {
    if (!cluster.getSpec().tlsEnabled()) {
      return List.of();
    }
    return List.of(new VolumeMountBuilder().withName(TLS_VOLUME).withMountPath(TLS_DIR).withReadOnly(true).build());
  }

  /** A member's listener (mutual TLS: clients, peers, proxy and operator present the cluster's certificate). */
  static List<String> memberTlsArgs(DirkCluster cluster) {
    return !cluster.getSpec().tlsEnabled() ? List.of()
        : List.of("--tls-cert", TLS_CERT, "--tls-key", TLS_KEY, "--tls-ca", TLS_CA, "--tls-client-auth", "required");
  }

  /** A client of the members (resync, step-down): the cluster's certificate, checked against its CA. */
  public static List<String> clientTlsArgs(DirkCluster cluster) {
    return !cluster.getSpec().tlsEnabled() ? List.of()
        : List.of("--tls-ca", TLS_CA, "--tls-cert", TLS_CERT, "--tls-key", TLS_KEY);
  }

  /** The proxy's or the cache's listener: TLS, no client certificate asked of applications. */
  static List<String> relayListenerTlsArgs(DirkCluster cluster) {
    return !cluster.getSpec().tlsEnabled() ? List.of() : List.of("--tls-cert", TLS_CERT, "--tls-key", TLS_KEY);
  }

  /** A relay toward the members (or the cache toward its proxy): the cluster's certificate, checked against its CA. */
  static List<String> upstreamTlsArgs(DirkCluster cluster) {
    return !cluster.getSpec().tlsEnabled() ? List.of()
        : List.of("--upstream-tls-ca", TLS_CA, "--upstream-tls-cert", TLS_CERT, "--upstream-tls-key", TLS_KEY);
  }

  static Map<String, String> nodeSelector(DirkCluster cluster) {
    SchedulingSpec scheduling = cluster.getSpec().getScheduling();
    return scheduling == null || scheduling.getNodeSelector() == null ? null : scheduling.getNodeSelector();
  }

  /** The user's affinity, or a preferred spread of the members over nodes. */
  static Affinity memberAffinity(DirkCluster cluster) {
    SchedulingSpec scheduling = cluster.getSpec().getScheduling();
    if (scheduling != null && scheduling.getAffinity() != null) {
      return scheduling.getAffinity();
    }
    return new AffinityBuilder()
        .withNewPodAntiAffinity()
        .addNewPreferredDuringSchedulingIgnoredDuringExecution()
        .withWeight(100)
        .withNewPodAffinityTerm()
        .withTopologyKey("kubernetes.io/hostname")
        .withNewLabelSelector().withMatchLabels(ClusterNaming.memberSelector(cluster)).endLabelSelector()
        .endPodAffinityTerm()
        .endPreferredDuringSchedulingIgnoredDuringExecution()
        .endPodAntiAffinity()
        .build();
  }
}
