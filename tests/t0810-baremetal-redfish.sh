#!/bin/bash
# lading baremetal over Redfish against QEMU machines (TCG, SeaBIOS, no disk)
# behind the tests' own BMC (scripts/redfish-bmc.py, driving QEMU through QMP).
# First the BMC itself is checked with two clients nobody here wrote
# (redfishtool, python3-sushy); then lading's power and boot override, each
# state confirmed through QMP, not through the BMC; then the refusals: a wrong
# password fails that node alone, a wrong CA is refused, site file errors are
# one line naming the field.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/scripts/lib-qemu.sh"

for tool in qemu-system-x86_64 redfishtool genisoimage openssl; do
	command -v $tool >/dev/null || skip_all "$tool is not installed (scripts/deps)"
done
/usr/bin/python3 -c 'import sushy' 2>/dev/null || skip_all "python3-sushy is not installed (scripts/deps)"
plan 74

qemu_start n1 || { echo "Bail out! qemu n1 did not start"; exit 1; }
qemu_start n2 || { echo "Bail out! qemu n2 did not start"; exit 1; }
# BMC a manages both machines (as a chassis manager does); BMC b only n2, with other credentials.
PASS_A=pw-a-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
PASS_B=pw-b-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
bmc_start a admin "$PASS_A" "n1=$QEMU_QMP_n1" "n2=$QEMU_QMP_n2" || { echo "Bail out! bmc a did not start"; exit 1; }
CA_A=$BMC_CA
bmc_start b root "$PASS_B" "n2=$QEMU_QMP_n2" || { echo "Bail out! bmc b did not start"; exit 1; }
CA_B=$BMC_CA

# A small ISO served over HTTP, for InsertMedia.
mkdir -p "$TRASH/www"
echo "lading test media" >"$TRASH/www/readme.txt"
genisoimage -quiet -V LADINGTEST -o "$TRASH/www/boot.iso" "$TRASH/www/readme.txt"
genisoimage -quiet -V LADINGTWO -o "$TRASH/www/boot2.iso" "$TRASH/www/readme.txt"
WWW_PORT=$(free_port)
python3 -m http.server -b 127.0.0.1 -d "$TRASH/www" "$WWW_PORT" >"$TRASH/www.log" 2>&1 &
at_exit "kill_pid $!"
wait_for_port "$WWW_PORT" || { echo "Bail out! http server did not start"; exit 1; }
IMAGE_URL=http://127.0.0.1:$WWW_PORT/boot.iso

# --- the harness, checked by redfishtool (it does not verify TLS: no CA option) and sushy
rft() { redfishtool -r "127.0.0.1:${BMC_URL_a##*:}" -S Always -u admin -p "$PASS_A" -T 20 "$@"; }
is "redfishtool: n1's PowerState is Off, as QMP says" \
	"$(rft -I n1 Systems get -P PowerState | python3 -c 'import json,sys; print(json.load(sys.stdin)["PowerState"])')/$(qemu_power "$QEMU_QMP_n1")" Off/off
ok "redfishtool (session auth): reset n1 On" rft -A Session -I n1 Systems reset On
is "QMP: n1 runs" "$(qemu_power "$QEMU_QMP_n1")" on
ok "redfishtool: setBootOverride Once Pxe (PATCH with If-Match)" rft -I n1 Systems setBootOverride Once Pxe
is "redfishtool: the override reads back" \
	"$(rft -I n1 Systems get -P Boot | python3 -c 'import json,sys; b=json.load(sys.stdin)["Boot"]; print(b["BootSourceOverrideEnabled"], b["BootSourceOverrideTarget"])')" "Once Pxe"
ok "redfishtool: raw POST VirtualMedia.InsertMedia" \
	rft raw POST /redfish/v1/Managers/n1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia -d "{\"Image\":\"$IMAGE_URL\"}"
is "QMP: n1's cdrom holds the image" "$(qemu_cdrom "$QEMU_QMP_n1")" "$TRASH/bmc-a/media-n1.iso"

