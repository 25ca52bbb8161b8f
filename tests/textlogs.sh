#!/bin/sh
# Text logs (issue 7, section 5) (TAP): tests/gen-logs.py --text-formats
# writes a small incident in every shipped text format and, beside each
# FORMAT.log, its twin FORMAT.jsonl (the same records as JSON, with exactly
# the fields the text carries). For each format:
#   - `logdive panels -f json` on the text equals the same command on the
#     twin, in every view of the manifest (the whole data by variant and by
#     version, the incident window by the minute): range, records counters,
#     latency groups and p50/p95/p99, confidence, cache hit rate, errors,
#     drift (tests/check-truth.py equal: numbers to 1e-9);
#   - the format is detected (no --log-format) as --log-format NAME reads it;
#   - `logdive requests -q QUERY` finds as many records in the text as in
#     the twin.
# Then: a trace joins the requestID of TorchServe metric lines with the
# request_id of the JSON records; files of several formats given together
# merge by time and equal their twins together; bad lines (a line that
# matches no pattern is an "unparsed" record, in the bucket of the line
# before; a timestamp the layout cannot read is no_time; an indented line
# after a Python record joins it); --tz; `logdive formats` and `formats
# test`; RFC 3164's year from the file's mtime, across a Dec -> Jan rollover.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-textlogs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$srcdir/tests/lib/common.sh"
gen="$srcdir/tests/gen-logs.py"
ct="$srcdir/tests/check-truth.py"
d=$tmp/gen

FORMATS="torchserve-log torchserve-metrics torchserve-access python-logging python-iso
python-latency-csv syslog-5424 syslog-3164 logfmt"

# mf KEY...: a value of the manifest (a list: one item per line; an object
# of argv lists: "NAME ARG ARG..." per line)
mf() {
	"$PYTHON3" -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[k]
if isinstance(v, dict):
    for k, a in v.items():
        print(k, *a) if isinstance(a, list) else print(k, a)
elif isinstance(v, list):
    print("\n".join(map(str, v)))
else:
    print(v)' "$d/manifest.json" "$@"
}

# panels OUT ARGS...: logdive panels -f json ARGS > OUT (stderr in OUT.err)
panels() { _o=$1; shift; "$LOGDIVE" panels -f json "$@" >"$_o" 2>"$_o.err" </dev/null; }

# same NAME A.json B.json [check-truth equal options]: A's panels = B's
same() {
	_name=$1
	shift
	"$PYTHON3" "$ct" equal "$@" >"$tmp/eq.out" 2>&1
	_rc=$?
	if [ $_rc -eq 0 ]; then
		ok "$_name"
	else
		{ grep -v '^ok ' "$tmp/eq.out"; for _f in "$1.err" "$2.err"; do
			[ -s "$_f" ] && sed "s|^|$(basename "$_f"): |" "$_f"; done; } >"$tmp/eq.fail"
		not_ok "$_name" "$tmp/eq.fail"
	fi
}

# jget FILE EXPR: a Python expression over the JSON document j in FILE
jget() {
	"$PYTHON3" -c '
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    print(eval(sys.argv[2]))
except Exception as e:
    print("ERROR %s" % e)' "$1" "$2"
}

# ---- the data: a small incident in every format
"$PYTHON3" "$gen" --requests 2500 --seed 11 --start 2026-02-27T00:00:00Z --hours 6 \
    --incident-at 2026-02-27T03:00:00Z --incident-minutes 40 --dirty 0 --long-line 0 \
    --text-formats "$d" >"$tmp/gen.out" 2>&1
check $? "gen-logs.py --text-formats writes every format, its twin and the manifest" "$tmp/gen.out"
missing=
for f in $FORMATS; do
	[ -s "$d/$f.log" ] && [ -s "$d/$f.jsonl" ] || missing="$missing $f"
done
[ -z "$missing" ] && [ -s "$d/manifest.json" ]
check $? "generated: $(echo $FORMATS | wc -w) formats${missing:+ (missing:$missing)}"

