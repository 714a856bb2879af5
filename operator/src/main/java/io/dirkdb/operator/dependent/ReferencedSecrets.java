package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The Secrets a DirkCluster names and the operator reads in a pass: the credentials ({@code spec.auth.secretName},
 * else the generated {@code <name>-credentials}) and {@code spec.tls.secretName}.
 *
 * <p>A user's Secret is watched, so that a changed password rolls the pods (and renewed TLS files reach the
 * operator's copies) at once rather than at some later pass. To cache only those Secrets, not every Secret of the
 * namespace, the operator labels the ones a DirkCluster names {@value #LABEL_WATCHED}{@code =true} (a JSON merge
 * patch of that label alone) and its informer selects by that label; an index of the DirkClusters by the Secrets
 * they name maps a Secret's change back to them. The generated Secret is watched by its own dependent already.
 *
 * <p>One instance per pass, shared by the dependents through the workflow's context ({@link #of}): each Secret is
 * read at most once per pass, from the informers' caches, and from the API server only while a user's Secret is
 * not in the cache yet (not labelled yet, or just created).
 */
public final class ReferencedSecrets {

  /** Name of the informer event source on the users' Secrets. */
  public static final String EVENT_SOURCE = "referenced-secrets";
  /** The label that puts a user's Secret into the operator's cache. */
  public static final String LABEL_WATCHED = "dirkdb.io/watched-secret";
  static final String SELECTOR = LABEL_WATCHED + "=true";
  /** Primary-cache index: {@code namespace/secret} to the DirkClusters that name that Secret. */
  static final String INDEX = "dirkclusters-by-secret";
  /** The dependent (and its event source) that makes {@code <name>-credentials}. */
  static final String CREDENTIALS_DEPENDENT = "credentials";

  private static final Logger LOG = Logger.getLogger(ReferencedSecrets.class);
  private static final String LABEL_PATCH = "{\"metadata\":{\"labels\":{\"" + LABEL_WATCHED + "\":\"true\"}}}";

  private final DirkCluster cluster;
  private final Context<DirkCluster> context;
  private final Map<String, Optional<Secret>> read = new ConcurrentHashMap<>();
  private AppliedCredentials.Decision decision;

  private ReferencedSecrets(DirkCluster cluster, Context<DirkCluster> context) {
    this.cluster = cluster;
    this.context = context;
  }

  /** The informer on the users' Secrets that a cluster names, mapping each change back to those clusters. */
  public static InformerEventSource<Secret, DirkCluster> eventSource(EventSourceContext<DirkCluster> context) {
    context.getPrimaryCache().addIndexer(INDEX, ReferencedSecrets::indexKeys);
    var config = InformerEventSourceConfiguration.from(Secret.class, DirkCluster.class)
        .withName(EVENT_SOURCE)
        .withLabelSelector(SELECTOR)
        .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache()
            .byIndex(INDEX, key(secret.getMetadata().getNamespace(), secret.getMetadata().getName())).stream()
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    return new InformerEventSource<>(config, context);
  }

  /** The index keys of a cluster: one per user's Secret it names. */
  static List<String> indexKeys(DirkCluster cluster) {
    return userSecretNames(cluster).stream().map(n -> key(cluster.getMetadata().getNamespace(), n)).toList();
  }

