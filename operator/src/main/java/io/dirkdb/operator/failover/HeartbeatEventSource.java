package io.dirkdb.operator.failover;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.util.Set;

/**
 * Turns the prober's news into reconciliations of the cluster concerned, and stops the probes of a
 * deleted cluster (and removes the operator's copies of its TLS files). It holds no secondary resources: the picture stays in the prober.
 */
public class HeartbeatEventSource extends AbstractEventSource<ProbeResult, DirkCluster>
    implements ResourceEventAware<DirkCluster> {

  public static final String NAME = "member-heartbeats";

  private final HeartbeatProber prober;

  public HeartbeatEventSource(HeartbeatProber prober) {
    super(ProbeResult.class, NAME);
    this.prober = prober;
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
  }
}
