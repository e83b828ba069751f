{{/* registry/repository:tag, tag defaulting to the chart's appVersion. */}}
{{- define "node-feature-discovery.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end }}
