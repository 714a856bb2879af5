package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/**
 * Where the operator reaches a member: its pod's IP and the container port named {@value #PORT_NAME}
 * (3948 unless the pod says otherwise), so probes and control statements follow the pod, never a guess.
 * What members are told to reach (the primary they follow, the ends of a resync) is the member's stable
 * DNS name instead ({@link #stable}), which still leads to it after its pod restarts with another IP.
 */
public final class MemberAddresses {

  public static final String PORT_NAME = "sql";
  public static final int DEFAULT_PORT = 3948;

  private MemberAddresses() {}

  /**
   * The address of a member pod that has an IP, under the pod's name; empty otherwise. A pod being
   * deleted keeps its address: its member runs until its grace period ends, and a primary's hand-over
   * needs it.
   */
  public static Optional<MemberAddress> of(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getPodIP() == null || pod.getStatus().getPodIP().isBlank()) {
      return Optional.empty();
    }
    int port = DEFAULT_PORT;
    if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
      for (Container container : pod.getSpec().getContainers()) {
        if (container.getPorts() == null) {
          continue;
        }
        for (ContainerPort p : container.getPorts()) {
          if (PORT_NAME.equals(p.getName()) && p.getContainerPort() != null) {
            port = p.getContainerPort();
          }
        }
      }
    }
    return Optional.of(new MemberAddress(pod.getMetadata().getName(), pod.getStatus().getPodIP(), port));
  }

  /** The member's stable name, {@code <pod>.<cluster>-members.<namespace>.svc}, with the port of its pod. */
  public static MemberAddress stable(DirkCluster cluster, MemberAddress probed) {
    return new MemberAddress(probed.id(), ClusterNaming.memberHost(cluster, probed.id()), probed.port());
  }

  /** {@code host:port}, as {@code dirk resync} takes it and a secondary's heartbeat names its primary. */
  public static String hostPort(MemberAddress address) {
    return address.host() + ":" + address.port();
  }
}
