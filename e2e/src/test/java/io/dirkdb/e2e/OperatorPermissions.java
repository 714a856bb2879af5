package io.dirkdb.e2e;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
   * One resource with its verbs, each with the regular expression that finds its use in the operator's
   * main sources ({@code verbUses}, verb to evidence), so a verb granted but no longer used is noticed;
   * {@code anticipated} rows are for code another change is adding, and say which.
   */
  record Permission(String apiGroup, String resource, Map<String, String> verbUses, Scope scope, String usedBy,
      String anticipated) {

    List<String> verbs() {
      return List.copyOf(verbUses.keySet());
    }

    Set<String> triples() {
      Set<String> out = new LinkedHashSet<>();
      for (String verb : verbUses.keySet()) {
        out.add(triple(apiGroup, resource, verb));
      }
      return out;
    }
  }

  /**
   * A call in the operator's sources and the right it needs: a call found without its right in the
   * table fails ChartRbacTest (e.g. {@code updateStatus()} is a PUT, verb update on the status).
   */
  record CodeCall(String sourceCall, String apiGroup, String resource, String verb, String why) {}

  static String triple(String apiGroup, String resource, String verb) {
    return (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource + ":" + verb;
  }

  /** The same evidence for several verbs, in order. */
  private static Map<String, String> uses(String evidence, String... verbs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String verb : verbs) {
      out.put(verb, evidence);
    }
    return out;
  }

  private static Map<String, String> and(Map<String, String> a, Map<String, String> b) {
    Map<String, String> out = new LinkedHashMap<>(a);
    out.putAll(b);
    return out;
  }

  /**
   * A dependent made by JOSDK: watched by its informer, created by POST, then kept in line by
   * server-side apply (PATCH; the kinds JOSDK never applies, ConfigMap and Secret, are PUT instead).
   */
  private static Map<String, String> applied(String kind) {
    return uses("CRUDKubernetesDependentResource<" + kind + ",", "get", "list", "watch", "create", "patch");
  }

  static final List<Permission> ALL = List.of(
      new Permission("dirkdb.io", "dirkclusters",
          and(and(uses("implements Reconciler<DirkCluster>", "list", "watch"),
              uses("client\\.resource\\(cached\\)\\.get\\(\\)", "get")),
              uses("resources\\(DirkCluster\\.class\\)[^;]*\\.patch\\(", "patch")), Scope.WATCHED_NAMESPACES,
          "DirkClusterReconciler: the controller's informer; FailoverCoordinator reads the stored cluster; "
              + "ResyncRequest removes the dirkdb.io/resync annotation it served", null),
      new Permission("dirkdb.io", "dirkclusters/status",
          uses("patchStatus|subresource\\(\"status\"\\)\\s*\\.patch\\(", "patch"), Scope.WATCHED_NAMESPACES,
          "DirkClusterReconciler: UpdateControl.patchStatus, ErrorStatusUpdateControl.patchStatus; StatusPatch: the "
              + "failover steps' JSON patches that set the resourceVersion read", null),
      new Permission("dirkdb.io", "dirkclusters/finalizers", uses("withBlockOwnerDeletion\\(true\\)", "update"),
          Scope.WATCHED_NAMESPACES, "ClusterNaming.controllerReference: blockOwnerDeletion=true needs it where "
              + "OwnerReferencesPermissionEnforcement is on", null),
      new Permission("dirkdb.io", "dirkbackups", and(and(uses("implements Reconciler<DirkBackup>", "list", "watch"),
          uses("resources\\(DirkBackup\\.class\\)[^;]*\\.create\\(\\)", "create")),
          uses("resources\\(DirkBackup\\.class\\)[^;]*\\.withName\\([^;]*\\)\\.get\\(\\)", "get")),
          Scope.WATCHED_NAMESPACES, "DirkBackupReconciler: the controller's informer; ScheduledBackupReconciler: the "
              + "DirkBackup of each Job the backup CronJob starts", null),
      new Permission("dirkdb.io", "dirkbackups/status", uses("UpdateControl\\.patchStatus\\(backup\\)", "patch"),
          Scope.WATCHED_NAMESPACES, "DirkBackupReconciler: UpdateControl.patchStatus", null),
      new Permission("dirkdb.io", "dirkbackups/finalizers", uses("ownerReference\\(DirkBackup[^}]*withBlockOwnerDeletion\\(true\\)",
          "update"), Scope.WATCHED_NAMESPACES, "BackupPods.ownerReference: a backup Job's owner reference to its "
              + "DirkBackup has blockOwnerDeletion=true", null),
      new Permission("apps", "statefulsets", applied("StatefulSet"), Scope.WATCHED_NAMESPACES,
          "PrimaryStatefulSetDependent, SecondaryStatefulSetDependent", null),
      new Permission("apps", "deployments", and(applied("Deployment"),
          and(uses("deployments\\(\\)[^;]*\\.update\\(\\)", "update"), uses("deployments\\(\\)[^;]*\\.delete\\(\\)", "delete"))),
          Scope.WATCHED_NAMESPACES, "ProxyDeploymentDependent; BackupChildren: the archiver Deployment, rewritten by PUT "
              + "when its spec changes, deleted when archiving is turned off", null),
      new Permission("batch", "cronjobs", and(uses("cronjobs\\(\\)[^;]*\\.get\\(\\)", "get"),
          and(uses("cronjobs\\(\\)[^;]*\\.create\\(\\)", "create"),
              and(uses("cronjobs\\(\\)[^;]*\\.update\\(\\)", "update"), uses("cronjobs\\(\\)[^;]*\\.delete\\(\\)", "delete")))),
          Scope.WATCHED_NAMESPACES, "BackupChildren: the scheduled backups' CronJob <name>-backup", null),
      new Permission("", "services", applied("Service"), Scope.WATCHED_NAMESPACES,
          "MembersServiceDependent, PrimaryServiceDependent, ProxyServiceDependent", null),
      new Permission("", "configmaps",
          uses("CRUDKubernetesDependentResource<ConfigMap,", "get", "list", "watch", "create", "update"),
          Scope.WATCHED_NAMESPACES, "ConfigMapDependent: created by POST and rewritten by PUT; the Operator SDK never "
              + "server-side applies ConfigMaps (ConfigurationService.defaultNonSSAResources)", null),
      new Permission("", "serviceaccounts", applied("ServiceAccount"), Scope.WATCHED_NAMESPACES,
          "ServiceAccountDependent", null),
      new Permission("policy", "poddisruptionbudgets", applied("PodDisruptionBudget"), Scope.WATCHED_NAMESPACES,
          "MembersDisruptionBudgetDependent", null),
      new Permission("", "secrets",
          and(uses("KubernetesDependentResource<Secret,[^{]*Creator<Secret", "get", "list", "watch", "create"),
              and(uses("Updater<Secret, DirkCluster>", "update"),
                  uses("secrets\\(\\)[^;]*\\.patch\\(PatchContext\\.of\\(PatchType\\.JSON_MERGE\\)", "patch"))),
          Scope.WATCHED_NAMESPACES, "CredentialsSecretDependent: created once, updated (PUT) only to add a missing "
              + "key; never deleted by the operator (the owner reference lets the garbage collector remove it with "
              + "its DirkCluster); ReferencedSecrets: the informer on the Secrets a DirkCluster names, which it labels "
              + "dirkdb.io/watched-secret=true by JSON merge patch", null),
      new Permission("", "pods",
          and(uses("InformerEventSourceConfiguration\\.from\\(Pod\\.class", "get", "list", "watch"),
              and(uses("pods\\(\\)[^;]*\\.patch\\(PatchContext\\.of\\(PatchType\\.JSON_MERGE\\)", "patch"),
                  uses("pods\\(\\)[^;]*\\.delete\\(\\)", "delete"))),
          Scope.WATCHED_NAMESPACES,
          "DirkClusterReconciler member-pods informer; MemberRoleLabeler and RoleLabels JSON merge patch of dirkdb.io/role; "
              + "the rolling update deletes one member pod at a time (OnDelete StatefulSets)",
          null),
      new Permission("batch", "jobs",
          and(uses("InformerEventSourceConfiguration\\.from\\(Job\\.class", "get", "list", "watch"),
              and(uses("jobs\\(\\)[^;]*\\.create\\(\\)", "create"), uses("jobs\\(\\)[^;]*\\.patch\\(", "patch"))),
          Scope.WATCHED_NAMESPACES, "resync Jobs (io.dirkdb.operator.resync): created, watched, annotated once reported; "
              + "finished Jobs go by ttlSecondsAfterFinished, never deleted by the operator; ScheduledBackupReconciler: "
              + "the backup CronJob's Jobs, watched and annotated dirkdb.io/backup-recorded (edit: get, then patch)",
          null),
      new Permission("", "events", uses("\\.v1\\(\\)\\.events\\(\\)[^;]*\\.create\\(\\)", "create"),
          Scope.WATCHED_NAMESPACES, "ClusterEvents.record: client.v1().events()", null),
      new Permission("events.k8s.io", "events", uses("\\.events\\(\\)\\.v1\\(\\)", "create"),
          Scope.WATCHED_NAMESPACES, "failover Events through events.k8s.io/v1",
          "the failover change records its Events through events.k8s.io"),
      new Permission("coordination.k8s.io", "leases", uses("LeaderElectionConfiguration", "get", "create", "update", "patch"),
          Scope.LEASE_NAMESPACE, "OperatorLeaderElection: Fabric8 7.5's ResourceLock gets, creates and renews the "
              + "Lease by JSON merge patch; JOSDK's LeaderElectionManager.checkLeaseAccess demands get, create, update",
          null));

  /** Calls whose verb is not the one their kind's row suggests; each needs its right in the table. */
  static final List<CodeCall> CODE_CALLS = List.of(
      new CodeCall("\\.updateStatus\\(|\\.replaceStatus\\(", "dirkdb.io", "dirkclusters/status", "update",
          "a PUT of the status"),
      new CodeCall("\\.editStatus\\(|\\.patchStatus\\(", "dirkdb.io", "dirkclusters/status", "patch",
          "a patch of the status"),
      new CodeCall("CRUDKubernetesDependentResource<ConfigMap,", "", "configmaps", "update",
          "JOSDK rewrites a ConfigMap by PUT: it never server-side applies ConfigMaps"),
      new CodeCall("CRUDKubernetesDependentResource<Secret,|Updater<Secret,", "", "secrets", "update",
          "JOSDK rewrites a Secret by PUT: it never server-side applies Secrets"),
      new CodeCall("secrets\\(\\)[^;]*\\.patch\\(", "", "secrets", "patch", "a patch of a Secret"),
      new CodeCall("(?<!cron)jobs\\(\\)[^;]*\\.delete\\(", "batch", "jobs", "delete", "a Job deleted"),
      new CodeCall("pods\\(\\)[^;]*\\.delete\\(", "", "pods", "delete", "a pod deleted"),
      new CodeCall("pods\\(\\)[^;]*\\.(update|replace)\\(", "", "pods", "update", "a PUT of a pod"),
      new CodeCall("statefulSets\\(\\)[^;]*\\.(update|replace)\\(", "apps", "statefulsets", "update",
          "a PUT of a StatefulSet"),
      new CodeCall("statefulSets\\(\\)[^;]*\\.delete\\(", "apps", "statefulsets", "delete", "a StatefulSet deleted"),
      new CodeCall("deployments\\(\\)[^;]*\\.(update|replace)\\(", "apps", "deployments", "update",
          "a PUT of a Deployment"),
      new CodeCall("deployments\\(\\)[^;]*\\.delete\\(", "apps", "deployments", "delete", "a Deployment deleted"),
      new CodeCall("cronjobs\\(\\)[^;]*\\.(update|replace)\\(", "batch", "cronjobs", "update", "a PUT of a CronJob"),
      new CodeCall("cronjobs\\(\\)[^;]*\\.delete\\(", "batch", "cronjobs", "delete", "a CronJob deleted"),
      new CodeCall("Reconciler<DirkBackup>[\\s\\S]*patchStatus", "dirkdb.io", "dirkbackups/status", "patch",
          "a patch of a DirkBackup's status"));

  private OperatorPermissions() {}

  static Set<String> triples(Scope scope) {
    Set<String> out = new LinkedHashSet<>();
    ALL.stream().filter(p -> p.scope() == scope).forEach(p -> out.addAll(p.triples()));
    return out;
  }
}
