package io.dirkdb.kubectl;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kubectl dirk resync NAME MEMBER}: asks the operator for one resync Job of the member. */
@Command(name = "resync", description = "Rebuild MEMBER (a secondary) from the primary with a resync Job, once.")
final class ResyncCommand extends ClusterCommand {

  @Parameters(index = "1", paramLabel = "MEMBER", description = "Pod name of the secondary to rebuild.")
  String member;

  @Override
  void run(KubernetesClient client, String namespace, PrintWriter out) {
    GenericKubernetesResource cluster = DirkClusters.get(client, namespace, name);
    DirkClusters.member(cluster, member);
    Guards.refuseWhilePausedOrHibernated(cluster, "resync a member");
    String primary = DirkClusters.tree(cluster).path("status").path("currentPrimary").asText("");
    if (member.equals(primary)) {
      throw new UserError(member + " is the primary of " + name + "; only a secondary is rebuilt from the primary "
          + "(promote another member first: kubectl dirk promote " + name + " MEMBER)");
    }
    String pending = DirkClusters.annotation(cluster, DirkClusters.RESYNC);
    if (pending != null && !pending.equals(member)) {
      throw new UserError("a resync of " + pending + " is still pending on " + name + "; wait for it (kubectl dirk "
          + "status " + name + ")");
    }
    DirkClusters.annotate(client, cluster, DirkClusters.RESYNC, member);
    out.println("resync of " + member + " asked; the operator runs its Job (kubectl dirk status " + name + ")");
  }
}
