#!/bin/sh
# The terminal is restored on every exit path (TAP): SIGTERM, SIGHUP,
# SIGINT from outside and a crash (SIGSEGV) leave the tty in its cooked
# mode (icanon, echo) with the normal screen back, and logdive exits by
# the signal. Through tmux.
# Environment (set by tests/run.sh): LOGDIVE, srcdir.
: "${srcdir:=.}"
: "${LOGDIVE:=./logdive}"
if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-sig.XXXXXX") || exit 1
sock=ldsig$$
tm() { LC_ALL=C.UTF-8 tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
# one tmux server per signal: a server being killed must not take the next
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME
n=0
cp "$srcdir/tests/data/trace.jsonl" "$tmp/sig.jsonl"

wait_screen() {	# TEXT SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		tm capture-pane -p -t s 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

for sig in TERM HUP INT SEGV; do
	case $sig in TERM) want=143 ;; HUP) want=129 ;; INT) want=130 ;; SEGV) want=139 ;; esac
	tm kill-server >/dev/null 2>&1
	sock=ldsig$$$sig
	tm new-session -d -s s -x 90 -y 25 \
	    "LANG=C.UTF-8 '$LOGDIVE' '$tmp/sig.jsonl'; echo \"exit=\$?\"; stty -a | tr ' ' '\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo; echo ready; sleep 30"
	n=$((n + 1))
	if ! wait_screen "Dashboard" 10; then
		echo "not ok $n - $sig: the dashboard did not start"
		continue
	fi
	# the logdive process reading this run's file (no pgrep on minimal systems)
	pid=
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = logdive ] || continue
		tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF "$tmp/sig.jsonl" && pid=${d#/proc/}
	done
	[ -n "$pid" ] || { echo "not ok $n - $sig: no logdive process found"; continue; }
	kill -s "$sig" "$pid"
	if wait_screen "ready" 5; then
		screen=$(tm capture-pane -p -t s)
		if echo "$screen" | grep -q "exit=$want" &&
		    echo "$screen" | grep -q "^icanon echo" &&
		    ! echo "$screen" | grep -q "Dashboard"; then
			echo "ok $n - SIG$sig: exit $want, tty restored, normal screen back"
		else
			echo "not ok $n - SIG$sig: screen after exit:"
			echo "$screen" | grep -v '^$' | sed 's/^/#   /'
		fi
	else
		echo "not ok $n - SIG$sig: logdive did not exit"
	fi
done
echo "1..$n"
