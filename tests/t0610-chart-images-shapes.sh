#!/bin/bash
# Chart image discovery on faithful copies of the structure of real charts
# (tests/charts/*/: values.yaml shapes, Chart.yaml dependencies and
# annotations, vendored subcharts as directories and .tgz), served by a real
# nginx as a Helm repository: for each shape the images `lading fetch chart
# --images` finds equal the list in the fixture's `expected` file (what `helm
# template` with default values deploys, plus the documented extras; see each
# fixture's README.md).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
shapes="gpu-operator ingress-nginx cert-manager bitnami-redis kube-prometheus-stack dt-wrapped"
plan 6

www=$TRASH/www
for shape in $shapes; do
	"$TOP/tests/charts/pack.sh" "$TOP/tests/charts/$shape" "$www/$shape" >"$TRASH/$shape.nv"
done
web_start www "$www"
for shape in $shapes; do
	read -r name version <"$TRASH/$shape.nv"
	"$LADING" fetch chart -s "$TRASH/store" --images "$WEB_URL/$shape" "$name" "$version" >"$TRASH/$shape.out" 2>&1
	sed -n 's/^image //p' "$TRASH/$shape.out" | sort >"$TRASH/$shape.got"
	grep -v '^#' "$TOP/tests/charts/$shape/expected" | sort >"$TRASH/$shape.want"
	[ -s "$TRASH/$shape.want" ] || echo "# $shape: no expected list" >>"$TRASH/$shape.got"
	if ! cmp -s "$TRASH/$shape.got" "$TRASH/$shape.want"; then
		diff "$TRASH/$shape.want" "$TRASH/$shape.got" | sed 's/^/# /'
		sed 's/^/# /' "$TRASH/$shape.out" | grep -v '^# image ' | head -n 5
	fi
	ok "$shape: the discovered images are what the chart deploys" cmp -s "$TRASH/$shape.got" "$TRASH/$shape.want"
done
done_testing
