#!/bin/bash
# Commands and files over SSH sessions: facts as JSON, shell exit codes, the
# per-command timeout, connect timeout, a 100 MiB upload (streamed stdin) and
# an upload through a jump host arriving with the right sha256.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 13
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 3 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
host_hide 3
INV=$TRASH/inv.yml
cat >"$INV" <<EOF2
all:
  vars: {ansible_user: root, ansible_ssh_private_key_file: $HOSTS_KEY}
  hosts:
    h1: {ansible_host: $(host_ip 1)}
    h2: {ansible_host: $(host_ip 2)}
    h3: {ansible_host: $(host_ip 3), ansible_ssh_common_args: '-o ProxyJump=root@$(host_ip 2)'}
    nobody: {ansible_host: $HOSTS_NET.200}
EOF2
prov() { "$LADING" provision "$@" -i "$INV" --known-hosts "$KH"; }

prov facts --limit 'h1:h3' --json >"$TRASH/facts.json" 2>"$TRASH/facts.err"
is "facts exit 0" "$?" 0
ok "facts JSON parses with jq and has os, arch, memory, cpus, disks" jq -e -s '
	(.[0].facts | .os.id == "debian" and .arch == "x86_64" and .memory.total_bytes > 0
		and .cpu.count >= 1 and (.disks | type == "array") and (.gpus | type == "array"))
	and .[2].summary.ok == 2' "$TRASH/facts.json"
is "facts report each host's own hostname" "$(jq -r -s '.[1].facts.hostname' "$TRASH/facts.json")" "$(host_name 3)"
ok "human facts line" sh -c "'$LADING' provision facts -i '$INV' --known-hosts '$KH' --limit h1 | grep -q '^h1: ok: debian 12, x86_64, kernel .*cpus.*memory'"

res=$(prov shell --limit 'h1:h2' 'echo out; echo err >&2; test $(hostname) = '"$(host_name 1)" 2>/dev/null)
is "shell: exit status of the command decides ok/failed" "$(printf '%s\n' "$res" | cut -d: -f1,2 | tr '\n' ' ')" \
	"h1: ok out h2: failed "
ok "a failed command shows its status and first stderr line" grep -q "^h2: failed: exit 1: err$" <<<"$res"

res=$(prov shell --limit h1 --timeout 1 'sleep 30' 2>/dev/null); st=$?
is "a command past --timeout fails the host" "$st" 1
ok "and says it timed out" grep -q "^h1: failed: command timed out after 1 s" <<<"$res"
res=$(prov ping --limit nobody --connect-timeout 1 2>/dev/null)
ok "an address where nobody answers is unreachable" grep -Eq "^nobody: unreachable: (cannot connect to .* (timed out|No route to host)|.*timed out)" <<<"$res"

# 100 MiB streamed through stdin: cat > tmp && chmod && mv.
head -c $((100 * 1024 * 1024)) /dev/urandom >"$TRASH/big"
want=$(sha256sum <"$TRASH/big" | cut -d' ' -f1)
ok "copy 100 MiB to h1" prov copy --limit h1 --mode 0600 "$TRASH/big" /var/lib/containerd/big.bin
is "it arrives with the right sha256" "$(sha256sum <"$(host_path 1 /var/lib/containerd/big.bin)" | cut -d' ' -f1)" "$want"
is "with the requested mode and no temp file left" \
	"$(host_exec 1 'stat -c %a /var/lib/containerd/big.bin; ls /var/lib/containerd | grep -c lading-tmp')" "600
0"
head -c $((8 * 1024 * 1024)) "$TRASH/big" >"$TRASH/part"
prov copy --limit h3 "$TRASH/part" /var/lib/containerd/part.bin >/dev/null 2>&1
is "8 MiB through the jump host arrive intact" "$(sha256sum <"$(host_path 3 /var/lib/containerd/part.bin)" | cut -d' ' -f1)" \
	"$(sha256sum <"$TRASH/part" | cut -d' ' -f1)"
done_testing
