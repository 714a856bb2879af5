package io.dirkdb.operator.resync;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

/** The resync Job exactly as the operator renders it, for tests outside this package (ContainerImagesTest). */
public final class ResyncJobRendering {

  private ResyncJobRendering() {}

  public static Job desired(DirkCluster cluster, String member, int attempt, MemberAddress from, MemberAddress to) {
    return ResyncJobs.desired(cluster, member, attempt, from, to);
  }
}
