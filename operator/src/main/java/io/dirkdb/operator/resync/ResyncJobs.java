package io.dirkdb.operator.resync;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.PodDefaults;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.failover.MemberAddresses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The resync Job of a member: {@code <cluster>-resync-<p0|s<i>>-<n>} (the member's pod by its StatefulSet
 * and ordinal, so the name stays within 63 characters for any cluster name the CRD admits), one container
 * running {@code dirk resync --from <primary> --to <member>} with the cluster's administration password, hardened and
 * sized like the members (Pod Security {@code restricted}). The operator does the retries (with backoff
 * and Events), so the Job itself never retries, and a finished Job expires.
 */
public final class ResyncJobs {

  public static final String COMPONENT_RESYNC = "resync";
  /** The member a resync Job rebuilds. */
  public static final String LABEL_MEMBER = "dirkdb.io/member";
  public static final String SELECTOR = ClusterNaming.MANAGED_SELECTOR + "," + ClusterNaming.LABEL_COMPONENT + "="
      + COMPONENT_RESYNC;
  /** Set on a finished Job once its outcome was reported by an Event, so it is reported once. */
  public static final String ANNOTATION_REPORTED = "dirkdb.io/reported";
  static final int TTL_AFTER_FINISHED_SECONDS = 3600;
  static final long DEADLINE_SECONDS = 1800;

  private ResyncJobs() {}

  public static String name(DirkCluster cluster, String member, int attempt) {
    return cluster.getMetadata().getName() + "-resync-" + shortMember(cluster, member) + "-" + attempt;
  }

  /** {@code p0} for {@code <cluster>-primary-0}, {@code s3} for {@code <cluster>-secondary-3}. */
  static String shortMember(DirkCluster cluster, String member) {
    String primary = ClusterNaming.primaryStatefulSet(cluster) + "-";
    String secondary = ClusterNaming.secondaryStatefulSet(cluster) + "-";
    if (member.startsWith(primary)) {
      return "p" + member.substring(primary.length());
    }
    return member.startsWith(secondary) ? "s" + member.substring(secondary.length()) : member;
  }

  static Job desired(DirkCluster cluster, String member, int attempt, MemberAddress from, MemberAddress to) {
    Map<String, String> labels = new java.util.LinkedHashMap<>(ClusterNaming.labels(cluster, COMPONENT_RESYNC));
    labels.put(LABEL_MEMBER, member);
    return new JobBuilder()
        .withNewMetadata()
        .withName(name(cluster, member, attempt))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(labels)
        .withOwnerReferences(ClusterNaming.controllerReference(cluster))
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withActiveDeadlineSeconds(DEADLINE_SECONDS)
        .withTtlSecondsAfterFinished(TTL_AFTER_FINISHED_SECONDS)
        .withNewTemplate()
        .withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withServiceAccountName(ClusterNaming.serviceAccount(cluster))
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(PodDefaults.podSecurityContext())
        .addNewContainer()
        .withName("resync")
        .withImage(cluster.getSpec().getImage())
        .withImagePullPolicy(PodDefaults.pullPolicy(cluster))
        .withArgs(command(cluster, from, to))
        // dirk resync needs the administration password; a Secret without one has the single password for it.
        .withEnv(PodDefaults.adminPasswordEnv(cluster), PodDefaults.passwordEnv(cluster), PodDefaults.heapEnv())
        // A member not restarted since a rotation takes the previous administration password.
        .addAllToEnv(PodDefaults.previousPasswordEnv(cluster))
        .withResources(PodDefaults.memberResources(cluster))
        .withSecurityContext(PodDefaults.containerSecurityContext())
        .withVolumeMounts(PodDefaults.tmpMount())
        .addAllToVolumeMounts(PodDefaults.tlsMounts(cluster))
        .endContainer()
        .withVolumes(PodDefaults.tmpVolume())
        .addAllToVolumes(PodDefaults.tlsVolumes(cluster))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** The arguments of the image's {@code dirk} entry point. */
  public static List<String> command(MemberAddress from, MemberAddress to) {
    return List.of("resync", "--from", MemberAddresses.hostPort(from), "--to", MemberAddresses.hostPort(to));
  }

  /** As above, with the cluster's TLS certificate when it has one (the ends are stable DNS names). */
  public static List<String> command(DirkCluster cluster, MemberAddress from, MemberAddress to) {
    List<String> command = new java.util.ArrayList<>(command(from, to));
    command.addAll(PodDefaults.clientTlsArgs(cluster));
    return command;
  }

  static int attempt(Job job) {
    String name = job.getMetadata().getName();
    try {
      return Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static boolean succeeded(Job job) {
    return job.getStatus() != null && job.getStatus().getSucceeded() != null && job.getStatus().getSucceeded() > 0;
  }

  static boolean failed(Job job) {
    return job.getStatus() != null && ((job.getStatus().getFailed() != null && job.getStatus().getFailed() > 0)
        || condition(job, "Failed").isPresent());
  }

  static boolean finished(Job job) {
    return succeeded(job) || failed(job);
  }

  /** When the Job finished: its Failed or Complete condition, else its creation. */
  static Instant finishedAt(Job job) {
    return condition(job, "Failed").or(() -> condition(job, "Complete"))
        .map(JobCondition::getLastTransitionTime).filter(t -> t != null && !t.isBlank())
        .or(() -> Optional.ofNullable(job.getMetadata().getCreationTimestamp()))
        .map(Instant::parse).orElse(Instant.EPOCH);
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus())).findFirst();
  }
}
