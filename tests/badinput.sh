#!/bin/sh
# Bad-input tests (TAP): each kind of bad input of DESIGN §2 is counted in
# the right `records` counter of `logdive panels -f json`, never fatal,
# never a crash. The files are made at test time by
# `tests/gen-logs.py --bad-input DIR` (which also writes DIR/expect.json:
# the counters, latency and confidence counts, and exit status of each).
#
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"
GEN=$srcdir/tests/gen-logs.py
CHECK=$srcdir/tests/check-truth.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-bad.XXXXXX") || {
	echo "not ok 1 - mktemp -d failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
export XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); echo "not ok $n - $1"
	[ -n "$2" ] && [ -s "$2" ] && head -5 "$2" | cut -c1-200 | sed 's/^/#   /'
	return 0
}
check() {
	"$PYTHON3" "$CHECK" --tap-start $((n + 1)) "$@" >"$tmp/check.tap" 2>&1
	cat "$tmp/check.tap"
	n=$((n + $(grep -c -E '^(not )?ok ' "$tmp/check.tap")))
	grep -q -E '^(not )?ok ' "$tmp/check.tap" ||
		not_ok "check-truth.py $1 ran" "$tmp/check.tap"
}
# no_crash DESC CMD...: the command exits with a status below 128.
no_crash() {
	desc=$1; shift
	"$@" >"$tmp/nc.out" 2>"$tmp/nc.err"
	st=$?
	if [ "$st" -lt 128 ]; then
		ok "$desc: no crash (exit $st)"
	else
		not_ok "$desc: crashed, exit status $st" "$tmp/nc.err"
	fi
}

dir=$tmp/in
if "$PYTHON3" "$GEN" --bad-input "$dir" 2>"$tmp/gen.err"; then
	ok "gen-logs.py --bad-input"
else
	not_ok "gen-logs.py --bad-input failed" "$tmp/gen.err"
	echo "1..$n"
	exit 1
fi
if [ ! -x "$LOGDIVE" ]; then
	not_ok "no logdive binary at $LOGDIVE"
	echo "1..$n"
	exit 1
fi

names=$("$PYTHON3" -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' \
	"$dir/expect.json")
for name in $names; do
	f=$dir/$name
	"$LOGDIVE" panels -f json "$f" >"$tmp/out.json" 2>"$tmp/err"
	st=$?
	check badinput "$dir/expect.json" "$name" "$st" "$tmp/out.json"
	if [ "$st" -ge 2 ] && [ "$st" -lt 128 ]; then
		echo "# $name: stderr: $(head -1 "$tmp/err" | cut -c1-200)"
	fi
	no_crash "$name: requests -f jsonl" "$LOGDIVE" requests -f jsonl "$f"
	no_crash "$name: trace" "$LOGDIVE" trace corr-bad-1 -f json "$f"
done

# The same file from stdin counts the same.
"$LOGDIVE" panels -f json - <"$dir/truncated.jsonl" >"$tmp/out.json" 2>"$tmp/err"
st=$?
check --label "stdin" badinput "$dir/expect.json" truncated.jsonl "$st" "$tmp/out.json"

# Several bad files at once: the counters add up.
"$PYTHON3" -c '
import json, sys
e = json.load(open(sys.argv[1]))
names = ["truncated.jsonl", "utf8-value.jsonl", "not-object.jsonl",
         "string-latency.jsonl", "no-time.jsonl", "naive-time.jsonl"]
tot = {}
for n in names:
    for k, v in e[n]["records"].items():
        tot[k] = tot.get(k, 0) + v
e["all"] = {"records": tot, "status": 0, "note": "six files at once",
            "latency_count": sum(e[n]["latency_count"] for n in names),
            "confidence_count": sum(e[n]["confidence_count"] for n in names)}
json.dump(e, open(sys.argv[2], "w"))
print(" ".join(names))
' "$dir/expect.json" "$tmp/expect-all.json" >"$tmp/names" || not_ok "expect-all"
set --
for name in $(cat "$tmp/names"); do set -- "$@" "$dir/$name"; done
"$LOGDIVE" panels -f json "$@" >"$tmp/out.json" 2>"$tmp/err"
st=$?
check badinput "$tmp/expect-all.json" all "$st" "$tmp/out.json"

# A cut .gz file, and a file that is not gzip but named .gz: no crash.
head -c 3000 "$srcdir/share/samples/incident.jsonl.gz" >"$tmp/cut.jsonl.gz"
no_crash "cut .gz file" "$LOGDIVE" panels -f json "$tmp/cut.jsonl.gz"
cp "$dir/random.bin" "$tmp/notgz.jsonl.gz"
no_crash "random bytes named .gz" "$LOGDIVE" panels -f json "$tmp/notgz.jsonl.gz"
# A source that does not exist: exit status 3 and one line on stderr.
"$LOGDIVE" panels -f json "$tmp/no-such-file.jsonl" >/dev/null 2>"$tmp/err"
st=$?
if [ "$st" -eq 3 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	ok "missing file: exit 3, one line on stderr"
else
	not_ok "missing file: exit $st (want 3), $(wc -l <"$tmp/err") stderr lines (want 1)" "$tmp/err"
fi

echo "1..$n"