# The generator: the JSON lines are those of a run without --text-formats,
# and a second run writes the same bytes.
"$PYTHON3" "$gen" --requests 2500 --seed 11 --start 2026-02-27T00:00:00Z --hours 6 \
    --incident-at 2026-02-27T03:00:00Z --incident-minutes 40 --dirty 0 --long-line 0 \
    >"$tmp/plain.jsonl" 2>/dev/null
cmp -s "$tmp/plain.jsonl" "$d/incident.jsonl"
check $? "the JSON lines are unchanged by --text-formats"
"$PYTHON3" "$gen" --requests 2500 --seed 11 --start 2026-02-27T00:00:00Z --hours 6 \
    --incident-at 2026-02-27T03:00:00Z --incident-minutes 40 --dirty 0 --long-line 0 \
    --text-formats "$tmp/again" --formats torchserve-log,logfmt,syslog-3164 >/dev/null 2>&1 &&
    cmp -s "$d/torchserve-log.log" "$tmp/again/torchserve-log.log" &&
    cmp -s "$d/logfmt.jsonl" "$tmp/again/logfmt.jsonl" &&
    cmp -s "$d/syslog-3164.log" "$tmp/again/syslog-3164.log"
check $? "the text formats are deterministic (and do not depend on --formats)"
rm -rf "$tmp/again"

# ---- logdive formats
"$LOGDIVE" formats >"$tmp/formats.out" 2>&1
rc=$?
miss=
for f in $FORMATS; do grep -q "^$f\\b" "$tmp/formats.out" || grep -qw -- "$f" "$tmp/formats.out" ||
	miss="$miss $f"; done
[ $rc -eq 0 ] && [ -z "$miss" ]
check $? "logdive formats lists the nine shipped formats${miss:+ (missing:$miss)}" "$tmp/formats.out"
"$LOGDIVE" formats test torchserve-metrics "$d/torchserve-metrics.log" >"$tmp/ftest.out" 2>&1 &&
    grep -q PredictionTime "$tmp/ftest.out"
check $? "logdive formats test torchserve-metrics FILE shows the parsed fields" "$tmp/ftest.out"

# ---- each format: panels equal its twin's, detection, drill-down
for f in $FORMATS; do
	mf formats "$f" views >"$tmp/views" 2>/dev/null
	while read -r view args; do
		# shellcheck disable=SC2086
		panels "$tmp/$f.$view.text.json" $args "$d/$f.log"
		# shellcheck disable=SC2086
		panels "$tmp/$f.$view.twin.json" $args "$d/$f.jsonl"
		same "$f: panels $view ($args) = the twin's" \
		    "$tmp/$f.$view.text.json" "$tmp/$f.$view.twin.json"
	done <"$tmp/views"
	panels "$tmp/$f.forced.json" -b 1h --log-format "$f" "$d/$f.log"
	same "$f: detected without --log-format as --log-format $f reads it" \
	    "$tmp/$f.all_variant.text.json" "$tmp/$f.forced.json"
	q=$(mf formats "$f" query)
	a=$("$LOGDIVE" requests -f json -q "$q" "$d/$f.log" 2>"$tmp/rq.err" | jget /dev/stdin 'j["total"]')
	b=$("$LOGDIVE" requests -f json -q "$q" "$d/$f.jsonl" 2>>"$tmp/rq.err" | jget /dev/stdin 'j["total"]')
	[ "$a" = "$b" ] && [ "$a" -gt 0 ] 2>/dev/null
	check $? "$f: requests -q '$q': $a records, the twin $b" "$tmp/rq.err"
done

# the twins tell the same story as the JSON file: logfmt carries every record
panels "$tmp/full.json" -b 1h "$d/incident.jsonl"
same "logfmt twin = the full JSON file (generator sanity)" "$tmp/logfmt.all_variant.twin.json" \
    "$tmp/full.json"

