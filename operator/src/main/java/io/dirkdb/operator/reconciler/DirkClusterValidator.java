package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.Reason;
import io.dirkdb.operator.api.v1alpha1.BackupRepositorySpec;
import io.dirkdb.operator.api.v1alpha1.BackupSpec;
import io.dirkdb.operator.api.v1alpha1.CacheSpec;
import io.dirkdb.operator.api.v1alpha1.RecoverySpec;
import io.dirkdb.operator.api.v1alpha1.RetentionSpec;
import io.dirkdb.operator.backup.CronSchedule;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterRules;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.FailoverSpec;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.operator.api.v1alpha1.StorageSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.Objects;
import java.util.List;

/**
 * Checks a DirkCluster before anything is made from it. The cross-field rules are the CRD's CEL rules
 * ({@link DirkClusterRules}) checked again in Java, for API servers or clients that did not enforce
 * them; a few single-field bounds the builders depend on are checked too. Stateless: the reconciler
 * uses it, and an admission webhook could.
 */
public final class DirkClusterValidator {

  public List<SpecViolation> validate(DirkCluster cluster) {
    List<SpecViolation> violations = new ArrayList<>();
    DirkClusterSpec spec = cluster.getSpec();
    String name = cluster.getMetadata() == null ? null : cluster.getMetadata().getName();
    if (name != null && (name.length() > DirkClusterRules.MAX_NAME_LENGTH
        || !name.matches("^[a-z]([-a-z0-9]*[a-z0-9])?$"))) {
      violations.add(new SpecViolation("metadata.name", Reason.ClusterNameInvalid, DirkClusterRules.NAME_FITS_MESSAGE));
    }
    if (spec == null) {
      violations.add(new SpecViolation("spec", Reason.SpecMissing, "the DirkCluster has no spec"));
      return violations;
    }
    if (spec.getProxy() == null || spec.getCache() == null || spec.getReplication() == null
        || spec.getFailover() == null || spec.getStorage() == null || spec.getResources() == null
        || spec.getReplication().getMode() == null) {
      violations.add(new SpecViolation("spec", Reason.SectionNull,
          "spec sections proxy, cache, replication, failover, storage and resources must not be null; omit them for defaults"));
      return violations;
    }
    if (spec.getSecondaries() < 0 || spec.getSecondaries() > DirkClusterSpec.MAX_SECONDARIES) {
      violations.add(new SpecViolation("spec.secondaries", Reason.SecondariesOutOfRange,
          "spec.secondaries must be between 0 and " + DirkClusterSpec.MAX_SECONDARIES));
    }
    if (spec.getImage() != null && spec.getImage().isBlank()) { // unset: the operator's default image
      violations.add(new SpecViolation("spec.image", Reason.ImageMissing, "spec.image must name a container image"));
    }

    if (spec.getReplication().getMode() == ReplicationMode.SYNC && spec.getSecondaries() < 1) {
      violations.add(new SpecViolation("spec.secondaries", Reason.SyncNeedsSecondary,
          DirkClusterRules.SYNC_NEEDS_SECONDARY_MESSAGE));
    }
    CacheSpec cache = spec.getCache();
    int proxyPort = spec.getProxy().getPort();
    if (cache.isEnabled() && cache.getPort() == proxyPort) {
      violations.add(new SpecViolation("spec.cache.port", Reason.CachePortClash, DirkClusterRules.CACHE_PORT_DIFFERS_MESSAGE));
    }
    if (isHealthPort(proxyPort) || (cache.isEnabled() && isHealthPort(cache.getPort()))) {
      violations.add(new SpecViolation("spec.proxy.port", Reason.PortReservedForHealth,
          DirkClusterRules.PORTS_AVOID_HEALTH_MESSAGE));
    }
    Double share = spec.getResources().getMemberMaxHeapShare();
    if (share != null && !(share > 0 && share <= 1)) {
      violations.add(new SpecViolation("spec.resources.memberMaxHeapShare", Reason.HeapShareOutOfRange,
          "spec.resources.memberMaxHeapShare must be above 0 and at most 1 (0.8: 80% of the heap), got " + share));
    }
    FailoverSpec failover = spec.getFailover();
    if (failover.isEnabled() && (long) failover.getHeartbeatIntervalMs() * failover.getFailureThreshold() > 60_000) {
      violations.add(new SpecViolation("spec.failover.failureThreshold", Reason.FailoverDetectionTooSlow,
          DirkClusterRules.FAILOVER_DETECTION_BOUNDED_MESSAGE));
    }
    String target = spec.getTargetPrimary();
    if (target != null && !ClusterNaming.memberNames(cluster).contains(target)) {
      violations.add(new SpecViolation("spec.targetPrimary", Reason.TargetPrimaryNotMember,
          DirkClusterRules.TARGET_PRIMARY_IS_MEMBER_MESSAGE));
    }
    if (spec.getBackup() != null) {
      validateBackup(spec.getBackup(), violations);
    }
    if (spec.recovery() != null) {
      validateRecovery(spec.recovery(), violations);
    }
    return violations;
  }

