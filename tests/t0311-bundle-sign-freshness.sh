#!/bin/bash
# What a signature binds and how long it counts (issue 15): the trusted comment must name the
# purpose, the bundle's name and creation time and lading.json's sha256; --expires puts an end
# date in it; the newest bundle of each name accepted here is recorded in $LADING_STATE and an
# older one is refused by verify, extract and push unless --allow-downgrade.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 37
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
"$LADING" key generate -o k --unencrypted >/dev/null

mk() { # mk OUT CREATED [NAME]: a bundle of NAME (default site) created at CREATED, signed with k.key
	python3 "$TOP/scripts/mkbundle.py" "$1" --name "${3:-site}" --created "$2" "file:files/a=$2" &&
		"$LADING" bundle sign --key k.key "$1" >/dev/null
}
# resign_with OUT COMMENT: lading.json.minisig of IN replaced by minisign's own signature of the
# same lading.json with another trusted comment (a trusted key, the right bytes, the wrong words).
resign_with() {
	tar --zstd -xOf "$1" lading.json >lj.json
	minisign -S -s k.key -m lj.json -x lj.sig -t "$3" </dev/null >/dev/null 2>&1 || return 1
	python3 - "$1" "$2" <<'PY'
import io, subprocess, sys, tarfile
src, dst = sys.argv[1:3]
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout
out = io.BytesIO()
with tarfile.open(fileobj=io.BytesIO(raw)) as t, tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as o:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else None
        if m.name == "lading.json.minisig":
            data = open("lj.sig", "rb").read()
            m.size = len(data)
        o.addfile(m, io.BytesIO(data) if data is not None else None)
subprocess.run(["zstd", "-q", "-f", "-o", dst], input=out.getvalue(), check=True)
PY
}

mk old.tar.zst 2026-11-01T00:00:00Z
mk new.tar.zst 2026-11-20T00:00:00Z
sha=$(tar --zstd -xOf new.tar.zst lading.json | sha256sum | cut -d' ' -f1)

# Binding: minisign-made signatures by the trusted key over the right lading.json bytes.
resign_with new.tar.zst plain.tar.zst "timestamp:1764000000	file:lading.json"
fails_with "a signature whose trusted comment is not a bundle's is refused" 1 \
	"'plain.tar.zst': lading.json.minisig is not a bundle signature \(its trusted comment says 'timestamp:1764000000" \
	"$LADING" bundle verify --pubkey k.pub plain.tar.zst
resign_with new.tar.zst other.tar.zst "lading-bundle name:other-site	created:2026-11-20T00:00:00Z	sha256:$sha"
fails_with "one made for another bundle name is refused, naming both names" 1 \
	"made for another bundle \(trusted comment says name 'other-site', lading.json says 'site'\)" \
	"$LADING" bundle verify --pubkey k.pub other.tar.zst
resign_with new.tar.zst when.tar.zst "lading-bundle name:site	created:2026-11-01T00:00:00Z	sha256:$sha"
fails_with "one naming another creation time is refused" 1 "trusted comment says created '2026-11-01T00:00:00Z', lading.json says '2026-11-20T00:00:00Z'" \
	"$LADING" bundle verify --pubkey k.pub when.tar.zst
resign_with new.tar.zst nosha.tar.zst "lading-bundle name:site	created:2026-11-20T00:00:00Z"
fails_with "one that names no lading.json digest is refused" 1 "trusted comment names no sha256" \
	"$LADING" bundle verify --pubkey k.pub nosha.tar.zst
fails_with "extract refuses it too and extracts nothing" 1 "names no sha256" \
	"$LADING" bundle extract --pubkey k.pub -C x0 nosha.tar.zst
ok "nothing was extracted" test ! -e x0
resign_with new.tar.zst good.tar.zst "lading-bundle name:site	created:2026-11-20T00:00:00Z	sha256:$sha"
ok "the same comment written by minisign itself verifies" "$LADING" bundle verify --pubkey k.pub good.tar.zst

# Key purpose: a release key never signs or vouches for a bundle.
ok "key generate --purpose release writes the purpose into both files" \
	sh -c "'$LADING' key generate -o rel --purpose release --unencrypted | grep -q 'purpose release' && head -1 rel.pub | grep -q 'purpose:release' && head -1 rel.key | grep -q 'purpose:release'"
ok "the default purpose is bundle" sh -c "head -1 k.pub | grep -q 'purpose:bundle'"
fails_with "--purpose of anything else is a usage error" 2 "--purpose 'binary': want bundle or release" \
	"$LADING" key generate -o x --purpose binary --unencrypted
cp new.tar.zst rel.tar.zst
fails_with "bundle sign refuses a release key" 2 "'rel.key' is a release key \(purpose:release\): it signs binaries, not bundles" \
	"$LADING" bundle sign --key rel.key rel.tar.zst
sed '1s/purpose:release/purpose:bundle/' rel.key >rel-as-bundle.key
"$LADING" bundle sign --key rel-as-bundle.key rel.tar.zst >/dev/null
fails_with "verify refuses a bundle signed by a key the trust store marks as a release key" 1 \
	"'rel.tar.zst': signed by key [0-9A-F]+, which 'rel.pub' marks as a release key" \
	"$LADING" bundle verify --pubkey rel.pub rel.tar.zst
ok "minisign-made keys (no purpose) still sign and verify bundles" \
	sh -c "minisign -G -W -p mk.pub -s mk.key </dev/null >/dev/null 2>&1 && cp new.tar.zst mk.tar.zst && '$LADING' bundle sign --key mk.key mk.tar.zst >/dev/null && '$LADING' bundle verify --pubkey mk.pub mk.tar.zst"