# ---- a trace across a text file and a JSON file
rid=$(mf trace request_id)
want=$("$PYTHON3" -c '
import sys
rid = sys.argv[1]
n = sum(1 for l in open(sys.argv[2]) if ("requestID:%s," % rid) in l)
m = sum(1 for l in open(sys.argv[3]) if ("\"request_id\":\"%s\"" % rid) in l)
print(n, m)' "$rid" "$d/torchserve-metrics.log" "$d/incident.jsonl")
set -- $want
"$LOGDIVE" trace -f json "$rid" "$d/torchserve-metrics.log" "$d/incident.jsonl" \
    >"$tmp/trace.json" 2>"$tmp/trace.err"
got=$(jget "$tmp/trace.json" 'len(j["records"])')
[ "$got" = "$(($1 + $2))" ]
check $? "trace $rid: the $1 metric lines with its requestID and the $2 JSON records (got $got)" \
    "$tmp/trace.err"
"$PYTHON3" -c '
import json, sys
j = json.load(open(sys.argv[1]))
raw = json.dumps(j["records"])
sys.exit(0 if "PredictionTime" in raw and "inference_complete" in raw else 1)' \
    "$tmp/trace.json" 2>/dev/null
check $? "trace: the PredictionTime line and the inference record are both in it"
"$LOGDIVE" trace -f csv "$rid" "$d/torchserve-metrics.log" "$d/incident.jsonl" 2>/dev/null |
    tail -n +2 | cut -d, -f1 >"$tmp/trace.times"
sort -c "$tmp/trace.times" 2>/dev/null && [ -s "$tmp/trace.times" ]
check $? "trace: time-ordered across the two files" "$tmp/trace.times"

# ---- several formats together merge by time
panels "$tmp/merged.text.json" -b 1h "$d/torchserve-metrics.log" "$d/syslog-5424.log" \
    "$d/python-iso.log" "$d/syslog-3164.log"
panels "$tmp/merged.twin.json" -b 1h "$d/torchserve-metrics.jsonl" "$d/syslog-5424.jsonl" \
    "$d/python-iso.jsonl" "$d/syslog-3164.jsonl"
same "four formats together: panels = their twins together" "$tmp/merged.text.json" \
    "$tmp/merged.twin.json"
"$LOGDIVE" requests -f csv -t 2026-02-27T03:00:00Z..2026-02-27T03:10:00Z \
    "$d/torchserve-access.log" "$d/python-logging.log" "$d/logfmt.log" 2>"$tmp/m.err" |
    tail -n +2 | cut -d, -f1 >"$tmp/merged.times"
n_rows=$(wc -l <"$tmp/merged.times")
n_want=$("$PYTHON3" -c '
import json, sys
n = 0
for p in sys.argv[1:]:
    for l in open(p):
        t = json.loads(l)["timestamp"]
        n += "2026-02-27T03:00:00" <= t[:19] < "2026-02-27T03:10:00"
print(n)' "$d/torchserve-access.jsonl" "$d/python-logging.jsonl" "$d/logfmt.jsonl")
sort -c "$tmp/merged.times" 2>/dev/null && [ "$n_rows" -eq "$n_want" ]
check $? "three formats together: requests in time order ($n_rows rows, twins $n_want)" "$tmp/m.err"

# ---- --tz: zone-less text times
panels "$tmp/tz-none.json" -b 1h "$d/torchserve-access.log"
panels "$tmp/tz-utc.json" -b 1h --tz UTC "$d/torchserve-access.log"
panels "$tmp/tz-2.json" -b 1h --tz +02:00 "$d/torchserve-access.log"
r=$("$PYTHON3" -c '
import json, sys
a, u, b = (json.load(open(p)) for p in sys.argv[1:4])
print(a["records"]["naive_time"] == a["records"]["total"] > 0,
      u["records"]["naive_time"] == 0,
      u["range"] == a["range"] and u["latency"] == a["latency"],
      b["range"]["start"][:13], a["range"]["start"][:13])' \
    "$tmp/tz-none.json" "$tmp/tz-utc.json" "$tmp/tz-2.json" 2>&1)
case $r in "True True True 2026-02-26T22 2026-02-27T00") ok "--tz: zone-less log4j times are naive; --tz UTC: not naive, same figures; --tz +02:00: 2 h earlier" ;;
*) echo "$r" >"$tmp/tz.out"; cat "$tmp/tz-utc.json.err" "$tmp/tz-2.json.err" >>"$tmp/tz.out"
   not_ok "--tz: naive counts, UTC, +02:00 ($(echo "$r" | tail -n 1))" "$tmp/tz.out" ;; esac

# ---- bad lines
# Formats whose lines are one record each: a line that matches no pattern
# (an "unparsed" record; in the twin an invalid JSON line) and a timestamp
# the layout cannot read (no_time on both sides), inserted into the first
# 300 lines; panels then equal the twin's with unparsed = invalid_json.
"$PYTHON3" - "$d" "$tmp/bad" <<'EOF'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
# format: (a garbage line, how line 120's time is made unreadable: "hour"
# 2026-02-27T03:... -> 2026-02-27T27:..., "day" 2026-02-27 -> 2026-02-30)
BAD = {
    "torchserve-metrics": ("!!! not a metric line", "hour"),
    "torchserve-access": ("Connection reset by peer", "hour"),
    "syslog-5424": ("<13>this is not RFC 5424", "day"),
    "python-latency-csv": ("1772161200.123; 87.0", None),
}
for f, (garbage, spoil) in BAD.items():
    text = open(os.path.join(src, f + ".log")).read().splitlines()[:300]
    twin = open(os.path.join(src, f + ".jsonl")).read().splitlines()[:300]
    if spoil:
        o = json.loads(twin[120])
        if spoil == "hour":
            i = text[120].index("T")
            text[120] = text[120][:i + 1] + "27" + text[120][i + 3:]
            o["timestamp"] = o["timestamp"][:11] + "27" + o["timestamp"][13:]
        else:
            text[120] = text[120].replace("2026-02-27T", "2026-02-30T", 1)
            o["timestamp"] = o["timestamp"].replace("2026-02-27T", "2026-02-30T", 1)
        twin[120] = json.dumps(o, separators=(",", ":"))
    text.insert(200, garbage)
    twin.insert(200, garbage)
    with open(os.path.join(dst, f + ".log"), "w") as w:
        w.write("\n".join(text) + "\n")
    with open(os.path.join(dst, f + ".jsonl"), "w") as w:
        w.write("\n".join(twin) + "\n")
EOF
for f in torchserve-metrics torchserve-access syslog-5424 python-latency-csv; do
	panels "$tmp/bad.$f.text.json" -b 1m "$tmp/bad/$f.log"
	panels "$tmp/bad.$f.twin.json" -b 1m "$tmp/bad/$f.jsonl"
	case $f in python-latency-csv) nt=0 ;; *) nt=1 ;; esac
	r=$(jget "$tmp/bad.$f.text.json" \
	    '"%s %s %s" % (j["records"]["total"], j["records"].get("unparsed"), j["records"]["no_time"])')
	[ "$r" = "301 1 $nt" ]
	check $? "$f bad lines: records total 301, unparsed 1, no_time $nt (got $r)" \
	    "$tmp/bad.$f.text.json.err"
	"$PYTHON3" -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ra, rb = a["records"], b["records"]
