#!/bin/bash
# `lading bundle push` of a signed format 2 bundle goes in one pass from the
# file (issue 16): nothing is staged in TMPDIR (what a killed two-pass run
# left there is still removed), each blob is read and verified
# chunk by chunk as it is sent (monolithic PUT or PATCH chunks across the
# 4 MiB chunks), --jobs 1 and 4 give the registry the same digests as the
# two-pass push of the same bundle recompressed as one stream, and files/ are
# copied from the file; a connection cut mid-blob starts the blob again, read
# from the file anew. A byte flipped in one chunk of a layer fails the push
# with one line naming the entry and the chunk; that blob is never committed
# and no manifest is put; in a file, nothing of it is written. A v1 bundle
# still pushes, in two passes.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 32

bundle_fixture 10m || { echo "Bail out! registry fixture"; exit 1; }
head -c 5242880 /dev/urandom >"$TRASH/big.bin"
echo "small file" >"$TRASH/small.txt"
cat >>"$SPEC" <<YAML
files:
  - url: file://$TRASH/big.bin
    sha256: $(sha256sum "$TRASH/big.bin" | cut -d' ' -f1)
  - url: file://$TRASH/small.txt
    sha256: $(sha256sum "$TRASH/small.txt" | cut -d' ' -f1)
YAML
"$LADING" key generate -o "$TRASH/site" --unencrypted >/dev/null 2>&1 || exit 1
B=$TRASH/site.tar.zst
"$LADING" bundle create -q -f "$SPEC" -o "$B" --sign "$TRASH/site.key" || { echo "Bail out! create"; exit 1; }
# The 10 MiB layer (the bundle's largest blob) as the bundle holds it.
zstd -q -dc "$B" | tar -tv | grep ' oci/blobs/sha256/[0-9a-f]' | sort -k3 -n >"$TRASH/blobs"
big=$(tail -n 1 "$TRASH/blobs" | sed 's|.*/||')
mkdir -p "$TRASH/want"
zstd -q -dc "$B" | tar -x -C "$TRASH/want" "oci/blobs/sha256/$big"
# The same bundle as one zstd stream: no seek table, so it is pushed in two passes.
zstd -q -dc "$B" | zstd -q -o "$TRASH/one.tar.zst"

registry_start dst || { echo "Bail out! registry"; exit 1; }
DST=127.0.0.1:$REGISTRY_PORT
DST_LOG=$REGISTRY_LOG
export TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR"
push() { "$LADING" bundle push --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http "$@"; }
digests() {
	for r in test/a:1 test/b:1 test/multi:1; do
		skopeo inspect --raw --tls-verify=false "docker://$DST/$1/$r" | sha256sum | cut -d' ' -f1
	done
}
code() { curl -s -o /dev/null -I -w '%{http_code}' "http://$DST/v2/$1"; }

export T=$TRASH
# What a killed two-pass run left (its pid is gone) is still swept.
dead=99999
while kill -0 "$dead" 2>/dev/null; do dead=$((dead - 1)); done
mkdir -p "$TMPDIR/lading-push.$dead.AbCdEf/blobs/sha256"
echo partial >"$TMPDIR/lading-push.$dead.AbCdEf/blobs/sha256/x"
ok "push from the file with --jobs 1 (and --files-dir)" sh -c '"$@" >/dev/null 2>"$T/j1.log"' sh \
	"$LADING" bundle push -v --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http --jobs 1 --prefix j1 \
	--files-dir "$TRASH/files1" "$B"
ok "the log says it pushed from the file" grep -q "pushing from the file" "$TRASH/j1.log"
is "nothing was staged, and a dead run's staging directory was removed: TMPDIR is empty" "$(ls -A "$TMPDIR")" ""
ok "files/ copied from the file" sh -c 'cmp "$1/big.bin" "$1/files1/big.bin" && cmp "$1/small.txt" "$1/files1/small.txt"' \
	sh "$TRASH"
is "and no temporary left beside them" "$(find "$TRASH/files1" -name '*.tmp.*' | wc -l)" 0
ok "push from the file with --jobs 4 and --chunk-size 3m (PATCH chunks across 4 MiB chunks)" \
	push -q --jobs 4 --chunk-size 3m --prefix j4 "$B"
ok "push from the file with --jobs 4, monolithic, TMPDIR absent (nothing to stage)" \
	env TMPDIR="$TRASH/absent" "$LADING" bundle push -q --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http \
	--jobs 4 --prefix m4 "$B"
ok "and TMPDIR was not made" test ! -e "$TRASH/absent"
ok "the one-stream copy pushes in two passes" sh -c '"$@" >/dev/null 2>"$T/two.log"' sh \
	"$LADING" bundle push -v --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http --prefix two "$TRASH/one.tar.zst"
ok "the log says why (no seek table)" grep -q "no seek table.*pushing it in two passes" "$TRASH/two.log"
want=$(digests two)
is "three manifest digests from the two-pass push" "$(echo "$want" | grep -c '^[0-9a-f]\{64\}$')" 3
is "--jobs 1 from the file: the same digests" "$(digests j1)" "$want"
is "--jobs 4 chunked from the file: the same digests" "$(digests j4)" "$want"
is "--jobs 4 monolithic from the file: the same digests" "$(digests m4)" "$want"
ok "skopeo copies j4/test/a:1 (with the 10 MiB layer)" skopeo copy --quiet --preserve-digests --src-tls-verify=false \
	"docker://$DST/j4/test/a:1" "oci:$TRASH/copy:a"
