#!/bin/bash
# Chunk hashes in the bill of lading (issue 16): in a format 2 bundle every
# entry of lading.json records its tar offsets, counted from the end of the
# head (lading.json and its signature), and the sha256 chaining values after
# each 4 MiB chunk of its data but the last. Every recorded offset matches the
# real tar stream (Python's tarfile), a pax header included, before and after
# the bundle is signed again; verify refuses a chunk whose bytes or whose
# listed value changed, naming the entry and the chunk; an older format 2
# bundle (no offsets, no chunks) still verifies and extracts; a rebuild from
# the lock is byte-identical.
. "$(dirname "$0")/test-lib.sh"
plan 22
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1795338000
MiB=1048576
long=$(printf 'l%.0s' $(seq 1 120)).bin

"$LADING" key generate -o k --unencrypted >/dev/null
head -c $((10 * MiB + 100)) /dev/urandom >big.bin
head -c $((8 * MiB)) /dev/urandom >eight.bin
head -c $((4 * MiB)) /dev/urandom >four.bin
head -c 3000000 /dev/urandom >"$long"
printf 'hello\n' >small.txt
{
	echo "name: chunks"
	echo "files:"
	for f in big.bin eight.bin four.bin "$long" small.txt; do
		echo "  - url: file://$TRASH/$f"
		echo "    sha256: $(sha256sum "$f" | cut -d' ' -f1)"
	done
} >lading.yaml
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst >/dev/null ||
	{ echo "Bail out! bundle create"; exit 1; }
zstd -q -d -c site.tar.zst >site.tar

# layout TAR: one line per entry: path, offset and data_offset right (1/0), chunk values listed.
layout() {
	python3 - "$1" <<-'PY'
	import json, sys, tarfile
	t = tarfile.open(sys.argv[1])
	members = t.getmembers()
	m = json.load(t.extractfile("lading.json"))
	names = [x.name for x in members]
	head = names.index("lading.json.minisig") if "lading.json.minisig" in names else 0
	head_end = members[head + 1].offset
	by = {x.name: x for x in members}
	for e in m["entries"]:
	    x = by[e["path"]]
	    print(e["path"], int(x.offset - head_end == e.get("offset")),
	          int(x.offset_data - head_end == e.get("data_offset")), len(e.get("chunks", [])))
	PY
}
# edit TAR OUT PYTHON: OUT is TAR as bytes d changed by PYTHON (m: lading.json, data(path): an entry's
# data offset in d, put(m): writes m back as lading.json, padded with spaces to its old size).
edit() {
	python3 - "$1" "$2" "$3" <<-'PY'
	import json, sys, tarfile
	d = bytearray(open(sys.argv[1], "rb").read())
	t = tarfile.open(sys.argv[1])
	members = t.getmembers()
	by = {x.name: x for x in members}
	m = json.load(t.extractfile("lading.json"))
	data = lambda p: by[p].offset_data
	def put(m):
	    x = by["lading.json"]
	    j = (json.dumps(m, indent=1, sort_keys=True) + "\n").encode()
	    d[x.offset_data:x.offset_data + x.size] = j + b" " * (x.size - len(j))
	exec(sys.argv[3])
	open(sys.argv[2], "wb").write(d)
	PY
}

got=$(layout site.tar 2>&1)
ok "lading.json lists the offsets of every entry, and each is where tarfile finds its header and data" \
	sh -c "test \$(echo '$got' | grep -c ' 1 1 ') -eq 5"
is "a 10 MiB entry lists 2 chunk values, 8 MiB 1, 4 MiB and smaller none" \
	"$(echo "$got" | awk '{print $1, $4}' | tr '\n' ' ')" \
	"files/big.bin 2 files/eight.bin 1 files/four.bin 0 files/$long 0 files/small.txt 0 "
ok "a name of 126 bytes takes a pax header, and its offset is that header's" \
	sh -c "tar -tvf site.tar --show-transformed-names >/dev/null && python3 -c '
