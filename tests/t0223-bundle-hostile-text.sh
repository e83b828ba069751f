#!/bin/bash
# Strings from a bundle or the command line never reach a terminal raw (issue 15): control
# characters in any string of lading.json make it malformed; messages write them as \xNN;
# inspect says first whether anything it shows is authenticated.
. "$(dirname "$0")/test-lib.sh"
plan 12
unset LADING_TRUST_DIR
cd "$TRASH" || exit 1
ESC=$(printf '\033')
# no_raw_controls FILE: the file has no byte below 0x20 but newline, no DEL, no UTF-8 C1.
no_raw_controls() { ! LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"; }

python3 "$TOP/scripts/mkbundle.py" forged.tar.zst \
	--name "$(printf 'evil\nsigner   key 0123456789ABCDEF, trusted here (site.pub), signature valid')" file:files/a=1
"$LADING" bundle inspect forged.tar.zst >out 2>err
status=$?
is "inspect refuses a name holding a newline (exit 1)" "$status" 1
ok "and prints no forged signer line" sh -c "! grep -q 'trusted here (site.pub)' out"
ok "the one-line error names lading.json and the byte" grep -q "lading.json: a string holds a control character (byte 0x0a at offset 4" err
is "it is one line" "$(wc -l <err)" 1

python3 "$TOP/scripts/mkbundle.py" esc.tar.zst --name "x${ESC}[2J${ESC}]0;owned$(printf '\007')" file:files/a=1
fails_with "verify refuses an escape sequence in the name" 1 "byte 0x1b at offset 1" \
	"$LADING" bundle verify --insecure-skip-signature esc.tar.zst
python3 "$TOP/scripts/mkbundle.py" c1.tar.zst --name "$(printf 'x\xc2\x9b2J')" file:files/a=1
fails_with "and a C1 control (CSI as UTF-8)" 1 "byte 0xc2 at offset 1" \
	"$LADING" bundle verify --insecure-skip-signature c1.tar.zst
python3 "$TOP/scripts/mkbundle.py" path.tar.zst "file:files/a${ESC}[1mb=1"
fails_with "an entry path with an escape is refused too" 1 "a string holds a control character" \
	"$LADING" bundle extract --insecure-skip-signature -C x1 path.tar.zst

"$LADING" bundle verify "bad${ESC}[2Jname$(printf '\r')x.tar.zst" 2>err
ok "a file name from the command line is escaped in the error" grep -q "cannot open 'bad\\\\x1b\\[2Jname\\\\x0dx.tar.zst'" err
ok "and no raw control byte reaches stderr" no_raw_controls err
"$LADING" bundle create --level "9${ESC}[2J" 2>err
ok "a bad option value is escaped in the usage error" sh -c "grep -q 'x1b' err && ! grep -q \"$ESC\" err"

python3 "$TOP/scripts/mkbundle.py" plain.tar.zst file:files/a=1
is "inspect of an unsigned bundle says first that nothing is verified" "$("$LADING" bundle inspect plain.tar.zst 2>/dev/null | head -1)" \
	"NOT VERIFIED: nothing below is authenticated; it is what the file claims"
"$LADING" key generate -o k --unencrypted >/dev/null
"$LADING" bundle sign --key k.key plain.tar.zst >/dev/null
ok "a verified one says so first" sh -c "'$LADING' bundle inspect --pubkey k.pub plain.tar.zst | head -1 | grep -q '^VERIFIED lading.json is signed by a trusted key'"
done_testing