ok "the copied layer is the bundle's" cmp "$TRASH/copy/blobs/sha256/$big" "$TRASH/want/oci/blobs/sha256/$big"

# A proxy that cuts the one connection that has carried 6 MiB (mid-way through the 10 MiB layer), once.
cat >"$TRASH/cut.py" <<'PY'
import socket, sys, threading
port_file, target = sys.argv[1], int(sys.argv[2])
state = {"cut": False}
lock = threading.Lock()
def back(u, c):
    try:
        while True:
            d = u.recv(65536)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    for s in (c, u):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def handle(c):
    u = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=back, args=(u, c), daemon=True).start()
    n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            n += len(d)
            with lock:
                cut = n >= 6 << 20 and not state["cut"]
                state["cut"] = state["cut"] or cut
            if cut:
                sys.stderr.write("cut\n")
                break
            u.sendall(d)
    except OSError:
        pass
    for s in (c, u):
        try:
            s.shutdown(socket.SHUT_RDWR)
            s.close()
        except OSError:
            pass
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(port_file, "w").write(str(srv.getsockname()[1]))
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
python3 "$TRASH/cut.py" "$TRASH/cut.port" "$REGISTRY_PORT" 2>"$TRASH/cut.err" &
cut_pid=$!
at_exit "kill_pid $cut_pid"
for _ in $(seq 100); do [ -s "$TRASH/cut.port" ] && break; sleep 0.05; done
CUT=127.0.0.1:$(cat "$TRASH/cut.port")
ok "a push from the file whose connection is cut mid-blob starts the blob again and completes" \
	sh -c '"$@" >/dev/null 2>"$T/cut.log"' sh "$LADING" bundle push -v --pubkey "$TRASH/site.pub" --registry "$CUT" \
	--plain-http --jobs 1 --prefix cut "$B"
ok "the connection was cut, and the blob started again" \
	sh -c 'grep -q cut "$1/cut.err" && grep -q "starting the blob again" "$1/cut.log"' sh "$TRASH"
is "the registry holds the same digests" "$(digests cut)" "$want"
ok "and the bundle's layer" sh -c 'curl -sf "$1" | cmp - "$2"' sh "http://$DST/v2/cut/test/a/blobs/sha256:$big" \
	"$TRASH/want/oci/blobs/sha256/$big"

python3 "$TOP/scripts/mkbundle.py" "$TRASH/v1.tar.zst" --oci "$LAYOUT" >/dev/null &&
	"$LADING" bundle sign --key "$TRASH/site.key" "$TRASH/v1.tar.zst" >/dev/null || { echo "Bail out! v1"; exit 1; }
ok "a v1 bundle still pushes" sh -c '"$@" >/dev/null 2>"$T/v1.log"' sh \
	"$LADING" bundle push -v --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http --prefix v1 "$TRASH/v1.tar.zst"
ok "in two passes" grep -q "pushing it in two passes" "$TRASH/v1.log"
is "nothing staged is left in TMPDIR" "$(ls -A "$TMPDIR")" ""

# A byte flipped in the frame that holds byte 5 MiB of the big layer: its chunk 1.
cp "$B" "$TRASH/damaged.tar.zst"
bundle_flip "$TRASH/damaged.tar.zst" "oci/blobs/sha256/$big" 5242880 || { echo "Bail out! damage"; exit 1; }
fails_one_line "a flipped byte fails a monolithic push naming the entry and the chunk" 1 \
	"damaged.tar.zst: oci/blobs/sha256/$big: sha256 mismatch in chunk 1" push --jobs 4 --prefix bad "$TRASH/damaged.tar.zst"
is "that blob was never committed (HEAD 404)" "$(code "bad/test/a/blobs/sha256:$big")" 404
is "test/a:1 was not put" "$(code bad/test/a/manifests/1)" 404
fails_one_line "... and a chunked push too" 1 "oci/blobs/sha256/$big: sha256 mismatch in chunk 1" \
	push --jobs 1 --chunk-size 1m --prefix badc "$TRASH/damaged.tar.zst"
is "that blob was never committed either (HEAD 404)" "$(code "badc/test/a/blobs/sha256:$big")" 404
is "no manifest was put under bad/ or badc/" "$(grep -c '"PUT /v2/badc\?/[^"]*/manifests/' "$DST_LOG")" 0
cp "$B" "$TRASH/damaged-file.tar.zst"
bundle_flip "$TRASH/damaged-file.tar.zst" files/big.bin 5000000 || { echo "Bail out! damage"; exit 1; }
fails_one_line "a flipped byte in a file fails --files-dir naming the entry and the chunk" 1 \
	"damaged-file.tar.zst: files/big.bin: sha256 mismatch in chunk 1" \
	push --prefix badf --files-dir "$TRASH/files2" "$TRASH/damaged-file.tar.zst"
is "nothing of it is left under the files directory" "$(find "$TRASH/files2" -name 'big.bin*' | wc -l)" 0
is "and no manifest was put under badf/" "$(grep -c '"PUT /v2/badf/[^"]*/manifests/' "$DST_LOG")" 0
