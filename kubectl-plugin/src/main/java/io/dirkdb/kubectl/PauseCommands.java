package io.dirkdb.kubectl;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code pause} and {@code resume}: set or remove {@code dirkdb.io/reconciliation: paused}. */
final class PauseCommands {

  private PauseCommands() {}

  abstract static class Switch extends ClusterCommand {
    abstract boolean pause();

    @Override
    void run(KubernetesClient client, String namespace, PrintWriter out) {
      GenericKubernetesResource cluster = DirkClusters.get(client, namespace, name);
      DirkClusters.annotate(client, cluster, DirkClusters.RECONCILIATION,
          pause() ? DirkClusters.RECONCILIATION_PAUSED : null);
      out.println(pause()
          ? "reconciliation of " + name + " paused: the operator changes nothing of it, and does not fail over, "
              + "until kubectl dirk resume " + name
          : "reconciliation of " + name + " resumed");
    }
  }

  @Command(name = "pause", description = "Pause reconciliation: the operator changes nothing of the cluster (no "
      + "failover either) until resumed.")
  static final class Pause extends Switch {
    @Override
    boolean pause() {
      return true;
    }
  }

  @Command(name = "resume", description = "Resume reconciliation of a paused cluster.")
  static final class Resume extends Switch {
    @Override
    boolean pause() {
      return false;
    }
  }
}