cat >"$TRASH/check-sushy.py" <<'PY'
import sys, sushy
url, ca, password, image = sys.argv[1:5]
root = sushy.Sushy(url + "/redfish/v1/", username="admin", password=password, verify=ca)
n1 = root.get_system("/redfish/v1/Systems/n1")
print("power", n1.power_state.value)
n1.reset_system(sushy.RESET_FORCE_OFF)
n1.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_CD, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE,
                           mode=sushy.BOOT_SOURCE_MODE_UEFI)
n1.refresh()
print("boot", n1.boot.enabled.value, n1.boot.target.value, n1.boot.mode.value)
media = root.get_manager("/redfish/v1/Managers/n2").virtual_media.get_member(
    "/redfish/v1/Managers/n2/VirtualMedia/Cd")
media.insert_media(image)
media.refresh()
print("media", media.inserted, media.image)
PY
# requests lets REQUESTS_CA_BUNDLE (set on some machines) override sushy's verify=: name the CA there too.
REQUESTS_CA_BUNDLE=$CA_A /usr/bin/python3 "$TRASH/check-sushy.py" "$BMC_URL_a" "$CA_A" "$PASS_A" "$IMAGE_URL" >"$TRASH/sushy.out" 2>"$TRASH/sushy.err"
is "sushy: runs through (session, TLS verified with the test CA)" "$?" 0
is "sushy: reads n1 as On" "$(sed -n 's/^power //p' "$TRASH/sushy.out")" On
is "QMP: sushy's ForceOff stopped n1" "$(qemu_power "$QEMU_QMP_n1")" off
is "sushy: the boot override it set reads back" "$(sed -n 's/^boot //p' "$TRASH/sushy.out")" "Once Cd UEFI"
is "QMP: sushy's InsertMedia put the image in n2's cdrom" "$(qemu_cdrom "$QEMU_QMP_n2")" "$TRASH/bmc-a/media-n2.iso"
ok "sushy logged in with a session and logged out" \
	sh -c "grep -q '^POST /redfish/v1/SessionService/Sessions 201 auth=login' '$BMC_LOG_a' && grep -q '^DELETE /redfish/v1/SessionService/Sessions/.* 204' '$BMC_LOG_a'"

# --- lading
printf '%s\n' "$PASS_A" >"$TRASH/pass-a"
export BMC_B_PASSWORD=$PASS_B
site() {
	cat >"$TRASH/$1" <<YAML
baremetal:
  ca: ${CA_A}
  nodes:
    - name: node-1
      bmc: ${BMC_URL_a}
      system: n1
      user: admin
      password_file: pass-a
      address: 192.0.2.11
      mac: 52:54:00:AA:00:01
      groups: [gpu_workers, rack1]
    - name: node-2
      bmc: ${BMC_URL_b}
      ca: ${CA_B}
      user_env: BMC_B_USER
      password_env: ${2:-BMC_B_PASSWORD}
      address: 192.0.2.12
      groups: gpu_workers
${3:-}
YAML
}
export BMC_B_USER=root
site site.yaml
SITE=$TRASH/site.yaml
reset_count() { grep -c "Actions/ComputerSystem.Reset 204" "$1"; }

ok "list: both nodes from the site file, MAC in lowercase" \
	sh -c "'$LADING' baremetal list -s '$SITE' | grep -q '^node-1 .*redfish .*192.0.2.11 *52:54:00:aa:00:01 gpu_workers,rack1' &&
	       '$LADING' baremetal list -s '$SITE' | grep -q '^node-2 '"
"$LADING" baremetal power status -s "$SITE" >"$TRASH/status.out" 2>"$TRASH/status.err"
is "power status: exit 0" "$?" 0
is "power status: both Off" "$(awk '{print $1, $2, $3}' "$TRASH/status.out" | tr '\n' ';')" "node-1 Off off;node-2 Off off;"
ok "lading used a session and closed it" sh -c "grep -q 'GET /redfish/v1/Systems/n2 200 auth=session' '$BMC_LOG_b' && grep -q '^DELETE /redfish/v1/SessionService/Sessions/.* 204 auth=session' '$BMC_LOG_b'"

