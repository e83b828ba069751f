#!/bin/bash
# Every YAML reader (inventory, site file, bundle spec, vsphere section) refuses
# nesting deeper than 64 levels before libyaml's per-token cost explodes (a
# 200 000-deep "[[[...]]]" took minutes), refuses a second document, and a
# site file that does not parse is bad input: exit 2, one line, file:line:col.
. "$(dirname "$0")/test-lib.sh"
plan 16

# gen FILE PREFIX OPEN MIDDLE CLOSE N: PREFIX, OPEN N times, MIDDLE, CLOSE N times.
gen() {
	python3 -c 'import sys; p, o, m, c, n = sys.argv[2:7]; n = int(n)
open(sys.argv[1], "w").write(p + o * n + m + c * n + "\n")' "$@"
}
# Bound on a refusal that takes well under a second: the old quadratic parse
# took minutes, so a regression fails here instead of hanging the suite.
bounded() { timeout 120 "$@"; }

export LADING_VSPHERE_PASSWORD=x
printf '[web]\nw1\n' >"$TRASH/hosts.ini"
N=200000

gen "$TRASH/deep.yml" $'all:\n  vars:\n    x: ' '[' '' ']' $N
fails_one_line "inventory: 200 000-deep flow sequence refused at level 65, exit 2" 2 \
	"^lading: .*deep.yml:3:69: nesting deeper than 64 levels of mappings and sequences$" \
	bounded "$LADING" inventory list -i "$TRASH/deep.yml"

gen "$TRASH/site.yaml" 'roles: ' '[' '' ']' $N
fails_one_line "site file: 200 000-deep flow sequence refused, exit 2" 2 \
	"site.yaml:1:71: nesting deeper than 64 levels of mappings and sequences$" \
	bounded "$LADING" provision apply -i "$TRASH/hosts.ini" -s "$TRASH/site.yaml"

gen "$TRASH/block.yaml" $'roles:\n' '- ' 'x' '' $N
fails_one_line "site file: 200 000-deep block sequence refused, exit 2" 2 \
	"block.yaml:2:127: nesting deeper than 64 levels of mappings and sequences$" \
	bounded "$LADING" provision apply -i "$TRASH/hosts.ini" -s "$TRASH/block.yaml"

gen "$TRASH/lading.yaml" $'name: t\nimages: ' '{a: ' '1' '}' $N
fails_one_line "bundle spec: 200 000-deep flow mapping refused, exit 2" 2 \
	"lading.yaml:2:261: nesting deeper than 64 levels of mappings and sequences$" \
	bounded "$LADING" bundle create --dry-run -f "$TRASH/lading.yaml"

gen "$TRASH/vs.yaml" 'vsphere: ' '[' '' ']' $N
fails_one_line "vsphere site section: 200 000-deep flow sequence refused, exit 2" 2 \
	"vs.yaml:1:73: nesting deeper than 64 levels of mappings and sequences$" \
	bounded "$LADING" vsphere list -s "$TRASH/vs.yaml"

gen "$TRASH/ok64.yml" $'all:\n  hosts:\n    h1:\n      x: ' '[' '1' ']' 60
out=$("$LADING" inventory list -i "$TRASH/ok64.yml" --json 2>&1)
ok "64 levels (four mappings, then 60 sequences) still load" python3 -c '
import json, sys
x = json.loads(sys.argv[1])["_meta"]["hostvars"]["h1"]["x"]
for _ in range(60): x = x[0]
sys.exit(x != 1)' "$out"

printf 'all:\n  hosts:\n    h1:\n---\nall:\n  hosts:\n    h2:\n' >"$TRASH/two.yml"
fails_one_line "inventory: a second document is an error naming file:line" 2 \
	"two.yml:4:1: a second YAML document starts here; lading reads one document per file$" \
	"$LADING" inventory list -i "$TRASH/two.yml"
printf 'all:\n  hosts:\n    h1:\n---\n' >"$TRASH/trailing.yml"
fails_one_line "inventory: a trailing '---' (an empty second document) is an error too" 2 \
	"trailing.yml:4:1: a second YAML document" "$LADING" inventory list -i "$TRASH/trailing.yml"
printf -- '---\nall:\n  hosts:\n    h1:\n...\n# end\n' >"$TRASH/ended.yml"
ok "one document between '---' and '...' loads" "$LADING" inventory list -i "$TRASH/ended.yml"

printf 'roles: {}\n---\nroles: {}\n' >"$TRASH/two-site.yaml"
fails_one_line "site file: a second document is an error naming file:line" 2 \
	"two-site.yaml:2:1: a second YAML document starts here" \
	"$LADING" provision apply -i "$TRASH/missing.ini" -s "$TRASH/two-site.yaml"
printf 'name: t\nimages:\n  - docker.io/library/nginx:1.27\n---\nname: u\n' >"$TRASH/two-spec.yaml"
fails_one_line "bundle spec: a second document is an error naming file:line" 2 \
	"two-spec.yaml:4:1: a second YAML document starts here" \
	"$LADING" bundle create --dry-run -f "$TRASH/two-spec.yaml"
printf 'vsphere:\n  url: https://127.0.0.1:9/sdk\n---\nx: 1\n' >"$TRASH/two-vs.yaml"
fails_one_line "vsphere site section: a second document is an error, exit 2" 2 \
	"two-vs.yaml:3:1: a second YAML document starts here" "$LADING" vsphere list -s "$TRASH/two-vs.yaml"

printf 'roles: [a, b\n' >"$TRASH/broken.yaml"
fails_one_line "site file syntax error: exit 2 naming file:line:col" 2 \
	"^lading: .*broken.yaml:2:1: did not find expected ',' or ']'" \
	"$LADING" provision apply -i "$TRASH/hosts.ini" -s "$TRASH/broken.yaml"
printf 'vsphere:\n  url: [a\n' >"$TRASH/broken-vs.yaml"
fails_one_line "vsphere site syntax error: exit 2 naming file:line:col" 2 \
	"broken-vs.yaml:3:1: did not find expected ',' or ']'" "$LADING" vsphere list -s "$TRASH/broken-vs.yaml"
printf 'a: *nowhere\n' >"$TRASH/alias.yaml"
fails_one_line "an alias to no anchor names it, exit 2" 2 \
	"alias.yaml:1:4: alias '\*nowhere' names no anchor defined before it" \
	"$LADING" provision apply -i "$TRASH/hosts.ini" -s "$TRASH/alias.yaml"
fails_with "a missing site file is still an operation failure (exit 1)" 1 "missing.yaml" \
	"$LADING" provision apply -i "$TRASH/hosts.ini" -s "$TRASH/missing.yaml"
done_testing
