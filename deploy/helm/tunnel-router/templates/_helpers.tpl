{{/* The chart's name. */}}
{{- define "tunnel-router.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, at most 54 characters (room for the -headless suffix). */}}
{{- define "tunnel-router.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 54 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tunnel-router.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tunnel-router.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tunnel-router.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tunnel-router.labels" -}}
helm.sh/chart: {{ include "tunnel-router.chart" . }}
{{ include "tunnel-router.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tunnel-router.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tunnel-router.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" in cluster mode (a PostgreSQL store shared by the replicas), "" otherwise. */}}
{{- define "tunnel-router.clusterMode" -}}
{{- if or .Values.store.url .Values.store.existingSecret }}true{{ end }}
{{- end }}

{{/* The Secret (and key) holding each secret setting. */}}
{{- define "tunnel-router.secretName" -}}
{{- include "tunnel-router.fullname" . }}
{{- end }}

{{- define "tunnel-router.terminationGracePeriodSeconds" -}}
{{- $drain := int (index .Values.config.runtime "drain_timeout_ms" | default 10000) }}
{{- $delay := int (index .Values.config.runtime "shutdown_delay_ms" | default 0) }}
{{- $stop := div (add $drain $delay 999) 1000 }}
{{- $minimum := add $stop 5 }}
{{- if .Values.terminationGracePeriodSeconds }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $minimum) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be at least config.runtime.shutdown_delay_ms + drain_timeout_ms + 5 s (%v s)" .Values.terminationGracePeriodSeconds $minimum) }}
{{- end }}
{{- .Values.terminationGracePeriodSeconds }}
{{- else }}
{{- add $stop 10 }}
{{- end }}
{{- end }}

{{/*
as.deny_networks: the router's default list (app/config_defaults.hpp: link-local and metadata,
"this network", multicast), loopback, and the cluster's ranges from network.*. Setting the key
replaces the router's list, hence the whole of it here.
*/}}
{{- define "tunnel-router.denyNetworks" -}}
{{- $router := list "169.254.0.0/16" "fe80::/10" "0.0.0.0/8" "224.0.0.0/4" "ff00::/8" }}
{{- $loopback := list "127.0.0.0/8" "::1/128" }}
{{- $network := .Values.network | default dict }}
{{- $cluster := concat ($network.podCIDRs | default list) ($network.serviceCIDRs | default list) ($network.denyExtra | default list) }}
{{- concat $router $loopback $cluster | uniq | join ", " }}
{{- end }}

{{/* router.ini: the chart's own keys, then the user's config (the user's win). */}}
{{- define "tunnel-router.routerIni" -}}
{{- if hasKey (.Values.config.as | default dict) "deny_networks" }}
{{- fail "config.as.deny_networks would replace the chart's whole list (the router's defaults, loopback, network.podCIDRs and serviceCIDRs): add blocks to network.denyExtra" }}
{{- end }}
{{- if hasKey (.Values.config.store | default dict) "url" }}
{{- fail "config.store.url would land in the ConfigMap in clear and not select cluster mode: use store.url or store.existingSecret" }}
{{- end }}
{{- if hasKey (.Values.config.admin | default dict) "token" }}
{{- fail "config.admin.token would land in the ConfigMap in clear: use adminToken.value or adminToken.existingSecret" }}
{{- end }}
{{- range $section := list "ingress" "public" "admin" }}
{{- if hasKey (index $.Values.config $section | default dict) "listen" }}
{{- fail (printf "config.%s.listen is the chart's (the container ports, probes and Services follow it): leave it out" $section) }}
{{- end }}
{{- end }}
{{- $ini := dict
  "store" (dict "path" "/var/lib/tunnel-router/router.db")
  "ingress" (dict "listen" (printf "0.0.0.0:%d" 7080))
  "public" (dict "listen" (printf "0.0.0.0:%d" 7443))
  "admin" (dict "listen" (printf "0.0.0.0:%d" 7090) "metrics_token_required" "true")
  "as" (dict "deny_networks" (include "tunnel-router.denyNetworks" .)) }}
{{- if .Values.publicTls.existingSecret }}
{{- $_ := set (index $ini "public") "tls_cert" "/etc/tunnel-router/tls/tls.crt" }}
{{- $_ := set (index $ini "public") "tls_key" "/etc/tunnel-router/tls/tls.key" }}
{{- end }}
{{- range $section, $keys := .Values.config }}
{{- $target := index $ini $section | default dict }}
{{- range $key, $value := $keys }}
{{- $_ := set $target $key $value }}
{{- end }}
{{- $_ := set $ini $section $target }}
{{- end }}
; Generated by the tunnel-router chart from its values (config).
{{- range $section, $keys := $ini }}
{{- if $keys }}
[{{ $section }}]
{{- range $key, $value := $keys }}
{{ $key }} = {{ if kindIs "float64" $value }}{{ int64 $value }}{{ else }}{{ $value }}{{ end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
