package io.dirkdb.operator.backup;

import io.dirkdb.operator.api.v1alpha1.DirkBackup;
import io.dirkdb.operator.api.v1alpha1.DirkBackupSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.reconciler.ClusterEvents;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Gives every Job of a backup CronJob ({@code <name>-backup}, its Jobs labelled
 * {@link BackupPods#LABEL_SCHEDULED_BACKUP}) a DirkBackup named after the Job, so scheduled backups are listed,
 * reported and alerted on as on-demand ones are: the {@link DirkBackupReconciler} adopts the Job (it makes none) and
 * writes the status and Events from it. The DirkBackup is owned by the Job, so the CronJob's history limits remove
 * both together.
 *
 * <p>Once made, the Job is annotated {@link #RECORDED} and never given another: a DirkBackup the user deleted stays
 * deleted. Jobs started while the operator was away are seen on its informer's first list and get theirs then.
 */
@ControllerConfiguration(name = ScheduledBackupReconciler.NAME,
    informer = @Informer(labelSelector = BackupPods.LABEL_SCHEDULED_BACKUP))
public class ScheduledBackupReconciler implements Reconciler<Job> {

  /** Controller name, as in {@code quarkus.operator-sdk.controllers.scheduledbackup.namespaces}. */
  public static final String NAME = "scheduledbackup";
  /** On the DirkBackup of a scheduled backup. */
  public static final String LABEL_SCHEDULED = "dirkdb.io/scheduled";
  /** On the DirkBackup of a scheduled backup: the Job it reports (the DirkBackupReconciler adopts it). */
  public static final String SCHEDULED_JOB = "dirkdb.io/scheduled-job";
  /**
   * On a scheduled Job that gets no DirkBackup because one of its name that is not the operator's exists (a user's):
   * that name. Warned about once (Event {@code ScheduledBackupNameTaken} on the DirkCluster), not looked at again.
   */
  public static final String NAME_TAKEN = "dirkdb.io/backup-name-taken";
  /** On a scheduled Job once its DirkBackup was made: the DirkBackup's name. */
  public static final String RECORDED = "dirkdb.io/backup-recorded";
  private static final Logger LOG = Logger.getLogger(ScheduledBackupReconciler.class);

  @Override
  public UpdateControl<Job> reconcile(Job job, Context<Job> context) {
    var annotations = job.getMetadata().getAnnotations();
    String cluster = job.getMetadata().getLabels() == null ? null
        : job.getMetadata().getLabels().get(BackupPods.LABEL_SCHEDULED_BACKUP);
    if (cluster == null || cluster.isBlank()
        || annotations != null && (annotations.containsKey(RECORDED) || annotations.containsKey(NAME_TAKEN))) {
      return UpdateControl.noUpdate();
    }
    KubernetesClient client = context.getClient();
    String ns = job.getMetadata().getNamespace();
    String name = job.getMetadata().getName();
    // The label is only a hint anyone who may make Jobs can copy: the Job counts only when the cluster's own CronJob
    // made it (kubectl create job --from=cronjob/... sets that owner too).
    DirkCluster owner = clusterOf(client, job, cluster);
    if (owner == null) {
      LOG.debugf("Job %s/%s has label %s=%s but is not a Job of that DirkCluster's CronJob %s-backup: ignored", ns,
          name, BackupPods.LABEL_SCHEDULED_BACKUP, cluster, cluster);
      return UpdateControl.noUpdate();
    }
    try {
      client.resources(DirkBackup.class).inNamespace(ns).resource(backupOf(job, cluster)).create();
      LOG.infof("Job %s/%s of CronJob %s-backup: DirkBackup %s made to report it", ns, name, cluster, name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e; // retried by the SDK
      }
      DirkBackup existing = client.resources(DirkBackup.class).inNamespace(ns).withName(name).get();
      if (existing == null) {
        throw e; // deleted since: the SDK retries and makes it
      }
      if (!job.getMetadata().getUid().equals(DirkBackupReconciler.scheduledJobUid(existing))) {
        // A DirkBackup of that name that is not this Job's (a user's): left as it is, the run goes unreported.
        String message = "Job " + name + " of CronJob " + cluster + "-backup takes a scheduled backup but gets no"
            + " DirkBackup: DirkBackup " + name + " exists already and is not the operator's; the run's result is in"
            + " the Job's pod log and in dirk backup list (do not name DirkBackups <cluster>-backup-<number>)";
        LOG.warnf("%s/%s: %s", ns, cluster, message);
        ClusterEvents.warning(client, owner, Reason.ScheduledBackupNameTaken, message);
        client.batch().v1().jobs().inNamespace(ns).withName(name)
            .edit(j -> new JobBuilder(j).editMetadata().addToAnnotations(NAME_TAKEN, name).endMetadata().build());
        return UpdateControl.noUpdate();
      }
      // Made by an earlier pass whose annotation did not land.
      LOG.debugf("DirkBackup %s/%s exists already", ns, name);
    }
    client.batch().v1().jobs().inNamespace(ns).withName(name)
        .edit(j -> new JobBuilder(j).editMetadata().addToAnnotations(RECORDED, name).endMetadata().build());
    return UpdateControl.noUpdate();
  }

  /**
   * The DirkCluster {@code cluster} when the Job's controller is its CronJob {@code <cluster>-backup} in the same
   * namespace (by uid) and that CronJob's controller is the DirkCluster (by uid); null for any other Job.
   */
  static DirkCluster clusterOf(KubernetesClient client, Job job, String cluster) {
    String ns = job.getMetadata().getNamespace();
    OwnerReference cronJobRef = controller(job.getMetadata().getOwnerReferences());
    if (cronJobRef == null || !"CronJob".equals(cronJobRef.getKind())
        || !(cluster + "-backup").equals(cronJobRef.getName())) {
      return null;
    }
    CronJob cronJob = client.batch().v1().cronjobs().inNamespace(ns).withName(cronJobRef.getName()).get();
    if (cronJob == null || !Objects.equals(cronJob.getMetadata().getUid(), cronJobRef.getUid())) {
      return null;
    }
    OwnerReference clusterRef = controller(cronJob.getMetadata().getOwnerReferences());
    if (clusterRef == null || !"DirkCluster".equals(clusterRef.getKind()) || !cluster.equals(clusterRef.getName())) {
      return null;
    }
    DirkCluster owner = client.resources(DirkCluster.class).inNamespace(ns).withName(cluster).get();
    return owner != null && Objects.equals(owner.getMetadata().getUid(), clusterRef.getUid()) ? owner : null;
  }

  private static OwnerReference controller(List<OwnerReference> references) {
    return references == null ? null : references.stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()) && o.getUid() != null).findFirst().orElse(null);
  }

  /** The DirkBackup of a scheduled Job: named after it, owned by it, pointing at it. */
  static DirkBackup backupOf(Job job, String cluster) {
    DirkBackup backup = new DirkBackup();
    backup.setMetadata(new ObjectMetaBuilder()
        .withName(job.getMetadata().getName())
        .withNamespace(job.getMetadata().getNamespace())
        .withLabels(Map.of(LABEL_SCHEDULED, "true"))
        .withAnnotations(Map.of(SCHEDULED_JOB, job.getMetadata().getName()))
        .withOwnerReferences(new OwnerReferenceBuilder()
            .withApiVersion("batch/v1")
            .withKind("Job")
            .withName(job.getMetadata().getName())
            .withUid(job.getMetadata().getUid())
            .build())
        .build());
    DirkBackupSpec spec = new DirkBackupSpec();
    spec.setCluster(cluster);
    backup.setSpec(spec);
    return backup;
  }
}
