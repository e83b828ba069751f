#!/bin/bash
# The secret key in memory (issue 15): it lives in its own pages, locked (never swapped) and
# marked for no core dump, in a process no longer dumpable; checked from /proc while
# `lading bundle sign` holds the key's page and waits on its terminal for the password.
. "$(dirname "$0")/test-lib.sh"
plan 4
unset LADING_TRUST_DIR
cd "$TRASH" || exit 1
LADING_KEY_PASSWORD=pw "$LADING" key generate -o enc >/dev/null
python3 "$TOP/scripts/mkbundle.py" b.tar.zst file:files/a=1

python3 - "$LADING" >probe.out 2>probe.err <<'PY'
import os, pty, select, sys, time
lading = sys.argv[1]
env = {k: v for k, v in os.environ.items() if k != "LADING_KEY_PASSWORD"}
pid, fd = pty.fork()
if pid == 0:
    os.execve(lading, [lading, "bundle", "sign", "--key", "enc.key", "b.tar.zst"], env)
seen = b""
deadline = time.time() + 20
while b"assword" not in seen and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            seen += os.read(fd, 1024)
        except OSError:
            break
print("prompt", b"assword" in seen)
status = open("/proc/%d/status" % pid).read()
locked = [l for l in status.splitlines() if l.startswith("VmLck:")]
print("vmlck", locked[0].split()[1] if locked else "none")
flags = [l.split()[1:] for l in open("/proc/%d/smaps" % pid).read().splitlines() if l.startswith("VmFlags:")]
print("lo+dd", any("lo" in f and "dd" in f for f in flags))
os.write(fd, b"pw\n")
deadline = time.time() + 60
done = 0
while time.time() < deadline:
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid == pid:
        done = os.waitstatus_to_exitcode(st) == 0
        break
    try:
        select.select([fd], [], [], 0.5) and os.read(fd, 1024)
    except OSError:
        pass
print("signed", done)
PY
ok "bundle sign asked for the password on its terminal" grep -qx "prompt True" probe.out
if [ -n "${ASAN_OPTIONS:-}" ]; then
	# AddressSanitizer turns mlock into a no-op and marks its own shadow memory 'dd'.
	skip "AddressSanitizer build: mlock is not performed under ASan"
	skip "AddressSanitizer build: its shadow mappings are 'dd' too"
else
	ok "while it waits, its key's pages are locked in memory (VmLck > 0)" sh -c "grep '^vmlck' probe.out | awk '{exit !(\$2 > 0)}'"
	ok "and a locked mapping is marked 'dd': left out of core dumps" grep -qx "lo+dd True" probe.out
fi
ok "then, given the password, it signs" sh -c "grep -qx 'signed True' probe.out && tar --zstd -tf b.tar.zst | grep -qx lading.json.minisig"
done_testing
