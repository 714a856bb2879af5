package io.dirkdb.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The termination message of dirk backup, read as the operator reads it: every way it can be wrong says so. */
class BackupResultTest {

  @Test
  void aSuccessfulBackupGivesItsIdAndLsnRange() {
    BackupResult result = BackupResult.of("{\"backupId\":\"b-1\",\"historyId\":\"h\",\"startLsn\":10,\"endLsn\":42,"
        + "\"epoch\":3,\"bytes\":4096,\"startedAt\":\"2026-12-07T17:00:00Z\",\"completedAt\":\"2026-12-07T17:00:05Z\","
        + "\"member\":\"demo-secondary-0.demo-members.ns.svc:3948\"}\n", true);
    assertThat(result.succeeded()).isTrue();
    assertThat(result.fields().getBackupId()).isEqualTo("b-1");
    assertThat(result.fields().getStartLsn()).isEqualTo(10L);
    assertThat(result.fields().getEndLsn()).isEqualTo(42L);
    assertThat(result.fields().getBytes()).isEqualTo(4096L);
    assertThat(result.fields().getMember()).startsWith("demo-secondary-0");
  }

  @Test
  void anErrorMessageIsTheError() {
    BackupResult result = BackupResult.of("{\"error\":\"no member answers: demo-primary-0 refused the password\"}", false);
    assertThat(result.succeeded()).isFalse();
    assertThat(result.error()).isEqualTo("no member answers: demo-primary-0 refused the password");
  }

  @Test
  void aMissingMessageAfterSuccessIsAFailureSayingTheIdIsUnknown() {
    assertThat(BackupResult.of(null, true).error()).contains("left no result").contains("dirk backup list");
    assertThat(BackupResult.of("  ", false).error()).contains("without a message");
  }

  @Test
  void aMessageThatIsNotJsonGivesItsLastLine() {
    BackupResult result = BackupResult.of("Exception in thread main\n  at x\njava.net.UnknownHostException: s3.local\n",
        false);
    assertThat(result.error()).isEqualTo("java.net.UnknownHostException: s3.local");
    assertThat(BackupResult.of("done", true).error()).isEqualTo("dirk backup left a result that is not JSON: done");
  }

  @Test
  void aResultWithoutItsLsnRangeIsRefused() {
    BackupResult result = BackupResult.of("{\"backupId\":\"b-1\",\"startLsn\":\"ten\"}", true);
    assertThat(result.succeeded()).isFalse();
    assertThat(result.error()).contains("lacks backupId, startLsn or endLsn");
  }

  @Test
  void aLongErrorIsClipped() {
    BackupResult result = BackupResult.of("{\"error\":\"" + "x".repeat(5000) + "\"}", false);
    assertThat(result.error()).hasSizeLessThanOrEqualTo(BackupResult.MAX_ERROR + 3);
  }

  @Test
  void aFailedPruneIsWordedAsThePruneNotAsTheBackup() {
    assertThat(BackupResult.pruneError(1, "{\"error\":\"cannot list s3://backups/shop: 403 AccessDenied\"}"))
        .isEqualTo("dirk backup prune exited 1: cannot list s3://backups/shop: 403 AccessDenied");
    assertThat(BackupResult.pruneError(2, "Exception in thread main\njava.net.UnknownHostException: s3.local\n"))
        .isEqualTo("dirk backup prune exited 2: java.net.UnknownHostException: s3.local");
    assertThat(BackupResult.pruneError(1, null)).isEqualTo("dirk backup prune exited 1 without a message");
    assertThat(BackupResult.pruneError(1, "{\"pruned\":[]}")).isEqualTo("dirk backup prune exited 1: {\"pruned\":[]}")
        .doesNotContain("dirk backup failed");
  }
}
