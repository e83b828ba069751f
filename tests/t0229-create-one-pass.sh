#!/bin/bash
# bundle create reads each source once (issue 16, "create no slower than
# today"): the body is written first, each large entry's chunk values
# recorded as its data goes to zstd, and the head (lading.json and its
# signature) is written last into frame 0, kept at the start of the file as a
# zstd frame of raw blocks. No source is read by a pre-pass: a 10 MiB entry's
# source is opened as often as a small one's (strace). Frame 0 is a raw frame
# holding exactly the head, the seek table lists its sizes and checksum, and
# zstd, tar --zstd, libarchive and lading read the bundle, signed or not; a
# head over one raw block (128 KiB) is cut into several.
. "$(dirname "$0")/test-lib.sh"
plan 9
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1795338000

"$LADING" key generate -o k --unencrypted >/dev/null
head -c $((10 * 1048576 + 100)) /dev/urandom >big.bin
printf 'hello\n' >small.txt
spec() { # spec NAME FILE...: a spec listing FILEs
	echo "name: $1"
	echo "files:"
	shift
	for f in "$@"; do
		echo "  - url: file://$TRASH/$f"
		echo "    sha256: $(sha256sum "$f" | cut -d' ' -f1)"
	done
}
spec onepass big.bin small.txt >lading.yaml
"$LADING" bundle create -q -f lading.yaml -o first.tar.zst >/dev/null ||
	{ echo "Bail out! bundle create"; exit 1; }

"$LADING" bundle create -v --locked -f lading.yaml -o site.tar.zst >/dev/null 2>create.log
ok "at -v, create says it recorded the chunk values of the 10 MiB entry while writing it" \
	grep -q "^lading: site.tar.zst: chunk values of 1 entries recorded while written$" create.log

if command -v strace >/dev/null 2>&1; then
	strace -f -e trace=openat -o trace.txt "$LADING" bundle create -q --locked -f lading.yaml -o traced.tar.zst \
		>/dev/null 2>&1
	big=$(grep -c "cache/blobs/sha256/$(sha256sum big.bin | cut -d' ' -f1)\", O_RDONLY" trace.txt)
	small=$(grep -c "cache/blobs/sha256/$(sha256sum small.txt | cut -d' ' -f1)\", O_RDONLY" trace.txt)
	is "the 10 MiB entry's source is opened as often as the small one's: no pre-pass reads it" "$big" "$small"
	ok "and the bundle is the same as without strace" cmp site.tar.zst traced.tar.zst
else
	skip_n 2 "strace is not installed"
fi

# frame0 FILE: checks frame 0 against the seek table and the tar stream; prints its raw block count.
frame0() {
	python3 - "$1" <<-'PY'
	import io, struct, subprocess, sys, tarfile
	d = open(sys.argv[1], "rb").read()
	count, desc, magic = struct.unpack("<IBI", d[-9:])
	assert magic == 0x8F92EAB1 and desc & 0x80, "no seek table with checksums"
	table = d[-9 - 12 * count:-9]
	c0, d0, _ = struct.unpack("<III", table[:12])
	assert struct.unpack("<I", d[:4])[0] == 0xFD2FB528 and d[4] == 0x80 and d[5] == 0x38, "not a raw frame header"
	assert struct.unpack("<I", d[6:10])[0] == d0, "content size differs from the table's"
	at, content, blocks, last = 10, b"", 0, 0
	while not last:
	    h = int.from_bytes(d[at:at + 3], "little")
	    last, kind, size = h & 1, (h >> 1) & 3, h >> 3
	    assert kind == 0 and size <= 131072, "a block that is not raw"
	    content += d[at + 3:at + 3 + size]
	    at += 3 + size
	    blocks += 1
	assert at == c0 and len(content) == d0, "frame 0 is not the size the seek table says"
	tar = subprocess.run(["zstd", "-q", "-d", "-c", sys.argv[1]], capture_output=True, check=True).stdout
	assert tar[:d0] == content, "frame 0 is not the start of the tar"
	members = tarfile.open(fileobj=io.BytesIO(tar)).getmembers()
	names = [m.name for m in members]
	after = names.index("lading.json.minisig") + 1 if "lading.json.minisig" in names else 1
	assert members[after].offset == d0, "frame 0 does not end where the head does"
	print(blocks)
	PY
}
is "frame 0 is the head in one raw block, as the seek table says" "$(frame0 site.tar.zst 2>&1)" 1
ok "zstd, tar --zstd and lading read it" sh -c "zstd -q -t site.tar.zst && tar --zstd -tf site.tar.zst >/dev/null &&
	'$LADING' bundle verify --insecure-skip-signature site.tar.zst"
if command -v bsdtar >/dev/null 2>&1; then
	ok "and libarchive (bsdtar)" sh -c "bsdtar -tf site.tar.zst | grep -qx files/big.bin"
else
	skip "bsdtar is not installed"
fi

"$LADING" bundle create -q --locked -f lading.yaml -o signed.tar.zst --sign k.key >/dev/null
ok "created signed, the bundle verifies against the key" "$LADING" bundle verify --pubkey k.pub signed.tar.zst
is "its frame 0 holds lading.json and its signature" "$(frame0 signed.tar.zst 2>&1)" 1

# Over 128 KiB of lading.json: 320 entries with long names.
names=()
for i in $(seq 1 320); do
	n=$(printf 'f%03d-%0100d.txt' "$i" 0)
	printf '%s\n' "$i" >"$n"
	names+=("$n")
done
spec many big.bin "${names[@]}" >many.yaml
"$LADING" bundle create -q -f many.yaml -o many.tar.zst --sign k.key >/dev/null
is "a head of several raw blocks: frame 0 is still exactly the head, and the bundle verifies" \
	"$(frame0 many.tar.zst 2>&1 | awk '/^[0-9]+$/ && $1 > 1 {print "several"}')$("$LADING" bundle verify --pubkey k.pub many.tar.zst >/dev/null 2>&1 && echo ' verified')" \
	"several verified"
done_testing
