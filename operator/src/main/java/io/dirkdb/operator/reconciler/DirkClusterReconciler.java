package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.ClusterPhase;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import io.dirkdb.operator.backup.BackupChildren;
import io.dirkdb.operator.backup.RestoreReport;
import io.dirkdb.operator.backup.BackupMetrics;
import io.dirkdb.operator.dependent.AppliedCredentials;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.ConfigMapDependent;
import io.dirkdb.operator.dependent.CredentialsReadyCondition;
import io.dirkdb.operator.dependent.CredentialsSecretDependent;
import io.dirkdb.operator.dependent.MembersDisruptionBudgetDependent;
import io.dirkdb.operator.dependent.MembersServiceDependent;
import io.dirkdb.operator.dependent.PrimaryServiceDependent;
import io.dirkdb.operator.dependent.PrimaryStatefulSetDependent;
import io.dirkdb.operator.dependent.ProxyDeploymentDependent;
import io.dirkdb.operator.dependent.ProxyServiceDependent;
import io.dirkdb.operator.dependent.ReferencedSecrets;
import io.dirkdb.operator.dependent.SecondaryStatefulSetDependent;
import io.dirkdb.operator.dependent.ServiceAccountDependent;
import io.dirkdb.operator.failover.FailoverCoordinator;
import io.dirkdb.operator.failover.HeartbeatEventSource;
import io.dirkdb.operator.failover.ClusterProber;
import io.dirkdb.operator.failover.StatusPatch;
import io.dirkdb.operator.failover.UserFences;
import io.dirkdb.operator.resync.ResyncRequest;
import io.dirkdb.operator.resync.ResyncJobs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import jakarta.inject.Inject;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Reconciles a DirkCluster in four steps: observe it, validate its spec, reconcile its children
 * (the workflow below, run only for a valid spec so an invalid one leaves no half-made children),
 * and record the status.
 */
// Dependents of one kind share one informer (one cache, one watch); each finds its object by name.
// Pods come after what they mount, read and run as: the ConfigMap, the generated Secret (ready once it
// exists; a user's Secret is not waited for) and the ServiceAccount.
// Generation-aware by its own filter, so that the annotations it honours (no new generation) start a pass too.
@ControllerConfiguration(name = DirkClusterReconciler.NAME, generationAwareEventProcessing = false,
    informer = @io.javaoperatorsdk.operator.api.config.informer.Informer(onUpdateFilter = SpecOrAnnotationChange.class))
@Workflow(explicitInvocation = true, dependents = {
    @Dependent(name = "service-account", type = ServiceAccountDependent.class),
    @Dependent(name = "credentials", type = CredentialsSecretDependent.class,
        readyPostcondition = CredentialsReadyCondition.class),
    @Dependent(name = "config", type = ConfigMapDependent.class),
    @Dependent(name = "members-service", type = MembersServiceDependent.class),
    @Dependent(name = "primary-service", type = PrimaryServiceDependent.class, useEventSourceWithName = "members-service"),
    @Dependent(name = "secondary-statefulset", type = SecondaryStatefulSetDependent.class,
        dependsOn = {"config", "credentials", "service-account"}),
    @Dependent(name = "primary-statefulset", type = PrimaryStatefulSetDependent.class,
        useEventSourceWithName = "secondary-statefulset", dependsOn = {"config", "credentials", "service-account"}),
    @Dependent(name = "proxy-deployment", type = ProxyDeploymentDependent.class,
        dependsOn = {"config", "credentials", "service-account"}),
    @Dependent(name = "proxy-service", type = ProxyServiceDependent.class, useEventSourceWithName = "members-service"),
    @Dependent(name = "disruption-budget", type = MembersDisruptionBudgetDependent.class),
})
public class DirkClusterReconciler implements Reconciler<DirkCluster> {

  /** Controller name, as in {@code quarkus.operator-sdk.controllers.dirkcluster.namespaces}. */
  public static final String NAME = "dirkcluster";
  static final String MEMBER_PODS = "member-pods";
  private static final Logger LOG = Logger.getLogger(DirkClusterReconciler.class);

  private final DirkClusterValidator validator = new DirkClusterValidator();

  @Inject
  ClusterProber prober;

  @Inject
  FailoverCoordinator failover;

