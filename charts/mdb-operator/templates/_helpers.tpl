{{/* Full name of the release's objects: the release name, with the chart name appended unless it already contains it. */}}
{{- define "mdb-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mdb-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mdb-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: name the existing ServiceAccount to use when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Pods of this release; stable across upgrades (a Deployment's selector cannot change). */}}
{{- define "mdb-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mdb-operator.labels" -}}
{{ include "mdb-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: mdbcluster
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mdb-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "mdb-operator.memberImage" -}}
{{- printf "%s:%s" .Values.memberImage.repository (default .Chart.AppVersion .Values.memberImage.tag) -}}
{{- end -}}

{{- define "mdb-operator.engineImage" -}}
{{- printf "%s:%s" .Values.engineImage.repository .Values.engineImage.tag -}}
{{- end -}}

{{- define "mdb-operator.leaseName" -}}
{{- default (include "mdb-operator.fullname" .) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/*
What the operator does with namespaced objects, verb for verb what it calls (least privilege:
docs/installation.md#rbac). A Role in watchNamespace when it watches one namespace; cluster-wide in the
ClusterRole when it watches all. Object names come from each MdbCluster's name at run time, so
resourceNames cannot narrow these (and never narrow create, list or watch).
*/}}
{{- define "mdb-operator.namespacedRules" -}}
- apiGroups: ["mdbcluster.io"]
  resources: ["mdbclusters"]
  verbs: ["get", "list", "watch", "update"]
- apiGroups: ["mdbcluster.io"]
  resources: ["mdbclusters/status"]
  verbs: ["update"]
# Owner references with blockOwnerDeletion on what a cluster owns.
- apiGroups: ["mdbcluster.io"]
  resources: ["mdbclusters/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["create", "delete"]
- apiGroups: [""]
  resources: ["services", "persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Secrets: the generated password and token, and the sidecar API's CA and certificates, which are
# renewed in place (update).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# With spec.tls.issuerRef: cert-manager's Certificates for the members and the operator, and the
# Issuer's readiness (docs/usage.md#certificates-from-cert-manager).
- apiGroups: ["cert-manager.io"]
  resources: ["certificates"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: ["cert-manager.io"]
  resources: ["issuers"]
  verbs: ["get"]
{{- end -}}

{{/*
Reads that stay cluster-wide whichever namespaces are watched: placement reads the topology labels of
every Node and what the pods on each node request (capacity), in any namespace.
*/}}
{{- define "mdb-operator.clusterReadRules" -}}
- apiGroups: [""]
  resources: ["nodes", "pods"]
  verbs: ["get", "list", "watch"]
# A ClusterIssuer named by spec.tls.issuerRef: its readiness.
- apiGroups: ["cert-manager.io"]
  resources: ["clusterissuers"]
  verbs: ["get"]
{{- end -}}
