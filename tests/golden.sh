#!/bin/sh
# Golden tests (TAP): every figure of `logdive panels -f json`, the trace of
# a correlation id and the records of a query, on incident logs made by
# tests/gen-logs.py, equal the figures the generator computed in Python
# (tests/check-truth.py compares). Also: a .gz source, two files merged by
# time, and a second (indexed) open of the same file.
#
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"
GEN=$srcdir/tests/gen-logs.py
CHECK=$srcdir/tests/check-truth.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-golden.XXXXXX") || {
	echo "not ok 1 - mktemp -d failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# Keep the index, state and config of this run out of the user's.
XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
export XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME
unset LOGDIVE_NOW

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); echo "not ok $n - $1"
	[ -n "$2" ] && [ -s "$2" ] && head -5 "$2" | sed 's/^/#   /'
	return 0
}
# check ARGS...: run check-truth.py, which prints TAP lines from $n+1.
check() {
	"$PYTHON3" "$CHECK" --tap-start $((n + 1)) "$@" >"$tmp/check.tap" 2>&1
	cat "$tmp/check.tap"
	n=$((n + $(grep -c -E '^(not )?ok ' "$tmp/check.tap")))
	if ! grep -q -E '^(not )?ok ' "$tmp/check.tap"; then
		not_ok "check-truth.py $1 ran" "$tmp/check.tap"
	fi
}
# ld NAME ARGS...: run logdive, stdout to $tmp/NAME.out; a TAP line for
# its exit status (0 wanted). Returns 0 when it exited 0.
ld() {
	name=$1; shift
	"$LOGDIVE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	st=$?
	if [ "$st" -eq 0 ]; then
		ok "logdive $* (exit 0)"
		return 0
	fi
	if [ "$st" -ge 128 ]; then
		not_ok "logdive $* crashed: exit status $st" "$tmp/$name.err"
	else
		not_ok "logdive $* exit status $st, want 0" "$tmp/$name.err"
	fi
	return 1
}
truth_get() {	# truth_get FILE PYTHON-EXPRESSION-OVER-t
	"$PYTHON3" -c 'import json, sys; t = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

data=$tmp/incident.jsonl
truth=$tmp/truth.json
if "$PYTHON3" "$GEN" --requests 20000 --seed 11 --dirty 0.01 \
	--out "$data" --truth "$truth" 2>"$tmp/gen.err"; then
	ok "gen-logs.py: 20,000 requests and their truth"
else
	not_ok "gen-logs.py failed" "$tmp/gen.err"
	echo "1..$n"
	exit 1
fi
if [ ! -x "$LOGDIVE" ]; then
	not_ok "no logdive binary at $LOGDIVE"
	echo "1..$n"
	exit 1
fi

# The analyzer (truth from a file, used for the split files below) agrees
# with the generator's truth on the same data.
"$PYTHON3" "$GEN" --analyze "$data" --truth "$tmp/analyzed.json" 2>"$tmp/an.err" ||
	not_ok "gen-logs.py --analyze" "$tmp/an.err"
check same "$truth" "$tmp/analyzed.json"

# Whole data, 1 h buckets, by serving_variant; then again from the index.
ld p1h panels -f json -b 1h "$data" &&
	check --label "1h" panels "$truth" all_variant "$tmp/p1h.out"
ld p1h-warm panels -f json -b 1h "$data" &&
	check --label "1h, second open" panels "$truth" all_variant "$tmp/p1h-warm.out"
# By model_version.
ld pver panels -f json -b 1h -g model_metadata.model_version "$data" &&
	check --label "1h by model_version" panels "$truth" all_version "$tmp/pver.out"
# The incident window, 1 m buckets.
window=$(truth_get "$truth" 't["incident"]["range"]')
ld pinc panels -f json -b 1m -t "$window" "$data" &&
	check --label "incident 1m" panels --no-records "$truth" incident_variant "$tmp/pinc.out"

# Traces: a canary request that failed with CUDA OOM, and a normal one.
for kind in canary_error normal; do
	id=$(truth_get "$truth" "[k for k, v in t['traces'].items() if v['kind'] == '$kind'][0]")
	ld "trace-$kind" trace "$id" -f json "$data" &&
		check trace "$truth" "$id" "$tmp/trace-$kind.out"
done

# The slow canary requests, as they are in the source.
ld req requests -f jsonl -q 'serving_variant:canary and latency_ms >= 500' "$data" &&
	check requests "$tmp/req.out" "$data" --truth "$truth"

# A .gz source gives the same panels.
if gzip -c "$data" >"$data.gz"; then
	ld pgz panels -f json -b 1h "$data.gz" &&
		check --label ".gz" panels "$truth" all_variant "$tmp/pgz.out"
else
	not_ok "gzip -c"
fi

# Two files merged by time: the lines split by parity. Invalid lines are
# attributed to the last record time before them in their own file, so the
# expected figures come from --analyze on the two files.
"$PYTHON3" -c '
import sys
src, a, b = sys.argv[1:]
with open(src, "rb") as f, open(a, "wb") as fa, open(b, "wb") as fb:
    for i, line in enumerate(f):
        (fa if i % 2 == 0 else fb).write(line)
' "$data" "$tmp/odd.jsonl" "$tmp/even.jsonl" &&
"$PYTHON3" "$GEN" --analyze "$tmp/odd.jsonl" "$tmp/even.jsonl" \
	--truth "$tmp/split.json" 2>"$tmp/an2.err" || not_ok "split and analyze" "$tmp/an2.err"
ld psplit panels -f json -b 1h "$tmp/odd.jsonl" "$tmp/even.jsonl" &&
	check --label "two files" panels "$tmp/split.json" all_variant "$tmp/psplit.out"
id=$(truth_get "$truth" "[k for k, v in t['traces'].items() if v['kind'] == 'canary_slow'][0]")
ld trace-split trace "$id" -f json "$tmp/odd.jsonl" "$tmp/even.jsonl" &&
	check --label "two files" trace "$truth" "$id" "$tmp/trace-split.out"

# A tiny fixed file whose figures were worked out by hand
# (tests/data/tiny-truth.json): two 1 h buckets; line by line:
#  1 prod 01:10 lat 10, conf [0.9,0.7] (0.8), hit, drift 0.1
#  2 prod 01:20 lat 20, conf 0.5 (a number), miss, drift 0.3, level "error"
#  3 canary 01:30 lat 30.5, conf [0.2], cache_hit "yes" (bad_type), ERROR
#  4 cut JSON (invalid, attributed to 01:30)
#  5 canary 02:05 lat "40ms" (bad_type), conf 0.6, hit, drift 0.5
#  6 prod 02:15 naive time, lat 40, hit
#  7 prod 03:30+01:00 = 02:30Z, lat 50, level "Error"
#  8 prod @timestamp epoch ms = 02:30Z, lat 6e1
#  9 flat key "model_metadata.serving_variant": canary 02:40, lat 70,
#    "log.level": ERROR
# 10 no time (no_time; attributed to 02:40), lat 1000 not counted
# 11 empty line (not counted)   12 [1,2] (invalid, attributed to 02:40)
# prod [10,20,40,50,60]: p50 40, p95 50+.8*10 = 58, p99 59.6;
# canary [30.5,70]: p50 50.25, p95 68.025, p99 69.605.
tiny=$srcdir/tests/data/tiny.jsonl
ld tiny panels -f json -b 1h "$tiny" &&
	check --label "tiny, by hand" panels "$srcdir/tests/data/tiny-truth.json" all_variant \
		"$tmp/tiny.out"
"$PYTHON3" "$GEN" --analyze "$tiny" --truth "$tmp/tiny-an.json" 2>"$tmp/an3.err" ||
	not_ok "gen-logs.py --analyze tiny.jsonl" "$tmp/an3.err"
check --label "tiny, gen-logs.py --analyze" panels "$srcdir/tests/data/tiny-truth.json" \
	all_variant "$tmp/tiny-an.json"

# The shipped sample is what its documented command line (top of
# tests/gen-logs.py) makes, and logdive reads it right.
sample=$srcdir/share/samples/incident.jsonl.gz
if "$PYTHON3" "$GEN" --requests 7000 --seed 7 \
	--start 2026-02-26T22:00:00Z --hours 6 \
	--incident-at 2026-02-27T03:00:00Z --incident-minutes 40 \
	--dirty 0.01 --long-line 200000 \
	--gzip --out "$tmp/sample.jsonl.gz" --truth "$tmp/sample.json" 2>"$tmp/gen.err" &&
	"$PYTHON3" -c '
import gzip, sys
sys.exit(gzip.open(sys.argv[1]).read() != gzip.open(sys.argv[2]).read())
' "$sample" "$tmp/sample.jsonl.gz" 2>"$tmp/cmp.err"; then
	ok "share/samples/incident.jsonl.gz is reproduced by its command line"
else
	not_ok "share/samples/incident.jsonl.gz differs from what its command line makes" \
		"$tmp/cmp.err"
fi
ld psample panels -f json -b 1h "$sample" &&
	check --label "sample" panels "$tmp/sample.json" all_variant "$tmp/psample.out"

echo "1..$n"
