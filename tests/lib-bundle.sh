# Sourced by bundle tests after test-lib.sh and scripts/lib-registry.sh:
# a registry with three generated images and a lading.yaml naming them.
#
#   bundle_fixture [BIG]   starts registry "src", pushes test/a:1 and test/b:1
#                          (sharing a layer), test/multi:1 (linux/amd64 + linux/arm64),
#                          writes $SPEC; BIG (e.g. 4m) adds a random layer of that size to a:1.
#   cache_consistent DIR   every finished blob in DIR/blobs/sha256 matches its name
#   blob_gets LOG          number of blob GETs in a registry log
#   bundle_flip FILE ENTRY AT  flips one byte in the middle of the zstd frame (format 2
#                          bundle with a seek table) that holds byte AT of ENTRY's data

bundle_fixture() {
	_big=${1:-}
	registry_start src || return 1
	SRC=127.0.0.1:$REGISTRY_PORT
	SRC_LOG=$REGISTRY_LOG
	LAYOUT=$TRASH/layout
	_extra=""
	[ -n "$_big" ] && _extra="--layer $_big:big"
	python3 "$TOP/scripts/mkimage.py" "$LAYOUT" a:1 --layer 64k:shared --layer 8k:only-a $_extra >/dev/null &&
	python3 "$TOP/scripts/mkimage.py" "$LAYOUT" b:1 --layer 64k:shared --layer 8k:only-b >/dev/null &&
	python3 "$TOP/scripts/mkimage.py" "$LAYOUT" multi:1 --layer 16k:multi --platforms linux/amd64,linux/arm64 >/dev/null &&
	push_layout "$LAYOUT" a:1 "$SRC/test/a:1" &&
	push_layout "$LAYOUT" b:1 "$SRC/test/b:1" &&
	push_layout "$LAYOUT" multi:1 "$SRC/test/multi:1" || return 1
	SPEC_DIR=$TRASH/spec
	SPEC=$SPEC_DIR/lading.yaml
	mkdir -p "$SPEC_DIR"
	cat >"$SPEC" <<-YAML
	name: test-bundle
	images:
	  - $SRC/test/a:1
	  - $SRC/test/b:1
	  - ref: $SRC/test/multi:1
	    platforms: [linux/amd64, linux/arm64]
	registries:
	  - host: $SRC
	    plain_http: true
	YAML
	export LADING_CACHE=$TRASH/cache
}

cache_consistent() {
	for _f in "$1"/blobs/sha256/*; do
		[ -f "$_f" ] || continue
		case $(basename "$_f") in *[!0-9a-f]*) continue ;; esac
		[ "$(sha256sum "$_f" | cut -d' ' -f1)" = "$(basename "$_f")" ] || { echo "bad blob $_f"; return 1; }
	done
	return 0
}

blob_gets() {
	grep -c '"GET /v2/[^"]*/blobs/sha256:' "$1" || true
}

bundle_flip() {
	python3 - "$1" "$2" "$3" <<'PY'
import io, struct, subprocess, sys, tarfile
path, name, at_data = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
count = struct.unpack("<I", data[-9:-5])[0]
row = 12 if data[-5] & 0x80 else 8
table = data[-9 - count * row:-9]
frames = [struct.unpack("<II", table[i * row:i * row + 8]) for i in range(count)]
tar = subprocess.run(["zstd", "-q", "-dc", path], capture_output=True, check=True).stdout
want = tarfile.open(fileobj=io.BytesIO(tar)).getmember(name).offset_data + at_data
comp = dec = 0
for c, d in frames:
    if dec + d > want:
        break
    comp += c
    dec += d
at = comp + c // 2
with open(path, "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0x55]))
PY
}