  @Inject
  ImageDefaults images;

  private final UserFences userFences = new UserFences();

  @Inject
  BackupMetrics backupMetrics;

  @Override
  public List<EventSource<?, DirkCluster>> prepareEventSources(EventSourceContext<DirkCluster> context) {
    // Member pods are made by the StatefulSets, not owned by the DirkCluster: map them back by label.
    var config = InformerEventSourceConfiguration.from(Pod.class, DirkCluster.class)
        .withName(MEMBER_PODS)
        .withLabelSelector(ClusterNaming.MEMBER_POD_SELECTOR)
        .withSecondaryToPrimaryMapper(pod -> {
          var labels = pod.getMetadata().getLabels();
          String instance = labels == null ? null : labels.get(ClusterNaming.LABEL_INSTANCE);
          return instance == null ? Set.of() : Set.of(new ResourceID(instance, pod.getMetadata().getNamespace()));
        })
        .build();
    // Resync Jobs are owned by the DirkCluster; their progress drives the rejoin steps.
    var jobs = InformerEventSourceConfiguration.from(Job.class, DirkCluster.class)
        .withName("resync-jobs")
        .withLabelSelector(ResyncJobs.SELECTOR)
        .build();
    return List.of(new InformerEventSource<>(config, context), new InformerEventSource<>(jobs, context),
        ReferencedSecrets.eventSource(context), new HeartbeatEventSource(prober, deleted -> {
          failover.forget(ResourceID.fromResource(deleted));
          UserFences.forget(ResourceID.fromResource(deleted));
          ReferencedSecrets.forget(deleted);
        }));
  }

