{{/* "meshwork" for a release named meshwork (or containing it), else "<release>-meshwork"; resource names start with it. */}}
{{- define "meshwork.fullname" -}}
{{- if contains "meshwork" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-meshwork" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "meshwork.labels" -}}
app.kubernetes.io/part-of: meshwork
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* images.<name> as repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "meshwork.image" -}}
{{- $image := index .root.Values.images .name -}}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "meshwork.controlPlane.name" -}}{{ include "meshwork.fullname" . }}-control-plane{{- end -}}
{{- define "meshwork.portal.name" -}}{{ include "meshwork.fullname" . }}-portal{{- end -}}
{{- define "meshwork.webhook.name" -}}{{ include "meshwork.fullname" . }}-sidecar-injector{{- end -}}

{{/* The control plane's gRPC address for pods in any namespace (proxies, the portal). */}}
{{- define "meshwork.controlPlane.address" -}}
https://{{ include "meshwork.controlPlane.name" . }}.{{ .Release.Namespace }}.svc:15010
{{- end -}}

{{/*
ConnectionStrings__Meshwork for one database role (postgresql.<role>): its password comes from the
Secret into MESHWORK_DB_PASSWORD, defined first so Kubernetes expands $(MESHWORK_DB_PASSWORD).
*/}}
{{- define "meshwork.database.env" -}}
{{- $pg := .root.Values.postgresql -}}
{{- $role := index $pg .role -}}
- name: MESHWORK_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $pg.passwordSecret }}
      key: {{ $role.passwordKey }}
- name: ConnectionStrings__Meshwork
  value: {{ printf "Host=%s;Port=%v;Database=%s;Username=%s;Password=$(MESHWORK_DB_PASSWORD);SSL Mode=%s" $pg.host $pg.port $pg.database $role.username $pg.sslMode | quote }}
{{- end -}}

{{/* What the restricted Pod Security Standard asks of every container. */}}
{{- define "meshwork.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "meshwork.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1654
runAsGroup: 1654
fsGroup: 1654
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The namespace the portal's Kubernetes deployment driver deploys into. */}}
{{- define "meshwork.fleet.namespace" -}}
{{- default .Release.Namespace .Values.fleet.kubernetes.namespace -}}
{{- end -}}
