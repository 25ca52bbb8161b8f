# Sourced by the command-line suites: run logdive, check its exit status,
# stderr and stdout. Needs $tmp, $LOGDIVE and the TAP counter $n.

# expect STATUS "STDERR-SUBSTRING" DESCRIPTION -- ARGS...: logdive ARGS
# exits STATUS, its stderr holds the substring (if not empty) and, when it
# fails, is one line. Stdout in $tmp/out, stderr in $tmp/err.
expect() {
	want=$1 msg=$2 name=$3
	shift 4
	"$LOGDIVE" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	n=$((n + 1))
	lines=$(wc -l <"$tmp/err")
	if [ "$got" -eq "$want" ] && { [ -z "$msg" ] || grep -qF -- "$msg" "$tmp/err"; } &&
	    { [ "$want" -eq 0 ] || [ "$lines" -eq 1 ]; }; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name: status $got (want $want)"
		sed 's/^/#   /' "$tmp/err"
	fi
}

# same FILE DESCRIPTION: stdout of the last expect equals FILE
same() {
	n=$((n + 1))
	if cmp -s "$1" "$tmp/out"; then echo "ok $n - $2"
	else echo "not ok $n - $2"; diff "$1" "$tmp/out" | head -20 | sed 's/^/#   /'; fi
}