ok "power on node-1 (selected by name)" "$LADING" baremetal power on -s "$SITE" node-1
is "QMP: node-1 runs, node-2 is still off" "$(qemu_power "$QEMU_QMP_n1")/$(qemu_power "$QEMU_QMP_n2")" on/off
before=$(reset_count "$BMC_LOG_a")
"$LADING" baremetal power on -s "$SITE" gpu_workers >"$TRASH/on.out" 2>"$TRASH/on.err"
is "power on the group: exit 0" "$?" 0
is "power on: node-1 already on, node-2 powered on" "$(awk '{print $1, $2, $3, $4}' "$TRASH/on.out" | tr '\n' ';')" \
	"node-1 On already-on -;node-2 On powered-on On;"
is "idempotent: no Reset was sent to node-1's BMC" "$(reset_count "$BMC_LOG_a")" "$before"
is "QMP: both run" "$(qemu_power "$QEMU_QMP_n1")/$(qemu_power "$QEMU_QMP_n2")" on/on

"$LADING" baremetal power off --json -j 2 -s "$SITE" >"$TRASH/off.json" 2>"$TRASH/off.err"
is "power off --json: exit 0" "$?" 0
is "power off --json: ForceOff on both" \
	"$(python3 -c 'import json,sys; print(";".join("%s %s %s %s" % (d["node"], d["power"], d["status"], d["action"]) for d in map(json.loads, open(sys.argv[1]))))' "$TRASH/off.json")" \
	"node-1 Off powered-off ForceOff;node-2 Off powered-off ForceOff"
is "QMP: both stopped" "$(qemu_power "$QEMU_QMP_n1")/$(qemu_power "$QEMU_QMP_n2")" off/off
before=$(reset_count "$BMC_LOG_b")
ok "power off again: already off" sh -c "'$LADING' baremetal power off -s '$SITE' node-2 | grep -q '^node-2 *Off *already-off'"
is "idempotent: no Reset was sent to node-2's BMC" "$(reset_count "$BMC_LOG_b")" "$before"

ok "power cycle of an off node powers it on" sh -c "'$LADING' baremetal power cycle -s '$SITE' node-2 | grep -q '^node-2 *On *powered-on *On$'"
is "QMP: node-2 runs" "$(qemu_power "$QEMU_QMP_n2")" on
ok "power cycle of a running node: PowerCycle" sh -c "'$LADING' baremetal power cycle -s '$SITE' node-2 | grep -q '^node-2 *On *powered-on *PowerCycle$'"
ok "BMC b got the PowerCycle" grep -q "ComputerSystem.Reset 204 auth=session ResetType=PowerCycle" "$BMC_LOG_b"
# No OS answers the ACPI power button: GracefulShutdown times out, then ForceOff.
ok "power off --graceful: GracefulShutdown, then ForceOff after the timeout" \
	sh -c "'$LADING' baremetal power off --graceful -t 2 -s '$SITE' node-2 | grep -q '^node-2 *Off *powered-off *GracefulShutdown+ForceOff$'"
is "QMP: node-2 stopped" "$(qemu_power "$QEMU_QMP_n2")" off

boot_of() { # BMC-URL CA USER PASSWORD SYSTEM: Enabled Target Mode, as the BMC reads them
	curl -s --cacert "$2" -u "$3:$4" "$1/redfish/v1/Systems/$5" |
		python3 -c 'import json,sys; b=json.load(sys.stdin)["Boot"]; print(b["BootSourceOverrideEnabled"], b["BootSourceOverrideTarget"], b["BootSourceOverrideMode"])'
}
patches=$(grep -c '^PATCH /redfish/v1/Systems/n1 ' "$BMC_LOG_a")
ok "boot pxe node-1" sh -c "'$LADING' baremetal boot pxe -s '$SITE' node-1 | grep -q '^node-1 *Off *set *Pxe$'"
is "BMC: node-1 boots once from Pxe in Legacy mode (sushy had set Cd UEFI)" \
	"$(boot_of "$BMC_URL_a" "$CA_A" admin "$PASS_A" n1)" "Once Pxe Legacy"
