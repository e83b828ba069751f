#!/bin/bash
# Volumes (issue 17): `bundle create --volume-size` writes SET.001.tar.zst …,
# each a complete tar.zst (tar --zstd and zstd read it) of at most the size,
# whose head is the set's signed lading.json and lading-volume.json; a blob
# larger than a volume is cut into parts at chunk boundaries. Each volume
# verifies alone after the others are deleted, and a byte flipped in a part is
# named; verify, extract, push and serve take the set from any one volume or
# from its directory; a missing volume or one of another set is named before
# any work starts; `bundle split` of the whole bundle gives the same volumes;
# a run killed after some volumes keeps them (not rewritten).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
. "$TOP/scripts/lib-serve.sh"
plan 27
export SOURCE_DATE_EPOCH=1795338000

bundle_fixture 20m || { echo "Bail out! registry fixture"; exit 1; }
"$LADING" key generate -o "$TRASH/site" --unencrypted >/dev/null 2>&1 || exit 1
PUB=$TRASH/site.pub
ok "the whole bundle" "$LADING" bundle create -q -f "$SPEC" -o "$TRASH/whole.tar.zst" --sign "$TRASH/site.key"
mkdir -p "$TRASH/v"
ok "create --volume-size 9M" "$LADING" bundle create -q --locked -f "$SPEC" -o "$TRASH/v/site.tar.zst" \
	--sign "$TRASH/site.key" --volume-size 9M
ok "... leaves no whole file and no detached signature behind" \
	test ! -e "$TRASH/v/site.tar.zst" -a ! -e "$TRASH/v/site.tar.zst.minisig"
count=$(ls "$TRASH/v" | grep -c '^site\.[0-9][0-9][0-9]\.tar\.zst$')
ok "it wrote 3 or more volumes ($count)" test "$count" -ge 3
big=0
for f in "$TRASH"/v/site.*.tar.zst; do
	[ "$(stat -c %s "$f")" -le $((9 * 1048576)) ] || big=$((big + 1))
done
is "no volume is over 9 MiB" "$big" 0
bad=0
for f in "$TRASH"/v/site.*.tar.zst; do
	tar --zstd -tf "$f" >/dev/null 2>&1 && zstd -q -t "$f" || bad=$((bad + 1))
done
is "tar --zstd and zstd -t read every volume" "$bad" 0
ok "the 20 MiB layer is cut into parts" sh -c 'tar --zstd -tf "$1" | grep -q "\.part001$"' sh "$TRASH/v/site.001.tar.zst"
total=$(cat "$TRASH"/v/site.*.tar.zst | wc -c) whole=$(stat -c %s "$TRASH/whole.tar.zst")
per=$(( (total - whole) * 100000 / whole / count ))
echo "# whole bundle $whole bytes, $count volumes $total bytes together ($((total - whole)) bytes more): $per/100000 of the bundle per volume"
ok "volume overhead is at most 0.1 % of the bundle per volume" test "$per" -le 100

# Each volume alone, the others deleted.
alone=0
for f in "$TRASH"/v/site.*.tar.zst; do
	rm -rf "$TRASH/alone" && mkdir "$TRASH/alone" && cp "$f" "$TRASH/alone/"
	"$LADING" bundle verify --pubkey "$PUB" "$TRASH/alone/$(basename "$f")" >"$TRASH/alone.out" 2>&1 &&
		grep -q "volume [0-9]* of $count of set 'site'; set 'site' .* missing" "$TRASH/alone.out" ||
		{ alone=$((alone + 1)); sed 's/^/# /' "$TRASH/alone.out"; }
done
is "each volume verifies alone and says which volumes it has not seen" "$alone" 0
ok "verify of the directory checks the whole set" \
	sh -c '"$1" bundle verify --pubkey "$2" "$3" | grep -q "ok, [0-9]* entries"' sh "$LADING" "$PUB" "$TRASH/v"

mkdir -p "$TRASH/s"
ok "bundle split of the whole bundle" "$LADING" bundle split -q --volume-size 9M -C "$TRASH/s" --set site \
	"$TRASH/whole.tar.zst"
same=0
for f in "$TRASH"/v/site.*.tar.zst; do cmp -s "$f" "$TRASH/s/$(basename "$f")" || same=$((same + 1)); done
is "... gives byte-identical volumes" "$same" 0

ok "extract from one volume's path (the set found beside it)" "$LADING" bundle extract -q --pubkey "$PUB" \
	-C "$TRASH/xv" "$TRASH/v/site.002.tar.zst"
ok "extract of the whole bundle" "$LADING" bundle extract -q --pubkey "$PUB" -C "$TRASH/xw" "$TRASH/whole.tar.zst"
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
is "the set extracts to the same files as the whole bundle" "$(sums "$TRASH/xv")" "$(sums "$TRASH/xw")"

# A byte flipped in a part: the volume alone names the entry and the chunk.
cp "$TRASH/v/site.002.tar.zst" "$TRASH/bad.002.tar.zst"
python3 - "$TRASH/bad.002.tar.zst" <<-'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[len(d) // 2] ^= 1; open(p, "wb").write(d)
PY
fails_one_line "a flipped byte in a volume is named with its entry" 1 "oci/blobs/sha256/[0-9a-f]*: sha256 mismatch in chunk|bad.002.tar.zst: .*(damaged|checksum|Corrupted|corrupt)" \
	"$LADING" bundle verify --pubkey "$PUB" "$TRASH/bad.002.tar.zst"

