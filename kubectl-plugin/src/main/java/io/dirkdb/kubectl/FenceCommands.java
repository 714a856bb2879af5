package io.dirkdb.kubectl;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fence} and {@code unfence}: edit the {@value DirkClusters#FENCED_MEMBERS} annotation. The operator fences the
 * members listed there and keeps them fenced (no failover away from a fenced primary) until they leave the list.
 */
final class FenceCommands {

  private FenceCommands() {}

  abstract static class Edit extends ClusterCommand {
    @Parameters(index = "1", arity = "0..1", paramLabel = "MEMBER", description = "Pod name of the member.")
    String named;

    @Option(names = "--all", description = "Every member of the cluster (instead of MEMBER).")
    boolean all;

    @Override
    void run(KubernetesClient client, String namespace, PrintWriter out) {
      GenericKubernetesResource cluster = DirkClusters.get(client, namespace, name);
      if (all == (named != null)) {
        throw new UserError("name one MEMBER of " + name + ", or give --all (not both)");
      }
      String member = all ? DirkClusters.ALL_MEMBERS : DirkClusters.member(cluster, named);
      Set<String> fenced = DirkClusters.fencedMembers(cluster);
      String said = edit(cluster, fenced, member);
      DirkClusters.annotate(client, cluster, DirkClusters.FENCED_MEMBERS,
          fenced.isEmpty() ? null : DirkClusters.fencedValue(fenced));
      out.println(said);
    }

    /** Changes {@code fenced} and returns what was done, in a sentence. */
    abstract String edit(GenericKubernetesResource cluster, Set<String> fenced, String member);
  }

  @Command(name = "fence", description = "Fence MEMBER (or --all): the operator stops it serving (a fenced primary "
      + "acknowledges no write) and keeps it fenced, with no failover away from it, until unfenced.")
  static final class Fence extends Edit {
    @Override
    String edit(GenericKubernetesResource cluster, Set<String> fenced, String member) {
      if (DirkClusters.ALL_MEMBERS.equals(member)) {
        fenced.clear();
      }
      fenced.add(member);
      return (DirkClusters.ALL_MEMBERS.equals(member) ? "every member of " + name : member) + " fenced (annotation "
          + DirkClusters.FENCED_MEMBERS + "=" + DirkClusters.fencedValue(fenced) + ")";
    }
  }

  @Command(name = "unfence", description = "Unfence MEMBER (or --all): the operator gives it its role back (a "
      + "primary is promoted again at a new epoch, a secondary follows).")
  static final class Unfence extends Edit {
    @Override
    String edit(GenericKubernetesResource cluster, Set<String> fenced, String member) {
      if (DirkClusters.ALL_MEMBERS.equals(member)) {
        fenced.clear();
        return "every member of " + name + " unfenced";
      }
      if (fenced.contains(DirkClusters.ALL_MEMBERS)) {
        // "*" is widened to the list of members so that only the one named leaves it.
        fenced.remove(DirkClusters.ALL_MEMBERS);
        fenced.addAll(DirkClusters.members(cluster));
      }
      if (!fenced.remove(member)) {
        throw new UserError(member + " is not fenced by the annotation " + DirkClusters.FENCED_MEMBERS + " of " + name);
      }
      return member + " unfenced" + (fenced.isEmpty() ? "" : "; still fenced: " + String.join(", ", fenced));
    }
  }
}
