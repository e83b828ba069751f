#!/bin/bash
# The SSH test-host harness itself: hosts come up with their own sshd, host key,
# hostname and private directories, and everything is gone after hosts_stop.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 9

hosts_start 3 || exit 1
hosts_known_hosts "$TRASH/known_hosts"
ossh() { ssh -o UserKnownHostsFile="$TRASH/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
	-o ConnectTimeout=5 -i "$HOSTS_KEY" "$@"; }

is "openssh logs into host 2 and sees its private hostname" "$(ossh "root@$(host_ip 2)" hostname)" "$(host_name 2)"
is "port 2222 answers with the same host key ([host]:port entry)" \
	"$(ossh -p 2222 "lading@$(host_ip 3)" 'sudo -n id -u')" "0"
fails_with "user ladingpw gets a sudo that wants a password" 1 "a password is required" \
	ossh "ladingpw@$(host_ip 3)" 'sudo -n true'
host_exec 1 'echo one >/etc/containerd/lading-test'
ok "host 1's /etc/containerd is private" test -f "$(host_path 1 /etc/containerd/lading-test)"
ok "host 2 does not see host 1's file" host_exec 2 '! test -e /etc/containerd/lading-test'
ok "the real /etc/containerd is untouched" test ! -e /etc/containerd/lading-test
host_rekey 2
fails_with "a rekeyed host fails openssh's check" 255 "IDENTIFICATION HAS CHANGED|Host key verification failed" \
	ossh "root@$(host_ip 2)" true
ns_count=$(ip netns list | grep -c "^ld$$h")
hosts_stop
is "hosts_stop removes namespaces ($ns_count before)" "$(ip netns list | grep -c "^ld$$h")" "0"
is "hosts_stop removes the bridge" "$(ip -o link show | grep -c "ldb$$")" "0"
done_testing
