#!/bin/bash
# `make demo` is the README's first command: it must keep working end to end.
. "$(dirname "$0")/test-lib.sh"
plan 4

"$TOP/scripts/demo" >"$TRASH/demo.log" 2>&1
rc=$?
is "scripts/demo exits 0" "$rc" 0
[ $rc -ne 0 ] && tail -n 30 "$TRASH/demo.log" | sed 's/^/#   /' >&2
ok "minisign verified the demo bundle" grep -q 'Signature and comment signature verified' "$TRASH/demo.log"
ok "apt-get downloaded the carried packages from lading serve" grep -q '^downloaded from the bundle: app_1.0-1_amd64.deb ' "$TRASH/demo.log"
ok "the locked re-run was byte-identical" grep -q '^byte-identical' "$TRASH/demo.log"
done_testing
