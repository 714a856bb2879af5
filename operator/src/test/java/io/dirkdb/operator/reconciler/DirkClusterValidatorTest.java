package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.Reason;
import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ReplicationMode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

/** The validator, without an API server: the defaults pass, each broken rule is named once. */
class DirkClusterValidatorTest {

  private final DirkClusterValidator validator = new DirkClusterValidator();

  @Test
  void defaultSpecPasses() {
    assertThat(validator.validate(cluster())).isEmpty();
  }

  @Test
  void aClusterNameTooLongForItsDerivedNamesIsRejected() {
    DirkCluster cluster = cluster();
    cluster.getMetadata().setName("a".repeat(42));
    assertThat(validator.validate(cluster)).isEmpty();
    cluster.getMetadata().setName("a".repeat(43));
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.ClusterNameInvalid);
    cluster.getMetadata().setName("1demo");
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.ClusterNameInvalid);
  }

  @Test
  void syncWithoutSecondaryIsRejectedButSyncWithOneIsNot() {
    DirkCluster cluster = cluster();
    cluster.getSpec().getReplication().setMode(ReplicationMode.SYNC);
    assertThat(validator.validate(cluster)).isEmpty();
    cluster.getSpec().setSecondaries(0);
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.SyncNeedsSecondary);
  }

  @Test
  void cachePortClashCountsOnlyWhileTheCacheRuns() {
    DirkCluster cluster = cluster();
    cluster.getSpec().getCache().setPort(3949);
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.CachePortClash);
    cluster.getSpec().getCache().setEnabled(false);
    assertThat(validator.validate(cluster)).isEmpty();
  }

  @Test
  void aMemberHeapShareOutsideZeroToOneIsRejected() {
    DirkCluster cluster = cluster();
    cluster.getSpec().getResources().setMemberMaxHeapShare(0.6);
    assertThat(validator.validate(cluster)).isEmpty();
    cluster.getSpec().getResources().setMemberMaxHeapShare(1.0);
    assertThat(validator.validate(cluster)).isEmpty();
    for (double share : new double[] {0, -0.5, 1.2}) {
      cluster.getSpec().getResources().setMemberMaxHeapShare(share);
      assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.HeapShareOutOfRange);
    }
  }

  @Test
  void targetPrimaryMustBeADesiredMember() {
    DirkCluster cluster = cluster();
    cluster.getSpec().setTargetPrimary("demo-secondary-0");
    assertThat(validator.validate(cluster)).isEmpty();
    cluster.getSpec().setTargetPrimary("demo-secondary-1");
    assertThat(validator.validate(cluster)).extracting(SpecViolation::field).containsExactly("spec.targetPrimary");
    cluster.getSpec().setTargetPrimary("other-primary-0");
    assertThat(validator.validate(cluster)).extracting(SpecViolation::field).containsExactly("spec.targetPrimary");
  }

  @Test
  void everyBrokenRuleIsReportedNotJustTheFirst() {
    DirkCluster cluster = cluster();
    cluster.getSpec().setSecondaries(0);
    cluster.getSpec().getReplication().setMode(ReplicationMode.SYNC);
    cluster.getSpec().getProxy().setPort(8081);
    cluster.getSpec().getFailover().setHeartbeatIntervalMs(60_000);
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason)
        .containsExactly(Reason.SyncNeedsSecondary, Reason.PortReservedForHealth, Reason.FailoverDetectionTooSlow);
  }

  @Test
  void nullSectionIsReportedInsteadOfFailingLater() {
    DirkCluster cluster = cluster();
    cluster.getSpec().setCache(null);
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.SectionNull);
  }

  private static DirkCluster cluster() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").build());
    return cluster;
  }

  @Test
  void aRecoveryWithBothTargetLsnAndTargetTimeIsRefused() {
    DirkCluster cluster = cluster();
    var recovery = new io.dirkdb.operator.api.v1alpha1.RecoverySpec();
    recovery.setRepository("s3://bucket/demo");
    recovery.setTargetLsn(10L);
    var bootstrap = new io.dirkdb.operator.api.v1alpha1.BootstrapSpec();
    bootstrap.setRecovery(recovery);
    cluster.getSpec().setBootstrap(bootstrap);
    assertThat(validator.validate(cluster)).isEmpty();
    recovery.setTargetTime("2026-12-07T17:00:00Z");
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.RecoveryTargetAmbiguous);
    recovery.setTargetLsn(null);
    recovery.setTargetTime("yesterday");
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.RecoveryTargetInvalid);
  }

  @Test
  void aBackupOrRecoveryWithoutAnS3RepositoryIsRefused() {
    DirkCluster cluster = cluster();
    var backup = new io.dirkdb.operator.api.v1alpha1.BackupSpec();
    cluster.getSpec().setBackup(backup);
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason).containsExactly(Reason.BackupRepositoryMissing);
    backup.setRepository("file:///backups/demo");
    assertThat(validator.validate(cluster)).singleElement().satisfies(v -> {
      assertThat(v.reason()).isEqualTo(Reason.BackupRepositoryInvalid);
      assertThat(v.message()).contains("S3 repositories only");
    });
    backup.setRepository("s3://bucket");
    assertThat(validator.validate(cluster)).isEmpty();
    var recovery = new io.dirkdb.operator.api.v1alpha1.RecoverySpec();
    var bootstrap = new io.dirkdb.operator.api.v1alpha1.BootstrapSpec();
    bootstrap.setRecovery(recovery);
    cluster.getSpec().setBootstrap(bootstrap);
    assertThat(validator.validate(cluster)).singleElement()
        .satisfies(v -> assertThat(v.field()).isEqualTo("spec.bootstrap.recovery.repository"));
  }

  @Test
  void anInvalidCronScheduleOrRetentionIsASpecError() {
    DirkCluster cluster = cluster();
    var backup = new io.dirkdb.operator.api.v1alpha1.BackupSpec();
    backup.setRepository("s3://bucket/demo");
    backup.setSchedule("0 25 * * *");
    cluster.getSpec().setBackup(backup);
    assertThat(validator.validate(cluster)).singleElement().satisfies(v -> {
      assertThat(v.reason()).isEqualTo(Reason.BackupScheduleInvalid);
      assertThat(v.message()).contains("hour field '25'");
    });
    backup.setSchedule("@daily");
    var retention = new io.dirkdb.operator.api.v1alpha1.RetentionSpec();
    retention.setMaxAge("30 days");
    retention.setKeepLast(0);
    backup.setRetention(retention);
    assertThat(validator.validate(cluster)).extracting(SpecViolation::reason)
        .containsExactly(Reason.RetentionInvalid, Reason.RetentionInvalid);
  }
}
