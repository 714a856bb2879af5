package io.dirkdb.operator.api.v1alpha1;

/**
 * The cross-field rules of a DirkCluster, written once: the CRD carries them as CEL
 * ({@code x-kubernetes-validations}) and the reconciler's validator checks the same rules in Java
 * for clusters that reached it without an API server enforcing them.
 */
public final class DirkClusterRules {

  public static final String SYNC_NEEDS_SECONDARY = "self.replication.mode != 'sync' || self.secondaries >= 1";
  public static final String SYNC_NEEDS_SECONDARY_MESSAGE =
      "replication.mode 'sync' needs at least one secondary: set spec.secondaries to 1 or more, or use mode 'async'";

  public static final String CACHE_PORT_DIFFERS = "!self.cache.enabled || self.cache.port != self.proxy.port";
  public static final String CACHE_PORT_DIFFERS_MESSAGE =
      "cache.port must differ from proxy.port: the cache and the proxy share one pod";

  public static final String PORTS_AVOID_HEALTH =
      "!(self.proxy.port in [8080, 8081]) && !(self.cache.enabled && self.cache.port in [8080, 8081])";
  public static final String PORTS_AVOID_HEALTH_MESSAGE =
      "proxy.port and cache.port must not be 8080 or 8081: the proxy pod serves its health endpoints there";

  public static final String FAILOVER_DETECTION_BOUNDED =
      "!self.failover.enabled || self.failover.heartbeatIntervalMs * self.failover.failureThreshold <= 60000";
  public static final String FAILOVER_DETECTION_BOUNDED_MESSAGE =
      "failover.heartbeatIntervalMs times failover.failureThreshold must be at most 60000 ms,"
          + " or a lost primary goes unnoticed for over a minute";

  /**
   * A transition rule on spec.storage: the StatefulSets' volume claim templates cannot change. Sizes compare
   * as quantities ({@code 1024Mi} is {@code 1Gi}): Kubernetes' CEL quantity library, which API servers
   * accept in a CRD's rules from 1.29 (the chart's kubeVersion).
   */
  public static final String STORAGE_FIXED = "quantity(self.size).compareTo(quantity(oldSelf.size)) == 0"
      + " && has(self.storageClassName) == has(oldSelf.storageClassName)"
      + " && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)";
  public static final String STORAGE_FIXED_MESSAGE =
      "storage.size and storage.storageClassName cannot change once the cluster exists:"
          + " Kubernetes does not let a StatefulSet's volume claims change; set them back";

  /** At the root: CEL sees metadata.name only there. */
  public static final String TARGET_PRIMARY_IS_MEMBER =
      "!has(self.spec.targetPrimary) || self.spec.targetPrimary == self.metadata.name + '-primary-0'"
          + " || (self.spec.targetPrimary.startsWith(self.metadata.name + '-secondary-')"
          + " && self.spec.targetPrimary.substring(size(self.metadata.name) + 11).matches('^(0|[1-9][0-9]*)$')"
          + " && int(self.spec.targetPrimary.substring(size(self.metadata.name) + 11)) < self.spec.secondaries)";
  public static final String TARGET_PRIMARY_IS_MEMBER_MESSAGE =
      "targetPrimary must name a member of this cluster: <name>-primary-0 or <name>-secondary-<i> with i below spec.secondaries";

  /**
   * The longest DirkCluster name whose derived names all fit in 63 characters: the StatefulSet
   * {@code <name>-secondary} plus the {@code controller-revision-hash} label its pods get
   * ({@code <statefulset>-<hash of up to 10>}) is the longest; pods ({@code <name>-secondary-14}), the
   * members' DNS labels, the Services and the resync Jobs ({@code <name>-resync-s14-<n>}) are shorter.
   */
  public static final int MAX_NAME_LENGTH = 42;
  /** At the root: CEL sees metadata.name only there. Services also need a DNS label starting with a letter. */
  public static final String NAME_FITS = "size(self.metadata.name) <= " + MAX_NAME_LENGTH
      + " && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')";
  public static final String NAME_FITS_MESSAGE = "metadata.name must be at most " + MAX_NAME_LENGTH
      + " lower-case letters, digits or '-', starting with a letter: the StatefulSets, pods, Services and"
      + " resync Jobs named after it must fit in 63 characters";

  /** An S3 repository: a bucket name as S3 allows it, then an optional prefix. */
  public static final String S3_REPOSITORY_PATTERN = "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\\S*)?$";
  /** Five cron fields or a macro; the fields' ranges are checked by the operator ({@code CronSchedule}). */
  public static final String CRON_PATTERN =
      "^(@(hourly|daily|weekly|monthly|yearly|annually|midnight)|[0-9*/,?A-Za-z-]+( +[0-9*/,?A-Za-z-]+){4})$";
  /** dirk backup prune --max-age: days, hours or minutes. */
  public static final String RETENTION_AGE_PATTERN = "^[1-9][0-9]*[dhm]$";
  public static final String RFC3339_PATTERN =
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";

  public static final String ONE_RECOVERY_TARGET = "!(has(self.targetLsn) && has(self.targetTime))";
  public static final String ONE_RECOVERY_TARGET_MESSAGE =
      "bootstrap.recovery takes targetLsn or targetTime, not both: a restore stops at one point";

  /** A transition rule on spec.bootstrap: how the data started is history, not something to change. */
  public static final String BOOTSTRAP_FIXED = "self == oldSelf";
  public static final String BOOTSTRAP_FIXED_MESSAGE =
      "bootstrap cannot change once the cluster exists: it only says how the cluster's data started";

  private DirkClusterRules() {}
}