ok = ra.get("unparsed") == rb.get("invalid_json") == 1
sys.exit(0 if ok else 1)' "$tmp/bad.$f.text.json" "$tmp/bad.$f.twin.json" 2>/dev/null
	check $? "$f bad lines: unparsed in the text = invalid_json in the twin"
	same "$f bad lines: every panel (the unparsed line in the bucket of the line before) = the twin's" \
	    "$tmp/bad.$f.text.json" "$tmp/bad.$f.twin.json" --records-ignore unparsed,invalid_json
done

# Python logging: a traceback and an indented line join the record above;
# a line that is neither a record nor a continuation is unparsed.
cat >"$tmp/bad/py.log" <<'EOF'
2026-02-27 03:00:00,100 - recommendation - INFO - event_type=inference_complete inference_metrics.latency_ms=80.5 input_features.cache_hit=True
2026-02-27 03:00:01,200 - recommendation - ERROR - event_type=inference_error inference_metrics.latency_ms=240.0 error.message="CUDA out of memory"
Traceback (most recent call last):
  File "/srv/handler.py", line 88, in handle
    scores = self.model(batch)
torch.cuda.OutOfMemoryError: CUDA out of memory
2026-02-27 03:00:02,300 - recommendation - INFO - event_type=inference_complete inference_metrics.latency_ms=90.0 input_features.cache_hit=False
    an indented line after a record
