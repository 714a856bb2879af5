package io.dirkdb.operator.resync;

import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.failover.MemberAddresses;
import io.dirkdb.operator.failover.ProbeResult;
import io.dirkdb.operator.failover.RoleLabels;
import io.dirkdb.operator.reconciler.ClusterEvents;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.dirkdb.replication.supervisor.MemberControl;
import org.jboss.logging.Logger;

/**
 * Brings members that cannot simply follow the primary back into the cluster. A member needs a resync
 * when it answers as a primary of an older epoch (a former primary that restarted), as fenced (a primary
 * replaced by a failover), or reports a diverged log or one too far behind. Such a member is labelled
 * {@code fenced} (no Service selects it) and rebuilt by a Job; when the Job succeeded and the member
 * streams as a secondary, it is labelled {@code secondary} again. A failed Job is reported and retried
 * with backoff; at most one Job per member runs at a time.
 */
public final class ResyncCoordinator {

  private static final Logger LOG = Logger.getLogger(ResyncCoordinator.class);
  /** The wait before the first retry of a failed resync; it doubles per failure in a row. */
  public static final Duration DEFAULT_FIRST_BACKOFF = Duration.ofSeconds(10);
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  static final Duration SETTLE = Duration.ofSeconds(10);

  /**
   * @param running the Jobs running now; {@code recheckAfter} when a retry waits for its backoff
   * @param refused why the API server refused a Job this pass wanted to create (RBAC, a quota), per member
   */
  public record Outcome(List<String> running, Optional<Duration> recheckAfter, List<String> refused) {}

  private ResyncCoordinator() {}