# Expiry.
cp new.tar.zst exp.tar.zst
ok "bundle sign --expires 1s signs" "$LADING" bundle sign --key k.key --expires 1s exp.tar.zst
ok "its trusted comment carries the end date, which minisign shows" \
	sh -c "minisign -Vm exp.tar.zst -p k.pub | grep -Eq '^Trusted comment: lading-bundle name:site	created:2026-11-20T00:00:00Z	sha256:$sha	expires:20[0-9-]+T[0-9:]+Z\$'"
sleep 2
fails_with "verify refuses it once expired, naming the end date" 1 \
	"'exp.tar.zst': the signature of bundle 'site' expired at 20[0-9T:-]+Z; get a newer bundle, or pass --allow-expired" \
	"$LADING" bundle verify --pubkey k.pub exp.tar.zst
ok "--allow-expired accepts it" "$LADING" bundle verify --pubkey k.pub --allow-expired exp.tar.zst
cp new.tar.zst exp90.tar.zst
ok "--expires 90d verifies now" sh -c "'$LADING' bundle sign --key k.key --expires 90d exp90.tar.zst >/dev/null && '$LADING' bundle verify --pubkey k.pub exp90.tar.zst"
fails_with "--expires with a past time is a usage error" 2 "--expires '2020-01-01T00:00:00Z': want a duration like 90d" \
	"$LADING" bundle sign --key k.key --expires 2020-01-01T00:00:00Z exp90.tar.zst
fails_with "--expires garbage is a usage error" 2 "--expires '90 days'" \
	"$LADING" bundle sign --key k.key --expires "90 days" exp90.tar.zst
fails_with "create --expires without --sign is a usage error" 2 "--expires needs --sign KEY" \
	"$LADING" bundle create --expires 90d -f /nonexistent.yaml

# Rollback: a fresh state; the newest accepted bundle of a name is recorded.
export LADING_STATE=$TRASH/state
ok "the older bundle verifies on a site that has seen nothing" "$LADING" bundle verify --pubkey k.pub old.tar.zst
ok "the newer one verifies" "$LADING" bundle verify --pubkey k.pub new.tar.zst
is "the record names the newest accepted" "$(sed -n 2p state/bundles/site)" "created 2026-11-20T00:00:00Z"
fails_with "verify now refuses the older bundle, naming both times" 1 \
	"'old.tar.zst': bundle 'site' created 2026-11-01T00:00:00Z is older than the one accepted here before \(created 2026-11-20T00:00:00Z, recorded in '.*state/bundles/site'\); use the newer bundle, or pass --allow-downgrade" \
	"$LADING" bundle verify --pubkey k.pub old.tar.zst
fails_with "extract refuses it" 1 "is older than the one accepted here before" \
	"$LADING" bundle extract --pubkey k.pub -C x1 old.tar.zst
ok "and extracts nothing" test ! -e x1
fails_with "push refuses it before sending anything" 1 "is older than the one accepted here before" \
	"$LADING" bundle push --pubkey k.pub --registry 127.0.0.1:1 --plain-http old.tar.zst
ok "--allow-downgrade extracts it" "$LADING" bundle extract --pubkey k.pub --allow-downgrade -C x2 old.tar.zst
is "and the record still names the newest" "$(sed -n 2p state/bundles/site)" "created 2026-11-20T00:00:00Z"
mk other-name.tar.zst 2026-10-01T00:00:00Z site-b
ok "another name has its own record" "$LADING" bundle verify --pubkey k.pub other-name.tar.zst
mk newest.tar.zst 2026-11-30T00:00:00Z
ok "extract of a newer bundle moves the record on" sh -c "'$LADING' bundle extract --pubkey k.pub -C x3 newest.tar.zst >/dev/null && grep -qx 'created 2026-11-30T00:00:00Z' state/bundles/site"
fails_with "serve refuses the older bundle before listening" 1 "'old.tar.zst': bundle 'site' created 2026-11-01T00:00:00Z is older than the one accepted here before" \
	"$LADING" serve old.tar.zst --pubkey k.pub --plain-http --listen 127.0.0.1:0 --cache-dir "$TRASH/serve-cache"
SERVE_PID=""
serve_start old.tar.zst --pubkey k.pub --allow-downgrade --cache-dir "$TRASH/serve-cache"
ok "serve --allow-downgrade serves it" curl -sf "http://$SERVE_HOST/files/a" -o /dev/null
kill_pid "$SERVE_PID"
mk newer-still.tar.zst 2026-12-02T00:00:00Z
SERVE_PID=""
serve_start newer-still.tar.zst --pubkey k.pub --cache-dir "$TRASH/serve-cache"
ok "serve of a newer bundle starts" curl -sf "http://$SERVE_HOST/files/a" -o /dev/null
kill_pid "$SERVE_PID"
is "and records it as accepted" "$(sed -n 2p state/bundles/site)" "created 2026-12-02T00:00:00Z"
python3 "$TOP/scripts/mkbundle.py" u.tar.zst --name site --created 2026-12-01T00:00:00Z file:files/a=u
ok "an unsigned bundle passed with --insecure-skip-signature records nothing" \
	sh -c "'$LADING' bundle verify --insecure-skip-signature u.tar.zst 2>/dev/null && grep -qx 'created 2026-12-02T00:00:00Z' state/bundles/site"
done_testing
