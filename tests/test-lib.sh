# Sourced by every tests/tNNNN-*.sh: TAP output, a per-test trash directory,
# and cleanup of everything the test started (by PID, also on failure).
# Usage: . "$(dirname "$0")/test-lib.sh"; plan N; ok "name" cmd...; done_testing

set -u
TEST_NAME=$(basename "$0" .sh)
# From this file's own place, so scripts outside tests/ (benchmarks) can source it too.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
LADING=${LADING:-$TOP/lading}
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/lading-$TEST_NAME.XXXXXX")
# Accepted bundles are recorded per test, never in the machine's /var/lib/lading (sign/freshness.h).
export LADING_STATE="$TRASH/.state"
test_count=0
test_failed=0
_cleanup_cmds=""

# Registers a shell command to run at exit (last registered runs first).
at_exit() {
	_cleanup_cmds="$1
$_cleanup_cmds"
}

_test_exit() {
	status=$?
	set +e
	printf '%s\n' "$_cleanup_cmds" | while IFS= read -r cmd; do
		[ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1
	done
	if [ "$test_failed" -ne 0 ] && [ -z "${KEEP_TRASH:-}" ]; then
		# Keep server logs of a failed test for the reader, drop the bulk.
		for f in "$TRASH"/*.log; do
			[ -f "$f" ] && { echo "# --- $f"; tail -n 20 "$f" | sed 's/^/# /'; }
		done
	fi
	[ -z "${KEEP_TRASH:-}" ] && rm -rf "$TRASH"
	exit $status
}
trap _test_exit EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }
# skip_all REASON: the whole file is skipped. Only for a missing external tool or
# privilege, never for something lading itself lacks or gets wrong.
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

_report() {
	test_count=$((test_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $test_count - $2"
	else
		echo "not ok $test_count - $2"
		echo "# $TEST_NAME: failed: $2" >&2
		test_failed=$((test_failed + 1))
	fi
}

# ok NAME CMD...: passes when CMD exits 0; shows its output on failure.
ok() {
	name=$1; shift
	out=$("$@" 2>&1); rc=$?
	_report $rc "$name"
	[ $rc -ne 0 ] && printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /' >&2
	return 0
}

# _fails NAME STATUS PATTERN LINES CMD...: CMD exits STATUS, its stderr matches
# PATTERN (grep -E) and, when LINES is not "any", has exactly LINES lines.
_fails() {
	name=$1; want=$2; pattern=$3; lines=$4; shift 4
	"$@" >/dev/null 2>"$TRASH/.stderr"; rc=$?
	out=$(cat "$TRASH/.stderr")
	# Every line counts, blank ones and a last one without a newline too.
	nl=$(awk 'END { print NR }' "$TRASH/.stderr")
	why=""
	[ $rc -eq "$want" ] || why="exit $rc, wanted $want"
	printf '%s\n' "$out" | grep -Eq -- "$pattern" || why="${why:+$why; }stderr does not match: $pattern"
	[ "$lines" = any ] || [ "$nl" -eq "$lines" ] || why="${why:+$why; }stderr has $nl lines, wanted $lines"
	if [ -z "$why" ]; then
		_report 0 "$name"
	else
		_report 1 "$name"
		{
			echo "#   $why"
			echo "#   stderr ($nl lines):"
			tail -n 20 "$TRASH/.stderr" | sed 's/^/#   | /'
		} >&2
	fi
	rm -f "$TRASH/.stderr"
	return 0
}

# fails_with NAME STATUS PATTERN CMD...: CMD exits STATUS and its stderr matches PATTERN (grep -E).
fails_with() { _fails "$1" "$2" "$3" any "${@:4}"; }

# fails_one_line NAME STATUS PATTERN CMD...: as fails_with, and stderr is exactly one line.
# For every error a test promises to be "one line".
fails_one_line() { _fails "$1" "$2" "$3" 1 "${@:4}"; }

# one_line_file NAME PATTERN FILE: FILE (the saved stderr of a command the test
# ran itself, e.g. in the background) is exactly one line and matches PATTERN.
one_line_file() { _fails "$1" 0 "$2" 1 sh -c 'cat "$1" >&2' sh "$3"; }

# skip REASON: one planned test is not run (counted, reported as "ok N # SKIP REASON").
# skip_n COUNT REASON: COUNT of them. Same rule as skip_all: only for what the
# machine lacks (a tool, root), never to hide a failure of lading.
skip() { skip_n 1 "$1"; }
skip_n() {
	_n=$1
	while [ "$_n" -gt 0 ]; do
		test_count=$((test_count + 1))
		echo "ok $test_count # SKIP $2"
		_n=$((_n - 1))
	done
}

# is NAME GOT WANT
is() {
	if [ "$2" = "$3" ]; then _report 0 "$1"; else
		_report 1 "$1"; echo "#   got:  '$2'" >&2; echo "#   want: '$3'" >&2; fi
}

done_testing() {
	[ "$test_failed" -eq 0 ]
}

# flip_byte FILE OFFSET: inverts every bit of the byte at OFFSET, in place, so the
# file surely changes (a constant written over it might equal what is there).
flip_byte() {
	_fb=$(dd if="$1" bs=1 skip="$2" count=1 status=none | od -An -tu1 | tr -d ' ')
	[ -n "$_fb" ] || { echo "# flip_byte: '$1' has no byte at $2" >&2; return 1; }
	printf "\\$(printf %03o $((_fb ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# A free TCP port on 127.0.0.1 (bound and released by the kernel's choice).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_port PORT [HOST] [SECONDS]: polls until something accepts connections.
wait_for_port() {
	_host=${2:-127.0.0.1}; _tries=$(( ${3:-20} * 10 ))
	while [ $_tries -gt 0 ]; do
		if (exec 3<>"/dev/tcp/$_host/$1") 2>/dev/null; then return 0; fi
		sleep 0.1; _tries=$((_tries - 1))
	done
	return 1
}

# kill_pid PID: TERM, wait up to 5 s, then KILL. Never by name.
kill_pid() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null || return 0
	_n=50
	while kill -0 "$1" 2>/dev/null && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	kill -9 "$1" 2>/dev/null
	return 0
}
