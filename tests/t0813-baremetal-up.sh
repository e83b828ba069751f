#!/bin/bash
# End to end, bare metal in miniature: two blank QEMU machines (TCG) on a test
# bridge behind a Redfish BMC (scripts/redfish-bmc.py). `lading baremetal up`
# builds each node's live image (the Debian kernel extracted by scripts/deps, the
# base from scripts/live-rootfs, both carried in a signed bundle and extracted;
# the node's own host key), records the keys in
# known_hosts, powers the nodes off, sets the one-time Cd boot, inserts the ISO
# from its own media server, powers them on, waits for SSH with strict host keys,
# ejects, writes the inventory and, with --provision, applies the registry-mirror
# role; each node then pulls an image from `lading serve` over TLS. A node whose
# BMC refuses the credentials and one that never answers SSH fail alone. A
# second up changes nothing.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-qemu.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/scripts/lib-serve.sh"

live_require iso containerd openssl jq
plan 28
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

show_consoles() {
	for n in n1 n2; do
		echo "# --- console of $n (last 25 lines)"
		tail -n 25 "$TRASH/qemu-$n.console" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
	done
}

# --- what the site carries under files/: kernel, base initramfs, isolinux
live=$TRASH/live
mkdir -p "$live/isolinux"
ok "live-rootfs builds the base image with containerd" \
	nice "$TOP/scripts/live-rootfs" --kernel-tree "$KTREE" --with-containerd --level 3 \
	-o "$live/base.img" --kernel-out "$live/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$live/isolinux/"
# ... carried in a signed bundle as plain files, and extracted (verified) at the site.
{
	echo "name: site-live"
	echo "files:"
	for f in vmlinuz base.img isolinux/isolinux.bin isolinux/ldlinux.c32; do
		echo "  - {url: \"file://$live/$f\", name: live/$f, sha256: $(sha256sum "$live/$f" | cut -d' ' -f1)}"
	done
} >"$TRASH/lading.yaml"
"$LADING" key generate --unencrypted -o "$TRASH/k" >/dev/null
ok "the live image travels in a signed bundle and is extracted at the site" sh -c "
	'$LADING' bundle create -q -f '$TRASH/lading.yaml' -o '$TRASH/live.tar.zst' --sign '$TRASH/k.key' &&
	'$LADING' bundle extract -q --pubkey '$TRASH/k.pub' -C '$TRASH/bundle' '$TRASH/live.tar.zst'"

# --- the network, the internal registry (lading serve over TLS on the bridge), the BMC
qemu_net_start || { echo "Bail out! no test bridge"; exit 1; }
serve_make_site "$TRASH/site" || { echo "Bail out! no serve site"; exit 1; }
tls=$TRASH/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=t0813 registry CA" \
	-keyout "$tls/ca.key" -out "$TRASH/ca.pem" -addext basicConstraints=critical,CA:TRUE 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$QNET_IP" \
		-keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$QNET_IP" >"$tls/ext.cnf" &&
	openssl x509 -req -in "$tls/server.csr" -CA "$TRASH/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
		-extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null || { echo "Bail out! no certificates"; exit 1; }
SPORT=$(free_port)
"$LADING" serve "$TRASH/site" --insecure-skip-signature --listen "$QNET_IP:$SPORT" --tls-cert "$tls/server.pem" \
	--tls-key "$tls/server.key" --json >"$TRASH/serve.json" 2>"$TRASH/serve.err" &
at_exit "kill_pid $!"
wait_for_port "$SPORT" "$QNET_IP" 20 || { echo "Bail out! lading serve did not start"; exit 1; }

for i in 1 2; do
	QEMU_MEM=768 qemu_start "n$i" "52:54:00:81:30:0$i" || { echo "Bail out! qemu n$i did not start"; exit 1; }
done
qemu_start n4 || { echo "Bail out! qemu n4 did not start"; exit 1; } # no NIC: it never answers
PASS=bmc-pass-$$
bmc_start b admin "$PASS" "n1=$QEMU_QMP_n1" "n2=$QEMU_QMP_n2" "n4=$QEMU_QMP_n4" ||
	{ echo "Bail out! the BMC did not start"; exit 1; }
cp "$BMC_CA" "$TRASH/bmc-ca.pem"
printf '%s\n' "$PASS" >"$TRASH/bmc.pass"
printf 'not-the-password\n' >"$TRASH/wrong.pass"
ssh-keygen -q -t ed25519 -N '' -C t0813 -f "$TRASH/id_ed25519"

