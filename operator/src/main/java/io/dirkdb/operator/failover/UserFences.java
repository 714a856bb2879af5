package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterCredentials;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.dependent.ReferencedSecrets;
import io.dirkdb.replication.supervisor.MemberControl;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Members a person fenced (the {@code dirkdb.io/fenced-members} annotation, or hibernation): each is sent
 * {@code dirk fence hold} (a held fence: its {@code dirk step-down} waits for no hand-over; a member older than that
 * word gets {@code dirk fence}) until it answers fenced and held, and is labelled {@code fenced} (no Service selects
 * it). The failover steps never see such a member, so nothing promotes it, gives it a role back or unfences it. When it leaves the
 * list, a former primary is promoted again at a new epoch by the fenced-primary rules ({@link #released}) and a
 * secondary is told to follow the primary again.
 */
public final class UserFences {

  public static final String ANNOTATION = "dirkdb.io/fenced-members";
  /**
   * On a member pod the annotation's fence holds: what an operator restarted (its memory of {@link #HELD} gone) reads
   * to release a member that left the list meanwhile, else a primary unfenced then would stay fenced.
   */
  public static final String POD_ANNOTATION = "dirkdb.io/fenced-by-user";
  private static final Logger LOG = Logger.getLogger(UserFences.class);
  private static final int CONTROL_TIMEOUT_MILLIS = 2000;
  /** Per cluster: the members fenced by the user at the last pass, and the primaries released since. */
  private static final Map<ResourceID, Set<String>> HELD = new ConcurrentHashMap<>();
  private static final Map<ResourceID, Set<String>> RELEASED_PRIMARIES = new ConcurrentHashMap<>();

  private final Path tlsRoot = ClusterTls.defaultRoot();

  /**
   * Fences every member of {@code members} that has a pod and does not answer fenced, and labels it fenced.
   * Returns what could not be done, per member (an unreachable member takes no writes either). {@code byAnnotation}:
   * the fenced-members annotation's list, whose members leaving it are released; else hibernation's.
   */
  public List<String> hold(KubernetesClient client, DirkCluster cluster, Collection<Pod> pods, ReferencedSecrets secrets,
      Set<String> members, boolean byAnnotation) {
    ResourceID id = ResourceID.fromResource(cluster);
    // Hibernation's fences end with the pods; only the annotation's are released one by one.
    Set<String> before = byAnnotation ? HELD.put(id, Set.copyOf(members)) : null;
    if (byAnnotation && before == null) {
      before = pods.stream().filter(UserFences::markedFenced).map(p -> p.getMetadata().getName())
          .collect(java.util.stream.Collectors.toSet());
    }
    if (before != null) {
      for (String member : before) {
        if (!members.contains(member)) {
          release(client, cluster, pods, secrets, member);
        }
      }
      pods.stream().filter(p -> !members.contains(p.getMetadata().getName())).filter(UserFences::markedFenced)
          .forEach(p -> mark(client, p, false));
    }
    List<String> problems = new ArrayList<>();
    if (members.isEmpty()) {
      return problems;
    }
    try (MemberControl control = control(cluster, secrets)) {
      for (Pod pod : pods) {
        String member = pod.getMetadata().getName();
        if (!members.contains(member)) {
          continue;
        }
        Optional<MemberAddress> address = MemberAddresses.of(pod);
        if (address.isEmpty()) {
          continue; // not running: it takes no writes; it is fenced once it answers
        }
        try {
          HeartbeatReport heartbeat = control.heartbeat(address.get());
          if (!HeartbeatReport.FENCED.equals(heartbeat.role())) {
            // Held: its preStop hook (dirk step-down) waits for no hand-over, so hibernation stops it at once.
            String answer = control.fenceHeld(address.get());
            LOG.infof("DirkCluster %s: %s fenced as the user asked: %s", id, member, answer);
          } else if (!heartbeat.isHeldFenced()) {
            // Fenced already, by a hand-over or before a restart (a member forgets its fence was held): held now.
            // A member too old to know held fences keeps its plain fence (its pod's stop waits out the hand-over).
            control.holdFence(address.get());
          }
        } catch (Exception e) {
          problems.add(member + ": " + e.getMessage());
        }
        RoleLabels.set(client, pod, ClusterNaming.ROLE_FENCED);
        if (byAnnotation && !markedFenced(pod)) {
          mark(client, pod, true);
        }
      }
    }
    return problems;
  }

  /** Whether {@code member}, the primary when the user fenced it, was released since: it takes its role back. */
  public static boolean released(ResourceID id, String member) {
    Set<String> released = RELEASED_PRIMARIES.get(id);
    return released != null && released.contains(member);
  }

  /** The released primary got its role back (or another took it): the mark goes. */
  static void settled(ResourceID id, String member) {
    RELEASED_PRIMARIES.computeIfPresent(id, (k, s) -> {
      s.remove(member);
      return s.isEmpty() ? null : s;
    });
  }

  /**
   * Hibernation ended: the primary, fenced before its pod stopped, comes back fenced; it takes its role back at a
   * new epoch rather than handing it over.
   */
  public static void wake(ResourceID id, String primary) {
    if (primary != null) {
      RELEASED_PRIMARIES.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(primary);
    }
  }

  public static void forget(ResourceID id) {
    HELD.remove(id);
    RELEASED_PRIMARIES.remove(id);
  }

  private void release(KubernetesClient client, DirkCluster cluster, Collection<Pod> pods, ReferencedSecrets secrets,
      String member) {
    ResourceID id = ResourceID.fromResource(cluster);
    String primary = cluster.getStatus() == null ? null : cluster.getStatus().getCurrentPrimary();
    LOG.infof("DirkCluster %s: %s unfenced by the user", id, member);
    if (member.equals(primary)) {
      RELEASED_PRIMARIES.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(member);
      return; // the failover steps promote it again at a new epoch (it answers fenced)
    }
    Optional<MemberAddress> to = pods.stream().filter(p -> member.equals(p.getMetadata().getName())).findFirst()
        .flatMap(MemberAddresses::of);
    Optional<MemberAddress> from = pods.stream().filter(p -> p.getMetadata().getName().equals(primary)).findFirst()
        .flatMap(MemberAddresses::of);
    if (to.isEmpty() || from.isEmpty()) {
      return; // the rejoin steps look after it (a resync when it cannot simply follow)
    }
    try (MemberControl control = control(cluster, secrets)) {
      control.follow(to.get(), MemberAddresses.stable(cluster, from.get()));
    } catch (Exception e) {
      LOG.infof("DirkCluster %s: %s could not be pointed at %s after its unfence (%s); the rejoin steps will",
          id, member, primary, e.getMessage());
    }
  }

  private static boolean markedFenced(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations != null && "true".equals(annotations.get(POD_ANNOTATION));
  }

  private static void mark(KubernetesClient client, Pod pod, boolean fenced) {
    String patch = "{\"metadata\":{\"annotations\":{\"" + POD_ANNOTATION + "\":" + (fenced ? "\"true\"" : "null")
        + "}}}";
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (Exception e) {
      LOG.infof("member %s: annotation %s not %s (%s); the next pass tries again", pod.getMetadata().getName(),
          POD_ANNOTATION, fenced ? "set" : "removed", e.getMessage());
    }
  }

  private MemberControl control(DirkCluster cluster, ReferencedSecrets secrets) {
    ClusterCredentials credentials = secrets.applied().credentials();
    ClusterTls tls = ClusterTls.of(cluster, secrets.tls(), tlsRoot);
    return new NetworkMemberControl(CONTROL_TIMEOUT_MILLIS, CONTROL_TIMEOUT_MILLIS, credentials.administration(),
        credentials.fallbacks(), (MemberAddress member) -> tls == null ? null : tls.forMember(member));
  }
}
