#!/bin/sh
# Runs every suite of `make check` and ends with "N passed, N failed".
# Arguments: the unit-test programs. Shell suites are tests/*.sh (each
# prints TAP lines). Environment: LOGDIVE (the binary), srcdir, builddir,
# PYTHON3. A suite's log goes to tests/logs/NAME.log in the build tree.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
export LOGDIVE srcdir builddir PYTHON3
# The suites never read or write the user's config, cache or state (the
# index, the journal, presets): scratch ones, unless a suite sets its own.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/logdive-check.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/config" "$scratch/cache" "$scratch/state"
XDG_CONFIG_HOME=$scratch/config XDG_CACHE_HOME=$scratch/cache XDG_STATE_HOME=$scratch/state
export XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME
logs="$builddir/tests/logs"
mkdir -p "$logs"
passed=0 failed=0
run_suite() {
	name=$1; shift
	log="$logs/$name.log"
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# a crash or a failure outside an assertion counts as one failure
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -eq 0 ]; then
		printf 'PASS %-22s %4d\n' "$name" "$p"
	else
		printf 'FAIL %-22s %4d passed, %d failed (see %s)\n' "$name" "$p" "$f" "$log"
		grep -A3 '^not ok' "$log" | head -40 | sed 's/^/    /'
	fi
}
for t in "$@"; do
	run_suite "$(basename "$t")" "$builddir/$t"
done
for s in "$srcdir"/tests/*.sh; do
	case $(basename "$s") in run.sh) continue ;; esac
	[ -f "$s" ] || continue
	run_suite "$(basename "$s" .sh)" sh "$s"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
