package io.dirkdb.kubectl;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kubectl dirk hibernate on|off NAME}: sets or removes the {@value DirkClusters#HIBERNATION} annotation. */
@Command(name = "hibernate", description = "on: fence the primary, then scale every pod of the cluster to zero, "
    + "keeping its volumes; off: scale back (the same primary, the same data).")
final class HibernateCommand implements Runnable {

  enum Switch { on, off }

  @CommandLine.ParentCommand
  KubectlDirk root;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "on|off", description = "on or off.")
  Switch state;

  @Parameters(index = "1", paramLabel = "NAME", description = "The DirkCluster.")
  String name;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    try (KubernetesClient client = root.client()) {
      GenericKubernetesResource cluster = DirkClusters.get(client, root.namespace(client), name);
      if (state == Switch.on
          && DirkClusters.RECONCILIATION_PAUSED.equals(DirkClusters.annotation(cluster, DirkClusters.RECONCILIATION))) {
        throw new UserError("reconciliation of " + name + " is paused, so the operator would not hibernate it; "
            + "resume it first: kubectl dirk resume " + name);
      }
      DirkClusters.annotate(client, cluster, DirkClusters.HIBERNATION, state == Switch.on ? "on" : null);
      out.println(state == Switch.on
          ? name + " hibernating: the operator fences its primary and scales its pods to zero (volumes kept); "
              + "kubectl dirk status " + name + " shows phase Hibernated once done"
          : name + " waking up: the operator scales its pods back; kubectl dirk status " + name);
    }
    out.flush();
  }
}
