package io.dirkdb.operator.resync;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.failover.MemberAddresses;
import io.dirkdb.operator.reconciler.ClusterAnnotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The {@code dirkdb.io/resync: <pod>} annotation: one resync Job of that member (a secondary) from the primary, made
 * like the ones the rejoin steps make; the annotation is removed once the Job exists (or the request cannot be
 * served, said in a Warning Event), so it runs once. The Job's progress then shows as any resync's does.
 */
public final class ResyncRequest {

  public static final String ANNOTATION = "dirkdb.io/resync";
  private static final Logger LOG = Logger.getLogger(ResyncRequest.class);

  /** What the request led to: a Job, a refusal, or nothing yet (a Job of the member still runs, a pod starts). */
  public record Outcome(String job, String refusal) {}

  private ResyncRequest() {}

  public static Optional<Outcome> serve(KubernetesClient client, DirkCluster cluster, List<Pod> pods, String member) {
    String primary = cluster.getStatus() == null ? null : cluster.getStatus().getCurrentPrimary();
    if (!ClusterNaming.memberNames(cluster).contains(member)) {
      return Optional.of(done(client, cluster, null, "resync asked by " + ANNOTATION + " for " + member + ", which is "
          + "not a member of this cluster (" + String.join(", ", ClusterNaming.memberNames(cluster)) + ")"));
    }
    if (member.equals(primary)) {
      return Optional.of(done(client, cluster, null, "resync asked by " + ANNOTATION + " for " + member + ", the "
          + "primary: only a secondary is rebuilt from the primary; switch over first"));
    }
    if (ClusterAnnotations.fencedMembers(cluster).contains(member)) {
      // A resync wipes the member and makes it follow the primary: a user's fence (often kept to look at the data)
      // is never lifted that way.
      return Optional.of(done(client, cluster, null, "resync asked by " + ANNOTATION + " for " + member + ", which "
          + "is fenced by " + ClusterAnnotations.FENCED_MEMBERS + ": unfence it first"));
    }
    String namespace = cluster.getMetadata().getNamespace();
    List<Job> jobs = client.batch().v1().jobs().inNamespace(namespace)
        .withLabel(ClusterNaming.LABEL_INSTANCE, cluster.getMetadata().getName())
        .withLabel(ClusterNaming.LABEL_COMPONENT, ResyncJobs.COMPONENT_RESYNC).list().getItems().stream()
        .filter(j -> member.equals(j.getMetadata().getLabels().get(ResyncJobs.LABEL_MEMBER)))
        .sorted(Comparator.comparingInt(ResyncJobs::attempt)).toList();
    if (jobs.stream().anyMatch(j -> !ResyncJobs.finished(j))) {
      return Optional.empty(); // one Job per member at a time; this one is asked once that one ends
    }
    Optional<MemberAddress> to = address(pods, member);
    Optional<MemberAddress> from = primary == null ? Optional.empty() : address(pods, primary);
    if (to.isEmpty() || from.isEmpty()) {
      return Optional.empty();
    }
    int attempt = jobs.isEmpty() ? 1 : ResyncJobs.attempt(jobs.get(jobs.size() - 1)) + 1;
    Job job = ResyncJobs.desired(cluster, member, attempt, MemberAddresses.stable(cluster, from.get()),
        MemberAddresses.stable(cluster, to.get()));
    client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
    LOG.infof("DirkCluster %s/%s: resync Job %s of %s created as %s asked", namespace, cluster.getMetadata().getName(),
        job.getMetadata().getName(), member, ANNOTATION);
    return Optional.of(done(client, cluster, job.getMetadata().getName(), null));
  }

  private static Optional<MemberAddress> address(List<Pod> pods, String member) {
    return pods.stream().filter(p -> member.equals(p.getMetadata().getName())
        && p.getMetadata().getDeletionTimestamp() == null).findFirst().flatMap(MemberAddresses::of);
  }

  /** Removes the annotation (a JSON patch that fails if it changed meanwhile, so a newer request is kept). */
  private static Outcome done(KubernetesClient client, DirkCluster cluster, String job, String refusal) {
    String member = cluster.getMetadata().getAnnotations().get(ANNOTATION);
    String path = "/metadata/annotations/" + ANNOTATION.replace("~", "~0").replace("/", "~1");
    String patch = "[{\"op\":\"test\",\"path\":\"" + path + "\",\"value\":" + quoted(member) + "},"
        + "{\"op\":\"remove\",\"path\":\"" + path + "\"}]";
    client.resources(DirkCluster.class).inNamespace(cluster.getMetadata().getNamespace())
        .withName(cluster.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON), patch);
    return new Outcome(job, refusal);
  }

  private static String quoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