cat >"$TRASH/site.yaml" <<YAML
registry:
  address: "$QNET_IP:$SPORT"
  ca_file: ca.pem
apply:
  - hosts: baremetal
    roles: [registry-mirror]
baremetal:
  user: admin
  password_file: bmc.pass
  ca: bmc-ca.pem
  kernel: bundle/files/live/vmlinuz
  initrd: bundle/files/live/base.img
  isolinux: bundle/files/live/isolinux
  authorized_key: id_ed25519.pub
  registry_ca: ca.pem
  nodes:
    - {name: n1, bmc: "$BMC_URL_b", system: n1, address: $QNET_NET.21, mac: "52:54:00:81:30:01", groups: [gpu],
       vars: {ansible_user: root, ansible_ssh_private_key_file: "$TRASH/id_ed25519"}}
    - {name: n2, bmc: "$BMC_URL_b", system: n2, address: $QNET_NET.22, mac: "52:54:00:81:30:02", groups: [gpu],
       vars: {ansible_user: root, ansible_ssh_private_key_file: "$TRASH/id_ed25519"}}
    - {name: n3, bmc: "$BMC_URL_b", system: n1, address: $QNET_NET.23, password_file: wrong.pass}
    - {name: n4, bmc: "$BMC_URL_b", system: n4, address: $QNET_NET.24,
       vars: {ansible_user: root, ansible_ssh_private_key_file: "$TRASH/id_ed25519"}}
YAML
KH=$TRASH/known_hosts

# --- image alone
"$LADING" baremetal image -s "$TRASH/site.yaml" --json n1 >"$TRASH/image.json" 2>"$TRASH/image.err"
is "baremetal image builds n1's ISO and initrd" "$?/$(jq -r '[.node, .status, .key_created] | join(" ")' "$TRASH/image.json")" \
	"0/n1 built true"
img=$TRASH/baremetal-images/n1
is "the host key is private, the public half is OpenSSH's" \
	"$(stat -c %a "$img" "$img/ssh_host_ed25519_key" | tr '\n' ' ')$(ssh-keygen -lf "$img/ssh_host_ed25519_key.pub" | awk '{print $2}')" \
	"700 600 $(jq -r .host_key "$TRASH/image.json")"
ok "the ISO is an El Torito image (isolinux boot catalog)" sh -c "bsdtar -tf '$img/n1.iso' | grep -qx isolinux/boot.cat"

# --- up: two nodes come up, one has the wrong BMC password
start=$(date +%s)
"$LADING" baremetal up -s "$TRASH/site.yaml" --media-listen 127.0.0.1:0 --known-hosts "$KH" \
	-o "$TRASH/inventory.yml" -t 300 --json --provision --log-dir "$TRASH/runs" n1 n2 n3 >"$TRASH/up1.json" 2>"$TRASH/up1.err"
rc=$?
echo "# up of two nodes (TCG boot, provisioning): $(($(date +%s) - start)) s"
is "up exits 1: one node failed" "$rc" 1
is "n1 and n2 are up, n3 failed" \
	"$(jq -r 'select(.node) | "\(.node)=\(.status)"' "$TRASH/up1.json" | sort | tr '\n' ' ')" "n1=up n2=up n3=failed "
ok "n3's error names the node and the BMC's refusal" \
	grep -Eq '^lading: baremetal: n3: .*(401|[Cc]redential|[Uu]nauthori[sz]ed|password)' "$TRASH/up1.err"
[ "$(jq -r 'select(.node == "n1") | .status' "$TRASH/up1.json")" = up ] || show_consoles
# n3's key too: it is recorded before its BMC is asked anything.
is "known_hosts holds exactly the keys lading put into the images" \
	"$(ssh-keygen -lf "$KH" | awk '{print $2}' | sort | tr '\n' ' ')" \
	"$(for n in n1 n2 n3; do ssh-keygen -lf "$TRASH/baremetal-images/$n/ssh_host_ed25519_key.pub" | awk '{print $2}'; done | sort | tr '\n' ' ')"
ok "the BMC booted each node from its virtual CD once" \
	sh -c "grep -c 'POST /redfish/v1/.*InsertMedia 20' '$BMC_LOG_b' | grep -qx 2"
is "the ISO was ejected after boot" "$(qemu_cdrom "$QEMU_QMP_n1")|$(qemu_cdrom "$QEMU_QMP_n2")" "|"
is "the inventory lists n1 and n2 in baremetal and gpu, not n3" \
	"$("$LADING" inventory list -i "$TRASH/inventory.yml" --json 2>&1 | jq -c '[.baremetal.hosts, .gpu.hosts, (._meta.hostvars | keys)]')" \
	'[["n1","n2"],["n1","n2"],["n1","n2"]]'
