package io.dirkdb.kubectl;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/**
 * {@code kubectl dirk client NAME}: port-forwards a free local port to a ready proxy pod of the cluster and runs
 * {@code dirk client 127.0.0.1 PORT} with the cluster's application password in DIRK_PASSWORD; without {@code dirk} on
 * the PATH it keeps the port-forward open and prints the command to run.
 */
@Command(name = "client", description = "Open the DirkDB client on the cluster through a port-forward to its proxy, "
    + "authenticated with the cluster's password (runs `dirk` from the PATH; without it, keeps the port-forward open "
    + "and prints the command).")
final class ClientCommand extends ClusterCommand {

  static final String DEFAULT_SECRET_SUFFIX = "-credentials";

  @Override
  void run(KubernetesClient client, String namespace, PrintWriter out) {
    GenericKubernetesResource cluster = DirkClusters.get(client, namespace, name);
    Guards.refuseWhilePausedOrHibernated(cluster, "serve clients");
    JsonNode clusterSpec = DirkClusters.tree(cluster).path("spec");
    String password = password(client, namespace, clusterSpec);
    int port = clusterSpec.path("proxy").path("port").asInt(3949);
    Pod proxy = readyProxyPod(client, namespace);
    try (LocalPortForward forward = client.pods().inNamespace(namespace).withName(proxy.getMetadata().getName())
        .portForward(port)) {
      int local = forward.getLocalPort();
      String tls = clusterSpec.path("tls").isMissingNode() || clusterSpec.path("tls").isNull() ? ""
          : " (the cluster has spec.tls: add the client's --tls options)";
      File dirk = onPath("dirk");
      if (dirk == null) {
        out.println("Forwarding 127.0.0.1:" + local + " to " + proxy.getMetadata().getName() + ":" + port
            + "; `dirk` is not on the PATH, so connect with" + tls + ":");
        out.println("  DIRK_PASSWORD=<the \"password\" key of Secret " + secretName(clusterSpec) + "> dirk client 127.0.0.1 "
            + local);
        out.println("Press Ctrl-C to stop the port-forward.");
        out.flush();
        new CountDownLatch(1).await();
        return;
      }
      out.println("Connected through 127.0.0.1:" + local + " to " + proxy.getMetadata().getName() + tls);
      out.flush();
      ProcessBuilder shell = new ProcessBuilder(dirk.getPath(), "client", "127.0.0.1", String.valueOf(local))
          .inheritIO();
      shell.environment().put("DIRK_PASSWORD", password);
      int exit = shell.start().waitFor();
      if (exit != 0) {
        spec.commandLine().setExecutionResult(exit);
      }
    } catch (IOException e) {
      throw new UserError("could not run the client: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** spec.auth.secretName, else the Secret the operator generates (ClusterNaming.credentialsSecret). */
  private String secretName(JsonNode spec) {
    String named = spec.path("auth").path("secretName").asText("");
    return named.isBlank() ? name + DEFAULT_SECRET_SUFFIX : named;
  }

  private String password(KubernetesClient client, String namespace, JsonNode spec) {
    String secretName = secretName(spec);
    Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
    if (secret == null) {
      throw new UserError("the credentials Secret \"" + secretName + "\" of " + name + " does not exist in namespace \""
          + namespace + "\"");
    }
    Map<String, String> data = secret.getData();
    String encoded = data == null ? null : data.get(DirkClusters.PASSWORD_KEY);
    if (encoded != null) {
      return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }
    Map<String, String> plain = secret.getStringData();
    if (plain != null && plain.get(DirkClusters.PASSWORD_KEY) != null) {
      return plain.get(DirkClusters.PASSWORD_KEY);
    }
    throw new UserError("the credentials Secret \"" + secretName + "\" of " + name + " has no \""
        + DirkClusters.PASSWORD_KEY + "\" key (it has: " + (data == null ? "none" : String.join(", ", data.keySet()))
        + ")");
  }

  private Pod readyProxyPod(KubernetesClient client, String namespace) {
    return client.pods().inNamespace(namespace).withLabels(DirkClusters.selector(name))
        .withLabel(DirkClusters.LABEL_COMPONENT, "proxy").list().getItems().stream()
        .filter(ClientCommand::ready)
        .min(Comparator.comparing(p -> p.getMetadata().getName()))
        .orElseThrow(() -> new UserError("no proxy pod of " + name + " is ready (kubectl dirk status " + name + ")"));
  }

  static boolean ready(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions()
        .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  static File onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      File candidate = new File(dir, program);
      if (candidate.isFile() && candidate.canExecute()) {
        return candidate;
      }
    }
    return null;
  }
}
