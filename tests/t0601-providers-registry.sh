#!/bin/bash
# Providers through the registry protocol from a real nginx: discovery,
# versions, download JSON, SHA256SUMS signed with a test OpenPGP key and
# checked with gpgv, constraints and platforms; the mirror written with --out
# checked against sha256sum (zh:) and an independent dirhash (h1:).
# Bad input: no version matches, platform missing, SHA256SUMS without our
# zip, zip hash mismatch, bad signature, 404.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
command -v gpg >/dev/null && command -v gpgv >/dev/null || skip_all "gpg/gpgv not installed (scripts/deps)"
plan 19

export GNUPGHOME=$TRASH/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'lading test <test@example.invalid>' ed25519 sign never >/dev/null 2>&1
reg=$TRASH/reg
mkp() { python3 "$TOP/scripts/mkprovider.py" "$reg" "$@" --gnupg-home "$GNUPGHOME" >/dev/null; }
mkp hashicorp null 3.1.0,3.2.1,3.2.2,4.0.0 linux_amd64,linux_arm64
# SHA256SUMS re-signed without the linux_amd64 line.
mkp broken nosum 1.0.0 linux_amd64,linux_arm64
sums=$reg/dl/broken/nosum/1.0.0/terraform-provider-nosum_1.0.0_SHA256SUMS
sed -i '/linux_amd64/d' "$sums"
gpg --batch --yes --detach-sign -o "$sums.sig" "$sums"
# A zip that is not the one SHA256SUMS (validly signed) lists.
mkp broken badzip 1.0.0 linux_amd64
echo garbage >>"$reg/dl/broken/badzip/1.0.0/terraform-provider-badzip_1.0.0_linux_amd64.zip"
# SHA256SUMS changed after signing.
mkp broken badsig 1.0.0 linux_amd64
sed -i 's/^./0/' "$reg/dl/broken/badsig/1.0.0/terraform-provider-badsig_1.0.0_SHA256SUMS"
web_start reg "$reg"
host=127.0.0.1:$WEB_PORT
printf 'registries:\n  - host: "%s"\n    plain_http: true\n' "$host" >"$TRASH/registries.yaml"
fetch() { "$LADING" fetch provider -r "$TRASH/registries.yaml" -s "$TRASH/store" "$@"; }

first=$(fetch -p linux_amd64 -p linux_arm64 -o "$TRASH/mirror" "$host/hashicorp/null" '~> 3.2' 2>&1)
is "~> 3.2 picks 3.2.2, signature checked" "$(echo "$first" | grep '^provider')" "provider $host/hashicorp/null 3.2.2 (signature checked)"
is "both platforms fetched" "$(echo "$first" | grep -c '^package')" 2
dir=$TRASH/mirror/$host/hashicorp/null
ok "packed layout: both zips under HOST/NS/TYPE" test -f "$dir/terraform-provider-null_3.2.2_linux_amd64.zip" -a -f "$dir/terraform-provider-null_3.2.2_linux_arm64.zip"
ok "zips equal the registry's" cmp "$dir/terraform-provider-null_3.2.2_linux_arm64.zip" "$reg/dl/hashicorp/null/3.2.2/terraform-provider-null_3.2.2_linux_arm64.zip"
is "index.json lists the version" "$(jq -c .versions "$dir/index.json")" '{"3.2.2":{}}'
cat >"$TRASH/check-mirror.py" <<'PY'
# Independent of lading: zh: = sha256 of the zip, h1: = Go dirhash.Hash1 of its entries.
import base64, hashlib, json, os, sys, zipfile
d = sys.argv[1]
n = 0
for version in json.load(open(os.path.join(d, "index.json")))["versions"]:
    for plat, a in json.load(open(os.path.join(d, version + ".json")))["archives"].items():
        path = os.path.join(d, a["url"])
        assert a["url"] == "terraform-provider-null_%s_%s.zip" % (version, plat), a["url"]
        zh = "zh:" + hashlib.sha256(open(path, "rb").read()).hexdigest()
        z = zipfile.ZipFile(path)
        summary = "".join("%s  %s\n" % (hashlib.sha256(z.read(name)).hexdigest(), name)
                          for name in sorted(z.namelist()))
        h1 = "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()
        assert h1 in a["hashes"] and zh in a["hashes"], (a["hashes"], h1, zh)
        n += 1
