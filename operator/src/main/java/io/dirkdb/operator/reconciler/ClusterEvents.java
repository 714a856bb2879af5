package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.Reason;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.jboss.logging.Logger;

/** Kubernetes Events about a DirkCluster or a DirkBackup, for what a user must see in {@code kubectl describe}. */
public final class ClusterEvents {

  private static final Logger LOG = Logger.getLogger(ClusterEvents.class);
  static final String SOURCE = "dirk-operator";

  private ClusterEvents() {}

  public static void warning(KubernetesClient client, HasMetadata cluster, Reason reason, String message) {
    record(client, cluster, "Warning", reason, message);
  }

  /** An Event of type Normal: something a user may want to see happened as planned. */
  public static void normal(KubernetesClient client, HasMetadata cluster, Reason reason, String message) {
    record(client, cluster, "Normal", reason, message);
  }

  /** @param type Normal or Warning */
  public static void record(KubernetesClient client, HasMetadata cluster, String type, Reason reason, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Event event = new EventBuilder()
        .withNewMetadata()
        .withName(cluster.getMetadata().getName() + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
        .withNamespace(cluster.getMetadata().getNamespace())
        .endMetadata()
        .withNewInvolvedObject()
        .withApiVersion(cluster.getApiVersion())
        .withKind(cluster.getKind())
        .withName(cluster.getMetadata().getName())
        .withNamespace(cluster.getMetadata().getNamespace())
        .withUid(cluster.getMetadata().getUid())
        .withResourceVersion(cluster.getMetadata().getResourceVersion())
        .endInvolvedObject()
        .withType(type)
        .withReason(reason.name())
        .withMessage(message)
        .withNewSource().withComponent(SOURCE).endSource()
        .withReportingComponent(SOURCE)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .build();
    try {
      client.v1().events().inNamespace(cluster.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      // An Event is a courtesy: losing one must not fail the reconciliation that reports the problem.
      LOG.warnf(e, "DirkCluster %s/%s: could not record Event %s", cluster.getMetadata().getNamespace(),
          cluster.getMetadata().getName(), reason);
    }
  }
}