  @Override
  public UpdateControl<DirkCluster> reconcile(DirkCluster cluster, Context<DirkCluster> context) {
    String id = cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
    images.apply(cluster); // the SDK hands each pass its own copy: the user's spec is not changed
    if (ClusterAnnotations.paused(cluster)) {
      // Held by the user: no child, label, member or failover step; only the condition says so.
      // The probes go on, renewing the primary's lease: a pause must not stop it acknowledging writes.
      Duration recheck = Duration.ofSeconds(5);
      try {
        recheck = failover.probeWhilePaused(cluster, context.getSecondaryResourcesAsStream(Pod.class)
            .filter(p -> cluster.getMetadata().getName().equals(p.getMetadata().getLabels().get(ClusterNaming.LABEL_INSTANCE)))
            .toList(), ReferencedSecrets.startPass(cluster, context));
      } catch (RuntimeException e) {
        LOG.warnf(e, "DirkCluster %s: paused, and its members could not be probed", id);
      }
      return patchIfChanged(cluster, HeldReconciliation.paused(context.getClient(), cluster))
          .rescheduleAfter(recheck.toMillis());
    }

    List<SpecViolation> violations = new ArrayList<>(validator.validate(cluster));
    if (violations.isEmpty()) {
      context.getSecondaryResourcesAsStream(StatefulSet.class)
          .filter(sts -> ClusterNaming.primaryStatefulSet(cluster).equals(sts.getMetadata().getName()))
          .findFirst()
          .ifPresent(existing -> violations.addAll(validator.validateStorageUnchanged(cluster, existing)));
    }
    if (!violations.isEmpty()) {
      DirkClusterStatus status = ClusterStatusAggregator.invalid(cluster, violations);
      if (!sameSpecValidMessage(cluster.getStatus(), status)) {
        String message = ClusterStatusAggregator.describe(violations);
        LOG.warnf("DirkCluster %s: invalid spec, nothing created or changed: %s", id, message);
        ClusterEvents.warning(context.getClient(), cluster, violations.get(0).reason(), message);
      }
      return patchIfChanged(cluster, status);
    }

    ReferencedSecrets secrets = ReferencedSecrets.startPass(cluster, context); // each read once, from the caches
    // Members the user holds fenced (or, hibernating, the primary) are fenced before the StatefulSets shrink.
    boolean hibernated = ClusterAnnotations.hibernated(cluster);
    Set<String> userFenced = ClusterAnnotations.fencedMembers(cluster);
    List<Pod> cachedPods = context.getSecondaryResourcesAsStream(Pod.class)
        .filter(p -> cluster.getMetadata().getName().equals(p.getMetadata().getLabels().get(ClusterNaming.LABEL_INSTANCE)))
        .toList();
    String primary = ClusterStatusAggregator.currentPrimary(cluster);
    List<String> fenceProblems = userFences.hold(context.getClient(), cluster, cachedPods, secrets,
        !hibernated ? userFenced : primary == null ? Set.copyOf(ClusterNaming.memberNames(cluster)) : Set.of(primary),
        !hibernated);
    List<ChildFailures.Failure> failed = new ArrayList<>(reconcileChildren(context));
    BackupChildren.Outcome backups = BackupChildren.reconcile(context.getClient(), cluster, secrets::podCredentialsHash);
    backups.failures().forEach(f -> failed.add(new ChildFailures.Failure(f.kind(), f.name(), f.error())));
    backups.lastScheduledSuccess().ifPresent(at -> backupMetrics.completed(cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName(), at));

    List<Pod> memberPods = context.getSecondaryResourcesAsStream(Pod.class)
        .filter(p -> cluster.getMetadata().getName().equals(p.getMetadata().getLabels().get(ClusterNaming.LABEL_INSTANCE)))
        .toList();
    if (!hibernated && cluster.getStatus() != null && cluster.getStatus().getPhase() == ClusterPhase.Hibernated) {
      UserFences.wake(ResourceID.fromResource(cluster), primary);
    }
    FailoverCoordinator.Outcome roles;
    if (hibernated || primary != null && userFenced.contains(primary)) {
      // No failover, give-back or rejoin while the user stops the primary: that stop is deliberate.
      roles = new FailoverCoordinator.Outcome(cluster, freshPods(context, memberPods),
          Optional.of(Duration.ofSeconds(5)));
    } else {
      // The failover steps never see a member the user fenced: none promotes, rejoins or unfences it.
      List<Pod> held = freshPods(context, memberPods.stream()
          .filter(p -> userFenced.contains(p.getMetadata().getName())).toList());
      roles = failover.reconcile(context.getClient(), cluster, memberPods.stream()
          .filter(p -> !userFenced.contains(p.getMetadata().getName())).toList(), secrets);
      if (!held.isEmpty()) {
        List<Pod> all = new ArrayList<>(roles.pods());
        all.addAll(held);
        roles = new FailoverCoordinator.Outcome(roles.cluster(), all, roles.recheckAfter());
      }
    }
    DirkCluster stored = roles.cluster(); // its status may have been written by the failover steps
    memberPods = roles.pods();
    List<Pod> podsNow = memberPods;
    Optional<ResyncRequest.Outcome> resync = hibernated ? Optional.empty() : ClusterAnnotations.resyncRequest(cluster)
        .flatMap(member -> ResyncRequest.serve(context.getClient(), stored, podsNow, member));
    resync.ifPresent(r -> {
      if (r.refusal() != null) {
        ClusterEvents.warning(context.getClient(), stored, Reason.ResyncRequestRefused, r.refusal());
      } else {
        ClusterEvents.normal(context.getClient(), stored, Reason.ResyncRequested, "resync Job " + r.job() + " created as "
            + ResyncRequest.ANNOTATION + " asked");
      }
    });
    var proxy = context.getSecondaryResourcesAsStream(Deployment.class)
        .filter(d -> ClusterNaming.proxy(cluster).equals(d.getMetadata().getName()))
        .findFirst();
    DirkClusterStatus status = ClusterStatusAggregator.observed(stored, memberPods, proxy);
    failover.describeMembers(stored, status);
    HeldReconciliation.notPaused(context.getClient(), stored, status);
    HeldReconciliation.fenced(context.getClient(), stored, status, hibernated ? Set.of() : userFenced, fenceProblems);
    HeldReconciliation.hibernation(context.getClient(), stored, status, memberPods, fenceProblems);
    if (stored.getStatus() == null || stored.getStatus().getPhase() != status.getPhase()) {
      LOG.infof("DirkCluster %s: phase %s, %s members ready", id, status.getPhase(), status.getReadyMembers());
    }
    reportChildren(context, stored, status, failed);
    reportMemory(context, stored, status);
    reportCredentials(context, stored, status, secrets.applied());
    RestoreReport.report(context.getClient(), stored, status, memberPods);
    UpdateControl<DirkCluster> update = Objects.equals(stored.getMetadata().getResourceVersion(),
        cluster.getMetadata().getResourceVersion()) ? patchIfChanged(stored, status)
        : writeIfChanged(context, stored, status);
    Optional<Duration> recheck = roles.recheckAfter();
    if (!failed.isEmpty()) {
      // The failed child is retried on this schedule; failover meanwhile keeps its own.
      recheck = Optional.of(recheck.filter(r -> r.compareTo(ChildFailures.RETRY) < 0).orElse(ChildFailures.RETRY));
    }
    recheck.ifPresent(after -> update.rescheduleAfter(after.toMillis()));
    return update;
  }

