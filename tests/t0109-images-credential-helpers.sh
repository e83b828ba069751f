#!/bin/bash
# Docker credential helpers (issue 14): config.json's credHelpers (per registry) and
# credsStore (default) name docker-credential-NAME, run with `get` and the server on stdin,
# as docker does; against a real registry with htpasswd Basic auth. A helper that has
# nothing for the server falls back to "auths"; a missing, failing or hanging helper is one
# line naming it. No secret shows in -vv output or the helper's command line.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 9

PASS='H3lper-pw-7c1'
registry_start_tls_basic tls admin "$PASS"
REG=127.0.0.1:$REGISTRY_PORT
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" s:1 --layer 50k:ch >/dev/null
push_layout "$TRASH/layout" s:1 "$REG/secure/s:1" --dest-creds "admin:$PASS"
printf 'registries:\n  - host: %s\n    ca_file: %s\n' "$REG" "$REGISTRY_CA" >"$TRASH/ca.yaml"

# A credential helper as the protocol describes it; it logs what it was asked (not secrets).
mkdir -p "$TRASH/bin"
cat >"$TRASH/bin/docker-credential-lab" <<EOF2
#!/bin/sh
[ "\$1" = get ] || exit 2
read -r server
echo "asked \$server args \$*" >>"$TRASH/helper.log"
case "\$server" in
$REG) printf '{"ServerURL":"%s","Username":"admin","Secret":"%s"}\n' "\$server" "$PASS" ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
EOF2
printf '#!/bin/sh\necho "keychain locked" >&2\nexit 3\n' >"$TRASH/bin/docker-credential-broken"
printf '#!/bin/sh\necho $$ >"%s/slow.pid"\nexec sleep 600\n' "$TRASH" >"$TRASH/bin/docker-credential-slow"
chmod +x "$TRASH/bin/"*
export PATH="$TRASH/bin:$PATH"
pull() { "$LADING" image pull --store "$TRASH/$1" --registry-config "$TRASH/ca.yaml" -a "$TRASH/$2.json" "${@:3}" "$REG/secure/s:1"; }

printf '{"credsStore":"lab"}\n' >"$TRASH/store.json"
pull s1 store -vv >"$TRASH/vv.out" 2>&1
st=$?
is "credsStore: the helper's credentials open the registry" "$st" 0
ok "the helper was asked for this registry, on stdin" grep -qx "asked $REG args get" "$TRASH/helper.log"
is "-vv never shows the password" "$(grep -c -- "$PASS" "$TRASH/vv.out")" 0
printf '{"credsStore":"broken","credHelpers":{"%s":"lab"}}\n' "$REG" >"$TRASH/helpers.json"
ok "credHelpers for the registry wins over credsStore" pull s2 helpers
printf '{"credsStore":"lab","auths":{"other.example":{"auth":"eDp5"}}}\n' >"$TRASH/notfound.json"
sed -i "s/^$REG)/nomatch)/" "$TRASH/bin/docker-credential-lab"
printf '{"credsStore":"lab","auths":{"https://%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'admin:%s' "$PASS" | base64)" >"$TRASH/fallback.json"
ok "a helper without credentials for the server falls back to auths" pull s3 fallback
printf '{"credsStore":"nosuch"}\n' >"$TRASH/missing.json"
fails_one_line "a helper that is not installed gives no credentials (as for anonymous pulls)" 1 "$REG/secure/s: registry requires credentials" pull s4 missing
printf '{"credsStore":"broken"}\n' >"$TRASH/broken.json"
fails_one_line "a failing helper is named with what it said" 1 "docker-credential-broken get failed for $REG \(exit 3\): keychain locked" pull s5 broken
printf '{"credsStore":"slow"}\n' >"$TRASH/slow.json"
ok "a hanging helper is bounded (killed after LADING_CREDENTIAL_HELPER_TIMEOUT s)" sh -c "LADING_CREDENTIAL_HELPER_TIMEOUT=3 timeout 60 '$LADING' image pull --store '$TRASH/s6' --registry-config '$TRASH/ca.yaml' -a '$TRASH/slow.json' '$REG/secure/s:1' 2>&1 | grep -q 'did not answer within 3 s'"
ok "no helper process is left behind" sh -c "test -s '$TRASH/slow.pid' && ! kill -0 \$(cat '$TRASH/slow.pid') 2>/dev/null"
done_testing
