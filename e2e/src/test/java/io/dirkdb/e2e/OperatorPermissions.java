package io.dirkdb.e2e;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every right the operator uses, with where it uses it: the one list the chart's RBAC is checked
 * against (ChartRbacTest). A new use in the operator means a new row here and in
 * helm/dirk-operator/templates/_helpers.tpl; the tests fail until both agree.
 */
final class OperatorPermissions {

  /** Where a right must hold. */
  enum Scope {
    /** In every namespace whose DirkClusters the operator manages. */
    WATCHED_NAMESPACES,
    /** In the namespace of the leader Lease. */
    LEASE_NAMESPACE
  }

  /**
   * One resource with its verbs. {@code sourceUse} is a regular expression that must match the
   * operator's main sources, so a row whose use was removed is noticed; {@code anticipated} rows
   * are for code another change is adding, and say which.
   */
  record Permission(String apiGroup, String resource, List<String> verbs, Scope scope, String usedBy,
      String sourceUse, String anticipated) {

    Set<String> triples() {
      Set<String> out = new LinkedHashSet<>();
      for (String verb : verbs) {
        out.add(triple(apiGroup, resource, verb));
      }
      return out;
    }
  }

  static String triple(String apiGroup, String resource, String verb) {
    return (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource + ":" + verb;
  }

  private static final List<String> READ = List.of("get", "list", "watch");
  /** Dependents made by JOSDK: created by POST, then kept in line by server-side apply (PATCH). */
  private static final List<String> MANAGED = List.of("get", "list", "watch", "create", "patch");

  static final List<Permission> ALL = List.of(
      new Permission("dirkdb.io", "dirkclusters", READ, Scope.WATCHED_NAMESPACES,
          "DirkClusterReconciler: the controller's informer", "implements Reconciler<DirkCluster>", null),
      new Permission("dirkdb.io", "dirkclusters/status", List.of("patch"), Scope.WATCHED_NAMESPACES,
          "DirkClusterReconciler: UpdateControl.patchStatus, ErrorStatusUpdateControl.patchStatus", "patchStatus", null),
      new Permission("dirkdb.io", "dirkclusters/finalizers", List.of("update"), Scope.WATCHED_NAMESPACES,
          "ClusterNaming.controllerReference: blockOwnerDeletion=true needs it where "
              + "OwnerReferencesPermissionEnforcement is on", "withBlockOwnerDeletion\\(true\\)", null),
      new Permission("apps", "statefulsets", MANAGED, Scope.WATCHED_NAMESPACES,
          "PrimaryStatefulSetDependent, SecondaryStatefulSetDependent", "DependentResource<StatefulSet,", null),
      new Permission("apps", "deployments", MANAGED, Scope.WATCHED_NAMESPACES,
          "ProxyDeploymentDependent", "DependentResource<Deployment,", null),
      new Permission("", "services", MANAGED, Scope.WATCHED_NAMESPACES,
          "MembersServiceDependent, PrimaryServiceDependent, ProxyServiceDependent", "DependentResource<Service,", null),
      new Permission("", "configmaps", MANAGED, Scope.WATCHED_NAMESPACES,
          "ConfigMapDependent", "DependentResource<ConfigMap,", null),
      new Permission("", "serviceaccounts", MANAGED, Scope.WATCHED_NAMESPACES,
          "ServiceAccountDependent", "DependentResource<ServiceAccount,", null),
      new Permission("policy", "poddisruptionbudgets", MANAGED, Scope.WATCHED_NAMESPACES,
          "MembersDisruptionBudgetDependent", "DependentResource<PodDisruptionBudget,", null),
      new Permission("", "secrets", List.of("get", "list", "watch", "create", "delete"), Scope.WATCHED_NAMESPACES,
          "CredentialsSecretDependent: create-only; JOSDK deletes it when its reconcile precondition "
              + "(GeneratesCredentialsCondition) turns false", "DependentResource<Secret,", null),
      new Permission("", "pods", List.of("get", "list", "watch", "patch", "delete"), Scope.WATCHED_NAMESPACES,
          "DirkClusterReconciler member-pods informer; MemberRoleLabeler JSON merge patch of dirkdb.io/role; RollingUpdate deletes one member pod at a time (OnDelete)",
          "InformerEventSourceConfiguration\\.from\\(Pod\\.class", null),
      new Permission("batch", "jobs", List.of("get", "list", "watch", "create", "patch", "delete"),
          Scope.WATCHED_NAMESPACES, "resync Jobs (io.dirkdb.operator.resync)",
          "DependentResource<Job,|\\.batch\\(\\)\\.v1\\(\\)\\.jobs\\(\\)|Job\\.class",
          "the failover change adds the resync Jobs"),
      new Permission("", "events", List.of("create"), Scope.WATCHED_NAMESPACES,
          "ClusterEvents.warning: client.v1().events()", "\\.v1\\(\\)\\.events\\(\\)", null),
      new Permission("events.k8s.io", "events", List.of("create"), Scope.WATCHED_NAMESPACES,
          "failover Events through events.k8s.io/v1", "\\.events\\(\\)\\.v1\\(\\)",
          "the failover change records its Events through events.k8s.io"),
      new Permission("coordination.k8s.io", "leases", List.of("get", "create", "update", "patch"),
          Scope.LEASE_NAMESPACE, "OperatorLeaderElection: Fabric8 7.5's ResourceLock gets, creates and renews the "
              + "Lease by JSON merge patch; JOSDK's LeaderElectionManager.checkLeaseAccess demands get, create, update",
          "LeaderElectionConfiguration", null));

  private OperatorPermissions() {}

  static Set<String> triples(Scope scope) {
    Set<String> out = new LinkedHashSet<>();
    ALL.stream().filter(p -> p.scope() == scope).forEach(p -> out.addAll(p.triples()));
    return out;
  }
}