  /**
   * The pods as stored now when the user's fences relabelled some this pass (the cache may not have the labels yet),
   * else as cached.
   */
  private static List<Pod> freshPods(Context<DirkCluster> context, List<Pod> pods) {
    if (pods.isEmpty()) {
      return pods;
    }
    List<Pod> fresh = new ArrayList<>();
    for (Pod pod : pods) {
      Pod now = context.getClient().pods().inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName()).get();
      if (now != null) {
        fresh.add(now);
      }
    }
    return fresh;
  }

  @Override
  public ErrorStatusUpdateControl<DirkCluster> updateErrorStatus(DirkCluster cluster, Context<DirkCluster> context,
      Exception e) {
    LOG.errorf(e, "DirkCluster %s/%s: reconciliation failed; it will be retried", cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName());
    DirkClusterStatus status = cluster.getStatus() == null ? new DirkClusterStatus() : cluster.getStatus();
    // The exception's text stays in the log; the status says what happened and where to look.
    StatusWriter.condition(status, ConditionType.Ready, false,
        Reason.ReconcileError, "the operator could not apply the spec (" + e.getClass().getSimpleName()
            + "); it retries; see the operator log", cluster.getMetadata().getGeneration());
    cluster.setStatus(status);
    return ErrorStatusUpdateControl.patchStatus(cluster);
  }

  /**
   * Applies the children and returns those that failed. A child the API server refuses (RBAC, a quota,
   * a policy webhook) must not stop heartbeats, role labels and failover, so the failure is reported
   * by this pass instead of ending it.
   */
  private static List<ChildFailures.Failure> reconcileChildren(Context<DirkCluster> context) {
    var workflow = context.managedWorkflowAndDependentResourceContext();
    try {
      return ChildFailures.of(workflow.reconcileManagedWorkflow());
    } catch (OperatorException e) {
      // The SDK throws once every dependent ran; the result it recorded first names each failed one.
      return workflow.getWorkflowReconcileResult().map(ChildFailures::of).filter(f -> !f.isEmpty())
          .orElseThrow(() -> e);
    }
  }

  /**
   * Sets the ChildrenReconciled condition; a new or changed failure is also a Warning Event and a log line
   * with the exception (the condition and the Event carry the API server's answer, not a stack trace).
   */
  private static void reportChildren(Context<DirkCluster> context, DirkCluster cluster, DirkClusterStatus status,
      List<ChildFailures.Failure> failed) {
    Long generation = cluster.getMetadata().getGeneration();
    if (failed.isEmpty()) {
      StatusWriter.condition(status, ConditionType.ChildrenReconciled, true,
          Reason.AllApplied, "every child resource is as the spec wants", generation);
      return;
    }
    String message = ChildFailures.describe(failed);
    String previous = cluster.getStatus() == null ? null : cluster.getStatus()
        .condition(ConditionType.ChildrenReconciled).map(Condition::getMessage).orElse(null);
    StatusWriter.condition(status, ConditionType.ChildrenReconciled, false,
        Reason.ChildNotApplied, message, generation);
    if (!message.equals(previous)) {
      String id = cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
      failed.forEach(f -> LOG.warnf(f.error(), "DirkCluster %s: %s", id, f.describe()));
      ClusterEvents.warning(context.getClient(), cluster, Reason.ChildNotApplied, message);
    }
  }

  /**
   * Sets the CredentialsApplied condition; pods held on their passwords (the Secret missing, or a rotation without
   * its previous- keys) is also a Warning Event when it starts or its message changes.
   */
  private static void reportCredentials(Context<DirkCluster> context, DirkCluster cluster, DirkClusterStatus status,
      AppliedCredentials.Decision applied) {
    Long generation = cluster.getMetadata().getGeneration();
    if (applied.reason() == null) {
      StatusWriter.condition(status, ConditionType.CredentialsApplied, true,
          Reason.Applied, applied.message(), generation);
      return;
    }
    String previous = cluster.getStatus() == null ? null : cluster.getStatus()
        .condition(ConditionType.CredentialsApplied).map(Condition::getMessage).orElse(null);
    StatusWriter.condition(status, ConditionType.CredentialsApplied, false, applied.reason(),
        applied.message(), generation);
    if (!applied.message().equals(previous)) {
      LOG.warnf("DirkCluster %s/%s: %s", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(),
          applied.message());
      ClusterEvents.warning(context.getClient(), cluster, applied.reason(), applied.message());
    }
  }

  /**
   * Sets the MemoryPressure condition from the members' last heartbeats; a member that starts refusing writes for
   * lack of heap is also a Warning Event (once per member until it recovers, not once per refused write).
   */
  private static void reportMemory(Context<DirkCluster> context, DirkCluster cluster, DirkClusterStatus status) {
    Long generation = cluster.getMetadata().getGeneration();
    List<MemberStatus> pressed = status.getMembers() == null ? List.of()
        : status.getMembers().stream().filter(m -> m.getMemoryError() != null).toList();
    if (pressed.isEmpty()) {
      StatusWriter.condition(status, ConditionType.MemoryPressure, false,
          Reason.WithinLimits, "every member's data is within its share of the heap (--max-heap-share)", generation);
      return;
    }
    String message = pressed.stream().map(m -> m.getName() + ": " + m.getMemoryError())
        .collect(java.util.stream.Collectors.joining("; "));
    StatusWriter.condition(status, ConditionType.MemoryPressure, true,
        Reason.WritesRefused, message, generation);
    java.util.Set<String> before = cluster.getStatus() == null || cluster.getStatus().getMembers() == null
        ? java.util.Set.of() : cluster.getStatus().getMembers().stream().filter(m -> m.getMemoryError() != null)
            .map(MemberStatus::getName).collect(java.util.stream.Collectors.toSet());
    for (MemberStatus member : pressed) {
      if (!before.contains(member.getName())) {
        String news = "member " + member.getName() + " refuses writes that add data for lack of memory (reads, deletes "
            + "and drops go on): " + member.getMemoryError() + ". Raise spec.resources.members' memory limit (the "
            + "heap is half of it) or delete data";
        LOG.warnf("DirkCluster %s/%s: %s", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), news);
        ClusterEvents.warning(context.getClient(), cluster, Reason.MemoryPressure, news);
      }
    }
  }

  private static boolean sameSpecValidMessage(DirkClusterStatus before, DirkClusterStatus after) {
    if (before == null) {
      return false;
    }
    var old = before.condition(ConditionType.SpecValid);
    var now = after.condition(ConditionType.SpecValid);
    return old.isPresent() && now.isPresent() && Objects.equals(old.map(Condition::getStatus), now.map(Condition::getStatus))
        && Objects.equals(old.map(Condition::getMessage), now.map(Condition::getMessage));
  }

  /**
   * The stored cluster moved past the informer's copy (the failover steps wrote its status, or the cache
   * lags): the SDK's patch, computed from that copy, would not apply to it. Writes the whole status with
   * the stored resourceVersion instead, so a concurrent change still makes it fail and retry.
   */
  private static UpdateControl<DirkCluster> writeIfChanged(Context<DirkCluster> context, DirkCluster stored,
      DirkClusterStatus status) {
    if (stored.getStatus() != null && Serialization.asJson(stored.getStatus()).equals(Serialization.asJson(status))) {
      return UpdateControl.noUpdate();
    }
    stored.setStatus(status);
    StatusPatch.write(context.getClient(), stored);
    return UpdateControl.noUpdate();
  }

  private static UpdateControl<DirkCluster> patchIfChanged(DirkCluster cluster, DirkClusterStatus status) {
    if (cluster.getStatus() != null && Serialization.asJson(cluster.getStatus()).equals(Serialization.asJson(status))) {
      return UpdateControl.noUpdate();
    }
    cluster.setStatus(status);
    return UpdateControl.patchStatus(cluster);
  }
}
