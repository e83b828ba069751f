#!/bin/bash
# lading bundle push refuses bad input with one line and exit 1 (2 for usage):
# a signed bundle whose blob was altered or whose compressed file has a flipped
# byte sends no request at all (the registry's log stays unchanged), an
# unreachable registry, a wrong password, an untrusted CA, a target registry
# whose disk is full (its storage on a small tmpfs), and two sources that would
# be pushed under one name.
# The bundles are signed and their key trusted, as on a site: no
# --insecure-skip-signature, whose warning would be a line of its own.
# No staged blob is left behind.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 21

export TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR"
"$LADING" key generate --unencrypted -o "$TRASH/site" >/dev/null 2>&1
mkdir -p "$TRASH/trust" && cp "$TRASH/site.pub" "$TRASH/trust/"
export LADING_TRUST_DIR=$TRASH/trust
sign() { "$LADING" bundle sign --key "$TRASH/site.key" "$1" >/dev/null; }
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/small:1 --layer 200k:s-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/big:1 --layer 6m:b-$$ >/dev/null
B=$TRASH/site.tar.zst
python3 "$TOP/scripts/mkbundle.py" "$B" --oci "$L"
sign "$B"
layer=$(jq -r '.layers[0].digest' "$L/blobs/sha256/$(jq -r '.manifests[0].digest' "$L/index.json" | cut -c8-)")
# Signed, then altered: bundle sign refuses an altered bundle, so the altered
# one carries the signature of $B (the same lading.json).
tar --zstd -xOf "$B" lading.json.minisig >"$TRASH/site.sig"
python3 "$TOP/scripts/mkbundle.py" "$TRASH/altered.tar.zst" --oci "$L" --sig "$TRASH/site.sig" \
	--flip "oci/blobs/sha256/${layer#sha256:}"
cp "$B" "$TRASH/flipped.tar.zst"
flip_byte "$TRASH/flipped.tar.zst" $(($(stat -c %s "$TRASH/flipped.tar.zst") / 2))

registry_start_tls_basic dst alice right
DST=127.0.0.1:$REGISTRY_PORT
LOG=$REGISTRY_LOG
printf '{"auths":{"%s":{"auth":"%s"}}}' "$DST" "$(printf alice:right | base64)" >"$TRASH/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$DST" "$(printf alice:wrong | base64)" >"$TRASH/wrong.json"
export LADING_REGISTRY_AUTH_FILE=$TRASH/auth.json
requests() { grep -c '"[A-Z]* /v2/' "$LOG"; }

is "the flipped copy differs from the bundle in exactly one byte" "$(cmp -l "$B" "$TRASH/flipped.tar.zst" | wc -l)" 1
before=$(requests)
fails_one_line "a blob whose bytes were altered fails verification naming it" 1 "oci/blobs/sha256/${layer#sha256:}" \
	"$LADING" bundle push "$TRASH/altered.tar.zst" --registry "$DST" --ca-file "$REGISTRY_CA"
is "the altered bundle sent no request to the registry" "$(requests)" "$before"
fails_one_line "a flipped byte in the compressed file fails, one line naming the bundle and the damage" 1 \
	"^lading: $TRASH/flipped\.tar\.zst: (oci/blobs/sha256/[0-9a-f]{64}: sha256 mismatch|.*([Zz]std|corrupt|checksum))" \
	"$LADING" bundle push "$TRASH/flipped.tar.zst" --registry "$DST" --ca-file "$REGISTRY_CA"
is "the flipped bundle sent no request to the registry" "$(requests)" "$before"
is "nothing of the altered bundle reached the registry's storage" \
	"$(find "$TRASH/registry-dst/storage" -type f 2>/dev/null | wc -l)" "0"

port=$(free_port)
fails_one_line "an unreachable registry: one line naming it, exit 1" 1 "127.0.0.1:$port: .*connect" \
	"$LADING" bundle push "$B" --registry "127.0.0.1:$port" --ca-file "$REGISTRY_CA"
fails_one_line "a wrong password: one line, exit 1" 1 "$DST.*(unauthori|credential|denied|401)" \
	env LADING_REGISTRY_AUTH_FILE="$TRASH/wrong.json" "$LADING" bundle push "$B" --registry "$DST" --ca-file "$REGISTRY_CA"
fails_one_line "an untrusted CA: one line naming the registry, exit 1" 1 "$DST.*(certificate|verif|trust)" \
	"$LADING" bundle push "$B" --registry "$DST"
fails_one_line "plain HTTP against a TLS registry: one line, exit 1" 1 "$DST: .*(not an OCI registry|status 400)" \
	"$LADING" bundle push "$B" --registry "$DST" --plain-http
is "no image was stored by the failed pushes" "$(find "$TRASH/registry-dst/storage" -name link -path '*_manifests*' | wc -l)" "0"

fails_one_line "--registry is required (exit 2)" 2 "--registry HOST\[:PORT\] is required" "$LADING" bundle push "$B"
fails_one_line "--jobs 0 is a usage error" 2 "--jobs must be a number from 1 to 64" "$LADING" bundle push "$B" --registry "$DST" --jobs 0
fails_one_line "an invalid --prefix is a usage error" 2 "prefix 'Bad Prefix' is not a repository path" "$LADING" bundle push "$B" --registry "$DST" --prefix 'Bad Prefix'
python3 "$TOP/scripts/mkimage.py" "$TRASH/dup" docker.io/team/app:1 --layer 10k:d1-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$TRASH/dup" quay.io/team/app:1 --layer 10k:d2-$$ >/dev/null
python3 "$TOP/scripts/mkbundle.py" "$TRASH/dup.tar.zst" --oci "$TRASH/dup"
sign "$TRASH/dup.tar.zst"
fails_one_line "two sources that would land on one name are refused (exit 2), naming both" 2 \
	"docker.io/team/app:1 and quay.io/team/app:1 would both be pushed as $DST/team/app:1: use --keep-host" \
	"$LADING" bundle push "$TRASH/dup.tar.zst" --registry "$DST" --dry-run
ok "with --keep-host they are kept apart" "$LADING" bundle push "$TRASH/dup.tar.zst" --registry "$DST" --dry-run --keep-host
fails_one_line "a missing bundle file: one line, exit 1" 1 "nothere.tar.zst" "$LADING" bundle push "$TRASH/nothere.tar.zst" --registry "$DST"

# The target registry's disk is full: its storage is a 3 MiB tmpfs, the big layer is 6 MiB.
FULL=$TRASH/registry-full/storage
mkdir -p "$FULL"
if mount -t tmpfs -o size=3m tmpfs "$FULL" 2>/dev/null; then
	at_exit "umount '$FULL'"
	registry_start full
	fails_one_line "the registry's disk is full: one line naming the registry, exit 1" 1 \
		"127.0.0.1:$REGISTRY_PORT/library/big: upload of sha256:[0-9a-f]{64}" \
		"$LADING" bundle push "$B" --registry "127.0.0.1:$REGISTRY_PORT" --plain-http --jobs 1
	ok "the registry still answers after the failed push" curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/"
	is "the big image is not there" \
		"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT/v2/library/big/manifests/1")" "404"
else
	skip_n 3 "cannot mount a tmpfs here (needs root)"
fi
is "no staged blob is left in TMPDIR" "$(ls -A "$TMPDIR" | wc -l)" "0"
done_testing
