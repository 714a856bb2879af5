package io.dirkdb.operator.failover;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/**
 * Where the operator reaches one member: its pod's IP and the container port named {@value #PORT_NAME}
 * (3948 unless the pod says otherwise), so probes follow the pod and never a guess.
 */
public record MemberEndpoint(String member, String host, int port) {

  public static final String PORT_NAME = "sql";
  public static final int DEFAULT_PORT = 3948;

  /** The endpoint of a pod that has an IP and is not being deleted; empty otherwise. */
  public static Optional<MemberEndpoint> of(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getPodIP() == null || pod.getStatus().getPodIP().isBlank()
        || pod.getMetadata().getDeletionTimestamp() != null) {
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
    return Optional.of(new MemberEndpoint(pod.getMetadata().getName(), pod.getStatus().getPodIP(), port));
  }

  /** {@code host:port}, as {@code dirk resync} and the heartbeat's {@code primary} field write it. */
  public String address() {
    return host + ":" + port;
  }
}
