#!/bin/bash
# Signed bundles: create --sign and bundle sign write lading.json.minisig (second entry) and a
# detached FILE.minisig that Debian's minisign checks; verify/extract refuse unsigned, untrusted
# and altered bundles (nothing extracted) unless --insecure-skip-signature; inspect names the signer.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 31
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1

"$LADING" key generate -o k --unencrypted >/dev/null
"$LADING" key generate -o other --unencrypted >/dev/null
key_id() {
	sed -n 2p "$1" | base64 -d | od -An -tx1 -j2 -N8 | tr -s ' \n' '\n\n' | grep . | tac | tr -d '\n' | tr a-f A-F
}
k_id=$(key_id k.pub)
other_id=$(key_id other.pub)
# retar IN OUT PYTHON: rewrites a bundle's tar members (list of [TarInfo, bytes]) with PYTHON.
retar() {
	python3 - "$1" "$2" "$3" <<'PY'
import io, subprocess, sys, tarfile
src, dst, code = sys.argv[1:4]
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout
members = []
with tarfile.open(fileobj=io.BytesIO(raw)) as t:
    for m in t.getmembers():
        members.append([m, t.extractfile(m).read() if m.isfile() else None])
exec(code)
out = io.BytesIO()
with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
    for m, data in members:
        if data is not None:
            m.size = len(data)
        t.addfile(m, io.BytesIO(data) if data is not None else None)
subprocess.run(["zstd", "-q", "-f", "-o", dst], input=out.getvalue(), check=True)
PY
}

# create --sign against a real registry.
bundle_fixture || { echo "Bail out! registry fixture"; exit 1; }
OUT=$TRASH/site.tar.zst
ok "create --sign writes a signed bundle" "$LADING" bundle create -f "$SPEC" -o "$OUT" --sign k.key
is "lading.json.minisig is the second entry" "$(tar --zstd -tf "$OUT" | sed -n 2p)" "lading.json.minisig"
ok "and the detached site.tar.zst.minisig is next to it" test -s "$OUT.minisig"
json_sha=$(tar --zstd -xOf "$OUT" lading.json | sha256sum | cut -d' ' -f1)
ok "minisign -V checks the whole file; its trusted comment has name, created and lading.json's sha256" \
	sh -c "minisign -Vm '$OUT' -p k.pub | grep -Eq '^Trusted comment: lading-bundle name:test-bundle	created:[0-9T:-]+Z	sha256:$json_sha\$'"
tar --zstd -xOf "$OUT" lading.json >lj.json
tar --zstd -xOf "$OUT" lading.json.minisig >lj.json.minisig
ok "minisign -V accepts lading.json.minisig over lading.json" minisign -Vm lj.json -p k.pub -q
ok "verify --pubkey accepts it and names the signer" \
	sh -c "'$LADING' bundle verify --pubkey k.pub '$OUT' | grep -q 'signed by key $k_id (k.pub)'"
mkdir trust.d && cp k.pub trust.d/site.pub
ok "verify trusts *.pub in \$LADING_TRUST_DIR" env LADING_TRUST_DIR="$TRASH/trust.d" "$LADING" bundle verify "$OUT"
fails_with "verify with no trusted key refuses" 1 "signed by key $k_id, but no key is trusted here" \
	env LADING_TRUST_DIR="$TRASH/none" "$LADING" bundle verify "$OUT"
fails_with "verify with another key names both key ids" 1 "lading.json.minisig: signed by key $k_id, but the trusted public key is $other_id" \
	"$LADING" bundle verify --pubkey other.pub "$OUT"
fails_with "extract with an untrusted signer refuses" 1 "signed by key $k_id, but the trusted public key is $other_id" \
	"$LADING" bundle extract --pubkey other.pub -C "$TRASH/x1" "$OUT"
ok "and extracts nothing" sh -c "! test -e '$TRASH/x1' && ! ls -a '$TRASH' | grep -q lading-staging"
ok "extract with the right key works" "$LADING" bundle extract --pubkey k.pub -C "$TRASH/x2" "$OUT"
ok "inspect shows the signer as trusted" \
	sh -c "'$LADING' bundle inspect --pubkey k.pub '$OUT' | grep -q '^signer   key $k_id, trusted here (k.pub), signature valid'"
