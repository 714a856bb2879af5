package io.dirkdb.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** What the user asks for. Java initializers mirror the schema defaults, for clients that skip them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = DirkClusterRules.SYNC_NEEDS_SECONDARY, message = DirkClusterRules.SYNC_NEEDS_SECONDARY_MESSAGE,
    reason = "FieldValueInvalid", fieldPath = ".secondaries")
@ValidationRule(value = DirkClusterRules.CACHE_PORT_DIFFERS, message = DirkClusterRules.CACHE_PORT_DIFFERS_MESSAGE,
    reason = "FieldValueInvalid", fieldPath = ".cache.port")
@ValidationRule(value = DirkClusterRules.PORTS_AVOID_HEALTH, message = DirkClusterRules.PORTS_AVOID_HEALTH_MESSAGE,
    reason = "FieldValueInvalid", fieldPath = ".proxy.port")
@ValidationRule(value = DirkClusterRules.FAILOVER_DETECTION_BOUNDED, message = DirkClusterRules.FAILOVER_DETECTION_BOUNDED_MESSAGE,
    reason = "FieldValueInvalid", fieldPath = ".failover.failureThreshold")
public class DirkClusterSpec {

  public static final String DEFAULT_IMAGE = "dirkdb/dirk:0.1.0";
  public static final int MAX_SECONDARIES = 15;

  @JsonPropertyDescription("Container image with the dirk entry point, used by members, proxy, cache and resync Jobs;"
      + " unset: the operator's default image (the chart's dirkImage values, env DIRK_DEFAULT_IMAGE).")
  @Pattern("^\\S+$")
  private String image;

  @JsonPropertyDescription("Kubernetes image pull policy of every DirkDB container; unset: the operator's default"
      + " (the chart's dirkImage.pullPolicy, env DIRK_DEFAULT_IMAGE_PULL_POLICY, IfNotPresent otherwise).")
  private ImagePullPolicy imagePullPolicy;

  @JsonPropertyDescription("Number of secondaries (read replicas) besides the one primary.")
  @SpecReplicas
  @Default("1")
  @Min(0)
  @Max(MAX_SECONDARIES)
  private int secondaries = 1;

  @JsonPropertyDescription("Persistent volume of each member; fixed once the cluster exists.")
  @Default("{}")
  @ValidationRule(value = DirkClusterRules.STORAGE_FIXED, message = DirkClusterRules.STORAGE_FIXED_MESSAGE,
      reason = "FieldValueForbidden")
  private StorageSpec storage = new StorageSpec();

  @JsonPropertyDescription("Compute resources of the members, the proxy and the cache; defaults set modest requests.")
  @Default("{}")
  private ResourcesSpec resources = new ResourcesSpec();

  @JsonPropertyDescription("The routing proxy that clients connect to.")
  @Default("{}")
  private ProxySpec proxy = new ProxySpec();

  @JsonPropertyDescription("The caching sidecar in front of the proxy.")
  @Default("{}")
  private CacheSpec cache = new CacheSpec();

  @JsonPropertyDescription("How writes reach the secondaries.")
  @Default("{}")
  private ReplicationSpec replication = new ReplicationSpec();

  @JsonPropertyDescription("How the operator detects a lost primary and promotes a secondary.")
  @Default("{}")
  private FailoverSpec failover = new FailoverSpec();

  @JsonPropertyDescription("Credentials of the database.")
  @Default("{}")
  private AuthSpec auth = new AuthSpec();

  @JsonPropertyDescription("TLS on every connection (members with mutual TLS, proxy, cache, resync Jobs, the"
      + " operator's probes) from a kubernetes.io/tls Secret; unset: plain TCP.")
  private TlsSpec tls;

  @JsonPropertyDescription("Where pods run: node selector, tolerations, affinity (members spread by default).")
  @Default("{}")
  private SchedulingSpec scheduling = new SchedulingSpec();

  @JsonPropertyDescription("Member to make primary by a clean switchover, e.g. demo-secondary-0; unset keeps the current one.")
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
  @Size(max = 63)
  private String targetPrimary;

  @JsonPropertyDescription("Backups of the cluster to an S3 repository: scheduled base backups with retention, and"
      + " continuous archiving of the log; DirkBackup resources take one on demand. Unset: no backups.")
  private BackupSpec backup;

  @JsonPropertyDescription("How the cluster's data starts; unset: empty. Fixed once the cluster exists.")
  @ValidationRule(value = DirkClusterRules.BOOTSTRAP_FIXED, message = DirkClusterRules.BOOTSTRAP_FIXED_MESSAGE,
      reason = "FieldValueForbidden")
  private BootstrapSpec bootstrap;

  public String getImage() { return image; }
  public void setImage(String image) { this.image = image; }
  public ImagePullPolicy getImagePullPolicy() { return imagePullPolicy; }
  public void setImagePullPolicy(ImagePullPolicy imagePullPolicy) { this.imagePullPolicy = imagePullPolicy; }
  public int getSecondaries() { return secondaries; }
  public void setSecondaries(int secondaries) { this.secondaries = secondaries; }
  public StorageSpec getStorage() { return storage; }
  public void setStorage(StorageSpec storage) { this.storage = storage; }
  public ResourcesSpec getResources() { return resources; }
  public void setResources(ResourcesSpec resources) { this.resources = resources; }
  public ProxySpec getProxy() { return proxy; }
  public void setProxy(ProxySpec proxy) { this.proxy = proxy; }
  public CacheSpec getCache() { return cache; }
  public void setCache(CacheSpec cache) { this.cache = cache; }
  public ReplicationSpec getReplication() { return replication; }
  public void setReplication(ReplicationSpec replication) { this.replication = replication; }
  public FailoverSpec getFailover() { return failover; }
  public void setFailover(FailoverSpec failover) { this.failover = failover; }
  public AuthSpec getAuth() { return auth; }
  public void setAuth(AuthSpec auth) { this.auth = auth; }
  public TlsSpec getTls() { return tls; }
  public void setTls(TlsSpec tls) { this.tls = tls; }
  /** True when the cluster's connections use TLS. */
  public boolean tlsEnabled() { return tls != null && tls.getSecretName() != null; }
  public SchedulingSpec getScheduling() { return scheduling; }
  public void setScheduling(SchedulingSpec scheduling) { this.scheduling = scheduling; }
  public BackupSpec getBackup() { return backup; }
  public void setBackup(BackupSpec backup) { this.backup = backup; }
  public BootstrapSpec getBootstrap() { return bootstrap; }
  public void setBootstrap(BootstrapSpec bootstrap) { this.bootstrap = bootstrap; }
  /** The recovery the cluster starts from, or null. */
  public RecoverySpec recovery() { return bootstrap == null ? null : bootstrap.getRecovery(); }
  public String getTargetPrimary() { return targetPrimary; }
  public void setTargetPrimary(String targetPrimary) { this.targetPrimary = targetPrimary; }
}
