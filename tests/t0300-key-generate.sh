#!/bin/bash
# lading key generate: minisign-format key files, modes, refusal to overwrite, usage errors.
# Unencrypted keys only here (no scrypt): t0302 covers encrypted ones.
. "$(dirname "$0")/test-lib.sh"
plan 17
cd "$TRASH" || exit 1
unset LADING_KEY_PASSWORD

ok "generate --unencrypted writes NAME.key and NAME.pub" "$LADING" key generate -o site --unencrypted
is "secret key is mode 0600" "$(stat -c %a site.key)" 600
is "public key is mode 0644 even under umask 077" "$(umask 077; "$LADING" key generate -o um --unencrypted >/dev/null; stat -c %a um.pub)" 644
id=$(sed -n '1s/^untrusted comment: minisign public key purpose:bundle \([0-9A-F]\{16\}\)$/\1/p' site.pub)
is "public key comment carries a 16-digit key id" "${#id}" 16
# minisign prints the key id without leading zeros (1 key in 16 has one): compare it that way.
ok "minisign -R recreates the same public key from lading's secret key" \
	sh -c 'minisign -R -s site.key -p re.pub >/dev/null && [ "$(sed -n 2p re.pub)" = "$(sed -n 2p site.pub)" ] && grep -qx "untrusted comment: minisign public key '"$(echo "$id" | sed 's/^0*//')"'" re.pub'
ok "secret key blob is 158 bytes starting Ed, no kdf, B2" \
	sh -c '[ "$(sed -n 2p site.key | base64 -d | head -c 6 | od -An -c | tr -d " ")" = "Ed\\0\\0B2" ] && [ "$(sed -n 2p site.key | base64 -d | wc -c)" = 158 ]'

cp site.key site.key.orig
fails_with "refuses to overwrite an existing key" 2 "'site.key' already exists \(use --force" "$LADING" key generate -o site --unencrypted
ok "the refused run left the old key untouched" cmp site.key site.key.orig
rm site.key
fails_with "refuses when only NAME.pub exists" 2 "'site.pub' already exists" "$LADING" key generate -o site --unencrypted
ok "and wrote no secret key then" test ! -e site.key
ln -s "$TRASH/elsewhere" link.key
fails_with "a symlink at NAME.key is not followed" 2 "'link.key' already exists" "$LADING" key generate -o link --unencrypted
ok "nothing was written through the symlink" test ! -e elsewhere
cp site.key.orig site.key
ok "--force replaces both files" sh -c "'$LADING' key generate -o site --unencrypted --force >/dev/null && ! cmp -s site.key site.key.orig && [ \$(stat -c %a site.key) = 600 ]"
ok "--comment goes into both untrusted comments" sh -c "'$LADING' key generate -o c --unencrypted --comment 'ci key' >/dev/null && head -1 c.key | grep -qx 'untrusted comment: ci key purpose:bundle' && head -1 c.pub | grep -q '^untrusted comment: ci key purpose:bundle [0-9A-F]\{16\}$'"

fails_with "an encrypted key without terminal or \$LADING_KEY_PASSWORD is refused" 2 "no terminal to ask for the key password: set \\\$LADING_KEY_PASSWORD" \
	setsid "$LADING" key generate -o notty </dev/null
fails_with "-o is required" 2 "key generate: -o NAME is required" "$LADING" key generate --unencrypted
ok "lading key --help lists the verbs" sh -c "'$LADING' key --help | grep -q '^  generate' && '$LADING' key sign --help | grep -q '^usage: lading key sign' && '$LADING' key verify --help | grep -q '^usage: lading key verify'"
done_testing