# A volume whose lading-volume.json lists an item it does not hold (taken from volume 3's list).
mkdir -p "$TRASH/lie" && tar --zstd -xf "$TRASH/v/site.002.tar.zst" -C "$TRASH/lie" &&
	python3 - "$TRASH/lie/lading-volume.json" "$TRASH/v/site.003.tar.zst" <<-'PY' &&
import json, subprocess, sys
mine = json.load(open(sys.argv[1]))
third = json.loads(subprocess.run(["tar", "--zstd", "-xOf", sys.argv[2], "lading-volume.json"],
                                  check=True, capture_output=True).stdout)
mine["items"].append(third["items"][-1])
json.dump(mine, open(sys.argv[1], "w"))
PY
	tar --zstd -tf "$TRASH/v/site.002.tar.zst" >"$TRASH/lie.order" &&
	tar -C "$TRASH/lie" --format=pax -cf - -T "$TRASH/lie.order" | zstd -q >"$TRASH/lie.002.tar.zst" ||
	echo "# could not make the lying volume"
fails_one_line "a volume whose lading-volume.json lists an item it lacks is refused, naming the item" 1 \
	"lie\.002\.tar\.zst: .* listed in lading-volume\.json is missing" \
	"$LADING" bundle verify --pubkey "$PUB" "$TRASH/lie.002.tar.zst"

# Missing and foreign volumes, named before any work.
mkdir -p "$TRASH/m" && cp "$TRASH"/v/site.*.tar.zst "$TRASH/m/" && rm "$TRASH/m/site.002.tar.zst"
fails_one_line "extract with volume 2 missing names it" 1 "volume 2 missing \(found 1, 3" \
	"$LADING" bundle extract --pubkey "$PUB" -C "$TRASH/xm" "$TRASH/m/site.001.tar.zst"
ok "... and creates nothing" test ! -e "$TRASH/xm"
cat >"$TRASH/other.yaml" <<-YAML
name: other
images:
  - $SRC/test/a:1
registries:
  - host: $SRC
    plain_http: true
YAML
mkdir -p "$TRASH/o"
"$LADING" bundle create -q -f "$TRASH/other.yaml" -o "$TRASH/o/site.tar.zst" --sign "$TRASH/site.key" \
	--volume-size 9M >/dev/null 2>&1
cp "$TRASH/o/site.002.tar.zst" "$TRASH/m/site.002.tar.zst"
fails_one_line "a volume of another set in its place is named" 1 "m/site.002.tar.zst is volume 2 of another set" \
	"$LADING" bundle extract --pubkey "$PUB" -C "$TRASH/xm" "$TRASH/m/site.001.tar.zst"
fails_one_line "a directory with volumes of two sets is refused, naming both" 2 "holds volumes of two sets: .*site.00[0-9].tar.zst" \
	"$LADING" bundle verify --pubkey "$PUB" "$TRASH/m"

# push and serve take the set.
registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
ok "push of the set (from its directory)" "$LADING" bundle push -q --pubkey "$PUB" --registry "$DST" --plain-http \
	"$TRASH/v"
registry_start dst2
DST2=127.0.0.1:$REGISTRY_PORT
ok "push of the whole bundle elsewhere" "$LADING" bundle push -q --pubkey "$PUB" --registry "$DST2" \
	--plain-http "$TRASH/whole.tar.zst"
registry_digest() { skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1; }
diffs=0
for img in test/a:1 test/b:1 test/multi:1; do
	[ "$(registry_digest "$DST/$img")" = "$(registry_digest "$DST2/$img")" ] || diffs=$((diffs + 1))
done
is "the set pushed gives the same digests as the whole bundle" "$diffs" 0
serve_start "$TRASH/v/site.003.tar.zst" --pubkey "$PUB" --cache-dir "$TRASH/sc" || exit 1
skopeo copy --quiet --src-tls-verify=false "docker://$SERVE_HOST/test/a:1" "oci:$TRASH/pulled:a" \
	2>"$TRASH/skopeo.err" || sed 's/^/# /' "$TRASH/skopeo.err"
want_a=$(jq -r '.images[] | select(.ref | endswith("/test/a:1")) | .digest' "$TRASH/xw/lading.json")
is "skopeo pulls test/a:1 (its layer cut across volumes) from serve of the set" \
	"$(jq -r '.manifests[0].digest' "$TRASH/pulled/index.json")" "$want_a"
ok "the pulled layers are whole" cache_consistent "$TRASH/pulled"
serve_stop

# Resume: a run killed after volume 1 was renamed; the rerun keeps it.
rm "$TRASH"/s/site.00[2-9].tar.zst
ino=$(stat -c %i "$TRASH/s/site.001.tar.zst")
"$LADING" bundle split --json --volume-size 9M -C "$TRASH/s" --set site "$TRASH/whole.tar.zst" >"$TRASH/split.json"
is "the rerun keeps volume 1 (not rewritten) and writes the others" \
	"$(jq -c '[.kept, .written, (.volumes == .kept + .written)]' "$TRASH/split.json") $(stat -c %i "$TRASH/s/site.001.tar.zst")" \
	"[1,$((count - 1)),true] $ino"
