package io.dirkdb.kubectl;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kubectl dirk promote NAME MEMBER}: a switchover. Sets spec.targetPrimary and waits until the operator reports
 * the member as primary of a Ready cluster; the operator's refusal (TargetPrimaryEligible=False) ends it as an error.
 */
@Command(name = "promote", description = "Switch the primary role over to MEMBER (sets spec.targetPrimary) and wait "
    + "until the cluster is Ready with it as primary.")
final class PromoteCommand extends ClusterCommand {

  static final Duration POLL = Duration.ofMillis(500);

  @Parameters(index = "1", paramLabel = "MEMBER", description = "Pod name of the member to promote, e.g. demo-secondary-0.")
  String member;

  @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
      description = "How long to wait for the switchover (default: ${DEFAULT-VALUE} s); 0 does not wait.")
  long timeoutSeconds;

  @Override
  void run(KubernetesClient client, String namespace, PrintWriter out) {
    GenericKubernetesResource cluster = DirkClusters.get(client, namespace, name);
    DirkClusters.member(cluster, member);
    Guards.refuseWhilePausedOrHibernated(cluster, "promote");
    if (DirkClusters.fencedMembers(cluster).contains(member)
        || DirkClusters.fencedMembers(cluster).contains(DirkClusters.ALL_MEMBERS)) {
      throw new UserError(member + " is fenced (annotation " + DirkClusters.FENCED_MEMBERS + "); unfence it first: "
          + "kubectl dirk unfence " + name + " " + member);
    }
    JsonNode tree = DirkClusters.tree(cluster);
    if (member.equals(tree.path("status").path("currentPrimary").asText())
        && member.equals(tree.path("spec").path("targetPrimary").asText(member))) {
      out.println(member + " is already the primary of " + name);
      out.flush();
      return;
    }
    DirkClusters.setTargetPrimary(client, cluster, member);
    out.println("spec.targetPrimary of " + name + " set to " + member);
    out.flush();
    if (timeoutSeconds > 0) {
      await(client, namespace, out);
    }
  }

  private void await(KubernetesClient client, String namespace, PrintWriter out) {
    Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
    String lastSeen = null;
    while (true) {
      JsonNode tree = DirkClusters.tree(DirkClusters.get(client, namespace, name));
      JsonNode status = tree.path("status");
      String phase = status.path("phase").asText("");
      String primary = status.path("currentPrimary").asText("");
      if (member.equals(primary) && "Ready".equals(phase)) {
        out.println(member + " is the primary of " + name + " (epoch "
            + status.path("lastFailover").path("epoch").asText("?") + "); the cluster is Ready");
        out.flush();
        return;
      }
      JsonNode eligible = DirkClusters.condition(tree, "TargetPrimaryEligible");
      if ("False".equals(eligible.path("status").asText()) && eligible.path("message").asText().contains(member)) {
        throw new UserError("the operator refused the switchover to " + member + ": "
            + eligible.path("message").asText());
      }
      JsonNode last = status.path("lastFailover");
      String progress = "phase " + (phase.isEmpty() ? "?" : phase) + ", primary " + (primary.isEmpty() ? "?" : primary)
          + (last.isMissingNode() ? "" : ", last failover " + last.path("fromPrimary").asText("?") + " -> "
              + last.path("toPrimary").asText("?") + " step " + last.path("step").asText("?"));
      if (!Objects.equals(progress, lastSeen)) {
        out.println("  " + progress);
        out.flush();
        lastSeen = progress;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new UserError("the switchover to " + member + " did not finish within " + timeoutSeconds + " s ("
            + progress + "); spec.targetPrimary stays set, the operator goes on: kubectl dirk status " + name);
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UserError("interrupted while waiting for the switchover");
      }
    }
  }
}
