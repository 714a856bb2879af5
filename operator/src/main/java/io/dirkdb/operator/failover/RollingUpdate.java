package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.MemberStatefulSets;
import io.dirkdb.operator.reconciler.ClusterStatusAggregator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The next step of a rolling update of the member pods, by role rather than by StatefulSet (after a
 * failover the primary may live in {@code <name>-secondary-0}). The member StatefulSets use
 * {@code OnDelete}: a pod runs an old template until the operator deletes it. The order:
 * <ol>
 *   <li>nothing moves while a member pod is missing, being deleted or not Ready, or a secondary lags;</li>
 *   <li>outdated secondaries are deleted one at a time, highest name first;</li>
 *   <li>then, if the primary is outdated, a switchover hands its role to the caught-up secondary with
 *       the highest LSN (which runs the new template); the old primary is then an outdated secondary;</li>
 *   <li>a cluster with no secondary has no one to hand over to: its primary is deleted (a short outage).</li>
 * </ol>
 * Every step is read from the pods (their {@code controller-revision-hash} against the StatefulSet's
 * {@code status.updateRevision}), so an operator restarted in the middle goes on where the roll stands.
 */
public final class RollingUpdate {

  /** A secondary this many records or fewer behind the primary counts as caught up. */
  static final long CAUGHT_UP_RECORDS = 64;

  private RollingUpdate() {}

  /** What to do now. */
  public sealed interface Step {
    /** Every pod runs its StatefulSet's current template. */
    record Done() implements Step {}

    /** Some pods are outdated, and nothing may move yet. */
    record Wait(String reason) implements Step {}

    /** Delete this pod; its StatefulSet recreates it from the new template. */
    record DeletePod(String pod, String reason) implements Step {}

    /** Hand the primary role over to {@code target} before the primary's pod is replaced. */
    record Switchover(String target, String reason) implements Step {}
  }

  /**
   * The next step, the members in {@code heldByUser} (the dirkdb.io/fenced-members annotation) left out.
   */
  public static Step next(List<Pod> pods, List<StatefulSet> statefulSets, int expectedMembers, String primary,
      Map<String, ProbeResult> results, java.util.Set<String> heldByUser) {
    // A member the user fences (not Ready, answering fenced) is not replaced, waited for or handed the primary
    // role: the roll goes on without it, and rolls it once it is unfenced.
    List<Pod> rolled = pods.stream().filter(p -> !heldByUser.contains(p.getMetadata().getName())).toList();
    return next(rolled, statefulSets, expectedMembers - (pods.size() - rolled.size()), primary, results);
  }

  /**
   * @param pods the member pods as the API server has them
   * @param statefulSets the member StatefulSets
   * @param expectedMembers how many member pods the spec asks for
   * @param primary the current primary's pod
   * @param results the prober's latest picture of each member
   */
  public static Step next(List<Pod> pods, List<StatefulSet> statefulSets, int expectedMembers, String primary,
      Map<String, ProbeResult> results) {
    List<Pod> outdated = pods.stream().filter(p -> outdated(p, statefulSets)).toList();
    if (outdated.isEmpty()) {
      return new Step.Done();
    }
    for (Pod pod : pods) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        return new Step.Wait(pod.getMetadata().getName() + " is being replaced");
      }
    }
    // An outdated secondary that is not Ready serves nothing (e.g. a broken image since rolled back): waiting
    // for it would wait forever, so it is replaced first. A primary that is not Ready is the failover's.
    Optional<Pod> neverReady = outdated.stream().filter(p -> !p.getMetadata().getName().equals(primary))
        .filter(p -> !ClusterStatusAggregator.isReady(p))
        .max(Comparator.comparing(p -> p.getMetadata().getName()));
    if (neverReady.isPresent()) {
      String name = neverReady.get().getMetadata().getName();
      return new Step.DeletePod(name, "replacing " + name + ", which is not ready, with the new template first");
    }
    for (Pod pod : pods) {
      if (!ClusterStatusAggregator.isReady(pod)) {
        return new Step.Wait(pod.getMetadata().getName() + " is not ready");
      }
    }
    if (pods.size() < expectedMembers) {
      return new Step.Wait("waiting for " + (expectedMembers - pods.size()) + " member pod(s) to be created");
    }
    long primaryLsn = Optional.ofNullable(results.get(primary)).map(ProbeResult::last)
        .filter(HeartbeatReport::isPrimary).map(HeartbeatReport::lsn).orElse(-1L);
    if (primaryLsn < 0) {
      return new Step.Wait("the primary " + primary + " does not answer as primary");
    }
    for (Pod pod : pods) {
      String name = pod.getMetadata().getName();
      if (!name.equals(primary) && !caughtUp(results.get(name), primaryLsn)) {
        return new Step.Wait(name + " has not caught up with the primary");
      }
    }
    Optional<Pod> secondary = outdated.stream().filter(p -> !p.getMetadata().getName().equals(primary))
        .max(Comparator.comparing(p -> p.getMetadata().getName()));
    if (secondary.isPresent()) {
      String name = secondary.get().getMetadata().getName();
      return new Step.DeletePod(name, "replacing secondary " + name + " with the new template");
    }
    // Only the primary is outdated: every secondary runs the new template and has caught up.
    Optional<String> target = pods.stream().map(p -> p.getMetadata().getName()).filter(n -> !n.equals(primary))
        .max(Comparator.comparingLong((String n) -> results.get(n).last().lsn())
            .thenComparing(Comparator.reverseOrder()));
    if (target.isPresent()) {
      return new Step.Switchover(target.get(), "every secondary runs the new template; handing the primary role"
          + " from " + primary + " to " + target.get() + " before " + primary + " is replaced");
    }
    return new Step.DeletePod(primary, "replacing the only member, " + primary
        + ", with the new template (no secondary to hand over to)");
  }

  /** True when the pod was made from an older template than its StatefulSet's current one. */
  static boolean outdated(Pod pod, List<StatefulSet> statefulSets) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String revision = labels == null ? null : labels.get(MemberStatefulSets.REVISION_LABEL);
    String owner = labels == null ? null : labels.get(ClusterNaming.LABEL_STATEFULSET);
    if (revision == null || owner == null) {
      return false; // not made by a StatefulSet controller: nothing to compare with
    }
    return statefulSets.stream()
        .filter(s -> owner.equals(s.getMetadata().getName()))
        .map(s -> s.getStatus() == null ? null : s.getStatus().getUpdateRevision())
        .filter(Objects::nonNull)
        .anyMatch(update -> !update.equals(revision));
  }

  private static boolean caughtUp(ProbeResult result, long primaryLsn) {
    if (result == null || !result.answering() || result.last() == null) {
      return false;
    }
    HeartbeatReport heartbeat = result.last();
    return heartbeat.isSecondary() && !heartbeat.diverged() && !heartbeat.needsResync()
        && primaryLsn - heartbeat.lsn() <= CAUGHT_UP_RECORDS;
  }
}
