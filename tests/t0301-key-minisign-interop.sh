#!/bin/bash
# Signatures between lading and Debian's minisign, both ways (unencrypted keys), and every
# damaged or mismatched input refused with one line naming what is wrong.
. "$(dirname "$0")/test-lib.sh"
plan 32
cd "$TRASH" || exit 1
unset LADING_KEY_PASSWORD LADING_TRUST_DIR

minisign -G -W -p ms.pub -s ms.key >/dev/null 2>&1 || { echo "Bail out! minisign -G failed"; exit 1; }
"$LADING" key generate -o ld --unencrypted >/dev/null
"$LADING" key generate -o other --unencrypted >/dev/null
# The key id from the key itself: bytes 2..9 of the blob, printed as a little-endian u64 with
# all 16 digits (minisign's own comment drops leading zeros, lading's keeps them).
key_id() {
	sed -n 2p "$1" | base64 -d | od -An -tx1 -j2 -N8 | tr -s ' \n' '\n\n' | grep . | tac | tr -d '\n' | tr a-f A-F
}
ms_id=$(key_id ms.pub)
ld_id=$(key_id ld.pub)
other_id=$(key_id other.pub)
head -c 300000 /dev/urandom >data.bin
printf 'second file\n' >other.txt

# lading signs, minisign verifies.
ok "lading signs with its own key" "$LADING" key sign data.bin --key ld.key --trusted-comment "release 1"
ok "minisign -V accepts lading's signature and trusted comment" \
	sh -c 'minisign -Vm data.bin -p ld.pub | grep -qx "Trusted comment: release 1"'
ok "lading's signature is prehashed (ED) with minisign's default layout" \
	sh -c '[ "$(sed -n 2p data.bin.minisig | base64 -d | head -c 2)" = ED ] && [ "$(wc -l <data.bin.minisig)" = 4 ]'
ok "minisign -V -H (prehashed required) accepts it too" minisign -VHm data.bin -p ld.pub -q
ok "lading signs with a minisign -W key" "$LADING" key sign other.txt --key ms.key -x other.ms.minisig
ok "minisign -V accepts that signature" minisign -Vm other.txt -x other.ms.minisig -p ms.pub -q
ok "default trusted comment is timestamp, file name and 'hashed'" \
	sh -c 'sed -n 3p other.ms.minisig | grep -Eq "^trusted comment: timestamp:[0-9]+	file:other.txt	hashed$"'

# minisign signs, lading verifies.
minisign -S -s ld.key -m other.txt -x other.ld.minisig -t "from minisign" >/dev/null
ok "lading verifies minisign -S made with lading's key" \
	sh -c "'$LADING' key verify other.txt -x other.ld.minisig --pubkey ld.pub | grep -qx 'trusted comment: from minisign'"
minisign -S -s ms.key -m data.bin >/dev/null
ok "lading verifies a minisign key's prehashed signature" "$LADING" key verify data.bin --pubkey ms.pub
minisign -S -l -s ms.key -m other.txt -x other.legacy.minisig >/dev/null
ok "lading verifies a legacy (Ed) minisign signature" "$LADING" key verify other.txt -x other.legacy.minisig --pubkey ms.pub
is "lading's public key comment carries the same 16-digit key id" "$(sed -n 1p ld.pub)" "untrusted comment: minisign public key purpose:bundle $ld_id"
ok "verify prints the signer's key id" sh -c "'$LADING' key verify data.bin --pubkey ms.pub | grep -q 'signed by key $ms_id (ms.pub)'"

# Trust set: --pubkey repeatable, else $LADING_TRUST_DIR.
mkdir trust.d && cp ld.pub ms.pub trust.d/
ok "keys in \$LADING_TRUST_DIR are trusted" env LADING_TRUST_DIR="$TRASH/trust.d" "$LADING" key verify other.txt -x other.ld.minisig -q
ok "repeated --pubkey: any of them may have signed" "$LADING" key verify data.bin --pubkey ld.pub --pubkey ms.pub -q
fails_one_line "no trusted key at all" 1 "signed by key $ms_id, but no key is trusted here \(give --pubkey or put \*\.pub in $TRASH/empty\)" \
	env LADING_TRUST_DIR="$TRASH/empty" "$LADING" key verify data.bin

