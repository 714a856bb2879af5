package io.dirkdb.kubectl;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/**
 * What every command about one DirkCluster shares: its NAME, the namespace and client from the plugin's options, and
 * its output, flushed at the end. A command writes {@link #run(KubernetesClient, String, PrintWriter)}; a
 * {@link UserError} thrown there is said on standard error with exit code 1.
 */
abstract class ClusterCommand implements Runnable {

  @CommandLine.ParentCommand
  KubectlDirk root;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "The DirkCluster.")
  String name;

  @Override
  public final void run() {
    PrintWriter out = spec.commandLine().getOut();
    try (KubernetesClient client = root.client()) {
      run(client, root.namespace(client), out);
    } finally {
      out.flush();
    }
  }

  abstract void run(KubernetesClient client, String namespace, PrintWriter out);
}
