package io.dirkdb.kubectl;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kubectl dirk logs NAME}: the logs of every pod of the cluster, each line prefixed with pod/container. */
@Command(name = "logs", description = "Print the logs of every pod of the cluster (members, proxy, resync Jobs), "
    + "each line prefixed with pod/container.")
final class LogsCommand extends ClusterCommand {

  @Option(names = {"-f", "--follow"}, description = "Keep streaming new lines until interrupted.")
  boolean follow;

  @Option(names = "--tail", paramLabel = "N", defaultValue = "-1",
      description = "Only the last N lines of each container (default: all).")
  int tail;

  @Override
  void run(KubernetesClient client, String namespace, PrintWriter out) {
    try {
      DirkClusters.get(client, namespace, name);
      List<Pod> pods = client.pods().inNamespace(namespace).withLabels(DirkClusters.selector(name)).list().getItems()
          .stream().sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
      if (pods.isEmpty()) {
        throw new UserError("DirkCluster \"" + name + "\" has no pods (is it hibernated? kubectl dirk status " + name
            + ")");
      }
      List<Thread> streams = new ArrayList<>();
      for (Pod pod : pods) {
        for (Container container : pod.getSpec().getContainers()) {
          String prefix = pod.getMetadata().getName() + "/" + container.getName() + " ";
          PodResource resource = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName());
          var logs = resource.inContainer(container.getName());
          io.fabric8.kubernetes.client.dsl.Loggable tailed = tail >= 0 ? logs.tailingLines(tail) : logs;
          if (!follow) {
            String text = tailed.getLog();
            if (text != null) {
              text.lines().forEach(line -> out.println(prefix + line));
            }
            out.flush();
            continue;
          }
          Thread stream = new Thread(() -> {
            try (LogWatch watch = tailed.watchLog();
                BufferedReader lines = new BufferedReader(new InputStreamReader(watch.getOutput(),
                    StandardCharsets.UTF_8))) {
              for (String line; (line = lines.readLine()) != null; ) {
                synchronized (out) {
                  out.println(prefix + line);
                  out.flush();
                }
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }, "logs-" + prefix.strip());
          stream.setDaemon(true);
          stream.start();
          streams.add(stream);
        }
      }
      for (Thread stream : streams) {
        stream.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
