# Sourced by the shell suites (tests/*.sh): TAP counters, fake servers and
# tmux. Needs $tmp (a scratch directory the suite removes), $srcdir and
# $PYTHON3. Not a suite itself (tests/run.sh runs tests/*.sh only).

# never the user's config, cache or state (the journal), even when a suite
# is run by hand
mkdir -p "$tmp/config" "$tmp/cache" "$tmp/state"
XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state
export XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME

n=0
pids=
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# not_ok NAME [FILE]: FILE's first lines as diagnostics; in a tmux suite
# ($sock set) the screen too
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/#   /' "$2" | head -20; fi
	if [ -n "${sock:-}" ]; then tm capture-pane -p -t s 2>/dev/null | sed 's/^/#   /'; fi
	return 0
}
# check COND-STATUS NAME [FILE]: ok if the previous command succeeded
check() { if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2" "${3:-}"; fi; }

# start_fake NAME SCRIPT ARGS...: start tests/SCRIPT (a fake server) with
# --port-file; its port in $tmp/NAME.port, its log in $tmp/NAME.log
start_fake() {
	_name=$1
	_script=$2
	shift 2
	"$PYTHON3" "$srcdir/tests/$_script" --port-file "$tmp/$_name.port" "$@" \
	    >"$tmp/$_name.log" 2>&1 &
	pids="$pids $!"
	_i=0
	while [ ! -s "$tmp/$_name.port" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$tmp/$_name.port" ]
}
stop_fakes() { for _p in $pids; do kill "$_p" 2>/dev/null; done; pids=; }

# fake_post PORT PATH BODY [METHOD]: a test-control request to a fake
fake_post() {
	"$PYTHON3" -c '
import sys, urllib.request
r = urllib.request.Request("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]),
    data=sys.argv[3].encode() if sys.argv[4] != "DELETE" else None,
    method=sys.argv[4], headers={"Content-Type": "application/json"})
urllib.request.urlopen(r).read()' "$1" "$2" "$3" "${4:-POST}"
}
# fault PORT JSON: inject a fault (POST /_fake/faults)
fault() { fake_post "$1" /_fake/faults "$2"; }

# tmux on its own server ($sock), and waiting for text on the screen
tm() { LC_ALL=C.UTF-8 tmux -L "$sock" -f /dev/null "$@"; }
wait_for() {	# TEXT SECONDS
	_i=0
	while [ $_i -lt $(($2 * 10)) ]; do
		tm capture-pane -p -t s 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