  /** The Secrets a cluster names that the operator did not make: spec.auth.secretName, spec.tls.secretName. */
  static Set<String> userSecretNames(DirkCluster cluster) {
    Set<String> names = new LinkedHashSet<>();
    if (cluster.getSpec() == null) {
      return names;
    }
    if (!ClusterNaming.generatesSecret(cluster)) {
      names.add(ClusterNaming.credentialsSecret(cluster));
    }
    if (cluster.getSpec().tlsEnabled()) {
      names.add(cluster.getSpec().getTls().getSecretName());
    }
    return names;
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** Starts this pass's reads; the dependents find it with {@link #of}. */
  public static ReferencedSecrets startPass(DirkCluster cluster, Context<DirkCluster> context) {
    ReferencedSecrets secrets = new ReferencedSecrets(cluster, context);
    context.managedWorkflowAndDependentResourceContext().put(ReferencedSecrets.class, secrets);
    return secrets;
  }

  /** This pass's reads (a fresh one outside a reconciler's pass). */
  public static ReferencedSecrets of(DirkCluster cluster, Context<DirkCluster> context) {
    return context.managedWorkflowAndDependentResourceContext().get(ReferencedSecrets.class, ReferencedSecrets.class)
        .orElseGet(() -> new ReferencedSecrets(cluster, context));
  }

  /** The Secret the pods read their passwords from; null when it does not exist (yet). */
  public Secret credentials() {
    if (ClusterNaming.generatesSecret(cluster)) {
      // Its dependent's informer has it, also right after the dependent created it in this pass.
      return context.getSecondaryResource(Secret.class, CREDENTIALS_DEPENDENT).orElse(null);
    }
    return userSecret(ClusterNaming.credentialsSecret(cluster));
  }

  /** By uid: a cluster deleted and made again under its name starts with nothing remembered. */
  private static String appliedKey(DirkCluster cluster) {
    return key(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName()) + "/"
        + cluster.getMetadata().getUid();
  }

  /** Forgets the passwords a deleted cluster's pods were last made for. */
  public static void forget(DirkCluster cluster) {
    AppliedCredentials.forget(appliedKey(cluster));
  }

  /** Whether the pods follow the credentials Secret this pass, and the operator's own passwords (once per pass). */
  public synchronized AppliedCredentials.Decision applied() {
    if (decision == null) {
      String templateHash = context.getSecondaryResourcesAsStream(StatefulSet.class)
          .filter(s -> ClusterNaming.primaryStatefulSet(cluster).equals(s.getMetadata().getName()))
          .map(s -> AppliedCredentials.hashOf(s.getSpec().getTemplate())).filter(java.util.Objects::nonNull)
          .findFirst().orElseGet(() -> context.getSecondaryResourcesAsStream(Deployment.class)
              .filter(d -> ClusterNaming.proxy(cluster).equals(d.getMetadata().getName()))
              .map(d -> AppliedCredentials.hashOf(d.getSpec().getTemplate())).filter(java.util.Objects::nonNull)
              .findFirst().orElse(null));
      decision = AppliedCredentials.decide(appliedKey(cluster),
          ClusterNaming.credentialsSecret(cluster), credentials(), templateHash);
    }
    return decision;
  }

  /**
   * The credentials hash for a pod template that carries {@code current} now (null for a child not made yet):
   * the Secret's, or {@code current} while the Secret is missing or its change would break the members.
   */
  public String podCredentialsHash(String current) {
    return applied().hash(credentials(), current);
  }

  /** The Secret of spec.tls; null without spec.tls or while the Secret does not exist. */
  public Secret tls() {
    return cluster.getSpec() != null && cluster.getSpec().tlsEnabled()
        ? userSecret(cluster.getSpec().getTls().getSecretName()) : null;
  }

  private Secret userSecret(String name) {
    return read.computeIfAbsent(name, this::load).orElse(null);
  }

  private Optional<Secret> load(String name) {
    String namespace = cluster.getMetadata().getNamespace();
    var informer = context.eventSourceRetriever().<Secret>getEventSourceFor(Secret.class, EVENT_SOURCE);
    Optional<Secret> cached = ((InformerEventSource<Secret, DirkCluster>) informer).get(new ResourceID(name, namespace));
    if (cached.isPresent()) {
      return cached;
    }
    // Not in the cache: not labelled yet (or the watch has not brought it yet). Read once, and label it.
    Secret secret = context.getClient().secrets().inNamespace(namespace).withName(name).get();
    if (secret != null && !"true".equals(label(secret))) {
      try {
        context.getClient().secrets().inNamespace(namespace).withName(name)
            .patch(PatchContext.of(PatchType.JSON_MERGE), LABEL_PATCH);
      } catch (KubernetesClientException e) {
        LOG.warnf("DirkCluster %s/%s: cannot label Secret %s %s=true (%s): a change of it reaches the cluster only "
            + "at the operator's next pass", namespace, cluster.getMetadata().getName(), name, LABEL_WATCHED,
            e.getMessage());
      }
    }
    return Optional.ofNullable(secret);
  }

  private static String label(Secret secret) {
    var labels = secret.getMetadata().getLabels();
    return labels == null ? null : labels.get(LABEL_WATCHED);
  }
}
