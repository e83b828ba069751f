{{/* The operator image: repository/image:version, version defaulting to the chart's appVersion. */}}
{{- define "gpu-operator.fullimage" -}}
{{- $tag := .Values.operator.version | default .Chart.AppVersion -}}
{{- printf "%s/%s:%s" .Values.operator.repository .Values.operator.image $tag -}}
{{- end }}