ok "inspect without the key says it is not trusted here" \
	sh -c "'$LADING' bundle inspect '$OUT' | grep -q '^signer   key $k_id, NOT trusted here'"
is "inspect --json carries the signer" "$("$LADING" bundle inspect --json --pubkey k.pub "$OUT" | jq -c '[.signer.key_id, .signer.trusted, .signer.verified]')" "[\"$k_id\",true,true]"

# Hand-made unsigned bundles, then bundle sign.
python3 "$TOP/scripts/mkbundle.py" u.tar.zst file:files/a=alpha file:files/sub/b=beta
fails_with "verify refuses an unsigned bundle" 1 "'u.tar.zst': the bundle is not signed \(no lading.json.minisig\)" \
	"$LADING" bundle verify --pubkey k.pub u.tar.zst
fails_with "extract refuses it too" 1 "the bundle is not signed" "$LADING" bundle extract --pubkey k.pub -C "$TRASH/x3" u.tar.zst
ok "and extracts nothing" test ! -e "$TRASH/x3"
ok "--insecure-skip-signature verifies it, with a warning" \
	sh -c "'$LADING' bundle verify --insecure-skip-signature u.tar.zst 2>&1 >/dev/null | grep -q '^lading: warning: --insecure-skip-signature: .u.tar.zst.: the bundle is not signed'"
cp u.tar.zst u2.tar.zst
ok "bundle sign signs it in place" "$LADING" bundle sign --key k.key u.tar.zst
is "the signature is now the second entry" "$(tar --zstd -tf u.tar.zst | sed -n 2p)" "lading.json.minisig"
ok "and it verifies" "$LADING" bundle verify --pubkey k.pub u.tar.zst
ok "minisign checks the rewritten file's detached signature" minisign -Vm u.tar.zst -p k.pub -q
"$LADING" bundle sign --key k.key u2.tar.zst >/dev/null
ok "signing the same bundle twice gives the same bytes" cmp u.tar.zst u2.tar.zst
fails_with "bundle sign with a damaged key changes nothing" 1 "the secret key is damaged|not valid base64" \
	sh -c "sed '2s/^\(.\{100\}\)./\1#/' k.key >bad.key && '$LADING' bundle sign --key bad.key u2.tar.zst"

# Altered signed bundles.
retar u.tar.zst nosig.tar.zst 'members = [m for m in members if m[0].name != "lading.json.minisig"]'
fails_with "the signature entry removed: refused as unsigned" 1 "'nosig.tar.zst': the bundle is not signed" \
	"$LADING" bundle verify --pubkey k.pub nosig.tar.zst
retar u.tar.zst edited.tar.zst 'members[0][1] = members[0][1].replace(b"handmade", b"handmadf")'
fails_with "lading.json edited after signing" 1 "'edited.tar.zst': lading.json.minisig: signature verification failed" \
	"$LADING" bundle verify --pubkey k.pub edited.tar.zst
fails_with "extract of it extracts nothing" 1 "signature verification failed" \
	"$LADING" bundle extract --pubkey k.pub -C "$TRASH/x4" edited.tar.zst
python3 "$TOP/scripts/mkbundle.py" other.tar.zst file:files/a=other
"$LADING" bundle sign --key k.key other.tar.zst >/dev/null
tar --zstd -xOf other.tar.zst lading.json.minisig >other.sig
retar u.tar.zst swapped.tar.zst 'members[1][1] = open("other.sig", "rb").read()'
fails_with "a signature of another bundle's lading.json" 1 "'swapped.tar.zst': lading.json.minisig: signature verification failed" \
	"$LADING" bundle verify --pubkey k.pub swapped.tar.zst
sed '3s/name:handmade/name:evil/' u.tar.zst.minisig >u.tar.zst.minisig.edited
fails_with "detached signature with an edited trusted comment" 1 "trusted comment signature verification failed \(the trusted comment was edited\)" \
	"$LADING" key verify u.tar.zst -x u.tar.zst.minisig.edited --pubkey k.pub
ok "minisign refuses it too" sh -c '! minisign -Vm u.tar.zst -x u.tar.zst.minisig.edited -p k.pub -q 2>/dev/null'
done_testing
