package io.dirkdb.operator.reconciler;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The annotations on a DirkCluster by which a person (or {@code kubectl dirk}) tells the operator to hold back:
 * pause its reconciliation, hibernate the cluster, keep members fenced, rebuild a member once.
 */
public final class ClusterAnnotations {

  /** {@code paused}: the operator changes nothing of the cluster, and fails nothing over, until it is removed. */
  public static final String RECONCILIATION = "dirkdb.io/reconciliation";
  public static final String RECONCILIATION_PAUSED = "paused";
  /** {@code on}: the primary is fenced, then every pod is scaled to zero, volumes kept; off or absent: running. */
  public static final String HIBERNATION = "dirkdb.io/hibernation";
  /** A JSON list of member pod names (or {@code ["*"]}, every member) the operator fences and keeps fenced. */
  public static final String FENCED_MEMBERS = "dirkdb.io/fenced-members";
  public static final String ALL_MEMBERS = "*";
  /** A member pod name: the operator runs one resync Job of it, then removes the annotation. */
  public static final String RESYNC = "dirkdb.io/resync";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ClusterAnnotations() {}

  static String value(DirkCluster cluster, String key) {
    Map<String, String> annotations = cluster.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  public static boolean paused(DirkCluster cluster) {
    return RECONCILIATION_PAUSED.equalsIgnoreCase(String.valueOf(value(cluster, RECONCILIATION)).trim());
  }

  public static boolean hibernated(DirkCluster cluster) {
    return "on".equalsIgnoreCase(String.valueOf(value(cluster, HIBERNATION)).trim());
  }

  public static Optional<String> resyncRequest(DirkCluster cluster) {
    return Optional.ofNullable(value(cluster, RESYNC)).map(String::trim).filter(s -> !s.isEmpty());
  }

  /**
   * The members the user fenced, {@code *} widened to every member the spec wants; a value that is no JSON list
   * fences every member (a typo must not unfence a primary someone meant to stop).
   */
  public static Set<String> fencedMembers(DirkCluster cluster) {
    String value = value(cluster, FENCED_MEMBERS);
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    List<String> listed;
    try {
      listed = JSON.readValue(value, new TypeReference<List<String>>() {});
    } catch (Exception e) {
      listed = List.of(ALL_MEMBERS);
    }
    Set<String> members = new LinkedHashSet<>();
    for (String member : listed) {
      if (ALL_MEMBERS.equals(member)) {
        members.addAll(ClusterNaming.memberNames(cluster));
      } else if (member != null && !member.isBlank()) {
        members.add(member.trim());
      }
    }
    return members;
  }

  /** Whether the fenced-members annotation is set but unreadable (said in the condition). */
  static boolean fencedMembersMalformed(DirkCluster cluster) {
    String value = value(cluster, FENCED_MEMBERS);
    if (value == null || value.isBlank()) {
      return false;
    }
    try {
      JSON.readValue(value, new TypeReference<List<String>>() {});
      return false;
    } catch (Exception e) {
      return true;
    }
  }
}