is "one PATCH, with If-Match (the BMC answers 428 without it)" \
	"$(grep '^PATCH /redfish/v1/Systems/n1 ' "$BMC_LOG_a" | tail -n +$((patches + 1)) | awk '{print $3, $4}' | tr '\n' ';')" "200 auth=session;"
ok "boot cd --uefi node-2" "$LADING" baremetal boot cd --uefi -s "$SITE" node-2
is "BMC b: node-2 boots once from Cd in UEFI mode" "$(boot_of "$BMC_URL_b" "$CA_B" root "$PASS_B" n2)" "Once Cd UEFI"
"$LADING" baremetal power on -s "$SITE" node-2 >/dev/null
is "after power on the BMC turned the one-time override back to Disabled" \
	"$(boot_of "$BMC_URL_b" "$CA_B" root "$PASS_B" n2)/$(qemu_power "$QEMU_QMP_n2")" "Disabled Cd UEFI/on"
"$LADING" baremetal power off -s "$SITE" node-2 >/dev/null

# The drive's content, read through QMP: the volume label of the ISO in the cdrom.
cd_label() {
	_f=$(qemu_cdrom "$1")
	[ -n "$_f" ] && dd if="$_f" bs=1 skip=$((16 * 2048 + 40)) count=32 status=none | tr -d ' '
}
posts=$(grep -c 'VirtualMedia.InsertMedia 204' "$BMC_LOG_a")
ok "media insert of the image already in node-1's drive: already-inserted" \
	sh -c "'$LADING' baremetal media insert '$IMAGE_URL' -s '$SITE' node-1 | grep -q '^node-1 .* already-inserted *-$'"
is "idempotent: no InsertMedia was posted" "$(grep -c 'VirtualMedia.InsertMedia 204' "$BMC_LOG_a")" "$posts"
ok "media insert of another image: eject, then insert" \
	sh -c "'$LADING' baremetal media insert '${IMAGE_URL%/boot.iso}/boot2.iso' -s '$SITE' node-1 | grep -q '^node-1 .* inserted *EjectMedia+InsertMedia$'"
is "QMP: node-1's cdrom holds the second image" "$(cd_label "$QEMU_QMP_n1")" LADINGTWO
"$LADING" baremetal media insert "$IMAGE_URL" -s "$SITE" --json node-2 >"$TRASH/media.json" 2>"$TRASH/media.err"
is "media insert on node-2's own BMC: exit 0, inserted" "$?/$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["action"])' "$TRASH/media.json")" "0/inserted InsertMedia"
is "QMP: node-2's cdrom holds the first image, fetched by BMC b" "$(qemu_cdrom "$QEMU_QMP_n2")/$(cd_label "$QEMU_QMP_n2")" "$TRASH/bmc-b/media-n2.iso/LADINGTEST"
ok "media eject on both" sh -c "'$LADING' baremetal media eject -s '$SITE' | grep -c ' ejected *EjectMedia$' | grep -qx 2"
is "QMP: both drives are empty" "$(qemu_cdrom "$QEMU_QMP_n1")/$(qemu_cdrom "$QEMU_QMP_n2")" /
ok "media eject again: already-ejected" sh -c "'$LADING' baremetal media eject -s '$SITE' node-2 | grep -q '^node-2 .* already-ejected'"
fails_one_line "media insert needs an http(s) URL: exit 2" 2 "insert takes the image's http:// or https:// URL" \
	"$LADING" baremetal media insert /srv/boot.iso -s "$SITE"
fails_one_line "an image the BMC cannot fetch: one line naming the node, quoting the BMC" 1 \
	"^lading: baremetal: node-2: POST /redfish/v1/Managers/n2/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia: HTTP 400: The value 'http://127.0.0.1:$WWW_PORT/missing.iso' for the parameter Image" \
	"$LADING" baremetal media insert "http://127.0.0.1:$WWW_PORT/missing.iso" -s "$SITE" node-2

