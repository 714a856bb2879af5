package io.dirkdb.operator.failover;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.FailoverRecord;
import io.dirkdb.operator.api.v1alpha1.FailoverSpec;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.dependent.ClusterCredentials;
import io.dirkdb.operator.dependent.ReferencedSecrets;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.MemberStatefulSets;
import io.dirkdb.operator.reconciler.ClusterEvents;
import io.dirkdb.operator.reconciler.StatusWriter;
import io.dirkdb.operator.reconciler.ClusterStatusAggregator;
import io.dirkdb.operator.reconciler.ImageDefaults;
import io.dirkdb.operator.resync.ResyncCoordinator;
import io.dirkdb.heartbeat.FenceReport;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.replication.Election;
import io.dirkdb.replication.FailoverPolicy;
import io.dirkdb.replication.MemberObservation;
import io.dirkdb.replication.supervisor.MemberControl;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Failover, switchover and rejoin of one cluster, as small idempotent steps driven by the prober's
 * picture and recorded in the DirkCluster status before anything moves:
 * <ol>
 *   <li>the primary is lost ({@link FailoverPolicy#primaryLost}) for {@code failoverDelaySeconds};</li>
 *   <li>the election of the same {@link FailoverPolicy} the local supervisor uses picks the candidate;</li>
 *   <li>{@code status.lastFailover} (step Started, old primary, candidate, new epoch) and phase FailingOver
 *       are written with optimistic locking, then Event FailoverStarted;</li>
 *   <li>the old primary is labelled {@code fenced} and told {@code dirk fence} if it answers;</li>
 *   <li>the candidate is promoted with the new epoch, then labelled {@code primary};</li>
 *   <li>the other secondaries are told to follow it; status (currentPrimary, the record completed, the
 *       FailingOver condition) and Event FailoverCompleted.</li>
 * </ol>
 * A restarted operator finds the record in progress and runs the remaining steps; each checks first
 * whether it is already done. A switchover ({@code spec.targetPrimary}) runs the same steps, fencing the
 * old primary first (the proxy holds writes while there is no primary), waiting until the target has
 * the old primary's last LSN, and making the old primary follow the new one.
 */
@ApplicationScoped
public class FailoverCoordinator {

  private static final Logger LOG = Logger.getLogger(FailoverCoordinator.class);
  static final String STEP_STARTED = "Started";
  static final String STEP_FENCED = "Fenced";
  /** A promote may have reached the candidate (its answer can be lost): no other member may take this epoch. */
  static final String STEP_PROMOTING = "Promoting";
  static final String STEP_PROMOTED = "Promoted";
  static final String STEP_COMPLETED = "Completed";
  /**
   * A planned hand-over that could not reach its promotion gives the role back to its old primary: recorded
   * (with the epoch the old primary takes) before that promote is sent. Not in {@link #STEPS}: no step of
   * the hand-over runs after it.
   */
  static final String STEP_ABANDONING = "Abandoning";
  static final String STEP_ABANDONED = "Abandoned";
  private static final List<String> STEPS = List.of(STEP_STARTED, STEP_FENCED, STEP_PROMOTING, STEP_PROMOTED,
      STEP_COMPLETED);
  /** How long one reconcile waits for a switchover target to catch up before it looks again later. */
  private static final Duration CATCH_UP_WAIT = Duration.ofSeconds(5);
  private static final Duration RECHECK = Duration.ofSeconds(1);
  /** The longest a cluster without member pods waits for a look of its own (a pod that appears is news anyway). */
  static final Duration RECHECK_WITHOUT_PODS_MAX = Duration.ofSeconds(30);
  private static final int CONTROL_TIMEOUT_MILLIS = 2000;

  private final ClusterProber prober;
  /** When each cluster's primary was first seen lost (in memory: a restarted operator waits the delay again). */
  private final Map<ResourceID, Long> lostSince = new ConcurrentHashMap<>();
  /** The last blocked reason reported per cluster, so a blocked failover is one Event, not one per pass. */
  private final Map<ResourceID, String> blocked = new ConcurrentHashMap<>();
  /** What the failover in progress learnt in this operator (a restarted one fences and detaches again). */
  private final Map<ResourceID, Attempt> attempts = new ConcurrentHashMap<>();
  /** The history id of each cluster's primary, from its heartbeats (promote and follow name it). */
  private final Map<ResourceID, String> histories = new ConcurrentHashMap<>();
  /**
   * Which primary of each cluster was first seen answering fenced outside any operation, and when (in memory, as
   * lostSince): another primary fenced later starts its own clock.
   */
  private final Map<ResourceID, FencedSince> fencedSince = new ConcurrentHashMap<>();
  /** The last promote this operator sent to a hand-over's target, per cluster, and when that attempt ended. */
  private final Map<ResourceID, PromoteSent> promotesSent = new ConcurrentHashMap<>();
  /** An abandoned hand-over whose target may hold a promote: settled before the old primary takes writes again. */
  private final Map<ResourceID, TargetCheck> targetChecks = new ConcurrentHashMap<>();
  /** The longest primary lease any member of each cluster reported (a target never heard as primary has the same). */
  private final Map<ResourceID, Long> leases = new ConcurrentHashMap<>();

  /**
   * A promote sent to {@code member} at {@code epoch}; {@code endedAt} is when its call returned or failed: the
   * member's previous answer on that connection came before, so a promote arriving however late holds a lease
   * that counts from no later than that (see docs/reference-dirk.md, "Primary lease").
   */
  private record PromoteSent(String member, long epoch, long endedNanos) {}

  /** Per cluster: the failover candidate ({@code member@epoch}) refusing its promote, and since when (nanoTime). */
  private final Map<ResourceID, Map.Entry<String, Long>> promoteRefusals = new ConcurrentHashMap<>();
  /** Per cluster: members given up as candidates of the failover under way (they refused or were lost). */
  private final Map<ResourceID, java.util.Set<String>> givenUpCandidates = new ConcurrentHashMap<>();
  /**
   * How long a failover keeps sending its promote to a live candidate that refuses it (or answers otherwise)
   * before it gives that candidate up for another; a planned hand-over is bounded by its own timeout instead.
   */
  static final Duration PROMOTE_REFUSAL_LIMIT = Duration.ofSeconds(10);

  /** {@code primary} was first seen answering fenced at {@code nanos} ({@link System#nanoTime()}). */
  private record FencedSince(String primary, long nanos) {}

  /**
   * What an abandoning hand-over (key {@code target@epoch}) must settle before the old primary may take writes:
   * the target may be primary at up to {@code promoteEpoch} with a lease counting from {@code leaseFrom} (a
   * {@link System#nanoTime()} stamp: a step of the wall clock must not shorten the wait); null leaseFrom when no
   * promote can have been sent or the target is settled. {@code fenced}: this operator fenced the target (it may
   * have taken the promote), so it must be pointed at the old primary again.
   */
  private record TargetCheck(String key, long promoteEpoch, Long leaseFrom, boolean fenced) {}
  /** Passes in a row that found none of a cluster's member pods: their rechecks back off. */
  private final Map<ResourceID, Integer> passesWithoutPods = new ConcurrentHashMap<>();
  /** The uid each cluster had at its last pass: one made again under its name inherits nothing of the old one. */
  private final Map<ResourceID, String> uids = new ConcurrentHashMap<>();

  /**
   * {@code dirk server --primary-lease-ms}'s default: the least lease a member may hold. When no heartbeat said a
   * member's lease, the operator waits out the one its pod was started with, never less than this.
   */
  static final Duration DEFAULT_PRIMARY_LEASE = Duration.ofMillis(2000);
  /** How long one reconcile lets the best candidate catch up from the fenced old primary. */
  private static final Duration ACKNOWLEDGED_CATCH_UP_WAIT = Duration.ofSeconds(5);

  /** One failover's progress: the old primary's fence answer, the secondaries detached, and when. */
  private static final class Attempt {
    final String key;
    boolean oldPrimaryFenced;
    FenceReport fence;
    /** When this operator began the attempt (nanoTime: a step of the wall clock must not shorten a lease wait). */
    final long createdNanos = System.nanoTime();
    /** The secondaries detached, each with when (nanoTime). */
    final Map<String, Long> detached = new LinkedHashMap<>();
    final java.util.Set<String> detachFailed = new java.util.HashSet<>();
    String leaseWaitLogged;

    Attempt(String key) {
      this.key = key;
    }

    /** When the last secondary was detached (nanoTime), or {@code createdNanos} before any. */
    long lastDetachNanos() {
      return detached.values().stream().reduce(createdNanos, (a, b) -> b - a > 0 ? b : a);
    }
  }

  private final Duration resyncFirstBackoff;
  /**
   * How long a planned hand-over (switchover, rolling update) may take from its start to the target's
   * promotion: past it, a fence that does not complete or a target that does not catch up abandons it.
   */
  private final Duration handOverTimeout;
  private final ImageDefaults images;
  /** Where the operator keeps its copies of the clusters' TLS Secrets. */
  private final Path tlsRoot = ClusterTls.defaultRoot();

  @Inject
  public FailoverCoordinator(ClusterProber prober, ImageDefaults images,
      @ConfigProperty(name = "dirk.operator.resync.first-backoff-seconds", defaultValue = "10") int resyncBackoffSeconds,
      @ConfigProperty(name = "dirk.operator.switchover.timeout-seconds", defaultValue = "30") int handOverTimeoutSeconds) {
    this.prober = prober;
    this.images = images;
    this.resyncFirstBackoff = Duration.ofSeconds(Math.max(1, resyncBackoffSeconds));
    this.handOverTimeout = Duration.ofSeconds(Math.max(1, handOverTimeoutSeconds));
  }

  /**
   * What one pass left: the cluster as stored now (its status may have been written), the member pods
   * with their labels now, and when to look again without news.
   */
  public record Outcome(DirkCluster cluster, List<Pod> pods, Optional<Duration> recheckAfter) {}

  /**
   * A paused cluster: the probes go on and renew the lease of the named primary while it answers primary at the
   * highest epoch heard, else it would stop acknowledging writes (a restarted operator starts no probe otherwise);
   * nothing else is decided. Returns when to look again.
   */
  public Duration probeWhilePaused(DirkCluster cluster, List<Pod> pods, ReferencedSecrets secrets) {
    ResourceID id = ResourceID.fromResource(cluster);
    FailoverSpec spec = cluster.getSpec().getFailover();
    Map<String, MemberAddress> endpoints = new LinkedHashMap<>();
    pods.forEach(p -> MemberAddresses.of(p).ifPresent(e -> endpoints.put(e.id(), e)));
    prober.watch(id, spec.getHeartbeatIntervalMs(), endpoints.values(), ClusterTls.of(cluster, secrets.tls(), tlsRoot),
        secrets.applied().credentials());
    Map<String, ProbeResult> results = prober.results(id);
    String named = cluster.getStatus() == null ? null : cluster.getStatus().getCurrentPrimary();
    long highest = results.values().stream().map(ProbeResult::last).filter(java.util.Objects::nonNull)
        .mapToLong(HeartbeatReport::epoch).max().orElse(-1);
    HeartbeatReport primary = named == null || results.get(named) == null ? null : results.get(named).last();
    boolean renewable = primary != null && primary.isPrimary() && primary.epoch() == highest;
    prober.holdPrimary(id, renewable ? named : null, highest);
    return RECHECK.multipliedBy(5);
  }

  public Outcome reconcile(KubernetesClient client, DirkCluster cached, List<Pod> pods, ReferencedSecrets secrets) {
    ResourceID id = ResourceID.fromResource(cached);
    String uid = cached.getMetadata().getUid();
    String previousUid = uid == null ? null : uids.put(id, uid);
    if (previousUid != null && !previousUid.equals(uid)) {
      // Its deletion was missed, or a pass of the old one ran on after it: the new one starts afresh.
      prober.forget(id);
      forget(id);
      uids.put(id, uid);
    }
    FailoverSpec spec = cached.getSpec().getFailover();
    // The passwords the members run on (those of the Secret unless its pods are held on the previous ones).
    ClusterCredentials credentials = secrets.applied().credentials();
    Map<String, MemberAddress> endpoints = new LinkedHashMap<>();
    pods.forEach(p -> MemberAddresses.of(p).ifPresent(e -> endpoints.put(e.id(), e)));
    ClusterTls tls = ClusterTls.of(cached, secrets.tls(), tlsRoot);
    prober.watch(id, spec.getHeartbeatIntervalMs(), endpoints.values(), tls, credentials);

    // The informer's copy may predate our own last status write; failover decisions read the stored one.
    DirkCluster stored = client.resource(cached).get();
    if (stored == null) {
      // Deleted while this pass ran: its deletion may have stopped the probes before the watch above restarted them.
      prober.forget(id);
      forget(id);
      return new Outcome(cached, pods, Optional.empty());
    }
    DirkCluster cluster = images.apply(stored);
    // The same member control as the local supervisor's; its connections live for this pass only.
    try (MemberControl control = new NetworkMemberControl(CONTROL_TIMEOUT_MILLIS, CONTROL_TIMEOUT_MILLIS,
        credentials.administration(), credentials.fallbacks(),
        (MemberAddress member) -> tls == null ? null : tls.forMember(member))) {
      Map<String, ProbeResult> results = prober.results(id);
      results.values().stream().map(ProbeResult::last).filter(java.util.Objects::nonNull)
          .mapToLong(HeartbeatReport::leaseMillis).max().ifPresent(ms -> {
            if (ms > 0) {
              leases.merge(id, ms, Math::max);
            }
          });
      MemberRoles roles = MemberRoles.of(results, knownEpoch(cluster),
          cluster.getStatus() == null ? null : cluster.getStatus().getCurrentPrimary());
      Pass pass = new Pass(id, client, cluster, pods, results, roles, control);
      Optional<Duration> recheck = backOffWithoutPods(id, pods, pass.cluster, pass.run(id));
      return new Outcome(pass.cluster, pass.currentPods(), recheck);
    }
  }

  /**
   * A cluster without member pods (just created, or all its pods gone) has nothing to probe, label or fail over,
   * and a pod that appears is an event of its own: its safety-net recheck doubles from 1 s up to
   * {@link #RECHECK_WITHOUT_PODS_MAX} instead of running every second. A cluster with pods, or with a failover
   * in progress, keeps its rechecks as they are.
   */
  private Optional<Duration> backOffWithoutPods(ResourceID id, List<Pod> pods, DirkCluster cluster,
      Optional<Duration> recheck) {
    FailoverRecord record = cluster.getStatus() == null ? null : cluster.getStatus().getLastFailover();
    if (!pods.isEmpty() || recheck.isEmpty() || record != null && record.inProgress()) {
      passesWithoutPods.remove(id);
      return recheck;
    }
    int passes = passesWithoutPods.merge(id, 1, Integer::sum);
    Duration backOff = RECHECK.multipliedBy(1L << Math.min(passes - 1, 10));
    if (backOff.compareTo(RECHECK_WITHOUT_PODS_MAX) > 0) {
      backOff = RECHECK_WITHOUT_PODS_MAX;
    }
    return Optional.of(recheck.get().compareTo(backOff) > 0 ? recheck.get() : backOff);
  }

  /**
   * Forgets a deleted cluster: what its failovers learnt in memory would otherwise stay for good, and judge a
   * cluster made again under its name (a blocked failover's Degraded phase, a lost primary's clock, a history).
   */
  public void forget(ResourceID id) {
    lostSince.remove(id);
    blocked.remove(id);
    attempts.remove(id);
    histories.remove(id);
    passesWithoutPods.remove(id);
    uids.remove(id);
    fencedSince.remove(id);
    promotesSent.remove(id);
    promoteRefusals.remove(id);
    givenUpCandidates.remove(id);
    targetChecks.remove(id);
    leases.remove(id);
  }

  /** Adds the prober's figures (epoch, LSN, lag, misses) to the members of a status about to be written. */
  public void describeMembers(DirkCluster cluster, DirkClusterStatus status) {
    Map<String, ProbeResult> results = prober.results(ResourceID.fromResource(cluster));
    ProbeResult primary = results.get(status.getCurrentPrimary());
    long primaryLsn = primary != null && primary.last() != null && primary.last().isPrimary() ? primary.last().lsn() : -1;
    for (MemberStatus member : status.getMembers()) {
      ProbeResult result = results.get(member.getName());
      if (result == null) {
        continue;
      }
      if (result.last() == null) {
        StatusWriter.heartbeat(member, result.missed(), null, null, null);
      } else {
        // Lag as the operator sees it: records the primary has that this member has not.
        StatusWriter.heartbeat(member, result.missed(), result.last().epoch(), result.last().lsn(),
            primaryLsn < 0 ? null : Math.max(0L, primaryLsn - result.last().lsn()));
        HeartbeatReport.Memory memory = result.last().memory();
        if (memory != null) {
          StatusWriter.memory(member, memory.dataBytes(), memory.heapLimit(), memory.heapMax(), memory.pressure());
        }
      }
    }
    if (blocked.containsKey(ResourceID.fromResource(cluster)) && status.getPhase() != ClusterPhase.FailingOver) {
      StatusWriter.failoverBlocked(status);
    }
  }

  /** The highest epoch the status remembers: its failover record and its members' last heartbeats. */
  private static long knownEpoch(DirkCluster cluster) {
    DirkClusterStatus status = cluster.getStatus();
    if (status == null) {
      return 0;
    }
    long epoch = status.getLastFailover() == null || status.getLastFailover().getEpoch() == null ? 0
        : status.getLastFailover().getEpoch();
    for (MemberStatus m : status.getMembers() == null ? List.<MemberStatus>of() : status.getMembers()) {
      epoch = Math.max(epoch, m.getEpoch() == null ? 0 : m.getEpoch());
    }
    return epoch;
  }

  /** One reconcile's worth of work on one cluster. */
  private final class Pass {
    final KubernetesClient client;
    DirkCluster cluster;
    final Map<String, Pod> pods;
    final Map<String, ProbeResult> results;
    final MemberRoles roles;
    final MemberControl control;
    final String name;
    final ResourceID id;

    Pass(ResourceID id, KubernetesClient client, DirkCluster cluster, List<Pod> pods, Map<String, ProbeResult> results,
        MemberRoles roles, MemberControl control) {
      this.id = id;
      this.client = client;
      this.cluster = cluster;
      this.pods = pods.stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), Function.identity(),
          (a, b) -> a, LinkedHashMap::new));
      this.results = results;
      this.roles = roles;
      this.control = control;
      this.name = cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
    }

    List<Pod> currentPods() {
      return List.copyOf(pods.values());
    }

    Optional<Duration> run(ResourceID id) {
      DirkClusterStatus status = status();
      FailoverRecord record = status.getLastFailover();
      if (record != null && record.inProgress()) {
        return resume(record);
      }
      if (pictureBeforePromotion(record)) {
        // The prober has not heard the new primary since its promotion: labels from this picture would move
        // the role (and the -primary Service) back for a moment. The next round's figures decide.
        return Optional.of(RECHECK.dividedBy(4));
      }
      labelByHeartbeats();
      String named = status.getCurrentPrimary();
      Optional<String> answering = roles.primary();
      // Only the member answering primary at the current epoch (and so labelled) has its lease renewed.
      prober.holdPrimary(id, answering.orElse(null), roles.currentEpoch());
      answering.map(results::get).map(ProbeResult::last).map(HeartbeatReport::historyId)
          .ifPresent(history -> histories.put(id, history));
      if (answering.isPresent() && !answering.get().equals(named)) {
        // An empty status (the cluster recreated over its volumes) or one behind the members: they know best.
        String message = answering.get() + " answers as primary at epoch " + roles.currentEpoch()
            + (named == null ? "" : " (the status named " + named + ")");
        LOG.infof("DirkCluster %s: %s", name, message);
        StatusWriter.primaryAnswers(status, answering.get());
        writeStatus();
        ClusterEvents.normal(client, cluster, Reason.PrimaryFound, message);
      }
      String primary = status().getCurrentPrimary();
      FailoverSpec spec = cluster.getSpec().getFailover();
      if (primary == null) {
        return spec.isEnabled() ? bootstrap() : Optional.of(RECHECK.multipliedBy(5));
      }
      FailoverPolicy policy = policy(spec);
      // Only a primary that was seen answering can be lost: a cluster still coming up has nothing to fail over.
      // The status keeps the last heartbeat's epoch, so a restarted operator still knows the primary answered once.
      boolean heardOnce = (results.get(primary) != null && results.get(primary).last() != null)
          || (status.getMembers() != null && status.getMembers().stream()
              .anyMatch(m -> m.getName().equals(primary) && m.getEpoch() != null));
      boolean established = heardOnce && status.getPhase() != null && status.getPhase() != ClusterPhase.Pending
          && status.getPhase() != ClusterPhase.Creating && status.getPhase() != ClusterPhase.Hibernated;
      MemberObservation primaryObservation = observe(primary, true);
      boolean lostItsData = roles.falsePrimary(primary) && roles.emptyOverData(primary);
      if (lostItsData) {
        // Back on an empty volume while others hold the data: as good as gone; it is rebuilt once replaced.
        primaryObservation = new MemberObservation(primary, false, primaryObservation.missedHeartbeats(),
            primaryObservation.role(), primaryObservation.epoch(), primaryObservation.lsn(), true);
      }
      if (established && deletedButAnswering(primary)) {
        Optional<Duration> handover = handOverFromDeletedPrimary(primary, policy);
        if (handover != null) {
          return handover;
        }
      }
      if (spec.isEnabled() && established && policy.primaryLost(primaryObservation) && !unheard().isEmpty()) {
        // A new operator (or a new pod) that has not heard every member yet: NotReady alone is no loss, and a
        // member not heard is not silent until it missed failureThreshold probes, as a primary must.
        LOG.debugf("DirkCluster %s: no failover decision before the first heartbeats of %s", name, unheard());
        return Optional.of(RECHECK.dividedBy(4));
      }
      if (spec.isEnabled() && established && policy.primaryLost(primaryObservation)) {
        long since = lostSince.computeIfAbsent(id, k -> System.nanoTime());
        Duration lostFor = Duration.ofNanos(System.nanoTime() - since);
        if (!policy.delayElapsed(lostFor)) {
          return Optional.of(Duration.ofSeconds(spec.getFailoverDelaySeconds()).minus(lostFor).plusMillis(50));
        }
        Reason reason = lostItsData ? Reason.PrimaryLostItsData
            : primaryObservation.running() ? Reason.PrimaryUnreachable : Reason.PrimaryPodNotReady;
        // Behind a primary that came back empty, a secondary holding the data reports its log as diverged
        // from it: that says nothing against it, so it stays a candidate.
        List<MemberObservation> others = pods.keySet().stream().filter(n -> !n.equals(primary))
            .map(n -> lostItsData ? ignoringDivergence(observe(n, false), n) : observe(n, false)).toList();
        Election election = policy.elect(others, highestEpochSeen());
        if (election instanceof Election.NoSafeCandidate none) {
          block(id, "primary " + primary + " is lost (" + describe(primaryObservation) + ") and no member may "
              + "replace it: " + none.reason());
          return Optional.of(RECHECK);
        }
        Election.Promote promote = (Election.Promote) election;
        blocked.remove(id);
        lostSince.remove(id);
        return start(primary, promote.member(), promote.newEpoch(), reason,
            "primary " + primary + " is lost (" + describe(primaryObservation) + "); promoting " + promote.member()
                + " (LSN " + promote.lsn() + ") at epoch " + promote.newEpoch());
      }
      lostSince.remove(id);
      // A primary the user fenced (or hibernation did) and released takes its role back, even on its way up.
      if ((spec.isEnabled() && established || UserFences.released(id, primary)) && answersFenced(primary)) {
        Optional<Duration> replaced = replaceFencedPrimary(primary, policy);
        if (replaced != null) {
          return replaced;
        }
      } else {
        fencedSince.remove(id);
      }
      if (blocked.remove(id) != null) {
        setCondition(false, Reason.PrimaryAvailable, "the primary " + primary + " answers again");
      }
      // A rolling update first: a switchover to spec.targetPrimary waits until the roll is over, or the two
      // would hand the role back and forth while the target still runs the old template.
      Optional<Duration> rolling = established ? roll(primary) : Optional.empty();
      if (rolling == null) {
        return Optional.of(RECHECK); // a switchover of the roll was started and finished its steps
      }
      if (rolling.isEmpty()) {
        Optional<Duration> switchover = switchover(primary);
        if (switchover != null) {
          return switchover;
        }
      }
      Optional<Duration> rejoined = rejoin(primary);
      if (rolling.isPresent() && rejoined.isPresent()) {
        return rolling.get().compareTo(rejoined.get()) < 0 ? rolling : rejoined;
      }
      return rolling.or(() -> rejoined);
    }

    /**
     * A failover completed a moment ago and the prober's last answer from its new primary (still answering)
     * predates the promotion: so do the others' (detached secondaries answer {@code fenced} until repointed).
     */
    private boolean pictureBeforePromotion(FailoverRecord record) {
      if (record == null || record.getCompletedAt() == null
          || !(STEP_COMPLETED.equals(record.getStep()) || STEP_ABANDONED.equals(record.getStep()))
          || Instant.parse(record.getCompletedAt()).isBefore(Instant.now().minusSeconds(5))) {
        return false;
      }
      ProbeResult promoted = results.get(record.getToPrimary());
      return promoted != null && promoted.answering()
          && !(promoted.last().isPrimary() && promoted.last().epoch() >= record.getEpoch());
    }

    /**
     * Members this operator has never heard and not yet found silent: no answer, fewer misses than the failure
     * threshold (a new operator, a new pod; a first probe also opens the connection, so it may be slow).
     */
    private List<String> unheard() {
      int threshold = cluster.getSpec().getFailover().getFailureThreshold();
      return results.entrySet().stream().filter(e -> e.getValue().last() == null && e.getValue().missed() < threshold)
          .map(Map.Entry::getKey).toList();
    }

    /**
     * The named primary answers {@code fenced} (and ready) from a pod not being deleted, with no failover or
     * switchover in progress: nobody takes writes, and no loss rule sees it, since it answers.
     */
    private boolean answersFenced(String primary) {
      Pod pod = pods.get(primary);
      ProbeResult result = results.get(primary);
      return pod != null && pod.getMetadata().getDeletionTimestamp() == null && result != null && result.answering()
          && result.last().ready() && HeartbeatReport.FENCED.equals(result.last().role());
    }

    /**
     * A primary fenced outside any operation (by hand, or by itself) for {@code failoverDelaySeconds}: like a
     * deleted primary, it is handed over by the switchover's steps (it is fenced already and still ships its
     * log, so the target catches up to its last LSN and it follows the new primary, no resync) to the secondary
     * the failover election picks; when none may take over, it takes the role back itself at a new epoch, as
     * an abandoned switchover gives it back. Returns null when a fresh heartbeat says it is no longer fenced.
     */
    private Optional<Duration> replaceFencedPrimary(String primary, FailoverPolicy policy) {
      if (UserFences.released(id, primary)) {
        // The user fenced it as primary and unfenced it: it is meant to serve again, not to be handed over.
        UserFences.settled(id, primary);
        fencedSince.remove(id);
        long epoch = highestEpochSeen() + 1;
        return start(primary, primary, epoch, Reason.PrimaryFenced, "the primary " + primary + " was fenced by "
            + "the user (" + UserFences.ANNOTATION + " or hibernation) and is released; it takes the primary role back "
            + "at epoch " + epoch);
      }
      FencedSince since = fencedSince.compute(id, (k, f) -> f != null && f.primary().equals(primary) ? f
          : new FencedSince(primary, System.nanoTime()));
      Duration fencedFor = Duration.ofNanos(System.nanoTime() - since.nanos());
      if (!policy.delayElapsed(fencedFor)) {
        return Optional.of(Duration.ofSeconds(cluster.getSpec().getFailover().getFailoverDelaySeconds())
            .minus(fencedFor).plusMillis(50));
      }
      // The prober's answer may be older than a promotion: act only on a fresh one.
      Optional<MemberAddress> address = endpoint(primary);
      HeartbeatReport fresh;
      try {
        fresh = address.isPresent() ? control.heartbeat(address.get()) : null;
      } catch (Exception e) {
        fresh = null;
      }
      if (fresh == null) {
        return Optional.of(RECHECK); // silent now: the loss rules decide
      }
      if (!(fresh.ready() && HeartbeatReport.FENCED.equals(fresh.role()))) {
        fencedSince.remove(id);
        return null;
      }
      fencedSince.remove(id);
      String what = "the primary " + primary + " answers fenced (epoch " + fresh.epoch() + ", LSN " + fresh.lsn()
          + ") outside any failover or switchover (someone ran dirk fence on it, or it fenced itself)";
      List<MemberObservation> others = pods.keySet().stream().filter(n -> !n.equals(primary))
          .map(n -> observe(n, false)).toList();
      Election election = policy.elect(others, highestEpochSeen());
      if (election instanceof Election.Promote promote) {
        return start(primary, promote.member(), promote.newEpoch(), Reason.PrimaryFenced, what
            + "; handing the primary role over to " + promote.member() + " (LSN " + promote.lsn() + ") at epoch "
            + promote.newEpoch() + " once it holds the whole log");
      }
      long epoch = highestEpochSeen() + 1;
      return start(primary, primary, epoch, Reason.PrimaryFenced, what + " and no secondary may take over ("
          + ((Election.NoSafeCandidate) election).reason() + "); it takes the primary role back at epoch " + epoch);
    }

    /** The primary's pod has a deletionTimestamp while its member still answers as primary. */
    private boolean deletedButAnswering(String primary) {
      Pod pod = pods.get(primary);
      ProbeResult result = results.get(primary);
      return pod != null && pod.getMetadata().getDeletionTimestamp() != null && result != null && result.answering()
          && result.last().isPrimary();
    }

    /**
     * A primary pod being deleted is a planned stop, not a loss: while its member answers, hand its role
     * over (the same steps as a switchover) to the secondary the failover election would pick. Its preStop
     * hook ({@code dirk step-down}) keeps it running until it is told to follow the new primary. Returns
     * null when no secondary may take over: the primary is then lost once it stops, as before.
     */
    private Optional<Duration> handOverFromDeletedPrimary(String primary, FailoverPolicy policy) {
      List<MemberObservation> others = pods.keySet().stream().filter(n -> !n.equals(primary))
          .map(n -> observe(n, false)).toList();
      if (!(policy.elect(others, highestEpochSeen()) instanceof Election.Promote promote)) {
        return null;
      }
      return start(primary, promote.member(), promote.newEpoch(), Reason.PrimaryPodDeleted,
          "the primary's pod " + primary + " is being deleted; handing the primary role over to " + promote.member()
              + " (LSN " + promote.lsn() + ") at epoch " + promote.newEpoch() + " before it stops");
    }

    /**
     * The next step of a rolling update of the member pods ({@link RollingUpdate}); recorded in the
     * RollingUpdate condition. Returns null when it started a switchover, else when to look again.
     */
    private Optional<Duration> roll(String primary) {
      String namespace = cluster.getMetadata().getNamespace();
      List<StatefulSet> statefulSets = java.util.stream.Stream.of(ClusterNaming.primaryStatefulSet(cluster),
              ClusterNaming.secondaryStatefulSet(cluster))
          .map(n -> client.apps().statefulSets().inNamespace(namespace).withName(n).get())
          .filter(java.util.Objects::nonNull).toList();
      if (pods.values().stream().noneMatch(p -> p.getMetadata().getLabels() != null
          && p.getMetadata().getLabels().containsKey(MemberStatefulSets.REVISION_LABEL))) {
        return Optional.empty(); // no pod made by a StatefulSet controller yet: nothing to compare
      }
      // Until the StatefulSet controller has seen the latest template, updateRevision still names the old one.
      boolean observed = statefulSets.stream().allMatch(sts -> sts.getStatus() != null
          && sts.getStatus().getUpdateRevision() != null && (sts.getMetadata().getGeneration() == null
              || (sts.getStatus().getObservedGeneration() != null
                  && sts.getStatus().getObservedGeneration() >= sts.getMetadata().getGeneration())));
      if (!observed) {
        return Optional.of(RECHECK);
      }
      boolean rolling = status().condition(ConditionType.RollingUpdate).filter(c -> "True".equals(c.getStatus()))
          .isPresent();
      if (!rolling && pods.values().stream().noneMatch(p -> RollingUpdate.outdated(p, statefulSets))) {
        return Optional.empty();
      }
      // The informer may not show a pod deleted a moment ago, or its replacement: decide on the stored pods.
      List<Pod> stored = client.pods().inNamespace(namespace).withLabels(ClusterNaming.memberSelector(cluster)).list()
          .getItems();
      int expected = 1 + cluster.getSpec().getSecondaries();
      RollingUpdate.Step step = RollingUpdate.next(stored, statefulSets, expected, primary, results,
          io.dirkdb.operator.reconciler.ClusterAnnotations.fencedMembers(cluster));
      if (step instanceof RollingUpdate.Step.Done) {
        if (rolling) {
          setCondition(ConditionType.RollingUpdate, false, Reason.RolledOut, "every member pod runs its current template");
          writeStatus();
          ClusterEvents.normal(client, cluster, Reason.RollingUpdateCompleted, "every member pod runs its current template");
        }
        return Optional.empty();
      }
      if (step instanceof RollingUpdate.Step.Wait wait) {
        recordRoll(Reason.Waiting, "rolling update waits: " + wait.reason());
        return Optional.of(RECHECK);
      }
      if (step instanceof RollingUpdate.Step.DeletePod delete) {
        recordRoll(Reason.ReplacingPod, delete.reason());
        LOG.infof("DirkCluster %s: rolling update: %s", name, delete.reason());
        ClusterEvents.normal(client, cluster, Reason.RollingUpdate, delete.reason());
        client.pods().inNamespace(namespace).withName(delete.pod()).delete();
        return Optional.of(RECHECK);
      }
      RollingUpdate.Step.Switchover handover = (RollingUpdate.Step.Switchover) step;
      if (abandonedAtThisGeneration(Reason.RollingUpdate)) {
        // Each try takes the primary out of its Service until it ends: a person decides when to try again.
        recordRoll(Reason.Waiting, "rolling update waits: the hand-over of the primary " + primary + " was abandoned ("
            + abandonedBecause() + "); delete the pod " + primary + " or change the spec to go on");
        return Optional.of(RECHECK.multipliedBy(5));
      }
      recordRoll(Reason.SwitchingOver, handover.reason());
      start(primary, handover.target(), highestEpochSeen() + 1, Reason.RollingUpdate, handover.reason());
      return null;
    }

    /** Records the step a rolling update has reached, once per change. */
    private void recordRoll(Reason reason, String message) {
      boolean same = status().condition(ConditionType.RollingUpdate)
          .filter(c -> "True".equals(c.getStatus()) && reason.is(c.getReason()) && message.equals(c.getMessage()))
          .isPresent();
      if (!same) {
        setCondition(ConditionType.RollingUpdate, true, reason, message);
        writeStatus();
      }
    }

    /**
     * Moves role labels to what the members answer: the primary at the current epoch gets {@code primary}
     * (and no other pod keeps it), a false primary {@code fenced}, an answering secondary {@code secondary};
     * a member with no answer keeps what it has, and a new one has none, so no Service selects it.
     */
    private void labelByHeartbeats() {
      for (String member : List.copyOf(pods.keySet())) {
        roles.label(member, RoleLabels.role(pods.get(member))).ifPresent(role -> relabel(member, role));
      }
      roles.primary().ifPresent(primary -> {
        for (String member : List.copyOf(pods.keySet())) {
          if (!member.equals(primary) && ClusterNaming.ROLE_PRIMARY.equals(RoleLabels.role(pods.get(member)))) {
            relabel(member, ClusterNaming.ROLE_FENCED); // never two pods labelled primary
          }
        }
      });
    }

    /**
     * No member answers as primary and no status names one: once every member answers, the one holding
     * data with the highest epoch and then the longest log is promoted, by the failover's recorded steps.
     */
    private Optional<Duration> bootstrap() {
      List<String> members = ClusterNaming.memberNames(cluster).stream().filter(pods::containsKey).toList();
      if (members.size() < ClusterNaming.memberNames(cluster).size()) {
        return Optional.of(RECHECK);
      }
      Optional<String> candidate = roles.bootstrapCandidate(members);
      if (candidate.isEmpty()) {
        return Optional.of(RECHECK);
      }
      String falsePrimary = members.stream().filter(roles::falsePrimary).findFirst().orElse(null);
      long epoch = Math.max(roles.currentEpoch(), highestEpochSeen()) + 1;
      ProbeResult chosen = results.get(candidate.get());
      return start(falsePrimary, candidate.get(), epoch, Reason.NoPrimaryAnswers, "no member answers as the primary"
          + (falsePrimary == null ? "" : " (" + falsePrimary + " claims it with an empty log)") + "; promoting "
          + candidate.get() + " (epoch " + chosen.last().epoch() + ", LSN " + chosen.last().lsn() + ") at epoch "
          + epoch);
    }

    /** Returns null when no switchover was asked for. */
    private Optional<Duration> switchover(String primary) {
      String target = cluster.getSpec().getTargetPrimary();
      FailoverRecord last = status().getLastFailover();
      // Only an unplanned failover overrides the target until the spec changes; after a planned hand-over
      // (a rolling update, a deleted pod) the target is primary again once it can be.
      boolean answeredByFailover = last != null && !planned(last.getReason())
          && java.util.Objects.equals(last.getGeneration(), cluster.getMetadata().getGeneration());
      if (target != null && !target.isBlank() && !target.equals(primary) && abandonedAtThisGeneration(Reason.Switchover)) {
        // TargetPrimaryEligible=False says why; each try takes the primary out of its Service until it ends, so
        // it is not retried on its own: a spec change asks again.
        return null;
      }
      if (target == null || target.isBlank() || target.equals(primary) || answeredByFailover) {
        if (status().condition(ConditionType.TargetPrimaryEligible)
            .filter(c -> "False".equals(c.getStatus())).isPresent()) {
          setCondition(ConditionType.TargetPrimaryEligible, true, Reason.NoSwitchoverPending,
              "no switchover is pending");
          writeStatus();
        }
        return null;
      }
      String problem = ineligible(target, primary);
      if (problem != null) {
        boolean known = status().condition(ConditionType.TargetPrimaryEligible)
            .filter(c -> "False".equals(c.getStatus()) && problem.equals(c.getMessage())).isPresent();
        if (!known) {
          setCondition(ConditionType.TargetPrimaryEligible, false, Reason.TargetNotEligible, problem);
          writeStatus();
          ClusterEvents.warning(client, cluster, Reason.SwitchoverBlocked, problem);
        }
        return Optional.of(RECHECK.multipliedBy(5));
      }
      setCondition(ConditionType.TargetPrimaryEligible, true, Reason.TargetEligible,
          target + " can take over from " + primary);
      return start(primary, target, highestEpochSeen() + 1, Reason.Switchover,
          "switchover asked by spec.targetPrimary: handing " + primary + " over to " + target);
    }

    private String ineligible(String target, String primary) {
      if (io.dirkdb.operator.reconciler.ClusterAnnotations.fencedMembers(cluster).contains(target)) {
        // Its pod is left out of failover decisions while the user's fence holds: say so, not "no member".
        return "spec.targetPrimary " + target + " is fenced by the user (" + UserFences.ANNOTATION
            + "); unfence it first (kubectl dirk unfence " + cluster.getMetadata().getName() + " " + target
            + ") or name another member";
      }
      if (!pods.containsKey(target)) {
        return "spec.targetPrimary " + target + " is not a member of this cluster (members: "
            + String.join(", ", pods.keySet()) + ")";
      }
      ProbeResult targetResult = results.get(target);
      Optional<MemberAddress> targetEndpoint = endpoint(target);
      HeartbeatReport heartbeat = null;
      if (targetResult != null && targetResult.answering() && targetEndpoint.isPresent()) {
        try {
          heartbeat = control.heartbeat(targetEndpoint.get()); // fresh: the fence must not wait for a dead target
        } catch (Exception e) {
          heartbeat = null;
        }
      }
      if (heartbeat == null) {
        return "spec.targetPrimary " + target + " does not answer heartbeats; the switchover waits for it";
      }
      if (!heartbeat.isSecondary() || heartbeat.diverged() || heartbeat.needsResync()) {
        return "spec.targetPrimary " + target + " is " + heartbeat.role()
            + (heartbeat.diverged() || heartbeat.needsResync() ? " and needs a resync" : "")
            + "; only a healthy secondary can take over";
      }
      ProbeResult primaryResult = results.get(primary);
      if (primaryResult == null || !primaryResult.answering()) {
        return "the primary " + primary + " does not answer; a switchover needs both members (a lost primary is"
            + " replaced by a failover)";
      }
      return null;
    }

    private Optional<Duration> start(String from, String to, long epoch, Reason reason, String message) {
      // A fenced primary's clock belongs to the picture before this operation, not to the next primary.
      fencedSince.remove(id);
      FailoverRecord record = new FailoverRecord();
      record.setStartedAt(now());
      record.setFromPrimary(from);
      record.setToPrimary(to);
      record.setEpoch(epoch);
      record.setReason(reason.name());
      record.setStep(STEP_STARTED);
      record.setGeneration(cluster.getMetadata().getGeneration());
      DirkClusterStatus status = status();
      StatusWriter.failoverStarted(status, record);
      boolean switchover = planned(reason.name());
      setCondition(true, switchover ? Reason.SwitchoverStarted : Reason.FailoverStarted, message);
      writeStatus(); // before anything moves: a restarted operator resumes from here
      LOG.infof("DirkCluster %s: %s", name, message);
      ClusterEvents.record(client, cluster, switchover ? "Normal" : "Warning",
          switchover ? Reason.SwitchoverStarted : Reason.FailoverStarted, message);
      return resume(record);
    }

    private Optional<Duration> resume(FailoverRecord record) {
      boolean switchover = planned(record.getReason());
      String from = record.getFromPrimary();
      long epoch = record.getEpoch();
      prober.holdPrimary(id, null, 0); // no lease is renewed while the role moves
      if (switchover && oldPrimarySilent(record)) {
        failOverFromSilentOldPrimary(record);
        switchover = false;
      }
      if (STEP_ABANDONING.equals(record.getStep())) {
        return abandonSwitchover(record, endpoint(from), null, null); // its reason and epoch are recorded
      }
      String history = clusterHistory(from);

      // Fence: Services stop selecting the old primary before anything else moves.
      Optional<MemberAddress> oldPrimary = endpoint(from);
      relabel(from, ClusterNaming.ROLE_FENCED);
      String attemptKey = from + "@" + epoch;
      Attempt attempt = attempts.compute(id, (k, a) -> a != null && a.key.equals(attemptKey) ? a
          : new Attempt(attemptKey));
      if (!switchover && from != null && from.equals(record.getToPrimary()) && oldPrimary.isPresent()
          && !attempt.oldPrimaryFenced) {
        Optional<Duration> next = checkGivenBackOldPrimary(record, oldPrimary.get(), attempt, history);
        if (next != null) {
          return next;
        }
      }
      if (oldPrimary.isPresent() && !attempt.oldPrimaryFenced) {
        try {
          String answer = control.fence(oldPrimary.get());
          attempt.oldPrimaryFenced = true;
          attempt.fence = FenceReport.parse(answer).orElse(null);
          LOG.infof("DirkCluster %s: fenced %s: %s", name, from, answer);
        } catch (Exception e) {
          Pod fromPod = pods.get(from);
          // Stopped, or lost by the failover's own rule (silent, no address): it is no longer handed over.
          boolean stopping = fromPod == null || fromPod.getMetadata().getDeletionTimestamp() != null
              || candidateLost(from);
          if (switchover && !stopping) {
            if (handOverOverdue(record)) {
              return abandonSwitchover(record, oldPrimary, Reason.FenceTimedOut, from + " could not be fenced within "
                  + handOverTimeout.toSeconds() + " s of the start (" + e.getMessage() + ")");
            }
            LOG.warnf("DirkCluster %s: switchover waits: %s could not be fenced: %s", name, from, e.getMessage());
            return Optional.of(RECHECK);
          }
          // A primary whose pod stopped before the hand-over finished: the rest is a failover.
          switchover = false;
          LOG.infof("DirkCluster %s: old primary %s did not take the fence (%s); its label keeps it out, and its "
              + "lease must run out before another member is promoted", name, from, e.getMessage());
        }
      }
      for (Pod pod : List.copyOf(pods.values())) { // never two pods labelled primary
        String podName = pod.getMetadata().getName();
        if (!podName.equals(record.getToPrimary()) && ClusterNaming.ROLE_PRIMARY.equals(RoleLabels.role(pod))) {
          relabel(podName, ClusterNaming.ROLE_FENCED);
        }
      }
      advance(record, STEP_FENCED);
      // A bootstrap has no old primary whose writes a stale picture could lose: its candidate stands.
      if (!switchover && !Reason.NoPrimaryAnswers.is(record.getReason()) && !alreadyPromoted(record)) {
        // Figures read before the fence are stale: detach the secondaries from the old primary, read them
        // again, and elect from what they hold now.
        Optional<Duration> wait = electAfterFence(record, attempt, oldPrimary, history);
        if (wait != null) {
          return wait;
        }
      }
      // The election may have changed the candidate and its epoch: promote what the record says now.
      epoch = record.getEpoch();
      String to = record.getToPrimary();
      Optional<MemberAddress> candidate = endpoint(to);
      if (candidate.isEmpty()) {
        LOG.warnf("DirkCluster %s: candidate %s has no address yet; the failover waits", name, to);
        return Optional.of(RECHECK);
      }
      try {
        HeartbeatReport heartbeat = control.heartbeat(candidate.get());
        if (!(heartbeat.isPrimary() && heartbeat.epoch() >= epoch)) {
          if (switchover && oldPrimary.isPresent() && !caughtUp(candidate.get(), oldPrimary.get())) {
            if (handOverOverdue(record)) {
              // After a promote attempt the abandon settles the target first (it may hold that promote).
              return abandonSwitchover(record, oldPrimary, promoteMayHaveBeenSent(record) ? Reason.PromotionTimedOut
                  : Reason.CatchUpTimedOut, to + " did not reach the last LSN of the fenced " + from + " within "
                  + handOverTimeout.toSeconds() + " s of the start");
            }
            return Optional.of(RECHECK);
          }
          if (heartbeat.historyId() != null && history != null && !history.equals(heartbeat.historyId())) {
            throw new IllegalStateException(to + " holds history " + heartbeat.historyId() + ", not the cluster's "
                + history);
          }
          if (emptyWhileOthersHoldData(to, heartbeat)) {
            // Back on an empty volume since it was chosen: promoted, it would serve none of the rows, and the
            // members holding them, found diverged from it, would be rebuilt from it.
            String why = to + " answers with no data and no history (an empty volume) while other members hold data";
            if (to.equals(from)) {
              return reelect(record, why);
            }
            throw new IllegalStateException(why);
          }
          Optional<Duration> settling = settleEarlierCandidate(to, epoch);
          if (settling.isPresent()) {
            return settling;
          }
          // Recorded before it is sent: an operator that loses the answer, or restarts, knows this member
          // may be primary at this epoch, and gives any other candidate a higher one.
          advance(record, STEP_PROMOTING);
          try {
            control.promote(candidate.get(), epoch, history);
          } finally {
            promotesSent.put(id, new PromoteSent(to, epoch, System.nanoTime()));
          }
          // An answer is not the role: a member that says it took the promote but still answers otherwise is no
          // primary, and labelling it one would leave the cluster with none taking writes.
          HeartbeatReport promoted = control.heartbeat(candidate.get());
          if (!(promoted.isPrimary() && promoted.epoch() >= epoch)) {
            throw new IllegalStateException(to + " answered its promote but answers " + promoted.role()
                + " at epoch " + promoted.epoch());
          }
        }
      } catch (Exception e) {
        LOG.warnf("DirkCluster %s: could not promote %s at epoch %d yet: %s", name, to, epoch, e.getMessage());
        if (candidateLost(to)) {
          return switchover ? abandonSwitchover(record, oldPrimary, Reason.TargetLost, to + " stopped answering before its "
              + "promotion") : reelect(record, to + " was lost before its promotion");
        }
        if (!switchover) {
          String key = to + "@" + epoch;
          Map.Entry<String, Long> since = promoteRefusals.compute(id, (k, v) -> v != null && v.getKey().equals(key) ? v
              : Map.entry(key, System.nanoTime()));
          if (System.nanoTime() - since.getValue() >= PROMOTE_REFUSAL_LIMIT.toNanos()) {
            // A live candidate that refuses its promote (an epoch it has seen, another history, a fault) must not
            // keep the cluster without a primary for good: another member is elected, if one may be.
            return reelect(record, to + " did not take its promotion to epoch " + epoch + " within "
                + PROMOTE_REFUSAL_LIMIT.toSeconds() + " s (" + e.getMessage() + ")");
          }
        }
        if (switchover && handOverOverdue(record)) {
          // A live target that refuses or ignores its promote: the hand-over is bounded like its fence and catch-up.
          return abandonSwitchover(record, oldPrimary, Reason.PromotionTimedOut, to + " did not take its promotion to "
              + "epoch " + epoch + " within "
              + handOverTimeout.toSeconds() + " s of the start (" + e.getMessage() + ")");
        }
        return Optional.of(RECHECK);
      }
      renewPromotedLease(candidate.get(), epoch);
      attempts.remove(id);
      promotesSent.remove(id);
      promoteRefusals.remove(id);
      givenUpCandidates.remove(id);
      prober.holdPrimary(id, to, epoch);
      relabel(to, ClusterNaming.ROLE_PRIMARY);
      advance(record, STEP_PROMOTED);
      for (String member : pods.keySet()) {
        if (member.equals(to) || (member.equals(from) && !switchover)) {
          continue; // a failed primary may have writes nobody has: it rejoins by a resync
        }
        boolean oldPrimaryFollows = member.equals(from);
        endpoint(member).ifPresent(e -> {
          try {
            // A name that outlives the pod's IP, and the history: a member of another one refuses to follow.
            control.follow(e, MemberAddresses.stable(cluster, candidate.get()), history);
            if (ClusterNaming.ROLE_FENCED.equals(RoleLabels.role(pods.get(member))) && oldPrimaryFollows) {
              relabel(member, ClusterNaming.ROLE_SECONDARY);
            }
          } catch (Exception ex) {
            LOG.infof("DirkCluster %s: %s will be pointed at %s later: %s", name, member, to, ex.getMessage());
          }
        });
      }
      DirkClusterStatus status = status();
      record.setCompletedAt(now());
      record.setStep(STEP_COMPLETED);
      StatusWriter.failoverEnded(status, record, to); // observation makes it Ready once every member is
      long millis = Duration.between(Instant.parse(record.getStartedAt()), Instant.now()).toMillis();
      String message = (switchover ? "switchover" : "failover") + " done: " + to + " is primary at epoch " + epoch
          + (from == null ? "" : to.equals(from) ? " (again)" : " (was " + from + ")");
      setCondition(false, switchover ? Reason.SwitchoverCompleted : Reason.FailoverCompleted, message);
      writeStatus();
      LOG.infof("DirkCluster %s: %s, %d ms after it started", name, message, millis);
      ClusterEvents.normal(client, cluster, switchover ? Reason.SwitchoverCompleted : Reason.FailoverCompleted, message);
      return Optional.of(RECHECK);
    }

    /**
     * Renews the lease of the member just confirmed primary at {@code epoch}, on the connection whose last answer
     * (the confirmation) came after its promotion: a promote's lease counts from an answer before it, and the
     * prober's first renewal may come a whole round later, so without this the new primary could stop taking
     * writes for a moment when nobody else renews it (a secondary down, as in a rolling update).
     */
    private void renewPromotedLease(MemberAddress primary, long epoch) {
      try {
        control.heartbeat(primary, epoch);
      } catch (java.io.IOException | RuntimeException e) {
        LOG.debugf("DirkCluster %s: no lease renewal for %s after its promotion (the prober renews it): %s", name,
            primary.id(), e.getMessage());
      }
    }

    /**
     * The lease {@code member} holds when no heartbeat of it said one (an operator restarted while it was cut off):
     * the {@code --primary-lease-ms} its pod was started with, and no less than this spec renders (a pod not rolled
     * yet) nor than the member's default. Never the default alone: members start with three heartbeat intervals.
     */
    private Duration startedLease(String member) {
      long millis = Math.max(DEFAULT_PRIMARY_LEASE.toMillis(), MemberStatefulSets.primaryLeaseMillis(cluster));
      Pod pod = pods.get(member);
      List<String> args = pod == null || pod.getSpec() == null || pod.getSpec().getContainers().isEmpty() ? List.of()
          : pod.getSpec().getContainers().get(0).getArgs();
      for (int i = 0; args != null && i + 1 < args.size(); i++) {
        if ("--primary-lease-ms".equals(args.get(i))) {
          try {
            millis = Math.max(millis, Long.parseLong(args.get(i + 1)));
          } catch (NumberFormatException e) {
            LOG.debugf("DirkCluster %s: %s has an unreadable --primary-lease-ms %s", name, member, args.get(i + 1));
          }
        }
      }
      return Duration.ofMillis(millis);
    }

    /**
     * The record's candidate is being replaced while a promote may have reached it: remembered as sent now unless
     * this operator knows when it sent it (a restarted one does not), so {@link #settleEarlierCandidate} waits out
     * the lease it may hold.
     */
    private void rememberEarlierPromote(FailoverRecord record) {
      PromoteSent known = promotesSent.get(id);
      if (known == null || !known.member().equals(record.getToPrimary())) {
        promotesSent.put(id, new PromoteSent(record.getToPrimary(), record.getEpoch(), System.nanoTime()));
      }
    }

    /**
     * An earlier candidate of this failover, whose promote may have landed (its answer lost, then silent), may be
     * primary at its epoch with the lease that promote gave it, three heartbeat intervals, which outlasts the few
     * control timeouts its replacement's election takes. Before another member {@code to} is promoted it is
     * fenced at {@code epoch} (a fencing token: a promote still on its way is refused) or, silent, its lease is
     * waited out from the end of that promote attempt (+ a probe timeout), as an abandoned hand-over's target is.
     * Empty once it is settled, else when to look again.
     */
    private Optional<Duration> settleEarlierCandidate(String to, long epoch) {
      PromoteSent earlier = promotesSent.get(id);
      if (earlier == null || earlier.member().equals(to)) {
        return Optional.empty();
      }
      Optional<MemberAddress> address = endpoint(earlier.member());
      if (address.isPresent()) {
        try {
          String answer = control.fence(address.get(), epoch);
          LOG.infof("DirkCluster %s: fenced the earlier candidate %s at epoch %d before promoting %s: %s", name,
              earlier.member(), epoch, to, answer);
          promotesSent.remove(id);
          return Optional.empty();
        } catch (Exception e) {
          LOG.debugf("DirkCluster %s: the earlier candidate %s did not take a fence: %s", name, earlier.member(),
              e.getMessage());
        }
      }
      // The longest lease any member has said too: a restarted operator may never have heard the earlier candidate.
      long leaseMillis = Math.max(startedLease(earlier.member()).toMillis(), leases.getOrDefault(id, 0L));
      ProbeResult probed = results.get(earlier.member());
      if (probed != null && probed.last() != null) {
        leaseMillis = Math.max(leaseMillis, probed.last().leaseMillis());
      }
      Duration margin = ClusterProber.probeTimeout(cluster.getSpec().getFailover().getHeartbeatIntervalMs());
      Duration left = Duration.ofNanos(earlier.endedNanos() + TimeUnit.MILLISECONDS.toNanos(leaseMillis)
          + margin.toNanos() - System.nanoTime());
      if (left.compareTo(Duration.ofMillis(5)) > 0) {
        LOG.infof("DirkCluster %s: %s may hold a promote to epoch %d: waiting %d ms for its lease (%d ms + %d ms) to "
            + "run out before promoting %s", name, earlier.member(), earlier.epoch(), left.toMillis(), leaseMillis,
            margin.toMillis(), to);
        return Optional.of(left.compareTo(RECHECK) < 0 ? left : RECHECK);
      }
      promotesSent.remove(id);
      return Optional.empty();
    }

    /** The record's candidate already answers as primary of its epoch (an operator restarted after the promotion). */
    private boolean alreadyPromoted(FailoverRecord record) {
      Optional<MemberAddress> candidate = endpoint(record.getToPrimary());
      if (candidate.isEmpty()) {
        return false;
      }
      try {
        HeartbeatReport heartbeat = control.heartbeat(candidate.get());
        return heartbeat.isPrimary() && heartbeat.epoch() >= record.getEpoch();
      } catch (Exception e) {
        return false;
      }
    }

    /**
     * The failover's election after the fence, as the local supervisor does it: every answering secondary is
     * detached from the old primary ({@code dirk fence} on it: it stops following, so its log end is final and
     * it renews no lease of the old primary), every candidate is read again, and the policy elects from those
     * figures, never a member behind what the fenced old primary says it acknowledged ({@code sync}). When
     * none holds that, the best one catches up from the fenced old primary if it still answers; otherwise the
     * failover is blocked. When the old primary could not be fenced, the promotion waits until its lease has
     * run out. Returns null when the record's candidate (perhaps changed) may be promoted now, else when to
     * look again.
     */
    private Optional<Duration> electAfterFence(FailoverRecord record, Attempt attempt,
        Optional<MemberAddress> oldPrimary, String history) {
      String from = record.getFromPrimary();
      if (from != null && from.equals(record.getToPrimary())) {
        return null; // given back to the fenced old primary (below): a promote to it may have been sent
      }
      FailoverPolicy policy = policy(cluster.getSpec().getFailover());
      long acknowledged = attempt.fence == null ? -1 : attempt.fence.acknowledgedLsn();
      Election election = null;
      List<MemberObservation> observations = List.of();
      long epoch = record.getEpoch();
      for (int look = 0; look < 2; look++) {
        observations = readCandidates(from, attempt, history, Reason.PrimaryLostItsData.is(record.getReason()));
        // A candidate given up (it refused its promote) is no candidate, but what it holds still counts: seen as
        // not running, the election never picks it and never assumes it holds less than it may. One that answers
        // with a log no longer than another answering candidate's holds nothing that one lacks: it is left out,
        // or sync mode would count it silent and block the failover for good (it is never tried again).
        java.util.Set<String> givenUp = givenUpCandidates.getOrDefault(id, java.util.Set.of());
        long bestOther = observations.stream().filter(o -> !givenUp.contains(o.member()) && o.answering()
            && !o.diverged()).mapToLong(MemberObservation::lsn).max().orElse(-1);
        observations = observations.stream()
            .filter(o -> !(givenUp.contains(o.member()) && o.answering() && !o.diverged() && o.lsn() <= bestOther))
            .map(o -> givenUp.contains(o.member()) ? new MemberObservation(o.member(), false, o.missedHeartbeats(),
                o.role(), o.epoch(), o.lsn(), o.diverged()) : o).toList();
        if (attempt.fence != null) {
          // The fenced old primary said what it acknowledged, and acknowledges nothing more: a silent secondary
          // can hold no acknowledged write beyond that, so only a candidate holding it is required.
          observations = observations.stream().filter(o -> o.answering() || o.diverged()).toList();
        }
        long highest = observations.stream().mapToLong(MemberObservation::epoch).max().orElse(0);
        epoch = Math.max(record.getEpoch(), highest + 1);
        election = policy.elect(observations, epoch - 1, acknowledged);
        if (election instanceof Election.Promote || look > 0) {
          break;
        }
        // Only behind what the old primary acknowledged? Then the best candidate may fetch the rest from it:
        // fenced, it takes no writes but still ships the log it has.
        if (!(policy.elect(observations, epoch - 1, -1) instanceof Election.Promote behind)
            || !attempt.oldPrimaryFenced || oldPrimary.isEmpty()) {
          break;
        }
        if (!catchUp(behind.member(), oldPrimary.get(), acknowledged, history, attempt)) {
          String why = "the best candidate, " + behind.member() + ", holds LSN " + behind.lsn() + " and did not catch "
              + "up to the LSN " + acknowledged + " the fenced old primary acknowledged within "
              + ACKNOWLEDGED_CATCH_UP_WAIT.toSeconds() + " s; promoting it would lose acknowledged writes";
          if (giveBackToFencedOldPrimary(record, attempt, oldPrimary, history, why)) {
            return null;
          }
          block(id, "failover of " + from + ": " + why);
          return Optional.of(RECHECK);
        }
      }
      if (election instanceof Election.NoSafeCandidate none) {
        if (giveBackToFencedOldPrimary(record, attempt, oldPrimary, history, none.reason())) {
          return null;
        }
        // Members given up as candidates were left out (or counted silent): with nobody else to elect they are
        // candidates again, else the failover would stay blocked for good while one of them holds the data.
        java.util.Set<String> givenUp = givenUpCandidates.remove(id);
        block(id, "failover of " + from + " after its fence"
            + (acknowledged < 0 ? "" : " (it acknowledged writes up to LSN " + acknowledged + ")") + ": "
            + none.reason() + (givenUp == null || givenUp.isEmpty() ? ""
            : "; " + String.join(", ", givenUp) + ", given up before, may be elected again"));
        return Optional.of(RECHECK);
      }
      Election.Promote promote = (Election.Promote) election;
      if (!promote.member().equals(record.getToPrimary()) && promoteMayHaveBeenSent(record)) {
        // The record's candidate may be primary at the record's epoch (its answer lost, then silent): two
        // primaries at one epoch could not be told apart, so the new candidate gets a higher one. And it is
        // settled (fenced at that epoch, or its lease waited out) before the record names another candidate: an
        // operator restarted after that write would know nothing of the promote it may hold.
        epoch = Math.max(epoch, record.getEpoch() + 1);
        rememberEarlierPromote(record);
        Optional<Duration> settling = settleEarlierCandidate(promote.member(), epoch);
        if (settling.isPresent()) {
          return settling;
        }
      }
      if (!promote.member().equals(record.getToPrimary()) || epoch != record.getEpoch()) {
        String message = "after fencing " + from + (acknowledged < 0 ? "" : " (acknowledged up to LSN "
            + acknowledged + ")") + " and detaching the secondaries, " + promote.member() + " holds the most (LSN "
            + promote.lsn() + "): promoting it at epoch " + epoch + " instead of " + record.getToPrimary();
        record.setToPrimary(promote.member());
        record.setEpoch(epoch);
        StatusWriter.failoverStep(status(), record);
        setCondition(true, Reason.FailoverStarted, message);
        writeStatus();
        LOG.infof("DirkCluster %s: %s", name, message);
        ClusterEvents.normal(client, cluster, Reason.FailoverCandidateChanged, message);
      }
      blocked.remove(id);
      if (!attempt.oldPrimaryFenced && pods.containsKey(from)) {
        // Not fenced: it may still be acknowledging, until its lease runs out (counted from the last renewal
        // it can have had: the operator's, or a secondary's ack before that secondary was detached).
        // Counted on the monotonic clock from this operator's own start of the attempt (no earlier than the
        // failover's start, which a previous operator may have recorded), its last renewal and its last detach.
        ProbeResult last = results.get(from);
        long said = last != null && last.last() != null ? last.last().leaseMillis() : 0;
        Duration lease = Duration.ofMillis(Math.max(said > 0 ? said : startedLease(from).toMillis(),
            leases.getOrDefault(id, 0L)));
        Duration margin = ClusterProber.probeTimeout(cluster.getSpec().getFailover().getHeartbeatIntervalMs());
        long base = attempt.lastDetachNanos();
        java.util.OptionalLong renewed = prober.lastLeaseRenewalNanos(id, from);
        if (renewed.isPresent() && renewed.getAsLong() - base > 0) {
          base = renewed.getAsLong();
        }
        Duration left = Duration.ofNanos(base + lease.toNanos() + margin.toNanos() - System.nanoTime());
        if (left.compareTo(Duration.ofMillis(5)) > 0) {
          String message = "waiting " + left.toMillis() + " ms for the lease of " + from + " (" + lease.toMillis()
              + " ms + " + margin.toMillis() + " ms) to run out before promoting " + record.getToPrimary()
              + ": it could not be fenced and may still acknowledge writes until then";
          if (!record.getToPrimary().equals(attempt.leaseWaitLogged)) {
            attempt.leaseWaitLogged = record.getToPrimary();
            LOG.infof("DirkCluster %s: %s", name, message);
            setCondition(true, Reason.WaitingForLease, message);
            writeStatus();
          }
          return Optional.of(left);
        }
      }
      return null;
    }

    /**
     * A failover that gave the role back to its old primary, seen by a new attempt (the promote's answer was lost,
     * the operator restarted, a status write failed). An old primary that no longer holds the cluster's data (back
     * on an empty volume, another history, a shorter log than it acknowledged) is no candidate any more: another
     * member is elected, or the failover is blocked. Once it took the promote, fencing it again would undo it, and
     * the same epoch would then be refused for good: a primary at the record's epoch is kept as it is; one that
     * answers another role at that epoch or above (it took the promote, then a fence) gets a higher epoch. Returns
     * null to go on with the promote, else when to look again.
     */
    private Optional<Duration> checkGivenBackOldPrimary(FailoverRecord record, MemberAddress oldPrimary,
        Attempt attempt, String history) {
      String from = record.getFromPrimary();
      HeartbeatReport now;
      try {
        now = control.heartbeat(oldPrimary);
      } catch (Exception e) {
        return null; // silent: the fence below fails too, and the candidate is given up once lost
      }
      boolean sameHistory = now.historyId() != null && (history == null || history.equals(now.historyId()));
      long acknowledged = attempt.fence == null ? 0 : attempt.fence.acknowledgedLsn();
      if (!sameHistory || now.lsn() == 0 || now.lsn() < acknowledged) {
        return reelect(record, from + ", given the primary role back at epoch " + record.getEpoch() + ", now answers "
            + "without the data it held (history " + now.historyId() + ", LSN " + now.lsn() + ")");
      }
      if (now.isPrimary() && now.epoch() >= record.getEpoch()) {
        attempt.oldPrimaryFenced = true; // nothing to fence: it is the primary this failover makes
        return null;
      }
      if (now.epoch() >= record.getEpoch()) {
        long next = Math.max(now.epoch(), highestEpochSeen()) + 1;
        LOG.warnf("DirkCluster %s: %s, given the primary role back at epoch %d, answers %s at epoch %d: it is "
            + "promoted at epoch %d instead", name, from, record.getEpoch(), now.role(), now.epoch(), next);
        record.setEpoch(next);
        StatusWriter.failoverStep(status(), record);
        writeStatus();
      }
      return null;
    }

    /** {@code member} answers empty and of no history while another member's last answer showed data. */
    private boolean emptyWhileOthersHoldData(String member, HeartbeatReport heartbeat) {
      return heartbeat.lsn() == 0 && heartbeat.historyId() == null && results.entrySet().stream()
          .anyMatch(e -> !e.getKey().equals(member) && e.getValue().last() != null && e.getValue().last().lsn() > 0);
    }

    /**
     * After the fence nobody may take over ({@code why}), yet the fenced old primary answers, intact, holding every
     * write it acknowledged: left fenced, the cluster would take no writes until a secondary could be elected. It
     * takes the role back at a new epoch instead, as a primary fenced by hand with no secondary to take over does,
     * and the record names it as the candidate from then on. Only while this failover has sent no promote (no other
     * member can be primary at any of its epochs) and the old primary's data is not what was lost. Returns whether
     * the record now names the old primary.
     */
    private boolean giveBackToFencedOldPrimary(FailoverRecord record, Attempt attempt,
        Optional<MemberAddress> oldPrimary, String history, String why) {
      String from = record.getFromPrimary();
      Pod pod = pods.get(from);
      ProbeResult heard = results.get(from);
      // A hand-over turned failover (PrimaryLostInHandOver): its target may hold a late promote (its step stays at
      // Promoting for that, and a record written by an older operator may say Started). And only an old primary the
      // prober hears again: one still counted missing would be given up as lost at the first hitch, or lost again
      // at once.
      if (attempt.fence == null || oldPrimary.isEmpty() || pod == null
          || pod.getMetadata().getDeletionTimestamp() != null || Reason.PrimaryLostItsData.is(record.getReason())
          || Reason.PrimaryLostInHandOver.is(record.getReason())
          || promoteMayHaveBeenSent(record) || promotesSent.containsKey(id)
          || !givenUpCandidates.getOrDefault(id, java.util.Set.of()).isEmpty()
          || heard == null || !heard.answering()) {
        return false;
      }
      HeartbeatReport heartbeat;
      try {
        heartbeat = control.heartbeat(oldPrimary.get());
      } catch (Exception e) {
        LOG.debugf("DirkCluster %s: the fenced %s does not answer, so it cannot take the role back: %s", name, from,
            e.getMessage());
        return false;
      }
      boolean otherHistory = history != null && heartbeat.historyId() != null && !history.equals(heartbeat.historyId());
      if (!HeartbeatReport.FENCED.equals(heartbeat.role()) || !heartbeat.ready() || heartbeat.diverged()
          || heartbeat.needsResync() || otherHistory || heartbeat.historyId() == null || heartbeat.lsn() == 0
          || heartbeat.lsn() < attempt.fence.acknowledgedLsn()) {
        return false;
      }
      long epoch = Math.max(record.getEpoch(), Math.max(highestEpochSeen(), heartbeat.epoch()) + 1);
      String message = "failover of " + from + " after its fence: " + why + "; " + from + ", fenced, answering and "
          + "holding every write it acknowledged (LSN " + attempt.fence.acknowledgedLsn() + "), takes the primary "
          + "role back at epoch " + epoch;
      record.setToPrimary(from);
      record.setEpoch(epoch);
      StatusWriter.failoverStarted(status(), record);
      blocked.remove(id);
      setCondition(true, Reason.FailoverStarted, message);
      writeStatus();
      LOG.warnf("DirkCluster %s: %s", name, message);
      ClusterEvents.warning(client, cluster, Reason.FailoverCandidateChanged, message);
      return true;
    }

    /**
     * Detaches and reads every member but the old primary. A member already detached by this failover says
     * {@code fenced} and is still a candidate (so is one a restarted operator finds fenced while its pod is
     * still labelled secondary); one that did not answer its detach counts as silent.
     */
    private List<MemberObservation> readCandidates(String from, Attempt attempt, String history,
        boolean oldPrimaryLostItsData) {
      List<MemberObservation> observations = new java.util.ArrayList<>();
      for (String member : pods.keySet()) {
        if (member.equals(from)) {
          continue;
        }
        Pod pod = pods.get(member);
        ProbeResult probed = results.get(member);
        Optional<MemberAddress> address = endpoint(member);
        boolean running = pod.getMetadata().getDeletionTimestamp() == null && address.isPresent();
        HeartbeatReport heartbeat = null;
        // Every member the prober has not counted as missing is asked, those it has not heard yet too (a
        // restarted operator's first pass): one not asked would count as silent, and block a sync election.
        if (running && (attempt.detached.containsKey(member) || probed == null || probed.missed() == 0)) {
          try {
            heartbeat = control.heartbeat(address.get());
            // A secondary, or one a previous operator detached (fenced, its pod still labelled secondary): its
            // detach is made (again) now, so the lease wait below counts from a detach this operator saw.
            boolean detachedBefore = heartbeat.ready() && HeartbeatReport.FENCED.equals(heartbeat.role())
                && ClusterNaming.ROLE_SECONDARY.equals(RoleLabels.role(pod));
            if (heartbeat.isSecondary() || (detachedBefore && !attempt.detached.containsKey(member))) {
              String answer = control.fence(address.get());
              attempt.detached.put(member, System.nanoTime());
              attempt.detachFailed.remove(member);
              LOG.infof("DirkCluster %s: detached %s from %s before electing: %s", name, member, from, answer);
              heartbeat = control.heartbeat(address.get());
            }
          } catch (Exception e) {
            attempt.detachFailed.add(member);
            heartbeat = null;
            LOG.warnf("DirkCluster %s: could not detach and read %s: %s", name, member, e.getMessage());
          }
        }
        if (heartbeat == null) {
          int missed = Math.max(1, probed == null ? 0 : probed.missed());
          observations.add(new MemberObservation(member, running, missed, "", 0, 0, false));
          continue;
        }
        boolean detached = attempt.detached.containsKey(member)
            || ClusterNaming.ROLE_SECONDARY.equals(RoleLabels.role(pod));
        String role = HeartbeatReport.FENCED.equals(heartbeat.role()) && detached ? HeartbeatReport.SECONDARY
            : heartbeat.ready() ? heartbeat.role() : "";
        boolean otherHistory = history != null && heartbeat.historyId() != null
            && !history.equals(heartbeat.historyId());
        boolean diverged = heartbeat.diverged() || heartbeat.needsResync();
        if (oldPrimaryLostItsData && heartbeat.lsn() > 0) {
          diverged = false; // it diverged only from an empty primary
        }
        observations.add(new MemberObservation(member, true, attempt.detachFailed.contains(member) ? 1 : 0, role,
            heartbeat.epoch(), heartbeat.lsn(), diverged || otherHistory || heartbeat.isPrimary()));
      }
      return observations;
    }

    /**
     * Lets {@code member} fetch from the fenced old primary what it lacks up to {@code goal}, then detaches
     * it again; false when it did not get there in time.
     */
    private boolean catchUp(String member, MemberAddress oldPrimary, long goal, String history, Attempt attempt) {
      Optional<MemberAddress> address = endpoint(member);
      if (address.isEmpty()) {
        return false;
      }
      LOG.infof("DirkCluster %s: %s is behind the LSN %d the fenced %s acknowledged: it catches up from it first",
          name, member, goal, oldPrimary.id());
      try {
        control.follow(address.get(), MemberAddresses.stable(cluster, oldPrimary), history);
        long deadline = System.nanoTime() + ACKNOWLEDGED_CATCH_UP_WAIT.toNanos();
        boolean reached = false;
        while (!reached && System.nanoTime() - deadline < 0) {
          reached = control.heartbeat(address.get()).lsn() >= goal;
          if (!reached) {
            Thread.sleep(20);
          }
        }
        control.fence(address.get());
        attempt.detached.put(member, System.nanoTime());
        return reached;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception e) {
        LOG.warnf("DirkCluster %s: %s could not catch up from %s: %s", name, member, oldPrimary.id(), e.getMessage());
        return false;
      }
    }

    /**
     * The cluster's history, which promote and follow name so that no member of another is promoted or
     * followed: the one the primary's heartbeats said, else the old primary's (holding data), else the one
     * every member holding data agrees on; null when unknown (the statements then go without it).
     */
    private String clusterHistory(String oldPrimary) {
      FailoverRecord record = status().getLastFailover();
      boolean bootstrap = record != null && Reason.NoPrimaryAnswers.is(record.getReason());
      if (!bootstrap && histories.get(id) != null) {
        return histories.get(id);
      }
      ProbeResult old = oldPrimary == null ? null : results.get(oldPrimary);
      if (!bootstrap && old != null && old.last() != null && old.last().lsn() > 0 && old.last().historyId() != null) {
        return old.last().historyId();
      }
      java.util.Set<String> held = results.values().stream().map(ProbeResult::last).filter(java.util.Objects::nonNull)
          .filter(h -> h.lsn() > 0 && h.historyId() != null).map(HeartbeatReport::historyId)
          .collect(Collectors.toSet());
      return held.size() == 1 ? held.iterator().next() : null;
    }

    /** A hand-over asked for or planned by the operator, run with the switchover's care (the old primary follows). */
    private static boolean planned(String reason) {
      return Reason.Switchover.is(reason) || Reason.PrimaryPodDeleted.is(reason)
          || Reason.RollingUpdate.is(reason) || Reason.PrimaryFenced.is(reason);
    }

    /** A promote to the record's candidate at the record's epoch may have been sent (and taken). */
    private static boolean promoteMayHaveBeenSent(FailoverRecord record) {
      return STEPS.indexOf(record.getStep()) >= STEPS.indexOf(STEP_PROMOTING);
    }

    /** Records the step reached (once), so a person or a restarted operator sees how far it got. */
    private void advance(FailoverRecord record, String step) {
      if (STEPS.indexOf(step) > STEPS.indexOf(record.getStep())) {
        record.setStep(step);
        StatusWriter.failoverStep(status(), record);
        writeStatus();
      }
    }

    /** The candidate died during the hand-over: as lost as a primary would be by the same rule. */
    private boolean candidateLost(String candidate) {
      ProbeResult result = results.get(candidate);
      Pod pod = pods.get(candidate);
      return pod == null || pod.getMetadata().getDeletionTimestamp() != null || MemberAddresses.of(pod).isEmpty()
          || (result != null && result.missed() >= cluster.getSpec().getFailover().getFailureThreshold());
    }

    /**
     * The old primary of a planned hand-over no longer answers by the failover's rule (no address, or silent
     * for failureThreshold heartbeats; or, once the role was being given back to it, its pod gone). A pod that
     * is gone before that is not: its preStop handed it over and the target is promoted without it.
     */
    private boolean oldPrimarySilent(FailoverRecord record) {
      String from = record.getFromPrimary();
      Pod pod = pods.get(from);
      if (pod == null) {
        return STEP_ABANDONING.equals(record.getStep());
      }
      ProbeResult result = results.get(from);
      return MemberAddresses.of(pod).isEmpty()
          || (result != null && result.missed() >= cluster.getSpec().getFailover().getFailureThreshold());
    }

    /**
     * Turns a planned hand-over whose old primary was lost into a failover, recorded before anything else
     * moves: the catch-up check and the abandon path both need the old primary, so without this the
     * hand-over would wait for it for good with no primary. The failover elects, after detaching the
     * secondaries, a member holding what the fenced old primary acknowledged (or is FailoverBlocked).
     */
    private void failOverFromSilentOldPrimary(FailoverRecord record) {
      String from = record.getFromPrimary();
      String what = Reason.Switchover.is(record.getReason()) ? "switchover"
          : "hand-over (" + record.getReason() + ")";
      String message = "the old primary " + from + " stopped answering during the " + what + " to "
          + record.getToPrimary() + " (" + describe(observe(from, true)) + "); failing over from it instead";
      record.setReason(Reason.PrimaryLostInHandOver.name());
      if (STEP_ABANDONING.equals(record.getStep())) {
        // Its epoch already stands above any promote the target may have taken: the election starts there. The
        // target may hold such a promote (a late one, its answer lost): the step stays Promoting, so that an
        // election picking another member first settles the target (fenced at the new epoch, or its lease waited
        // out), this operator or a restarted one alike.
        record.setStep(STEP_PROMOTING);
      }
      StatusWriter.failoverStep(status(), record);
      setCondition(true, Reason.FailoverStarted, message);
      writeStatus();
      LOG.warnf("DirkCluster %s: %s", name, message);
      ClusterEvents.warning(client, cluster, Reason.FailoverStarted, message);
    }

    /** A failover whose candidate died before its promotion elects another one, with a higher epoch. */
    /**
     * Gives up the record's candidate ({@code why}: lost, or refusing its promote) and elects another among the
     * members that are neither the old primary nor given up. A candidate that may hold the promote (the record
     * reached Promoting) is settled first: fenced at the new epoch when it answers (a promote still on its way is
     * then refused), else its promote's lease is waited out, so it cannot take writes next to the new primary.
     * With nobody else to elect, the failover is blocked (FailoverBlocked) and the same candidate is tried again.
     */
    private Optional<Duration> reelect(FailoverRecord record, String why) {
      FailoverSpec spec = cluster.getSpec().getFailover();
      FailoverPolicy policy = policy(spec);
      String former = record.getToPrimary();
      java.util.Set<String> givenUp = givenUpCandidates.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet());
      List<MemberObservation> others = pods.keySet().stream()
          .filter(n -> !n.equals(record.getFromPrimary()) && !n.equals(former) && !givenUp.contains(n))
          .map(n -> observe(n, false)).toList();
      Election election = policy.elect(others, Math.max(highestEpochSeen(), record.getEpoch()));
      if (!(election instanceof Election.Promote promote)) {
        block(id, "failover of " + record.getFromPrimary() + ": " + why + ", and no other member may replace it: "
            + ((Election.NoSafeCandidate) election).reason());
        promoteRefusals.remove(id); // its promote is tried again, and given up again after the same limit
        return Optional.of(RECHECK);
      }
      if (promoteMayHaveBeenSent(record)) {
        Optional<Duration> wait = settleFormerCandidate(record, former, promote.newEpoch());
        if (wait.isPresent()) {
          return wait;
        }
      }
      givenUp.add(former);
      promoteRefusals.remove(id);
      String message = why + "; promoting " + promote.member() + " at epoch " + promote.newEpoch() + " instead";
      record.setToPrimary(promote.member());
      record.setEpoch(promote.newEpoch());
      StatusWriter.failoverStep(status(), record);
      blocked.remove(id);
      setCondition(true, Reason.FailoverStarted, message);
      writeStatus();
      LOG.warnf("DirkCluster %s: %s", name, message);
      ClusterEvents.warning(client, cluster, Reason.FailoverCandidateChanged, message);
      return resume(record);
    }

    /**
     * Empty once {@code former}, which may hold the record's promote, can no longer take writes: it took
     * {@code dirk fence epoch E} at the new candidate's epoch, or the lease its promote can hold ran out (from the
     * end of this operator's promote attempt, or from now when this operator sent none it knows of); else when
     * to look again.
     */
    private Optional<Duration> settleFormerCandidate(FailoverRecord record, String former, long newEpoch) {
      String key = "former:" + former + "@" + record.getEpoch();
      PromoteSent sent = promotesSent.get(id);
      long from = sent != null && sent.member().equals(former) && sent.epoch() == record.getEpoch() ? sent.endedNanos()
          : System.nanoTime();
      TargetCheck check = targetChecks.compute(id, (k, c) -> c != null && c.key().equals(key) ? c
          : new TargetCheck(key, record.getEpoch(), from, false));
      if (check.fenced()) {
        return Optional.empty();
      }
      Optional<Duration> wait = settleTarget(former, check, Optional.empty(), newEpoch);
      if (wait.isEmpty()) {
        targetChecks.remove(id);
      }
      return wait;
    }

    /** A planned hand-over started {@code dirk.operator.switchover.timeout-seconds} ago or more. */
    private boolean handOverOverdue(FailoverRecord record) {
      return record.getStartedAt() != null
          && Instant.parse(record.getStartedAt()).plus(handOverTimeout).isBefore(Instant.now());
    }

    /** The last hand-over for {@code reason} was abandoned and the spec has not changed since it started. */
    private boolean abandonedAtThisGeneration(Reason reason) {
      FailoverRecord last = status().getLastFailover();
      return last != null && STEP_ABANDONED.equals(last.getStep()) && reason.is(last.getReason())
          && java.util.Objects.equals(last.getGeneration(), cluster.getMetadata().getGeneration());
    }

    /** Why the last hand-over was abandoned, as its FailingOver condition says. */
    private String abandonedBecause() {
      return status().condition(ConditionType.FailingOver)
          .map(io.fabric8.kubernetes.api.model.Condition::getMessage).orElse("see the FailingOver condition");
    }

    /**
     * A planned hand-over that cannot reach its promotion (its target was lost, the old primary could not
     * be fenced or the target did not catch up in time) gives the primary role back to the old primary,
     * which holds every write: promoted at the hand-over's epoch, or at a higher one when a promote may
     * have reached the target (two primaries at one epoch cannot be told apart). That epoch and the step
     * Abandoning are recorded before the promote is sent, so a restarted operator finishes the same way.
     * {@code why} and {@code message} are null when resuming a recorded Abandoning step.
     */
    private Optional<Duration> abandonSwitchover(FailoverRecord record, Optional<MemberAddress> oldPrimary,
        Reason why, String message) {
      String from = record.getFromPrimary();
      String target = record.getToPrimary();
      if (!STEP_ABANDONING.equals(record.getStep())) {
        boolean promoteSent = promoteMayHaveBeenSent(record) && !target.equals(from);
        long promoteEpoch = record.getEpoch();
        if (promoteMayHaveBeenSent(record)) {
          record.setEpoch(Math.max(record.getEpoch(), highestEpochSeen()) + 1);
        }
        record.setStep(STEP_ABANDONING);
        StatusWriter.failoverStep(status(), record);
        setCondition(true, why, message + "; giving the primary role back to " + from + " at epoch "
            + record.getEpoch() + (promoteSent ? " once " + target + ", which may hold the promote, is fenced or its "
            + "lease has run out" : ""));
        writeStatus();
        LOG.warnf("DirkCluster %s: hand-over to %s abandoned: %s; %s takes the primary role back at epoch %d", name,
            target, message, from, record.getEpoch());
        PromoteSent sent = promotesSent.get(id);
        Long leaseFrom = !promoteSent ? null
            : sent != null && sent.member().equals(target) && sent.epoch() == promoteEpoch ? sent.endedNanos()
            : System.nanoTime();
        targetChecks.put(id, new TargetCheck(target + "@" + record.getEpoch(), promoteEpoch, leaseFrom, false));
      }
      long epoch = record.getEpoch();
      long recordedEpoch = epoch;
      String checkKey = target + "@" + epoch;
      // A restarted operator cannot know whether a promote was sent, nor when: it assumes one was, just now.
      TargetCheck check = targetChecks.compute(id, (k, c) -> c != null && c.key().equals(checkKey) ? c
          : new TargetCheck(checkKey, recordedEpoch - 1, target.equals(from) ? null : System.nanoTime(), false));
      if (check.leaseFrom() != null) {
        Optional<Duration> wait = settleTarget(target, check, oldPrimary, epoch);
        if (wait.isPresent()) {
          return wait;
        }
        check = targetChecks.get(id);
        targetChecks.put(id, new TargetCheck(checkKey, check.promoteEpoch(), null, check.fenced()));
      }
      if (oldPrimary.isEmpty()) {
        return Optional.of(RECHECK);
      }
      try {
        HeartbeatReport heartbeat = control.heartbeat(oldPrimary.get());
        if (!(heartbeat.isPrimary() && heartbeat.epoch() >= epoch)) {
          if (heartbeat.epoch() >= epoch) {
            // It took the give-back promote (its answer was lost, or this operator restarted before recording it)
            // and was fenced since: that epoch is spent, and a promote to it again would be refused for good. A
            // higher one is recorded first, as any epoch this operator hands out.
            long next = Math.max(heartbeat.epoch(), highestEpochSeen()) + 1;
            LOG.warnf("DirkCluster %s: %s answers %s at epoch %d, the give-back's epoch or above: it takes the primary "
                + "role back at epoch %d instead", name, from, heartbeat.role(), heartbeat.epoch(), next);
            record.setEpoch(next);
            StatusWriter.failoverStep(status(), record);
            writeStatus();
            targetChecks.computeIfPresent(id, (k, c) -> new TargetCheck(target + "@" + next, c.promoteEpoch(),
                c.leaseFrom(), c.fenced()));
            epoch = next;
          }
          if (emptyWhileOthersHoldData(from, heartbeat)) {
            // Back on an empty volume: the role is not given back to it (a person decides, see the condition).
            LOG.warnf("DirkCluster %s: %s answers with no data and no history (an empty volume) while other members "
                + "hold data: the primary role is not given back to it", name, from);
            return Optional.of(RECHECK);
          }
          control.promote(oldPrimary.get(), epoch, clusterHistory(from));
        }
      } catch (Exception e) {
        LOG.warnf("DirkCluster %s: could not give the primary role back to %s yet: %s", name, from, e.getMessage());
        return Optional.of(RECHECK);
      }
      attempts.remove(id);
      promotesSent.remove(id);
      prober.holdPrimary(id, from, epoch);
      relabel(from, ClusterNaming.ROLE_PRIMARY);
      boolean targetFenced = check.fenced();
      if (targetFenced) {
        // It took the promote and was fenced: it follows the old primary again (a resync if it took writes).
        endpoint(target).ifPresent(e -> {
          try {
            control.follow(e, MemberAddresses.stable(cluster, oldPrimary.get()), clusterHistory(from));
          } catch (Exception ex) {
            LOG.infof("DirkCluster %s: %s will be pointed at %s later: %s", name, target, from, ex.getMessage());
          }
        });
      }
      targetChecks.remove(id);
      var recorded = status().condition(ConditionType.FailingOver)
          .filter(c -> "True".equals(c.getStatus()));
      Reason reason = Reason.of(recorded.map(io.fabric8.kubernetes.api.model.Condition::getReason).orElse(null),
          Reason.TargetLost);
      String because = recorded.map(io.fabric8.kubernetes.api.model.Condition::getMessage)
          .map(m -> m.replaceFirst("; giving the primary role back to .*$", "")).orElse("it could not be completed");
      String done = (Reason.Switchover.is(record.getReason()) ? "switchover" : "hand-over (" + record.getReason()
          + ")") + " to " + target + " abandoned: " + because + "; " + from + " is primary again at epoch " + epoch
          + (targetFenced ? " (" + target + ", which had taken the promote, was fenced first)" : "");
      record.setCompletedAt(now());
      record.setStep(STEP_ABANDONED);
      record.setToPrimary(from);
      DirkClusterStatus status = status();
      StatusWriter.failoverEnded(status, record, from); // observation makes it Ready once every member is
      setCondition(false, Reason.SwitchoverAbandoned, done);
      if (Reason.Switchover.is(record.getReason())) {
        setCondition(ConditionType.TargetPrimaryEligible, false, reason, done
            + (reason == Reason.TargetLost ? "" : "; change spec.targetPrimary (or any of the spec) to try again"));
      }
      writeStatus();
      LOG.warnf("DirkCluster %s: %s", name, done);
      ClusterEvents.warning(client, cluster, Reason.SwitchoverAbandoned, done);
      return Optional.of(RECHECK);
    }

    /**
     * Whether the abandoned hand-over's target may still take writes. Empty once it cannot: it took
     * {@code dirk fence epoch E} at the abandon's epoch (a fencing token: a promote of the hand-over still on its
     * way has a lower epoch, and is refused), or, from a member that cannot take that, it answered as primary at
     * the promote's epoch or above and took a fence, or the lease a promote sent at the last attempt can hold
     * has run out (that attempt's end + the lease + a probe timeout; a promote counts its lease from the
     * member's previous answer on its connection, which came before, and one with none starts expired). Else
     * when to look again. The lease's length is what the members say in their heartbeats (each its own, whatever
     * its role), the old primary's read now, so an operator restarted with no memory waits the members' real
     * lease, not a default.
     */
    private Optional<Duration> settleTarget(String target, TargetCheck check, Optional<MemberAddress> oldPrimary,
        long abandonEpoch) {
      Optional<MemberAddress> address = endpoint(target);
      long said = 0;
      if (address.isPresent()) {
        try {
          HeartbeatReport heartbeat = control.heartbeat(address.get());
          said = Math.max(said, heartbeat.leaseMillis());
          try {
            String answer = control.fence(address.get(), abandonEpoch);
            targetChecks.put(id, new TargetCheck(check.key(), check.promoteEpoch(), check.leaseFrom(), true));
            HeartbeatReport after = control.heartbeat(address.get());
            if (!after.isPrimary()) {
              LOG.infof("DirkCluster %s: fenced %s, given up as the target of a hand-over or failover, at epoch %d (it "
                  + "was %s at epoch %d): a promote still on its way to it is refused: %s", name, target, abandonEpoch,
                  heartbeat.role(), heartbeat.epoch(), answer);
              return Optional.empty();
            }
          } catch (Exception refused) {
            // A member image without dirk fence epoch: the fence alone, and the lease waited out below.
            LOG.debugf("DirkCluster %s: %s did not take a fence at epoch %d: %s", name, target, abandonEpoch,
                refused.getMessage());
          }
          if (HeartbeatReport.PRIMARY.equals(heartbeat.role())) {
            String answer = control.fence(address.get());
            LOG.warnf("DirkCluster %s: fenced %s, which took a promote it was given up for (epoch %d): %s", name,
                target, heartbeat.epoch(), answer);
            targetChecks.put(id, new TargetCheck(check.key(), check.promoteEpoch(), check.leaseFrom(), true));
            if (heartbeat.epoch() >= check.promoteEpoch()) {
              return Optional.empty();
            }
          }
        } catch (Exception e) {
          LOG.debugf("DirkCluster %s: %s, given up as a target, does not answer: %s", name, target,
              e.getMessage());
        }
      }
      if (oldPrimary.isPresent()) {
        try {
          said = Math.max(said, control.heartbeat(oldPrimary.get()).leaseMillis());
        } catch (Exception e) {
          LOG.debugf("DirkCluster %s: no lease read from %s: %s", name, oldPrimary.get().id(), e.getMessage());
        }
      }
      if (said > 0) {
        leases.merge(id, said, Math::max);
      }
      Duration lease = Duration.ofMillis(leases.getOrDefault(id, startedLease(target).toMillis()));
      Duration margin = ClusterProber.probeTimeout(cluster.getSpec().getFailover().getHeartbeatIntervalMs());
      Duration left = Duration.ofNanos(check.leaseFrom() + lease.toNanos() + margin.toNanos() - System.nanoTime());
      if (left.compareTo(Duration.ofMillis(5)) <= 0) {
        return Optional.empty();
      }
      LOG.infof("DirkCluster %s: %s may hold a promote it was given up for: waiting %d ms for its lease (%d ms + "
          + "%d ms) to run out before another member takes writes", name, target, left.toMillis(), lease.toMillis(),
          margin.toMillis());
      return Optional.of(left.compareTo(RECHECK) < 0 ? left : RECHECK);
    }

    private FailoverPolicy policy(FailoverSpec spec) {
      ReplicationMode mode = cluster.getSpec().getReplication().getMode();
      return new FailoverPolicy(spec.getFailureThreshold(), Duration.ofSeconds(spec.getFailoverDelaySeconds()),
          mode == ReplicationMode.SYNC ? io.dirkdb.replication.ReplicationMode.SYNC
              : io.dirkdb.replication.ReplicationMode.ASYNC, spec.isAllowDataLoss());
    }

    /** Waits (bounded) until the target holds every record of the fenced old primary. */
    private boolean caughtUp(MemberAddress target, MemberAddress old) throws Exception {
      long goal = control.heartbeat(old).lsn();
      long deadline = System.nanoTime() + CATCH_UP_WAIT.toNanos();
      while (System.nanoTime() - deadline < 0) {
        HeartbeatReport heartbeat = control.heartbeat(target);
        if (heartbeat.lsn() >= goal) {
          return true;
        }
        Thread.sleep(20);
      }
      LOG.infof("DirkCluster %s: switchover target %s has not reached LSN %d yet", name, target.id(), goal);
      return false;
    }

    private Optional<Duration> rejoin(String primary) {
      ProbeResult result = results.get(primary);
      Optional<MemberAddress> endpoint = endpoint(primary);
      if (result == null || !result.answering() || !result.last().isPrimary() || endpoint.isEmpty()) {
        return Optional.of(RECHECK.multipliedBy(5));
      }
      if (!ClusterNaming.ROLE_PRIMARY.equals(RoleLabels.role(pods.get(primary)))) {
        return Optional.empty(); // the first labels are the labeller's; nothing to rejoin yet
      }
      ResyncCoordinator.Outcome outcome = ResyncCoordinator.reconcile(client, cluster, currentPods(), results,
          endpoint.get(), result.last().epoch(), control, resyncFirstBackoff);
      boolean wasResyncing = status().condition(ConditionType.Resyncing)
          .filter(c -> "True".equals(c.getStatus())).isPresent();
      if (!outcome.refused().isEmpty()) {
        String message = String.join("; ", outcome.refused());
        boolean same = status().condition(ConditionType.Resyncing)
            .filter(c -> Reason.ResyncJobRefused.is(c.getReason()) && message.equals(c.getMessage())).isPresent();
        if (!same) {
          ClusterEvents.warning(client, cluster, Reason.ResyncJobRefused, message
              + ". Grant the operator's ServiceAccount create on jobs.batch or raise the namespace's quota; retried");
          setCondition(ConditionType.Resyncing, false, Reason.ResyncJobRefused, message);
          StatusWriter.resyncRefused(status());
          writeStatus();
        }
      } else if (!outcome.running().isEmpty()) {
        String message = "resync Job running: " + String.join(", ", outcome.running());
        boolean same = status().condition(ConditionType.Resyncing)
            .filter(c -> "True".equals(c.getStatus()) && message.equals(c.getMessage())).isPresent();
        if (!same) {
          setCondition(ConditionType.Resyncing, true, Reason.ResyncJobRunning, message);
          StatusWriter.resyncing(status());
          writeStatus();
        }
      } else if (wasResyncing) {
        setCondition(ConditionType.Resyncing, false, Reason.NoResync, "no member is being rebuilt");
        StatusWriter.resyncEnded(status());
        writeStatus();
      }
      // Reload labels the resync pass may have moved.
      refreshPods();
      return outcome.recheckAfter().or(() -> outcome.running().isEmpty() ? Optional.empty() : Optional.of(RECHECK));
    }

    private void block(ResourceID id, String why) {
      // The same blockage with other miss counts is not news: one Event per distinct reason.
      String key = why.replaceAll("\\d+ heartbeats", "heartbeats");
      String previous = blocked.put(id, key);
      if (!key.equals(previous)) {
        LOG.warnf("DirkCluster %s: failover blocked: %s", name, why);
        ClusterEvents.warning(client, cluster, Reason.FailoverBlocked, why
            + ". Bring the missing member back, or set spec.failover.allowDataLoss=true to promote anyway");
        setCondition(false, Reason.FailoverBlocked, why);
        StatusWriter.failoverBlocked(status());
        writeStatus();
      }
    }

    private MemberObservation observe(String member, boolean primary) {
      Pod pod = pods.get(member);
      ProbeResult result = results.get(member);
      // The primary must be Ready or still answering heartbeats (NotReady alone, say a slow readiness probe
      // on a busy node, is no loss); a secondary need only have an address (it is not Ready while its
      // primary is gone).
      boolean answers = result != null && result.answering();
      boolean running = pod != null && pod.getMetadata().getDeletionTimestamp() == null
          && (primary ? ClusterStatusAggregator.isReady(pod) || answers : MemberAddresses.of(pod).isPresent());
      HeartbeatReport last = result == null ? null : result.last();
      return new MemberObservation(member, running, result == null ? 0 : result.missed(),
          last == null ? "" : last.role(), last == null ? 0 : last.epoch(), last == null ? 0 : last.lsn(),
          // Another member that still claims to be primary (an old one back before its resync) has writes the
          // cluster never acknowledged as one history: never a candidate.
          last != null && (last.diverged() || last.needsResync() || (!primary && last.isPrimary())));
    }

    /** The observation of a secondary, not diverged if it only diverged from an empty primary. */
    private MemberObservation ignoringDivergence(MemberObservation o, String member) {
      ProbeResult result = results.get(member);
      boolean claimsPrimary = result != null && result.last() != null && result.last().isPrimary();
      if (!o.diverged() || claimsPrimary || result.last().lsn() <= 0) {
        return o;
      }
      return new MemberObservation(o.member(), o.running(), o.missedHeartbeats(), o.role(), o.epoch(), o.lsn(), false);
    }

    private String describe(MemberObservation o) {
      if (!o.running() && o.diverged()) {
        return "it came back with an empty log while other members hold data";
      }
      return !o.running() ? "its pod is gone, or not ready and silent" : o.missedHeartbeats() + " heartbeats missed in a row";
    }

    private long highestEpochSeen() {
      long highest = 0;
      for (ProbeResult r : results.values()) {
        if (r.last() != null) {
          highest = Math.max(highest, r.last().epoch());
        }
      }
      for (MemberStatus m : status().getMembers() == null ? List.<MemberStatus>of() : status().getMembers()) {
        if (m.getEpoch() != null) {
          highest = Math.max(highest, m.getEpoch());
        }
      }
      FailoverRecord last = status().getLastFailover();
      if (last != null && last.getEpoch() != null) {
        highest = Math.max(highest, last.getEpoch());
      }
      return Math.max(highest, 1);
    }

    private Optional<MemberAddress> endpoint(String member) {
      Pod pod = pods.get(member);
      return pod == null ? Optional.empty() : MemberAddresses.of(pod);
    }

    private void relabel(String member, String role) {
      Pod pod = pods.get(member);
      if (pod != null) {
        Pod updated = RoleLabels.set(client, pod, role);
        if (updated != null) {
          pods.put(member, updated);
        }
      }
    }

    private void refreshPods() {
      for (String member : List.copyOf(pods.keySet())) {
        Pod fresh = client.pods().inNamespace(cluster.getMetadata().getNamespace()).withName(member).get();
        if (fresh != null) {
          pods.put(member, fresh);
        }
      }
    }

    private DirkClusterStatus status() {
      if (cluster.getStatus() == null) {
        cluster.setStatus(new DirkClusterStatus());
      }
      return cluster.getStatus();
    }

    private void setCondition(boolean inProgress, Reason reason, String message) {
      setCondition(ConditionType.FailingOver, inProgress, reason, message);
    }

    private void setCondition(ConditionType type, boolean value, Reason reason, String message) {
      StatusWriter.condition(status(), type, value, reason, message, cluster.getMetadata().getGeneration());
    }

    /**
     * Writes the status (a patch, the verb the chart grants) with the resourceVersion read at the
     * start of the pass: another writer in between (say, a second operator that believes it leads) makes
     * this fail with 409, and the reconcile is retried on fresh data instead of acting on a stale picture.
     */
    private void writeStatus() {
      cluster = StatusPatch.write(client, cluster);
    }
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