import tarfile, sys
t = tarfile.open(\"site.tar\")
x = [m for m in t.getmembers() if m.name.endswith(\".bin\") and len(m.name) > 100][0]
sys.exit(0 if x.offset_data - x.offset > 512 else 1)'"
ok "the bundle verifies" "$LADING" bundle verify --insecure-skip-signature site.tar.zst
is "inspect --json counts entries with offsets and chunk values (format 2)" \
	"$("$LADING" bundle inspect --json site.tar.zst | jq -c '[.format, .totals.entries_with_offsets == .totals.entries, .totals.chunk_values]')" \
	"[2,true,3]"
ok "and extracts" sh -c "'$LADING' bundle extract --insecure-skip-signature -C out site.tar.zst >/dev/null &&
	cmp out/files/big.bin big.bin && cmp out/files/eight.bin eight.bin"

"$LADING" bundle create -q --locked -f lading.yaml -o again.tar.zst >/dev/null
ok "a rebuild from the lock is byte-identical" cmp site.tar.zst again.tar.zst

# Signing adds lading.json.minisig to the head: the offsets, counted from its end, stay right.
cp site.tar.zst signed.tar.zst
"$LADING" bundle sign -k k.key signed.tar.zst >/dev/null 2>&1
zstd -q -d -c signed.tar.zst >signed.tar
ok "bundle sign adds the signature to the head and the signed bundle verifies" \
	sh -c "tar -tf signed.tar | sed -n 2p | grep -qx lading.json.minisig &&
		'$LADING' bundle verify --pubkey k.pub signed.tar.zst"
is "its offsets are still where tarfile finds every header" "$(layout signed.tar | grep -c ' 1 1 ')" 5
ok "a bundle created signed lists the same offsets as one signed later" sh -c "
	'$LADING' bundle create -q --locked -f lading.yaml -o created-signed.tar.zst --sign k.key >/dev/null &&
	zstd -q -d -c created-signed.tar.zst | tar -xOf - lading.json >a.json && tar -xOf signed.tar lading.json >b.json &&
	cmp a.json b.json"

# Damage TAR, recompress as one zstd stream (a format 2 file without a seek table is read) and verify.
damaged() {
	edit site.tar "$1.tar" "$2" && zstd -q -f -c "$1.tar" >"$1.tar.zst"
}
damaged chunk1 'd[data("files/big.bin") + 4 * 1048576 + 7] ^= 1'
fails_one_line "a byte changed in chunk 1 of an entry: verify names the entry and the chunk" 1 \
	"^lading: chunk1.tar.zst: files/big.bin: sha256 mismatch in chunk 1 \(bytes 4194304 to 8388608\) against lading.json: the bundle is damaged or altered$" \
	"$LADING" bundle verify --insecure-skip-signature chunk1.tar.zst
fails_one_line "and so does extract" 1 "^lading: chunk1.tar.zst: files/big.bin: sha256 mismatch in chunk 1 " \
	"$LADING" bundle extract --insecure-skip-signature -C out-chunk1 chunk1.tar.zst
ok "which leaves nothing behind" sh -c "! test -e out-chunk1 && ! ls -a . | grep -q lading-staging"
damaged chunk0 'd[data("files/eight.bin") + 1] ^= 0x80'
fails_one_line "a byte changed in chunk 0 of an 8 MiB entry: chunk 0 named" 1 \
	"^lading: chunk0.tar.zst: files/eight.bin: sha256 mismatch in chunk 0 \(bytes 0 to 4194304\) against" \
	"$LADING" bundle verify --insecure-skip-signature chunk0.tar.zst
damaged last 'd[data("files/big.bin") + 10 * 1048576 + 50] ^= 1'
fails_one_line "a byte changed in the last chunk: the entry's sha256 catches it" 1 \
	"^lading: last.tar.zst: files/big.bin: sha256 mismatch" \
	"$LADING" bundle verify --insecure-skip-signature last.tar.zst

# The listed value changed, the data intact: the chunks are checked against lading.json's list.
damaged value 'i = d.index(json.dumps(m["entries"][0]["chunks"][1]).encode()) + 5; d[i] = ord("0") if d[i] != ord("0") else ord("1")'
fails_one_line "a chunk value changed in lading.json: verify refuses chunk 1 though the data is intact" 1 \
	"^lading: value.tar.zst: files/big.bin: sha256 mismatch in chunk 1 \(bytes 4194304 to 8388608\) against lading.json" \
	"$LADING" bundle verify --insecure-skip-signature value.tar.zst
damaged fewer 'm["entries"][0]["chunks"].pop(); put(m)'
fails_one_line "a chunk list one value short is refused in one line" 1 \
	"^lading: fewer.tar.zst: lading.json: files/big.bin: 'chunks' must list 2 values for 10485860 bytes$" \
	"$LADING" bundle verify --insecure-skip-signature fewer.tar.zst
damaged offset 'm["entries"][0]["offset"] = 0; put(m)'
fails_one_line "an offset that is not where the header is: verify names the entry" 1 \
	"^lading: offset.tar.zst: files/big.bin: its header and data are at offsets 512 and 1024 after the head, lading.json says 0 and 1024$" \
	"$LADING" bundle verify --insecure-skip-signature offset.tar.zst
damaged data-offset 'e = m["entries"][3]; e["data_offset"] -= 512; put(m)'
fails_one_line "a data offset one block off: verify names the entry and both offsets" 1 \
	"^lading: data-offset.tar.zst: files/l+\.bin: its header and data are at offsets ([0-9]+) and ([0-9]+) after the head, lading.json says \1 and [0-9]+$" \
	"$LADING" bundle verify --insecure-skip-signature data-offset.tar.zst

# A format 2 bundle of the previous lading: no offsets, no chunk values.
damaged old '
for e in m["entries"]:
    e.pop("offset"); e.pop("data_offset"); e.pop("chunks", None)
put(m)'
ok "a format 2 bundle without offsets or chunk values (an older lading's) verifies" \
	"$LADING" bundle verify --insecure-skip-signature old.tar.zst
ok "and extracts" sh -c "'$LADING' bundle extract --insecure-skip-signature -C out-old old.tar.zst >/dev/null &&
	cmp out-old/files/big.bin big.bin"
damaged mixed 'e = m["entries"][0]; e.pop("offset"); e.pop("data_offset"); e.pop("chunks"); put(m)'
fails_one_line "offsets on some entries only are refused" 1 \
	"^lading: mixed.tar.zst: lading.json: 4 of 5 entries have offsets: all or none$" \
	"$LADING" bundle verify --insecure-skip-signature mixed.tar.zst
done_testing