# --- refusals
site wrongpass.yaml BMC_B_WRONG
export BMC_B_WRONG=not-the-password
"$LADING" baremetal power on -s "$TRASH/wrongpass.yaml" >"$TRASH/wrong.out" 2>"$TRASH/wrong.err"
is "wrong password: exit 1" "$?" 1
one_line_file "wrong password: one line naming the node, quoting the BMC" \
	"^lading: baremetal: node-2: login as 'root' refused by https://127.0.0.1:[0-9]+ \(HTTP 401: While accessing the resource at /redfish/v1/SessionService/Sessions" \
	"$TRASH/wrong.err"
is "wrong password: the other node still powered on" "$(grep -c '^node-1 *On *powered-on' "$TRASH/wrong.out")/$(qemu_power "$QEMU_QMP_n1")/$(qemu_power "$QEMU_QMP_n2")" 1/on/off
"$LADING" baremetal power status -vv -s "$TRASH/wrongpass.yaml" >"$TRASH/vv.out" 2>"$TRASH/vv.err"
ok "-vv logs the requests" grep -q "http: POST https://127.0.0.1:[0-9]*/redfish/v1/SessionService/Sessions" "$TRASH/vv.err"
ok "no password in any output (-vv included)" sh -c "! grep -rqF -e '$PASS_A' -e '$PASS_B' '$TRASH'/*.out '$TRASH'/*.err '$TRASH'/*.json"

tls_make_certs "$TRASH/other" >/dev/null
sed "s|ca: ${CA_B}|ca: $TRASH/other/ca.pem|" "$SITE" >"$TRASH/otherca.yaml"
fails_one_line "TLS: a CA that did not sign the BMC's certificate is refused" 1 \
	"^lading: baremetal: node-2: https://127.0.0.1:[0-9]+: TLS verification failed" \
	"$LADING" baremetal power status -s "$TRASH/otherca.yaml" node-2
sed '/system: n1/d' "$SITE" >"$TRASH/nosystem.yaml"
fails_one_line "a BMC with two systems and no 'system': one line listing them" 1 \
	"^lading: baremetal: node-1: https://127.0.0.1:[0-9]+ lists 2 systems \(n1, n2\): set 'system'" \
	"$LADING" baremetal power status -s "$TRASH/nosystem.yaml" node-1
site ipmi.yaml BMC_B_PASSWORD "    - {name: node-3, bmc: 'https://127.0.0.1:9', protocol: ipmi, user: u, password_env: X}"
fails_one_line "protocol ipmi with an https:// bmc: one line naming the field (t0811 drives IPMI)" 2 \
	"ipmi\.yaml:[0-9]+:[0-9]+: bmc: 'https://127\.0\.0\.1:9': an IPMI BMC is HOST\[:PORT\]" \
	"$LADING" baremetal power status -s "$TRASH/ipmi.yaml" node-3
fails_one_line "unknown node or group: exit 2" 2 "'node-9' is neither a node nor a group" \
	"$LADING" baremetal power status -s "$SITE" node-9

# A BMC without a session service: Basic auth on every request.
BMC_OPTS=--no-sessions bmc_start c admin "$PASS_A" "n1=$QEMU_QMP_n1" || { echo "Bail out! bmc c did not start"; exit 1; }
sed "s|${BMC_URL_a}|${BMC_URL_c}|; s|ca: ${CA_A}|ca: ${BMC_CA}|; /system: n1/d" "$SITE" >"$TRASH/basic.yaml"
ok "no session service: Basic auth works" sh -c "'$LADING' baremetal power status -s '$TRASH/basic.yaml' node-1 | grep -q '^node-1 *On *on'"
is "no session service: every request carried Basic auth" \
	"$(grep -v '^GET /redfish/v1/ ' "$BMC_LOG_c" | awk '{print $4}' | sort -u | tr '\n' ' ')" "auth=basic "
printf 'wrong\n' >"$TRASH/pass-a"
fails_one_line "no session service, wrong password: one line quoting the BMC" 1 \
	"^lading: baremetal: node-1: credentials refused by https://127.0.0.1:[0-9]+: GET /redfish/v1/Systems: HTTP 401: There is no valid session" \
	"$LADING" baremetal power status -s "$TRASH/basic.yaml" node-1

