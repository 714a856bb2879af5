package io.dirkdb.operator.failover;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns the prober's news into reconciliations of the cluster concerned, and stops the probes of a
 * deleted cluster (and removes the operator's copies of its TLS files, and what else it remembers of it). It
 * holds no secondary resources: the picture stays in the prober.
 */
public class HeartbeatEventSource extends AbstractEventSource<ProbeResult, DirkCluster>
    implements ResourceEventAware<DirkCluster> {

  public static final String NAME = "member-heartbeats";

  private final ClusterProber prober;
  private final Consumer<DirkCluster> onDeleted;

  public HeartbeatEventSource(ClusterProber prober) {
    this(prober, cluster -> {});
  }

  /** As above; {@code onDeleted} also forgets what else the operator keeps in memory about a deleted cluster. */
  public HeartbeatEventSource(ClusterProber prober, Consumer<DirkCluster> onDeleted) {
    super(ProbeResult.class, NAME);
    this.prober = prober;
    this.onDeleted = onDeleted;
  }

  @Override
  public void start() {
    prober.onChange(this::changed);
    super.start();
  }

  private void changed(ResourceID cluster) {
    if (isRunning()) {
      getEventHandler().handleEvent(new Event(cluster));
    }
  }

  @Override
  public Set<ProbeResult> getSecondaryResources(DirkCluster primary) {
    return Set.of();
  }

  @Override
  public void onResourceDeleted(DirkCluster cluster) {
    prober.forget(ResourceID.fromResource(cluster));
    ClusterTls.removeDeleted(cluster, ClusterTls.defaultRoot()); // its copies hold a private key
    onDeleted.accept(cluster);
  }
}
