{{/* Names and labels shared by every template of the chart. */}}

{{/* The release's full name, at most 63 characters (a DNS label). */}}
{{- define "dirk-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dirk-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dirk-operator.labels" -}}
{{ include "dirk-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: dirkdb
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "dirk-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dirk-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dirk-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "dirk-operator.dirkImage" -}}
{{- printf "%s:%s" .Values.dirkImage.repository (default .Chart.AppVersion .Values.dirkImage.tag) -}}
{{- end -}}

{{- define "dirk-operator.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.leaseNamespace -}}
{{- end -}}

{{/*
The rights the operator needs on DirkClusters and on what it makes for them, in every watched
namespace. e2e/src/test/java/io/dirkdb/e2e/OperatorPermissions.java lists each verb with its use, and
ChartRbacTest fails when the two differ; the operator's tests run on an API server enforcing exactly
these rules (operator/src/test/java/io/dirkdb/operator/RbacGate.java) and fail on any 403.
*/}}
{{- define "dirk-operator.clusterRules" -}}
# DirkClusters: the primary resource, watched; status written by patch only, each failover step's
# patch carrying the resourceVersion it read (a concurrent writer gets 409).
# patch: only to remove the dirkdb.io/resync annotation once its resync Job exists (so it runs once).
- apiGroups: ["dirkdb.io"]
  resources: ["dirkclusters"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["dirkdb.io"]
  resources: ["dirkclusters/status"]
  verbs: ["patch"]
# Children carry an owner reference with blockOwnerDeletion, which some API servers only accept from
# whoever may update the owner's finalizers.
- apiGroups: ["dirkdb.io"]
  resources: ["dirkclusters/finalizers"]
  verbs: ["update"]
# DirkBackups: watched; status written by patch only; their Jobs carry an owner reference with
# blockOwnerDeletion to them. create: the DirkBackup of each Job the backup CronJob starts (once per Job);
# get: the one already of that name when create answers 409 (ours, or a user's that takes the name).
- apiGroups: ["dirkdb.io"]
  resources: ["dirkbackups"]
  verbs: ["get", "list", "watch", "create"]
- apiGroups: ["dirkdb.io"]
  resources: ["dirkbackups/status"]
  verbs: ["patch"]
- apiGroups: ["dirkdb.io"]
  resources: ["dirkbackups/finalizers"]
  verbs: ["update"]
# The children the operator creates and keeps in line by server-side apply. The archiver Deployment
# (spec.backup.archiving) is rewritten by PUT when its spec changes and deleted when archiving is turned off.
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
# The scheduled backups' CronJob (spec.backup.schedule): read, created, rewritten by PUT when its spec
# changes, deleted when the schedule is removed.
- apiGroups: ["batch"]
  resources: ["cronjobs"]
  verbs: ["get", "create", "update", "delete"]
- apiGroups: [""]
  resources: ["services", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch"]
# The cluster's config.json: the Operator SDK never server-side applies ConfigMaps; it rewrites them by
# PUT (update) with the resourceVersion it read, e.g. when spec.secondaries changes.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "update"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch"]
# The generated credentials: created once; updated (PUT) only to add a missing key (a Secret made before
# roles had their own passwords), never to change a value; removed with its DirkCluster by the garbage
# collector (owner reference), never deleted by the operator. The Secrets a DirkCluster names
# (spec.auth.secretName, spec.tls.secretName) are watched: the operator patches only their label
# dirkdb.io/watched-secret=true onto them, and its informer lists and watches the Secrets with that label.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
# Member pods: watched for readiness, relabelled dirkdb.io/role=primary|secondary|fenced, and deleted
# one at a time by a rolling update (the member StatefulSets use OnDelete); a backup Job's pods are
# listed for the result in their termination message.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "patch", "delete"]
# Resync Jobs that rebuild a member from the primary: annotated once reported, removed by their TTL;
# DirkBackups' Jobs (one each, read back from their pods' termination messages); the backup CronJob's
# Jobs, watched by their label dirkdb.io/scheduled-backup and annotated dirkdb.io/backup-recorded once
# their DirkBackup is made.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Events a user sees in kubectl describe dirkcluster (both Event APIs).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}