print(n)
PY
is "VERSION.json: h1 and zh of every zip match an independent computation" "$(python3 "$TRASH/check-mirror.py" "$dir")" 2
is "the printed zh: is sha256sum of the zip" "$(echo "$first" | awk '/^package linux_amd64/ {print $4}')" "zh:$(sha256sum "$dir/terraform-provider-null_3.2.2_linux_amd64.zip" | cut -d' ' -f1)"
is "no constraint and no platform: newest stable, linux_amd64 only" "$(fetch "$host/hashicorp/null" | cut -d' ' -f1-3 | tr '\n' ' ')" "package linux_amd64 terraform-provider-null_4.0.0_linux_amd64.zip provider $host/hashicorp/null 4.0.0 "
is ">= 3.1, < 3.2.2 is 3.2.1" "$(fetch "$host/hashicorp/null" '>= 3.1, < 3.2.2' | awk '/^provider/ {print $3}')" 3.2.1
nogpg=$(LADING_GPGV= fetch "$host/hashicorp/null" 4.0.0 2>&1)
ok "without gpgv: a warning, no signature claim" sh -c "echo '$nogpg' | grep -q 'gpgv is not installed' && ! echo '$nogpg' | grep -q 'signature checked'"

bad=$TRASH/bad-store
fetchbad() { "$LADING" fetch provider -r "$TRASH/registries.yaml" -s "$bad" "$@"; }
fails_with "no version matches: the versions are listed" 1 "no version matches '~> 5.0' \(available: 3\.1\.0, 3\.2\.1, 3\.2\.2, 4\.0\.0\)" \
	fetchbad "$host/hashicorp/null" '~> 5.0'
fails_with "a platform the version lacks" 1 "3\.2\.2: no package for darwin_arm64 \(available: linux_amd64, linux_arm64\)" \
	fetchbad -p darwin_arm64 "$host/hashicorp/null" 3.2.2
fails_with "SHA256SUMS without our zip" 1 "nosum 1\.0\.0 linux_amd64: SHA256SUMS .* has no entry for terraform-provider-nosum_1\.0\.0_linux_amd64\.zip" \
	fetchbad "$host/broken/nosum" 1.0.0
fails_with "zip hash mismatch" 1 "badzip 1\.0\.0 linux_amd64: sha256 mismatch" fetchbad -o "$TRASH/bad-mirror" "$host/broken/badzip"
is "nothing stored or laid out after the mismatch" "$(find "$bad" "$TRASH/bad-mirror" -name '*.zip' -o -name '.fetch-*' -o -type f -path '*/sha256/*' 2>/dev/null | wc -l)" 0
fails_with "SHA256SUMS changed after signing" 1 "badsig.*signature of SHA256SUMS does not verify" fetchbad "$host/broken/badsig"
fails_with "an unknown provider is a 404" 1 "provider $host/hashicorp/nope: .*versions' answered HTTP 404" fetchbad "$host/hashicorp/nope"
fails_with "a malformed source is a usage error" 2 "expected \[HOST/\]NAMESPACE/TYPE" fetchbad "a/b/c/d"
mkdir -p "$TRASH/empty"
web_start empty "$TRASH/empty"
printf '  - host: "127.0.0.1:%s"\n    plain_http: true\n' "$WEB_PORT" >>"$TRASH/registries.yaml"
fails_with "a host without discovery is a 404" 1 "terraform\.json' answered HTTP 404" \
	"$LADING" fetch provider -s "$bad" -r "$TRASH/registries.yaml" "127.0.0.1:$WEB_PORT/x/y"
done_testing
