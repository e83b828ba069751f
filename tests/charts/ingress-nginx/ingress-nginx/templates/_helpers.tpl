{{/* registry/image:tag@digest, or repository:tag@digest when repository is set. */}}
{{- define "ingress-nginx.image" -}}
{{- if .repository -}}
{{- .repository -}}
{{- else -}}
{{- printf "%s/%s" .registry .image -}}
{{- end -}}
{{- end -}}