  private static void validateBackup(BackupSpec backup, List<SpecViolation> violations) {
    validateRepository("spec.backup", backup, violations);
    if (backup.getSchedule() != null) {
      CronSchedule.problem(backup.getSchedule()).ifPresent(problem -> violations.add(
          new SpecViolation("spec.backup.schedule", Reason.BackupScheduleInvalid, "spec.backup.schedule " + problem)));
    }
    RetentionSpec retention = backup.getRetention();
    if (retention != null && retention.getKeepLast() != null && retention.getKeepLast() < 1) {
      violations.add(new SpecViolation("spec.backup.retention.keepLast", Reason.RetentionInvalid,
          "spec.backup.retention.keepLast must be 1 or more: the newest backup is always kept"));
    }
    if (retention != null && retention.getMaxAge() != null
        && !retention.getMaxAge().matches(DirkClusterRules.RETENTION_AGE_PATTERN)) {
      violations.add(new SpecViolation("spec.backup.retention.maxAge", Reason.RetentionInvalid,
          "spec.backup.retention.maxAge must be a number of days, hours or minutes, like 30d, 12h or 90m, got '"
              + retention.getMaxAge() + "'"));
    }
  }

  private static void validateRecovery(RecoverySpec recovery, List<SpecViolation> violations) {
    validateRepository("spec.bootstrap.recovery", recovery, violations);
    if (recovery.getTargetLsn() != null && recovery.getTargetTime() != null) {
      violations.add(new SpecViolation("spec.bootstrap.recovery.targetTime", Reason.RecoveryTargetAmbiguous,
          DirkClusterRules.ONE_RECOVERY_TARGET_MESSAGE));
    }
    if (recovery.getTargetLsn() != null && recovery.getTargetLsn() < 0) {
      violations.add(new SpecViolation("spec.bootstrap.recovery.targetLsn", Reason.RecoveryTargetInvalid,
          "spec.bootstrap.recovery.targetLsn must be 0 or more"));
    }
    if (recovery.getTargetTime() != null) {
      try {
        java.time.OffsetDateTime.parse(recovery.getTargetTime());
      } catch (java.time.format.DateTimeParseException e) {
        violations.add(new SpecViolation("spec.bootstrap.recovery.targetTime", Reason.RecoveryTargetInvalid,
            "spec.bootstrap.recovery.targetTime must be an RFC 3339 time like 2026-12-07T17:00:00Z, got '"
                + recovery.getTargetTime() + "'"));
      }
    }
  }

  private static void validateRepository(String path, BackupRepositorySpec repository, List<SpecViolation> violations) {
    String url = repository.getRepository();
    if (url == null || url.isBlank()) {
      violations.add(new SpecViolation(path + ".repository", Reason.BackupRepositoryMissing,
          path + ".repository is required: the s3://BUCKET/PREFIX where the backups are"));
    } else if (!url.matches(DirkClusterRules.S3_REPOSITORY_PATTERN)) {
      violations.add(new SpecViolation(path + ".repository", Reason.BackupRepositoryInvalid,
          path + ".repository must be s3://BUCKET/PREFIX, got '" + url + "': the operator supports S3 repositories"
              + " only (a directory would need one volume shared by the backup Jobs, the archiver and the restore)"));
    }
  }

  /**
   * The storage of a running cluster against its primary StatefulSet's volume claim template: the
   * CRD's transition rule in Java, since only the existing StatefulSet remembers the old value.
   */
  public List<SpecViolation> validateStorageUnchanged(DirkCluster cluster, StatefulSet existingPrimary) {
    var claims = existingPrimary.getSpec().getVolumeClaimTemplates();
    if (claims == null || claims.isEmpty()) {
      return List.of();
    }
    var claim = claims.get(0).getSpec();
    StorageSpec storage = cluster.getSpec().getStorage();
    Quantity existingSize = claim.getResources() == null || claim.getResources().getRequests() == null ? null
        : claim.getResources().getRequests().get("storage");
    boolean sizeChanged = existingSize != null && !existingSize.equals(new Quantity(storage.getSize()));
    boolean classChanged = !Objects.equals(claim.getStorageClassName(), storage.getStorageClassName());
    if (sizeChanged || classChanged) {
      return List.of(new SpecViolation("spec.storage", Reason.StorageFixed, DirkClusterRules.STORAGE_FIXED_MESSAGE));
    }
    return List.of();
  }

  private static boolean isHealthPort(int port) {
    return port == ClusterNaming.PROXY_HTTP_PORT || port == ClusterNaming.CACHE_HTTP_PORT;
  }
}