  /**
   * One pass over the members other than the primary, which answers as primary at {@code primary}.
   */
  public static Outcome reconcile(KubernetesClient client, DirkCluster cluster, List<Pod> pods,
      Map<String, ProbeResult> results, MemberAddress primary, long primaryEpoch, MemberControl control,
      Duration firstBackoff) {
    List<String> running = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    Optional<Duration> recheck = Optional.empty();
    String namespace = cluster.getMetadata().getNamespace();
    List<Job> allJobs = client.batch().v1().jobs().inNamespace(namespace)
        .withLabel(ClusterNaming.LABEL_INSTANCE, cluster.getMetadata().getName())
        .withLabel(ClusterNaming.LABEL_COMPONENT, ResyncJobs.COMPONENT_RESYNC).list().getItems();
    for (Pod pod : pods) {
      String member = pod.getMetadata().getName();
      if (member.equals(primary.id()) || pod.getMetadata().getDeletionTimestamp() != null) {
        continue; // a pod on its way out is not rebuilt; its replacement will be
      }
      ProbeResult result = results.get(member);
      Optional<MemberAddress> endpoint = MemberAddresses.of(pod);
      if (result == null || !result.answering() || endpoint.isEmpty()
          || !result.endpoint().equals(endpoint.get())) {
        if (ClusterNaming.ROLE_PRIMARY.equals(RoleLabels.role(pod))) {
          RoleLabels.set(client, pod, ClusterNaming.ROLE_FENCED); // never two pods labelled primary
        }
        continue;
      }
      HeartbeatReport heartbeat = result.last();
      List<Job> jobs = allJobs.stream()
          .filter(j -> member.equals(j.getMetadata().getLabels().get(ResyncJobs.LABEL_MEMBER)))
          .sorted(Comparator.comparingInt(ResyncJobs::attempt)).toList();
      Optional<Job> latest = jobs.isEmpty() ? Optional.empty() : Optional.of(jobs.get(jobs.size() - 1));
      boolean needsResync = (heartbeat.isPrimary() && heartbeat.epoch() < primaryEpoch)
          || HeartbeatReport.FENCED.equals(heartbeat.role()) || heartbeat.diverged() || heartbeat.needsResync();

      if (latest.isPresent() && !ResyncJobs.finished(latest.get())) {
        running.add(latest.get().getMetadata().getName());
        if (needsResync) {
          RoleLabels.set(client, pod, ClusterNaming.ROLE_FENCED);
        }
        continue;
      }
      latest.filter(ResyncJobs::finished).ifPresent(job -> report(client, cluster, member, job));
      if (!needsResync) {
        if (heartbeat.isSecondary()) {
          // The primary's stable name: a secondary following an IP (or another member) is pointed at it.
          MemberAddress primaryName = MemberAddresses.stable(cluster, primary);
          if (!MemberAddresses.hostPort(primaryName).equals(heartbeat.following())) {
            follow(control, endpoint.get(), primaryName, history(results, primary), cluster);
          }
          RoleLabels.set(client, pod, ClusterNaming.ROLE_SECONDARY);
        }
        continue;
      }
      if (latest.filter(ResyncJobs::succeeded).isPresent()
          && ResyncJobs.finishedAt(latest.get()).isAfter(Instant.now().minus(SETTLE))) {
        // The Job just succeeded; the next heartbeat, not this older one, says whether the member rejoined.
        recheck = Optional.of(Duration.ofSeconds(1));
        continue;
      }
      if (heartbeat.isPrimary()) {
        try {
          control.fence(endpoint.get()); // an old primary back from the dead must refuse writes at once
        } catch (Exception e) {
          LOG.warnf("%s/%s: could not fence former primary %s: %s", namespace, cluster.getMetadata().getName(), member,
              e.getMessage());
        }
      }
      RoleLabels.set(client, pod, ClusterNaming.ROLE_FENCED);
      int failures = 0;
      for (int i = jobs.size() - 1; i >= 0 && ResyncJobs.failed(jobs.get(i)); i--) {
        failures++;
      }
      if (failures > 0) {
        Duration wait = backoff(failures, firstBackoff);
        Instant retryAt = ResyncJobs.finishedAt(latest.get()).plus(wait);
        Duration left = Duration.between(Instant.now(), retryAt);
        if (!left.isNegative() && !left.isZero()) {
          recheck = Optional.of(recheck.map(r -> r.compareTo(left) < 0 ? r : left).orElse(left));
          continue;
        }
      }
      int attempt = latest.map(ResyncJobs::attempt).orElse(0) + 1;
      Job job = ResyncJobs.desired(cluster, member, attempt, MemberAddresses.stable(cluster, primary),
          MemberAddresses.stable(cluster, endpoint.get()));
      try {
        client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          // Refused (RBAC, a ResourceQuota, an admission webhook): said once per pass, tried again after the
          // backoff; the other members are still looked after.
          String why = "the API server refused to create resync Job " + job.getMetadata().getName() + " for "
              + member + " (HTTP " + e.getCode() + "): " + (e.getStatus() != null && e.getStatus().getMessage() != null
                  ? e.getStatus().getMessage() : e.getMessage());
          LOG.warnf("%s/%s: %s", namespace, cluster.getMetadata().getName(), why);
          refused.add(why);
          recheck = Optional.of(recheck.map(r -> r.compareTo(firstBackoff) < 0 ? r : firstBackoff).orElse(firstBackoff));
          continue;
        }
      }
      running.add(job.getMetadata().getName());
      String why = heartbeat.diverged() ? "its log diverged from the primary's"
          : heartbeat.needsResync() ? "it is too far behind the primary"
          : heartbeat.isPrimary() ? "it came back as a primary of epoch " + heartbeat.epoch() + " (the primary is at "
              + primaryEpoch + ")"
          : "it was fenced by a failover";
      LOG.infof("%s/%s: resync of %s by Job %s: %s", namespace, cluster.getMetadata().getName(), member,
          job.getMetadata().getName(), why);
      ClusterEvents.normal(client, cluster, Reason.ResyncStarted, "rebuilding " + member + " from " + primary.id()
          + " by Job " + job.getMetadata().getName() + ": " + why);
    }
    return new Outcome(running, recheck, refused);
  }

  static Duration backoff(int failures, Duration first) {
    Duration wait = first.multipliedBy(1L << Math.min(failures - 1, 10));
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }

  /** The primary's history from its heartbeat: a member of another history refuses to follow it. */
  private static String history(Map<String, ProbeResult> results, MemberAddress primary) {
    ProbeResult result = results.get(primary.id());
    return result == null || result.last() == null ? null : result.last().historyId();
  }

  private static void follow(MemberControl control, MemberAddress member, MemberAddress primary, String history,
      DirkCluster cluster) {
    try {
      control.follow(member, primary, history);
    } catch (Exception e) {
      LOG.warnf("%s/%s: could not point %s at the primary %s: %s", cluster.getMetadata().getNamespace(),
          cluster.getMetadata().getName(), member.id(), primary.id(), e.getMessage());
    }
  }

  /** One Event per finished Job, remembered by an annotation on the Job. */
  private static void report(KubernetesClient client, DirkCluster cluster, String member, Job job) {
    var annotations = job.getMetadata().getAnnotations();
    if (annotations != null && annotations.containsKey(ResyncJobs.ANNOTATION_REPORTED)) {
      return;
    }
    String name = job.getMetadata().getName();
    if (ResyncJobs.succeeded(job)) {
      ClusterEvents.normal(client, cluster, Reason.ResyncSucceeded, member + " was rebuilt by Job " + name
          + " and follows the primary again");
    } else {
      ClusterEvents.warning(client, cluster, Reason.ResyncFailed, "Job " + name + " could not rebuild " + member
          + "; the operator retries with backoff; see the Job's logs (kubectl logs job/" + name + ")");
    }
    try {
      client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"annotations\":{\"" + ResyncJobs.ANNOTATION_REPORTED + "\":\"true\"}}}");
    } catch (KubernetesClientException e) {
      LOG.debugf("could not mark Job %s reported: %s", name, e.getMessage());
    }
  }
}
