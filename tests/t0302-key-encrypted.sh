#!/bin/bash
# Encrypted secret keys (scrypt N=2^20 r=8 p=1: ~4 s and 1 GiB each time one is opened, so
# every key here is generated once): minisign's keys in lading, lading's keys in minisign,
# passwords from $LADING_KEY_PASSWORD or typed on a terminal without echo.
. "$(dirname "$0")/test-lib.sh"
plan 14
cd "$TRASH" || exit 1
unset LADING_KEY_PASSWORD LADING_TRUST_DIR

# Runs a command on a new pseudo-terminal, answering each PROMPT with its ANSWER once the
# prompt has appeared; prints the transcript and exits with the command's status.
cat >tty-drive.py <<'PY'
import os, pty, select, sys, time
sep = sys.argv.index("--")
pairs, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen, deadline = b"", time.monotonic() + 300  # scrypt is slow on a loaded machine
while time.monotonic() < deadline:
    if pairs and pairs[0].encode() in seen:
        seen = seen.split(pairs[0].encode(), 1)[1]
        os.write(fd, pairs[1].encode() + b"\n")
        pairs = pairs[2:]
    if not select.select([fd], [], [], 1)[0]:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
    seen += chunk
else:
    os.kill(pid, 9)  # bounded: a prompt that never came
    print("tty-drive: timed out waiting for %r" % (pairs[:1],))
status = os.waitpid(pid, 0)[1]
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
PY
printf 'the message\n' >msg.txt

# minisign's encrypted key in lading.
printf 'ms secret\nms secret\n' | minisign -G -p ms.pub -s ms.key >/dev/null 2>&1 || { echo "Bail out! minisign -G failed"; exit 1; }
ok "lading signs with minisign's encrypted key (password from the environment)" \
	env LADING_KEY_PASSWORD='ms secret' "$LADING" key sign msg.txt --key ms.key -x msg.ms.minisig
ok "minisign -V accepts it" minisign -Vm msg.txt -x msg.ms.minisig -p ms.pub -q
fails_with "a wrong password is one clear line, exit 1" 1 "^lading: 'ms.key': wrong password for this secret key$" \
	env LADING_KEY_PASSWORD='ms secreT' "$LADING" key sign msg.txt --key ms.key -x never.minisig
ok "nothing was signed with the wrong password" test ! -e never.minisig

# lading's encrypted key, password typed twice on a terminal.
python3 tty-drive.py "password for the new key: " "typed pw" "the same password again: " "typed pw" -- \
	"$LADING" key generate -o ld >tty.log 2>&1
ok "generate asks for the password twice on the terminal" \
	sh -c 'grep -q "password for the new key: " tty.log && grep -q "the same password again: " tty.log && test -s ld.key'
ok "the typed password is not echoed" sh -c '! grep -q "typed pw" tty.log'
ok "the key is scrypt-encrypted (kdf 'Sc', minisign's default limits)" sh -c \
	'[ "$(sed -n 2p ld.key | base64 -d | head -c 6)" = EdScB2 ] && [ "$(sed -n 2p ld.key | base64 -d | od -An -tu8 -j38 -N16 | tr -s " ")" = " 33554432 1073741824" ]'
printf 'typed pw\n' | minisign -S -s ld.key -m msg.txt -x msg.ld.minisig >/dev/null 2>&1
ok "minisign -S opens lading's encrypted key with that password" test -s msg.ld.minisig
ok "lading verifies minisign's signature with lading's public key" "$LADING" key verify msg.txt -x msg.ld.minisig --pubkey ld.pub -q
ok "minisign -S refuses a wrong password for lading's key" \
	sh -c "printf 'other pw\n' | minisign -S -s ld.key -m msg.txt -x bad.minisig 2>&1 | grep -q 'Wrong password'"
python3 tty-drive.py "password for 'ld.key': " "typed pw" -- \
	"$LADING" key sign msg.txt --key ld.key -x msg.tty.minisig >sign.log 2>&1
ok "sign asks on the terminal for the key's password" sh -c 'grep -q "password for .ld.key.: " sign.log && ! grep -q "typed pw" sign.log'
ok "minisign -V accepts lading's signature with lading's encrypted key" minisign -Vm msg.txt -x msg.tty.minisig -p ld.pub -q

python3 tty-drive.py "password for the new key: " "one" "the same password again: " "two" -- \
	"$LADING" key generate -o mismatch >mismatch.log 2>&1
is "two different passwords: exit 2" "$?" 2
ok "and it says so, writing nothing" sh -c 'grep -q "the two passwords differ" mismatch.log && test ! -e mismatch.key'
done_testing