# A BMC whose actions run as tasks (202 + a task monitor, done a second later).
BMC_OPTS=--async-tasks bmc_start d root "$PASS_B" "n2=$QEMU_QMP_n2" || { echo "Bail out! bmc d did not start"; exit 1; }
sed "s|${BMC_URL_b}|${BMC_URL_d}|; s|ca: ${CA_B}|ca: ${BMC_CA}|" "$SITE" >"$TRASH/async.yaml"
ok "tasks: media insert waits for the task, then reads the drive" \
	sh -c "'$LADING' baremetal media insert '$IMAGE_URL' -s '$TRASH/async.yaml' node-2 | grep -q '^node-2 .* inserted *InsertMedia$'"
is "QMP: node-2's cdrom holds the image BMC d fetched" "$(qemu_cdrom "$QEMU_QMP_n2")" "$TRASH/bmc-d/media-n2.iso"
ok "tasks: lading polled the monitor until the task was done" \
	sh -c "grep -q '^GET /redfish/v1/TaskService/TaskMonitors/[0-9a-f]* 202 ' '$BMC_LOG_d' && grep -q '^GET /redfish/v1/TaskService/TaskMonitors/[0-9a-f]* 204 .*task done' '$BMC_LOG_d'"
"$LADING" baremetal power cycle -s "$TRASH/async.yaml" node-2 >"$TRASH/async.out" 2>&1
is "tasks: power cycle of an off node through tasks" "$?/$(awk '{print $3, $4}' "$TRASH/async.out")/$(qemu_power "$QEMU_QMP_n2")" "0/powered-on On/on"
ok "tasks: boot pxe waits for the PATCH's task" sh -c "'$LADING' baremetal boot pxe -s '$TRASH/async.yaml' node-2 | grep -q '^node-2 .* set *Pxe$' &&
	grep -A1 '^PATCH /redfish/v1/Systems/n2 202 ' '$BMC_LOG_d' | tail -n 1 | grep -q '^GET /redfish/v1/TaskService/TaskMonitors/'"
is "BMC d: node-2 boots once from Pxe" "$(boot_of "$BMC_URL_d" "$BMC_CA" root "$PASS_B" n2)" "Once Pxe Legacy"
fails_one_line "tasks: a task that fails is the node's one-line error" 1 \
	"^lading: baremetal: node-2: POST .*VirtualMedia.InsertMedia: HTTP 400: The value 'http://127.0.0.1:$WWW_PORT/missing.iso' for the parameter Image" \
	"$LADING" baremetal media insert "http://127.0.0.1:$WWW_PORT/missing.iso" -s "$TRASH/async.yaml" node-2

bad() { # NAME PATTERN SED-EXPRESSION: the site file changed by SED fails in one line, exit 2
	sed "$3" "$SITE" >"$TRASH/bad.yaml"
	fails_one_line "site: $1" 2 "$2" "$LADING" baremetal power status -s "$TRASH/bad.yaml"
}
bad "http:// BMC refused, naming bmc" "bad.yaml:[0-9]+:[0-9]+: bmc: 'http://127.0.0.1:1' must start with https://" \
	"0,/bmc: .*/s||bmc: http://127.0.0.1:1|"
bad "a password in the file is an unknown key" "bad.yaml:[0-9]+:[0-9]+: .*unknown key 'password'" \
	"s|password_file: pass-a|password: hunter2|"
bad "a bad MAC names mac" "bad.yaml:[0-9]+:[0-9]+: mac: '52:54:00:AA:00' is not a MAC address" \
	"s|mac: .*|mac: 52:54:00:AA:00|"
bad "an unknown protocol names protocol" "bad.yaml:[0-9]+:[0-9]+: protocol: 'snmp' is not redfish or ipmi" \
	"s|user_env: BMC_B_USER|user_env: BMC_B_USER\n      protocol: snmp|"
done_testing
