package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * The cluster's backups: the repository, scheduled base backups with their retention, and continuous
 * archiving of the log (what a restore to a point in time replays). A DirkBackup takes one on demand.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupSpec extends BackupRepositorySpec {

  @JsonPropertyDescription("Cron schedule of base backups (five fields: minute hour day-of-month month day-of-week,"
      + " or @hourly, @daily, @weekly, @monthly, @yearly), in the time zone of the kube-controller-manager, run"
      + " by CronJob <name>-backup; unset: no scheduled backups.")
  @Pattern(DirkClusterRules.CRON_PATTERN)
  private String schedule;

  @JsonPropertyDescription("Which base backups a scheduled backup keeps afterwards; unset: every one.")
  private RetentionSpec retention;

  @JsonPropertyDescription("Ship the log to the repository continuously (Deployment <name>-archiver running dirk"
      + " archive), so a restore can reach any point in time since the oldest kept base backup.")
  private boolean archiving;

  @JsonPropertyDescription("Requests and limits of the backup Jobs and of the archiver (default: requests cpu 100m"
      + " and memory 256Mi, memory limit 256Mi; the heap is half the memory limit).")
  private ResourceRequirements resources;

  public String getSchedule() { return schedule; }
  public void setSchedule(String schedule) { this.schedule = schedule; }
  public RetentionSpec getRetention() { return retention; }
  public void setRetention(RetentionSpec retention) { this.retention = retention; }
  public boolean isArchiving() { return archiving; }
  public void setArchiving(boolean archiving) { this.archiving = archiving; }
  public ResourceRequirements getResources() { return resources; }
  public void setResources(ResourceRequirements resources) { this.resources = resources; }
}
