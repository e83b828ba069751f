# Sourced by the kill tests (t0242, t0244): SIGKILL a command at a moment chosen by
# bytes written, reproducibly.
#   threshold N                 a number in [0, N) from bash's RANDOM (seed it first)
#   size_of PATH                bytes under PATH, 0 if absent
#   kill_at THR TEMPLATE CMD... runs CMD, SIGKILLs it once TEMPLATE (PID replaced by
#                               its pid) holds THR bytes; KILLED=1 if killed, 0 if it
#                               finished first. The process is stopped between polls
#                               (SIGSTOP/SIGCONT every 2 ms), so the kill lands at most
#                               one slice past the threshold. Needs fd 9 open on a fifo
#                               nobody writes (kill_setup makes one in the cwd).
threshold() { echo $(((RANDOM * 32768 + RANDOM) % $1)); }

size_of() {
	if [ -e "$1" ]; then du -sb --apparent-size "$1" 2>/dev/null | cut -f1; else echo 0; fi
}

kill_setup() {
	mkfifo slice.fifo && exec 9<>slice.fifo
}

kill_at() {
	_thr=$1 _tpl=$2
	shift 2
	"$@" >/dev/null 2>&1 &
	_p=$!
	KILLED=0
	for _n in $(seq 3000); do
		# A zombie takes signals too: stop polling once it has exited.
		case "$(cut -d' ' -f3 "/proc/$_p/stat" 2>/dev/null)" in "" | Z) break ;; esac
		kill -STOP "$_p" 2>/dev/null || break
		if [ "$(size_of "${_tpl//PID/$_p}")" -ge "$_thr" ]; then
			kill -KILL "$_p"
			KILLED=1
			break
		fi
		kill -CONT "$_p"
		read -r -t 0.002 -u 9 _ # 2 ms, without a fork
	done
	kill -CONT "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	return 0
}
