package io.dirkdb.operator.backup;

import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.AppliedCredentials;
import io.dirkdb.operator.reconciler.ClusterAnnotations;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;

/**
 * The backup children of a DirkCluster, kept as {@code spec.backup} says: CronJob {@code <name>-backup} while a
 * schedule is set, Deployment {@code <name>-archiver} while archiving is on, neither otherwise. Each is created,
 * rewritten (PUT) only when what the operator wants of it changed (a hash of it in an annotation), and deleted
 * once no longer wanted, if it is this cluster's. While the cluster is hibernated ({@code dirkdb.io/hibernation: on})
 * both are kept, with their settings and history, but held: the CronJob suspended, the archiver at zero replicas,
 * since every member is stopped and a backup or the log shipping could only fail; waking resumes them. (A paused
 * cluster's reconciliation does not come here: they stay as they are.)
 */
public final class BackupChildren {

  /** The hash of what the operator last wrote; another hash means the spec changed and the child is rewritten. */
  public static final String DESIRED_HASH = "dirkdb.io/desired-hash";

  /** A child the API server refused; heartbeats and failover go on, the next pass retries. */
  public record Failure(String kind, String name, Exception error) {}

  /** @param lastScheduledSuccess when the CronJob last completed a Job, if it did */
  public record Outcome(List<Failure> failures, Optional<Instant> lastScheduledSuccess) {}

  private BackupChildren() {}

  public static Outcome reconcile(KubernetesClient client, DirkCluster cluster) {
    return reconcile(client, cluster, current -> null);
  }

  /**
   * @param credentialsHash the credentials hash for the archiver's pod template, given the one it carries now (null
   *     for none): a changed password restarts the archiver, as it rolls the members
   */
  public static Outcome reconcile(KubernetesClient client, DirkCluster cluster,
      java.util.function.UnaryOperator<String> credentialsHash) {
    List<Failure> failures = new ArrayList<>();
    BackupSpec backup = cluster.getSpec().getBackup();
    String ns = cluster.getMetadata().getNamespace();
    Optional<Instant> lastSuccess = Optional.empty();
    boolean hibernated = ClusterAnnotations.hibernated(cluster);
    try {
      CronJob existing = client.batch().v1().cronjobs().inNamespace(ns).withName(BackupPods.cronJob(cluster)).get();
      if (backup != null && backup.getSchedule() != null) {
        CronJob desired = hashed(BackupPods.cronJob(cluster, hibernated));
        if (existing == null) {
          client.batch().v1().cronjobs().inNamespace(ns).resource(desired).create();
        } else if (changed(existing, desired)) {
          desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
          client.batch().v1().cronjobs().inNamespace(ns).resource(desired).update();
        }
        lastSuccess = Optional.ofNullable(existing == null || existing.getStatus() == null ? null
            : existing.getStatus().getLastSuccessfulTime()).map(Instant::parse);
      } else if (existing != null && ownedBy(existing, cluster)) {
        client.batch().v1().cronjobs().inNamespace(ns).withName(BackupPods.cronJob(cluster)).delete();
      }
    } catch (KubernetesClientException e) {
      failures.add(new Failure("CronJob", BackupPods.cronJob(cluster), e));
    }
    try {
      Deployment existing = client.apps().deployments().inNamespace(ns).withName(BackupPods.archiver(cluster)).get();
      if (backup != null && backup.isArchiving()) {
        Deployment desired = hashed(BackupPods.archiverDeployment(cluster, credentialsHash.apply(
            existing == null ? null : AppliedCredentials.hashOf(existing.getSpec().getTemplate())), !hibernated));
        if (existing == null) {
          client.apps().deployments().inNamespace(ns).resource(desired).create();
        } else if (changed(existing, desired)) {
          desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
          client.apps().deployments().inNamespace(ns).resource(desired).update();
        }
      } else if (existing != null && ownedBy(existing, cluster)) {
        client.apps().deployments().inNamespace(ns).withName(BackupPods.archiver(cluster)).delete();
      }
    } catch (KubernetesClientException e) {
      failures.add(new Failure("Deployment", BackupPods.archiver(cluster), e));
    }
    return new Outcome(failures, lastSuccess);
  }

  static <T extends HasMetadata> T hashed(T desired) {
    String hash = BackupPods.shortHash(Serialization.asJson(desired));
    var annotations = desired.getMetadata().getAnnotations() == null ? new HashMap<String, String>()
        : new HashMap<>(desired.getMetadata().getAnnotations());
    annotations.put(DESIRED_HASH, hash);
    desired.getMetadata().setAnnotations(annotations);
    return desired;
  }

  private static boolean changed(HasMetadata existing, HasMetadata desired) {
    var annotations = existing.getMetadata().getAnnotations();
    return annotations == null || !desired.getMetadata().getAnnotations().get(DESIRED_HASH)
        .equals(annotations.get(DESIRED_HASH));
  }

  /** Only a child this cluster made is deleted: never a user's object that happens to have the name. */
  private static boolean ownedBy(HasMetadata child, DirkCluster cluster) {
    return child.getMetadata().getOwnerReferences() != null && child.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> cluster.getKind().equals(o.getKind()) && cluster.getMetadata().getName().equals(o.getName()));
  }
}
