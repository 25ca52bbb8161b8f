#!/bin/sh
# `make check-valgrind` (in tests/lib/: not a suite of tests/run.sh): the
# unit tests and the headless shell suites under valgrind memcheck (logdive
# only: the Python fake servers and the shell tools run as they are). Ends
# with "N passed, N failed", like tests/run.sh; a failure is a failed TAP
# assertion, a suite that exits non-zero, or a valgrind log with a memcheck
# error or a definite/indirect leak (the log is shown). Logs in
# tests/logs/valgrind/ of the build tree.
# Arguments: the unit-test programs. Environment: LOGDIVE (the real
# binary), srcdir, builddir, PYTHON3; VALGRIND_SUITES (names of
# tests/*.sh, without .sh) replaces the default list; VALGRIND_JOBS (2)
# suites run at once.
#
# Left out: tui, tui-presets, remote-tui, signals, follow (tmux: a
# dashboard on a terminal, screen waits too short under valgrind, killed
# rather than quit); layering (no logdive); fake-es-selftest,
# fake-loki-selftest (the Python fakes only). Left out for time (CI's
# budget) but clean when run with VALGRIND_SUITES: presets (112 logdive
# runs, about 5 minutes of CPU under memcheck; its loaders run in
# t_preset) and textlogs (98 runs, about 5 minutes; the text formats run in
# t_textfmt and formats). Not run under valgrind yet: index (dozens of
# index-building runs; golden and badinput build indexes too). The tmux
# dashboards of formats run logdive without valgrind
# (tests/lib/valgrind-wrap.sh does not wrap a terminal).
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${VALGRIND_SUITES:=golden badinput cli formats es loki}"
: "${VALGRIND_JOBS:=2}"
logs="$builddir/tests/logs/valgrind"

# vg_errors DIR: the number of valgrind logs in DIR with a memcheck error
# or a definite/indirect leak, listed in DIR/bad; clean logs are removed.
# (A log without a summary is a child that exec'd, e.g. system(): no run.)
vg_errors() {
	: >"$1/bad"
	for _l in "$1"/*.log; do
		[ -f "$_l" ] || continue
		if grep -q 'ERROR SUMMARY: [1-9]' "$_l"; then
			echo "$_l" >>"$1/bad"
		else
			rm -f "$_l"
		fi
	done
	grep -c . "$1/bad"
}

# vg_show LOG: the command and the errors of a valgrind log, indented
vg_show() {
	sed -n 's/^==[0-9]*== //p' "$1" | awk '
		/^Command:/ { print; next }
		/^Parent PID:/ { on = 1; next }
		/^(HEAP|LEAK) SUMMARY:/ { skip = 1 }
		/^ERROR SUMMARY:/ { print; exit }
		/^For lists of|^Use --track-origins/ { next }
		on && !skip { print }
		/^$/ { skip = 0 }' | head -80 | sed 's/^/      /'
}

vg_unit() {
	valgrind --tool=memcheck --leak-check=full \
	    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=99 --track-fds=no --num-callers=30 \
	    --suppressions="$srcdir/tests/valgrind.supp" \
	    --log-file="$LOGDIVE_VG_LOGDIR/unit.%p.log" "$@"
}

# run_one NAME CMD...: one suite; its report in $logs/NAME.result, its
# counts ("passed failed") in $logs/NAME.count
run_one() {
	name=$1; shift
	dir="$logs/$name"
	mkdir -p "$dir" "$scratch/$name/config" "$scratch/$name/cache" "$scratch/$name/state"
	XDG_CONFIG_HOME=$scratch/$name/config XDG_CACHE_HOME=$scratch/$name/cache
	XDG_STATE_HOME=$scratch/$name/state LOGDIVE_VG_LOGDIR=$dir
	export XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME LOGDIVE_VG_LOGDIR
	log="$logs/$name.log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	times >"$logs/$name.times"	# the children's user and system time: line 2
	cpu=$(awk 'NR == 2 { gsub(/[ms]/, " "); print int($1 * 60 + $2 + $3 * 60 + $4) }' \
	    "$logs/$name.times")
	rm -f "$logs/$name.times"
	runs=$(grep -l 'ERROR SUMMARY' "$dir"/*.log 2>/dev/null | grep -c .)
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	v=$(vg_errors "$dir")
	f=$((f + v))
	echo "$p $f" >"$logs/$name.count"
	{
	if [ "$f" -eq 0 ]; then
		printf 'PASS %-22s %4d  (%d under valgrind, %ds, %ds CPU)\n' "$name" "$p" "$runs" \
		    "$secs" "$cpu"
		rm -f "$dir/bad"; rmdir "$dir" 2>/dev/null
	else
		printf 'FAIL %-22s %4d passed, %d failed, %d under valgrind, %ds (see %s)\n' \
		    "$name" "$p" "$f" "$runs" "$secs" "$log"
		grep -A3 '^not ok' "$log" | head -40 | sed 's/^/    /'
		head -3 "$dir/bad" | while read -r _l; do
			echo "    valgrind: $_l"
			vg_show "$_l"
		done
		[ "$v" -le 3 ] || echo "    ... and $((v - 3)) more valgrind logs in $dir"
	fi
	} >"$logs/$name.result"
}

# internal: xargs runs one item (unit:PROGRAM or suite:NAME) per call
if [ "${1:-}" = --one ]; then
	case $2 in
	unit:*) t=${2#unit:}; run_one "$(basename "$t")" vg_unit "$builddir/$t" ;;
	suite:*) s=${2#suite:}; run_one "$s" sh "$srcdir/tests/$s.sh" ;;
	esac
	exit 0
fi

if ! command -v valgrind >/dev/null 2>&1; then
	echo "check-valgrind: valgrind not found (apt-get install valgrind)" >&2
	exit 2
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/logdive-vg.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
LOGDIVE_VG_REAL=$(cd "$(dirname "$LOGDIVE")" && pwd)/$(basename "$LOGDIVE")
LOGDIVE=$srcdir/tests/lib/valgrind-wrap.sh
case $LOGDIVE in /*) ;; *) LOGDIVE=$(pwd)/$LOGDIVE ;; esac
export LOGDIVE LOGDIVE_VG_REAL srcdir builddir PYTHON3 scratch logs
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0
items=
for s in $VALGRIND_SUITES; do
	if [ -f "$srcdir/tests/$s.sh" ]; then
		items="$items suite:$s"
	else
		echo "FAIL $s: no tests/$s.sh"; failed=$((failed + 1))
	fi
done
for t in "$@"; do items="$items unit:$t"; done
# the long suites first, so that the lanes end together
printf '%s\n' $items | xargs -P "$VALGRIND_JOBS" -n 1 sh "$0" --one
for t in "$@"; do names="${names:-} $(basename "$t")"; done
for s in $VALGRIND_SUITES; do [ -f "$srcdir/tests/$s.sh" ] && names="$names $s"; done
for name in $names; do
	if [ -f "$logs/$name.count" ]; then
		cat "$logs/$name.result"
		read -r p f <"$logs/$name.count"
	else
		echo "FAIL $name: did not run"; p=0 f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
