{{/* The image: [global.imageRegistry|registry]/repository:tag, tag defaulting to "v" + appVersion. */}}
{{- define "kube-state-metrics.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.image.registry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository (default (printf "v%s" .Chart.AppVersion) .Values.image.tag) -}}
{{- end }}
