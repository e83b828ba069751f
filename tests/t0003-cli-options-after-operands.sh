#!/bin/bash
# One option parser for every command (lib/cli): each verb takes its options
# after its operands as well as before, '--' ends the options, usage errors are
# one line with exit 2. Every verb that takes operands is run here with its
# options last, against real inputs (a signed files-only bundle, a local store,
# a closed port for the SSH verbs), so a verb that stops at its first operand fails.
. "$(dirname "$0")/test-lib.sh"
plan 24

export LADING_CACHE=$TRASH/cache LADING_TRUST_DIR=$TRASH/no-trust LADING_KEY_PASSWORD=
cd "$TRASH" || exit 1
printf 'driver payload\n' >payload.bin
sum=$(sha256sum payload.bin | cut -d' ' -f1)
cat >lading.yaml <<YAML
name: opts
files:
  - url: file://$TRASH/payload.bin
    sha256: $sum
    name: payload.bin
YAML

ok "key generate -o NAME --unencrypted (no operand)" "$LADING" key generate --unencrypted -o site
ok "bundle create: options in any order" "$LADING" bundle create --sign site.key -o opts.tar.zst -f lading.yaml -q
ok "bundle inspect FILE --pubkey PUB --json" sh -c "'$LADING' bundle inspect opts.tar.zst --pubkey site.pub --json | grep -q '\"verified\":true'"
ok "bundle verify FILE --pubkey PUB -v" "$LADING" bundle verify opts.tar.zst --pubkey site.pub -v
ok "bundle extract FILE -C DIR --pubkey PUB" "$LADING" bundle extract opts.tar.zst -C out --pubkey site.pub
is "extract wrote the file" "$(cat out/files/payload.bin)" "driver payload"
ok "bundle push FILE --registry R --dry-run --pubkey PUB" "$LADING" bundle push opts.tar.zst --registry 127.0.0.1:1 --dry-run --pubkey site.pub
ok "bundle sign FILE --key KEY" "$LADING" bundle sign opts.tar.zst --key site.key
ok "key sign FILE --key KEY -x SIG" "$LADING" key sign payload.bin --key site.key -x payload.sig
ok "key verify FILE --pubkey PUB -x SIG -q" "$LADING" key verify payload.bin --pubkey site.pub -x payload.sig -q
ok "fetch file URL SHA256 --store DIR --out DIR" "$LADING" fetch file "file://$TRASH/payload.bin" "$sum" --store store --out files -q
is "fetch file laid it out" "$(cat files/payload.bin)" "driver payload"

cat >inv.yml <<YAML
all:
  hosts:
    h1:
      ansible_host: 127.0.0.1
      ansible_port: $(free_port)
  children:
    gpu:
      hosts:
        h1:
YAML
ok "inventory graph GROUP -i FILE" sh -c "'$LADING' inventory graph gpu -i inv.yml | grep -q -- '--h1'"
# The SSH verbs reach a closed port: exit 1 (host unreachable), never 2 (usage).
fails_with "provision shell CMD -i INV --connect-timeout 1: the host is tried" 1 "1 of 1 hosts failed: h1" \
	"$LADING" provision shell true -i inv.yml --connect-timeout 1 --known-hosts kh
fails_with "provision copy SRC DEST -i INV --mode 0600: the host is tried" 1 "1 of 1 hosts failed: h1" \
	"$LADING" provision copy payload.bin /tmp/x -i inv.yml --mode 0600 --connect-timeout 1 --known-hosts kh

# image push/pull with the store after the references: nothing to reach, but the
# store option must be taken (a missing digest in *that* store is the error).
fails_one_line "image push DEST@DIGEST --store DIR: looks in that store" 1 "is not in the store '$TRASH/empty-store'" \
	"$LADING" image push "127.0.0.1:1/x@sha256:$sum" --store "$TRASH/empty-store"

printf 'registries:\n  - host: 127.0.0.1:%s\n    plain_http: true\n' "$(free_port)" >plain.yaml
closed=$(sed -n 's/.*host: //p' plain.yaml)
fails_with "image pull REF --registry-config FILE -j 2: plain http to that host" 1 "$closed/x:1: .*(connect|refused)" \
	"$LADING" image pull "$closed/x:1" --registry-config plain.yaml -j 2 --store "$TRASH/pull-store"

port=$(free_port)
"$LADING" serve out --plain-http --listen "127.0.0.1:$port" --pubkey site.pub 2>serve.log &
serve_pid=$!
at_exit "kill_pid $serve_pid"
ok "serve DIR --plain-http --listen ADDR: it listens there" wait_for_port "$port"
ok "serve answers /files/" sh -c "curl -sf 'http://127.0.0.1:$port/files/payload.bin' | grep -q 'driver payload'"

# -- ends the options: what follows is an operand even when it looks like one.
fails_one_line "'--' makes '--json' an operand" 2 "^lading: bundle verify: unexpected argument '--json'" \
	"$LADING" bundle verify opts.tar.zst -- --json
fails_one_line "an unknown option after the operand is one usage line" 2 "^lading: bundle verify: unknown option '--frob' \(see 'lading bundle verify --help'\)$" \
	"$LADING" bundle verify opts.tar.zst --frob
fails_one_line "a missing option value is one usage line" 2 "^lading: bundle extract: option '-C' needs an argument" \
	"$LADING" bundle extract opts.tar.zst -C
fails_one_line "a bad number names the option" 2 "^lading: bundle push: --jobs must be a number from 1 to 64, got 'x'" \
	"$LADING" bundle push opts.tar.zst --registry r:1 --jobs x
ok "-h after operands prints the verb's help" sh -c "'$LADING' bundle verify opts.tar.zst -h | grep -q '^usage: lading bundle verify'"
done_testing
