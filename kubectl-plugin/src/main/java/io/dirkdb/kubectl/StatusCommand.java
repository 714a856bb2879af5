package io.dirkdb.kubectl;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code kubectl dirk status NAME}: the cluster, its members, its last failover and its resync Jobs at a glance. */
@Command(name = "status", description = "Show a cluster's phase, primary, members (role, epoch, LSN, lag, readiness), "
    + "last failover, operator annotations and resync Jobs.")
final class StatusCommand extends ClusterCommand {

  @Override
  void run(KubernetesClient client, String namespace, PrintWriter out) {
    GenericKubernetesResource cluster = DirkClusters.get(client, namespace, name);
    List<Job> jobs = client.batch().v1().jobs().inNamespace(namespace)
        .withLabels(DirkClusters.selector(name)).list().getItems();
    print(out, cluster, jobs);
  }

  static void print(PrintWriter out, GenericKubernetesResource cluster, List<Job> jobs) {
    JsonNode tree = DirkClusters.tree(cluster);
    JsonNode status = tree.path("status");
    JsonNode ready = DirkClusters.condition(tree, "Ready");
    new Table("CLUSTER", "NAMESPACE", "PHASE", "PRIMARY", "READY", "TARGET PRIMARY")
        .row(cluster.getMetadata().getName(), cluster.getMetadata().getNamespace(), text(status.path("phase")),
            text(status.path("currentPrimary")), text(status.path("readyMembers")),
            text(tree.path("spec").path("targetPrimary")))
        .print(out);
    if (!ready.isMissingNode() && !"True".equals(ready.path("status").asText())) {
      out.println("Not ready: " + ready.path("message").asText(ready.path("reason").asText()));
    }

    String paused = DirkClusters.annotation(cluster, DirkClusters.RECONCILIATION);
    String hibernation = DirkClusters.annotation(cluster, DirkClusters.HIBERNATION);
    Set<String> fenced = DirkClusters.fencedMembers(cluster);
    if (DirkClusters.RECONCILIATION_PAUSED.equals(paused)) {
      out.println("Reconciliation: PAUSED (kubectl dirk resume " + cluster.getMetadata().getName() + ")");
    }
    if ("on".equals(hibernation)) {
      out.println("Hibernation: on (kubectl dirk hibernate off " + cluster.getMetadata().getName() + ")");
    }
    if (!fenced.isEmpty()) {
      out.println("Fenced by the user: " + String.join(", ", fenced));
    }

    out.println();
    out.println("Members:");
    Table members = new Table("MEMBER", "ROLE", "EPOCH", "LSN", "LAG", "READY", "MISSED HEARTBEATS", "FENCED");
    for (JsonNode m : status.path("members")) {
      String member = m.path("name").asText();
      boolean userFenced = fenced.contains(member) || fenced.contains(DirkClusters.ALL_MEMBERS);
      members.row(member, text(m.path("role")), text(m.path("epoch")), text(m.path("lsn")), text(m.path("lag")),
          m.path("ready").asBoolean() ? "yes" : "no", text(m.path("missedHeartbeats")), userFenced ? "yes (user)" : "");
    }
    if (status.path("members").isEmpty()) {
      out.println("  (none reported yet)");
    } else {
      members.print(out);
    }

    JsonNode last = status.path("lastFailover");
    out.println();
    if (last.isMissingNode() || last.isNull()) {
      out.println("Last failover: none");
    } else {
      out.println("Last failover:");
      new Table("FROM", "TO", "EPOCH", "REASON", "STEP", "STARTED", "COMPLETED")
          .row(text(last.path("fromPrimary")), text(last.path("toPrimary")), text(last.path("epoch")),
              text(last.path("reason")), text(last.path("step")), text(last.path("startedAt")),
              text(last.path("completedAt")))
          .print(out);
    }

    out.println();
    List<Job> resyncs = jobs.stream()
        .filter(j -> j.getMetadata().getLabels() != null
            && "resync".equals(j.getMetadata().getLabels().get(DirkClusters.LABEL_COMPONENT)))
        .sorted(Comparator.comparing(j -> j.getMetadata().getName()))
        .toList();
    if (resyncs.isEmpty()) {
      out.println("Resync Jobs: none");
    } else {
      out.println("Resync Jobs:");
      Table table = new Table("JOB", "MEMBER", "STATE", "STARTED", "FINISHED");
      for (Job job : resyncs) {
        var s = job.getStatus();
        String state = s == null ? "Pending"
            : s.getSucceeded() != null && s.getSucceeded() > 0 ? "Succeeded"
            : s.getFailed() != null && s.getFailed() > 0 ? "Failed"
            : s.getActive() != null && s.getActive() > 0 ? "Running" : "Pending";
        table.row(job.getMetadata().getName(), job.getMetadata().getLabels().get("dirkdb.io/member"), state,
            s == null ? null : s.getStartTime(), s == null ? null : s.getCompletionTime());
      }
      table.print(out);
    }

    JsonNode conditions = status.path("conditions");
    if (!conditions.isEmpty()) {
      out.println();
      out.println("Conditions:");
      Table table = new Table("TYPE", "STATUS", "REASON", "MESSAGE");
      for (JsonNode c : conditions) {
        table.row(text(c.path("type")), text(c.path("status")), text(c.path("reason")), text(c.path("message")));
      }
      table.print(out);
    }
  }

  static String text(JsonNode node) {
    return node.isMissingNode() || node.isNull() || node.asText().isEmpty() ? null : node.asText();
  }
}
