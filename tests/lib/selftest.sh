# Sourced by the self-tests of the fake servers (tests/fake-*-selftest.sh):
# a scratch directory, generated logs, the fake in the background, and the
# Python check script run against it. Needs $srcdir and $PYTHON3.

# selftest_setup NAME: $tmp, removed at exit with the fake ($pid) killed
selftest_setup() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-$1.XXXXXX") || exit 1
	pid=
	trap selftest_cleanup EXIT
	trap 'exit 1' INT TERM
}
selftest_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}

# selftest_logs GEN-LOGS-OPTIONS...: $tmp/all.jsonl from tests/gen-logs.py,
# its odd lines in $tmp/a.jsonl, its even lines in $tmp/b.jsonl
selftest_logs() {
	if ! "$PYTHON3" "$srcdir/tests/gen-logs.py" "$@" --out "$tmp/all.jsonl" \
		>/dev/null 2>&1; then
		echo "not ok 1 - gen-logs.py"; echo "1..1"; exit 1
	fi
	awk 'NR % 2 == 1' "$tmp/all.jsonl" >"$tmp/a.jsonl"
	awk 'NR % 2 == 0' "$tmp/all.jsonl" >"$tmp/b.jsonl"
}

# selftest_start SCRIPT ARGS...: tests/SCRIPT --port-file $tmp/port ARGS in
# the background, its stderr in $tmp/server.log; the suite ends if it does
# not start
selftest_start() {
	_script=$1
	shift
	"$PYTHON3" "$srcdir/tests/$_script" --port-file "$tmp/port" "$@" \
		2>"$tmp/server.log" &
	pid=$!
	_i=0
	while [ ! -s "$tmp/port" ] && [ $_i -lt 150 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	if [ ! -s "$tmp/port" ]; then
		echo "not ok 1 - $_script did not start"; sed 's/^/#   /' "$tmp/server.log"
		echo "1..1"; exit 1
	fi
}

# selftest_check SCRIPT: $tmp/check.py PORT TMP FAKE, FAKE the path of
# tests/SCRIPT; it can import tests/lib/selftest.py
selftest_check() {
	PYTHONPATH="$srcdir/tests/lib${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
		"$PYTHON3" "$tmp/check.py" "$(cat "$tmp/port")" "$tmp" "$srcdir/tests/$1"
}