# Bad input, each refused with one line.
fails_one_line "signature by another key names both key ids" 1 "'data.bin.minisig': signed by key $ms_id, but the trusted public key is $other_id" \
	"$LADING" key verify data.bin --pubkey other.pub
fails_one_line "an untrusted signer among several trusted keys names them all" 1 "signed by key $ms_id, which is not trusted here \(trusted: $ld_id, $other_id\)" \
	"$LADING" key verify data.bin --pubkey ld.pub --pubkey other.pub
fails_one_line "signature over a different file" 1 "'other.ld.minisig': signature verification failed" \
	"$LADING" key verify data.bin -x other.ld.minisig --pubkey ld.pub
cp data.bin edited.bin && cp data.bin.minisig edited.bin.minisig
flip_byte edited.bin 150000
is "the edited copy differs from the signed file in exactly one byte" "$(cmp -l data.bin edited.bin | wc -l)" 1
fails_one_line "file edited after signing" 1 "'edited.bin.minisig': signature verification failed \(the data changed after signing" \
	"$LADING" key verify edited.bin --pubkey ms.pub
fails_one_line "legacy signature, file edited" 1 "signature verification failed" \
	sh -c "printf 'second filE\n' >o2.txt && '$LADING' key verify o2.txt -x other.legacy.minisig --pubkey ms.pub"
"$LADING" key sign other.txt --key ld.key -t "release 1" -x tc.minisig >/dev/null
sed '3s/release 1/release 2/' tc.minisig >tc-edited.minisig
fails_one_line "trusted comment edited: the global signature fails" 1 "'tc-edited.minisig': trusted comment signature verification failed \(the trusted comment was edited\)" \
	"$LADING" key verify other.txt -x tc-edited.minisig --pubkey ld.pub
ok "minisign agrees the edited trusted comment is bad" sh -c '! minisign -Vm other.txt -x tc-edited.minisig -p ld.pub -q'
head -n 3 tc.minisig >tc-trunc.minisig
fails_one_line "truncated signature file" 1 "'tc-trunc.minisig':4: the trusted comment signature is missing \(file truncated\?\)" \
	"$LADING" key verify other.txt -x tc-trunc.minisig --pubkey ld.pub
sed '2s/^\(.\{20\}\)./\1*/' tc.minisig >tc-garbled.minisig
fails_one_line "garbled signature line" 1 "'tc-garbled.minisig':2:21: the signature is not valid base64" \
	"$LADING" key verify other.txt -x tc-garbled.minisig --pubkey ld.pub
awk 'NR == 2 { c = substr($0, 40, 1); $0 = substr($0, 1, 39) (c == "A" ? "B" : "A") substr($0, 41) } { print }' tc.minisig >tc-flipped.minisig
fails_one_line "a changed signature byte fails verification" 1 "'tc-flipped.minisig': signature verification failed" \
	"$LADING" key verify other.txt -x tc-flipped.minisig --pubkey ld.pub
head -c 100 ld.key >trunc.key
fails_one_line "truncated secret key" 1 "'trunc.key':2: the secret key has [0-9]+ base64 characters instead of 212" \
	"$LADING" key sign other.txt --key trunc.key -x never.minisig
sed '2s/^\(.\{100\}\)./\1#/' ld.key >garbled.key
fails_one_line "garbled secret key" 1 "'garbled.key':2:101: the secret key is not valid base64" \
	"$LADING" key sign other.txt --key garbled.key -x never.minisig
python3 - <<'PY'
import base64
lines = open("ld.key").read().split("\n")
raw = bytearray(base64.b64decode(lines[1])); raw[70] ^= 1
lines[1] = base64.b64encode(bytes(raw)).decode()
open("flipped.key", "w").write("\n".join(lines))
PY
fails_one_line "a changed secret key byte is caught by the checksum" 1 "'flipped.key':2: the secret key is damaged \(checksum mismatch\)" \
	"$LADING" key sign other.txt --key flipped.key -x never.minisig
ok "no signature was written by the failed runs" test ! -e never.minisig
head -c 30 ld.pub >trunc.pub
fails_one_line "truncated public key" 1 "'trunc.pub':1: not a minisign public key|'trunc.pub':2: the public key is missing" \
	"$LADING" key verify other.txt -x tc.minisig --pubkey trunc.pub
fails_one_line "missing signature file" 1 "cannot open 'nothing.minisig'" "$LADING" key verify other.txt -x nothing.minisig --pubkey ld.pub
done_testing