is "the inventory has their addresses" "$(grep -c "ansible_host: \"$QNET_NET.2[12]\"" "$TRASH/inventory.yml")" 2

node_ssh() { # N CMD: strict host keys, lading's known_hosts
	_a=$QNET_NET.2$1
	shift
	ssh -n -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" -o ConnectTimeout=5 \
		-i "$TRASH/id_ed25519" "root@$_a" "$@"
}
is "each node is itself: hostname over strict SSH" "$(node_ssh 1 hostname 2>&1) $(node_ssh 2 hostname 2>&1)" "n1 n2"
ok "the registry CA from the image is trusted on n1" \
	node_ssh 1 "grep -qF '$(sed -n 2p "$TRASH/ca.pem")' /etc/ssl/certs/ca-certificates.crt"
is "--provision applied registry-mirror on both (recap: no failures)" \
	"$(jq -c 'select(.recap) | .recap | [to_entries[] | "\(.key)=\(.value.failed)"] | sort' "$TRASH/up1.json")" \
	'["n1=0","n2=0"]'
ok "n1 has a hosts.toml for docker.io pointing at lading serve" \
	node_ssh 1 "grep -q '$QNET_IP:$SPORT' /etc/containerd/certs.d/docker.io/hosts.toml"
PULL="ctr -n lading images pull --hosts-dir /etc/containerd/certs.d docker.io/library/demo:1"
ok "n1 pulls docker.io/library/demo:1 from lading serve (TLS, the site CA)" node_ssh 1 "timeout 120 $PULL"
ok "... and so does n2" node_ssh 2 "timeout 120 $PULL"
ok "lading serve saw both nodes fetch blobs" sh -c "grep '/v2/library/demo/blobs/' '$TRASH/serve.json' | grep -q '$QNET_NET.21' &&
	grep '/v2/library/demo/blobs/' '$TRASH/serve.json' | grep -q '$QNET_NET.22'"

# --- a second up changes nothing
resets=$(grep -c 'ComputerSystem.Reset' "$BMC_LOG_b")
"$LADING" baremetal up -s "$TRASH/site.yaml" --media-listen 127.0.0.1:0 --known-hosts "$KH" \
	-o "$TRASH/inventory.yml" -t 60 --json gpu >"$TRASH/up2.json" 2>"$TRASH/up2.err"
is "a second up exits 0" "$?" 0
is "... both already up, nothing changed" \
	"$(jq -r 'select(.node) | "\(.node)=\(.status)/\(.changed)"' "$TRASH/up2.json" | sort | tr '\n' ' ')" \
	"n1=already-up/false n2=already-up/false "
is "... and the BMC got no reset" "$(grep -c 'ComputerSystem.Reset' "$BMC_LOG_b")" "$resets"
is "... known_hosts unchanged: one line per node" "$(grep -c . "$KH")" 3

# --- a node that never answers SSH fails alone, in one line, within its timeout
"$LADING" baremetal up -s "$TRASH/site.yaml" --media-listen 127.0.0.1:0 --known-hosts "$KH" \
	-o "$TRASH/inventory4.yml" -t 15 n4 n1 >"$TRASH/up4.out" 2>"$TRASH/up4.err"
is "a node that never comes up: exit 1" "$?" 1
is "... one line naming n4 and the timeout" \
	"$(grep -c . "$TRASH/up4.err") $(grep -c "^lading: baremetal: n4: no SSH on $QNET_NET.24 15 s after power-on" "$TRASH/up4.err")" "1 1"
ok "... while n1 is still up" grep -Eq '^n1 +already-up' "$TRASH/up4.out"
"$LADING" baremetal power off -s "$TRASH/site.yaml" n4 >/dev/null 2>&1
ok "a known_hosts with another key for a node's address is refused, naming the fix" sh -c "
	printf '%s %s\n' '$QNET_NET.21' \"\$(cut -d' ' -f1,2 '$TRASH/id_ed25519.pub')\" >'$TRASH/kh-other'
	! '$LADING' baremetal up -s '$TRASH/site.yaml' --media-listen 127.0.0.1:0 --known-hosts '$TRASH/kh-other' \
		-o '$TRASH/inv5.yml' -t 15 n1 2>'$TRASH/up5.err' && grep -q 'ssh-keygen -R $QNET_NET.21' '$TRASH/up5.err'"
done_testing
