package io.dirkdb.operator.dependent;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Names and labels of everything the operator makes for a DirkCluster: one place, so they never drift. */
public final class ClusterNaming {

  public static final String LABEL_NAME = "app.kubernetes.io/name";
  public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  /** The role of a member pod; moved by the operator, selected by the primary Service. */
  public static final String LABEL_ROLE = "dirkdb.io/role";
  /** The StatefulSet a member pod belongs to; fixed for the pod's life, unlike its role. */
  public static final String LABEL_STATEFULSET = "dirkdb.io/statefulset";

  public static final String APP_NAME = "dirkdb";
  public static final String MANAGER = "dirk-operator";
  /** Informers watch only what this operator made. */
  public static final String MANAGED_SELECTOR = LABEL_MANAGED_BY + "=" + MANAGER;
  public static final String MEMBER_POD_SELECTOR = MANAGED_SELECTOR + "," + LABEL_COMPONENT + "=member";

  public static final String COMPONENT_MEMBER = "member";
  public static final String COMPONENT_PROXY = "proxy";
  /** Objects every component uses: the ConfigMap, the Secret, the ServiceAccount. */
  public static final String COMPONENT_CLUSTER = "cluster";

  public static final String ROLE_PRIMARY = "primary";
  public static final String ROLE_SECONDARY = "secondary";
  public static final String ROLE_FENCED = "fenced";

  public static final int MEMBER_PORT = 3948;
  public static final int MEMBER_HTTP_PORT = 8080;
  public static final int PROXY_HTTP_PORT = 8080;
  public static final int CACHE_HTTP_PORT = 8081;
  /** The credentials Secret's keys: the application password (the only key before roles had their own), ... */
  public static final String PASSWORD_KEY = "password";
  /** ... the replication password (dirk stream and dirk snapshot between members) ... */
  public static final String REPLICATION_PASSWORD_KEY = "replication-password";
  /** ... and the administration password (promote, fence, follow, resync, lease renewal: the operator's). */
  public static final String ADMIN_PASSWORD_KEY = "admin-password";
  /** During a rotation, the Secret's key for the previous application password (optional; {@code DIRK_PREVIOUS_PASSWORD}). */
  public static final String PREVIOUS_PASSWORD_KEY = "previous-password";
  /** The previous replication password of a rotation (optional; {@code DIRK_PREVIOUS_REPLICATION_PASSWORD}). */
  public static final String PREVIOUS_REPLICATION_PASSWORD_KEY = "previous-replication-password";
  /** The previous administration password of a rotation (optional; {@code DIRK_PREVIOUS_ADMIN_PASSWORD}). */
  public static final String PREVIOUS_ADMIN_PASSWORD_KEY = "previous-admin-password";
  public static final String CONFIG_KEY = "config.json";

  private ClusterNaming() {}

  public static String primaryStatefulSet(DirkCluster c) { return c.getMetadata().getName() + "-primary"; }
  public static String secondaryStatefulSet(DirkCluster c) { return c.getMetadata().getName() + "-secondary"; }
  public static String membersService(DirkCluster c) { return c.getMetadata().getName() + "-members"; }
  public static String primaryService(DirkCluster c) { return c.getMetadata().getName() + "-primary"; }
  public static String proxy(DirkCluster c) { return c.getMetadata().getName() + "-proxy"; }
  public static String configMap(DirkCluster c) { return c.getMetadata().getName() + "-config"; }
  public static String generatedSecret(DirkCluster c) { return c.getMetadata().getName() + "-credentials"; }
  public static String serviceAccount(DirkCluster c) { return c.getMetadata().getName() + "-dirkdb"; }
  public static String disruptionBudget(DirkCluster c) { return c.getMetadata().getName() + "-members"; }

  /** The Secret the pods read the password from: the user's, or the one the operator generates. */
  public static String credentialsSecret(DirkCluster c) {
    String named = c.getSpec().getAuth() == null ? null : c.getSpec().getAuth().getSecretName();
    return named == null || named.isBlank() ? generatedSecret(c) : named;
  }

  public static boolean generatesSecret(DirkCluster c) {
    return credentialsSecret(c).equals(generatedSecret(c));
  }

  public static String initialPrimary(DirkCluster c) { return primaryStatefulSet(c) + "-0"; }

  /** Pod names of every desired member: the primary StatefulSet's pod, then the secondaries in order. */
  public static List<String> memberNames(DirkCluster c) {
    List<String> names = new ArrayList<>();
    names.add(initialPrimary(c));
    for (int i = 0; i < c.getSpec().getSecondaries(); i++) {
      names.add(secondaryStatefulSet(c) + "-" + i);
    }
    return names;
  }

  /** Stable DNS name of a member through the headless Service. */
  public static String memberHost(DirkCluster c, String podName) {
    return podName + "." + membersService(c) + "." + c.getMetadata().getNamespace() + ".svc";
  }

  /**
   * The owner reference every child carries: controller true, so {@code kubectl describe} names the
   * cluster and Kubernetes garbage-collects the child when the DirkCluster is deleted.
   */
  public static OwnerReference controllerReference(DirkCluster c) {
    return new OwnerReferenceBuilder()
        .withApiVersion(c.getApiVersion())
        .withKind(c.getKind())
        .withName(c.getMetadata().getName())
        .withUid(c.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  public static Map<String, String> labels(DirkCluster c, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_NAME, APP_NAME);
    labels.put(LABEL_INSTANCE, c.getMetadata().getName());
    labels.put(LABEL_COMPONENT, component);
    labels.put(LABEL_MANAGED_BY, MANAGER);
    return labels;
  }

  /** Selects every member pod of the cluster, whatever its role. */
  public static Map<String, String> memberSelector(DirkCluster c) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(LABEL_NAME, APP_NAME);
    selector.put(LABEL_INSTANCE, c.getMetadata().getName());
    selector.put(LABEL_COMPONENT, COMPONENT_MEMBER);
    return selector;
  }

  public static Map<String, String> proxySelector(DirkCluster c) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(LABEL_NAME, APP_NAME);
    selector.put(LABEL_INSTANCE, c.getMetadata().getName());
    selector.put(LABEL_COMPONENT, COMPONENT_PROXY);
    return selector;
  }
}