@@@ this line matches nothing
2026-02-27 03:00:03,400 - recommendation - WARNING - event_type=inference_complete inference_metrics.latency_ms=100.0
2026-02-30 03:00:04,500 - recommendation - INFO - event_type=inference_complete inference_metrics.latency_ms=110.0
EOF
panels "$tmp/py.json" -b 1m "$tmp/bad/py.log"
r=$(jget "$tmp/py.json" '"%s %s %s %s %s" % (j["records"]["total"], j["records"].get("unparsed"),
    j["records"]["no_time"], sum(g["count"] for g in j["latency"]["groups"]),
    sum(p["errors"] for p in j["errors"]["points"]))')
[ "$r" = "6 1 1 4 1" ]
check $? "python-logging: traceback and indented line joined, 1 unparsed, 1 no_time, 4 latencies, 1 error (got $r)" \
    "$tmp/py.json.err"
"$LOGDIVE" requests -f jsonl -q '/OutOfMemoryError/' "$tmp/bad/py.log" >"$tmp/py-err.out" 2>&1
grep -q 'event_type=inference_error' "$tmp/py-err.out" &&
    grep -q 'scores = self.model(batch)' "$tmp/py-err.out" &&
    [ "$(grep -c 'event_type=' "$tmp/py-err.out")" -eq 1 ]
check $? "python-logging: the ERROR record holds its traceback (one record, all its lines)" \
    "$tmp/py-err.out"

# torchserve-log: the traceback lines of an error record are one record with it
n_err=$(grep -c '"event_type":"inference_error"' "$d/torchserve-log.log")
r=$(jget "$tmp/torchserve-log.all_variant.text.json" \
    '"%s %s" % (j["records"]["total"], sum(p["errors"] for p in j["errors"]["points"]))')
want=$(printf '%s %s' "$(wc -l <"$d/torchserve-log.jsonl")" "$n_err")
[ "$r" = "$want" ]
check $? "torchserve-log: tracebacks joined: records = twin records, errors = $n_err (got $r, want $want)"

# ---- RFC 3164: the year from the file's mtime, across Dec -> Jan
"$PYTHON3" "$gen" --requests 300 --seed 5 --start 2026-12-31T22:30:00Z --hours 3 \
    --incident-at 2027-01-01T00:00:00Z --incident-minutes 10 --dirty 0 --long-line 0 \
    --text-formats "$tmp/roll" --formats syslog-3164 --out /dev/null >/dev/null 2>&1
grep -q '^Dec 31 ' "$tmp/roll/syslog-3164.log" && grep -q '^Jan  1 ' "$tmp/roll/syslog-3164.log"
check $? "rollover data: Dec 31 and Jan  1 lines"
for when in "2027-01-01 02:00:00 UTC" "2027-06-15 12:00:00 UTC"; do
	touch -d "$when" "$tmp/roll/syslog-3164.log"
	panels "$tmp/roll.text.json" -b 1h "$tmp/roll/syslog-3164.log"
	panels "$tmp/roll.twin.json" -b 1h "$tmp/roll/syslog-3164.jsonl"
	same "syslog-3164, mtime $when: Dec lines in 2026, Jan lines in 2027 (= the twin)" \
	    "$tmp/roll.text.json" "$tmp/roll.twin.json"
	grep -q 'year inferred' "$tmp/roll.text.json.err"
	check $? "syslog-3164, mtime $when: the inferred year is said (stderr)" "$tmp/roll.text.json.err"
	rm -rf "$XDG_CACHE_HOME/logdive"
done

echo "1..$n"
