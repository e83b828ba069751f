{{/* [global.imageRegistry|registry]/repository:tag[@sha256:sha]; the operator's tag defaults to the chart's appVersion. */}}
{{- define "kube-prometheus-stack.operator.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.prometheusOperator.image.registry -}}
{{- $tag := .Values.prometheusOperator.image.tag | default .Chart.AppVersion -}}
{{- if .Values.prometheusOperator.image.sha -}}
{{- printf "%s/%s:%s@sha256:%s" $registry .Values.prometheusOperator.image.repository $tag .Values.prometheusOperator.image.sha -}}
{{- else -}}
{{- printf "%s/%s:%s" $registry .Values.prometheusOperator.image.repository $tag -}}
{{- end -}}
{{- end -}}
