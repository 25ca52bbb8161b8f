# Sourced by tests/es.sh and tests/loki.sh after tests/lib/common.sh: the
# panels of a remote backend against the file backend's, checked by
# tests/lib/cmp_panels.py. Needs $LOGDIVE, $range and $tmp/all.jsonl.

# py_checks WHAT ARGS...: run "$PYTHON3" ARGS... $n, a script that numbers
# its TAP lines from $n + 1 and ends with "#done LAST"; its lines, then n is
# LAST (if it ended otherwise: n=99 and "WHAT failed" not ok)
py_checks() {
	_what=$1
	shift
	"$PYTHON3" "$@" "$n" >"$tmp/py_checks.out"
	grep -v '^#done' "$tmp/py_checks.out"
	n=$(sed -n 's/^#done //p' "$tmp/py_checks.out")
	[ -n "$n" ] || { n=99; not_ok "$_what failed"; }
}

# panels_vs_file es|loki NAME URL: panels -f json -b 1h over $range of
# $tmp/all.jsonl ($tmp/file.json) and of URL ($tmp/es.json or loki.json):
# ok "panels through NAME", then cmp_panels.py's checks
panels_vs_file() {
	"$LOGDIVE" panels -f json -b 1h -t "$range" "$tmp/all.jsonl" >"$tmp/file.json" 2>"$tmp/err1"
	"$LOGDIVE" panels -f json -b 1h -t "$range" "$3" >"$tmp/$1.json" 2>"$tmp/err2"
	_st=$?
	if [ $_st -eq 0 ]; then ok "panels through $2"
	else not_ok "panels through $2 (exit $_st)" "$tmp/err2"; fi
	py_checks "comparing panels" "$srcdir/tests/lib/cmp_panels.py" "$1" \
	    "$tmp/file.json" "$tmp/$1.json"
}
