{{/* [global.imageRegistry|registry]/repository:(tag|appVersion)[@sha256:sha] */}}
{{- define "grafana.imageId" -}}
{{- $registry := .root.Values.global.imageRegistry | default .image.registry -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion -}}
{{- if .image.sha -}}
{{- printf "%s/%s:%s@sha256:%s" $registry .image.repository $tag .image.sha -}}
{{- else -}}
{{- printf "%s/%s:%s" $registry .image.repository $tag -}}
{{- end -}}
{{- end -}}
