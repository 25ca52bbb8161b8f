#!/bin/sh
# Text log formats from the command line (TAP): logdive formats (list,
# JSON, user formats shadowing shipped ones, refused definitions),
# logdive formats test, detection per file, --log-format, --tz, bad lines
# (unparsed, no_time), multi-line records (tracebacks, TorchServe
# MODEL_LOG lines; across the parallel scan's regions and a grown file),
# the trace joining text and JSON records, the record view's JSON, and
# the index re-reading a file when its format changes.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-formats.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$srcdir/tests/lib/common.sh"
LOGDIVE_NOW=2026-02-27T04:00:00Z
export LOGDIVE_NOW
d=$tmp/d
mkdir -p "$d" "$XDG_CONFIG_HOME/logdive/formats"

# run STATUS NAME -- ARGS: logdive's status must be STATUS
run() {
	want=$1 name=$2
	shift 3
	"$LOGDIVE" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else
		echo "# status $got, want $want" >>"$tmp/err"
		not_ok "$name" "$tmp/err"
	fi
}
# json EXPR NAME: a Python expression over j (the JSON in $tmp/out)
json() {
	"$PYTHON3" -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/out" "$1" 2>>"$tmp/err"
	check $? "$2" "$tmp/out"
}

# ---- logdive formats ----
run 0 "formats lists the formats" -- formats
for f in json logfmt python-iso python-latency-csv python-logging syslog-3164 syslog-5424 \
    torchserve-access torchserve-log torchserve-metrics; do
	grep -q "^$f  *\(shipped\|builtin\) " "$tmp/out"
	check $? "formats lists $f"
done
run 0 "formats -f json" -- formats -f json
json 'len(j) == 9 and j[7]["name"] == "torchserve-log" and j[7]["origin"] == "shipped" and j[7]["patterns"] == ["log", "metrics"]' \
    "formats -f json: names, origins, patterns"

cat >"$XDG_CONFIG_HOME/logdive/formats/logfmt.json" <<'EOF'
{"logdive_format": 1, "name": "logfmt", "description": "my logfmt",
 "patterns": [{"name": "p", "regex": "^(?<when>\\d+) (?<msg>.*)$"}],
 "groups": {"when": {"type": "timestamp", "layout": "epoch", "role": "time"}},
 "samples": [{"line": "1772161200 hi", "fields": {"msg": "hi"}}]}
EOF
run 0 "a user format" -- formats
grep -q "^logfmt  *user  *my logfmt" "$tmp/out"
check $? "a user format shadows the shipped one of its name"

cat >"$XDG_CONFIG_HOME/logdive/formats/broken.json" <<'EOF'
{"logdive_format": 1, "name": "broken",
 "patterns": [{"name": "p", "regex": "^(?<n>\\d+) (?<level>\\w+)$"}],
 "samples": [{"line": "1 INFO", "fields": {"level": "WARN"}}]}
EOF
run 2 "formats: a refused format is exit 2" -- formats
grep -qF 'broken.json:3:14: samples[0]: line "1 INFO": pattern p (^(?<n>\d+) (?<level>\w+)$): field level: expected "WARN", got "INFO"' "$tmp/err"
check $? "formats: the refusal names the line, the pattern and what differed" "$tmp/err"
printf '1 INFO\n' >"$d/b.log"
run 2 "formats test on a refused format is exit 2" -- formats test broken "$d/b.log"
grep -qF 'expected "WARN", got "INFO"' "$tmp/err"
check $? "formats test: the refusal" "$tmp/err"
run 2 "--log-format on a refused format is exit 2" -- panels --log-format broken "$d/b.log"
grep -qF 'expected "WARN", got "INFO"' "$tmp/err"
check $? "--log-format: the refusal" "$tmp/err"
rm -f "$XDG_CONFIG_HOME/logdive/formats/broken.json" "$XDG_CONFIG_HOME/logdive/formats/logfmt.json"
run 2 "--log-format with an unknown name is exit 2" -- panels --log-format nope "$d/b.log"
grep -qF -- "--log-format nope: no such format; use one of json, logfmt, python-iso," "$tmp/err"
check $? "--log-format nope: the names" "$tmp/err"
run 2 "formats test with an unknown name is exit 2" -- formats test nope "$d/b.log"
grep -qF "no format named 'nope'" "$tmp/err"
check $? "formats test nope: says so" "$tmp/err"
run 2 "--tz with a bad zone is exit 2" -- panels --tz Nowhere/Land "$d/b.log"

# ---- TorchServe: model_log with JSON records and a traceback, metrics ----
cat >"$d/model_log.log" <<'EOF'
2026-02-27T03:00:00,123 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG - {"timestamp":"2026-02-27T03:00:00.120Z","request_id":"req-1","correlation_id":"corr-1","log_level":"ERROR","service":"recommendation-model-prod","inference_metrics":{"latency_ms":87.5},"model_metadata":{"serving_variant":"canary","model_version":"3.3.0"},"error":{"message":"CUDA out of memory"}}
2026-02-27T03:00:00,123 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG - Traceback (most recent call last):
2026-02-27T03:00:00,123 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG -   File "/h.py", line 8, in handle
2026-02-27T03:00:00,123 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG - torch.cuda.OutOfMemoryError: CUDA out of memory
2026-02-27T03:00:01,000 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG - {"timestamp":"2026-02-27T03:00:01.000Z","request_id":"req-2","correlation_id":"corr-2","log_level":"INFO","service":"recommendation-model-prod","inference_metrics":{"latency_ms":12.5},"model_metadata":{"serving_variant":"prod","model_version":"3.2.1"},"output":{"confidence_scores":[0.9,0.7]},"input_features":{"cache_hit":true}}
2026-02-27T03:00:01,000 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG - not joined: the record above is no error
this line is garbage
2026-02-27T03:00:02,000 [INFO ] main org.pytorch.serve.ModelServer - started
EOF
cat >"$d/model_metrics.log" <<'EOF'
2026-02-27T03:00:00,124 - PredictionTime.ms:87.0|#ModelName:recommendation,ModelVersion:3.3.0,Level:Model|#hostname:h1,requestID:req-1,timestamp:1772161200
2026-02-27T03:00:00,124 - HandlerTime.ms:80.0|#ModelName:recommendation,ModelVersion:3.3.0,Level:Model|#hostname:h1,requestID:req-1,timestamp:1772161200
2026-02-27T03:00:01,001 - PredictionTime.Milliseconds:12.0|#ModelName:recommendation,ModelVersion:3.2.1,Level:Model|#hostname:h1,requestID:req-2,timestamp:1772161201
2026-02-27T25:00:00,000 - Requests2XX.Count:1|#Level:Host|#hostname:h1,timestamp:1772161260
EOF
run 0 "panels on TorchServe text logs" -- panels -f json "$d/model_log.log" "$d/model_metrics.log"
json 'j["records"] == {"total": 9, "invalid_json": 0, "no_time": 1, "naive_time": 5, "bad_type": 0, "invalid_utf8": 0, "too_long": 0, "unparsed": 1}' \
    "records: the traceback joined, one unparsed line, one unreadable time"
json '[(g["key"], g["count"], g["p50"]) for g in j["latency"]["groups"]] == [("(none)", 2, 49.5), ("canary", 1, 87.5), ("prod", 1, 12.5)]' \
    "latency: JSON bodies by variant, PredictionTime lines (no variant); HandlerTime is no latency"
json 'sum(p["errors"] for p in j["errors"]["points"]) == 1 and sum(p["invalid"] for p in j["errors"]["points"]) == 2' \
    "errors: the JSON body's ERROR; unparsed and no_time are invalid"
run 0 "trace across text and JSON bodies" -- trace req-1 -f json "$d/model_log.log" "$d/model_metrics.log"
json 'len(j["records"]) == 3 and j["records"][0]["_format"] == "torchserve-log" and "torch.cuda.OutOfMemoryError" in j["records"][0]["_raw"] and j["records"][1]["PredictionTime"] == 87.0 and j["records"][2]["HandlerTime"] == 80.0' \
    "trace req-1: the error record (with its traceback) and its metric lines"
run 0 "a query on a body field and a regex on a continuation line" -- requests -f csv \
    -q 'serving_variant:canary and /OutOfMemoryError/' "$d/model_log.log" "$d/model_metrics.log"
[ "$(grep -c . "$tmp/out")" -eq 2 ] && grep -q "req-1" "$tmp/out"
check $? "requests: the record with the traceback matches" "$tmp/out"
run 0 "a query on a text field" -- requests -f csv -q 'PredictionTime >= 50' "$d/model_log.log" "$d/model_metrics.log"
[ "$(grep -c . "$tmp/out")" -eq 2 ]
check $? "requests: PredictionTime >= 50 (one line)" "$tmp/out"

run 0 "formats test" -- formats test torchserve-log "$d/model_log.log" -n 7
grep -q "^2: " "$tmp/out" && grep -q "same time and thread as the record above" "$tmp/out" &&
    grep -q 'roles: time=2026-02-27T03:00:00.120Z trace_id="corr-1" request_id="req-1"' "$tmp/out" &&
    grep -q "no pattern matches: kept as an unparsed record" "$tmp/out" &&
    ! grep -q "^8: " "$tmp/out"
check $? "formats test: patterns, joins, roles, unmatched lines, -n" "$tmp/out"

# ---- detection and --log-format ----
cat >"$d/py.log" <<'EOF'
2026-02-27 03:00:00,123 - rec - INFO - done request_id=req-3 inference_metrics.latency_ms=50 input_features.cache_hit=True output.confidence_scores=[0.5, 0.7]
2026-02-27 03:00:01,000 - rec - ERROR - failed request_id=req-4 inference_metrics.latency_ms=70.5 input_features.cache_hit=False
Traceback (most recent call last):
  File "/h.py", line 8, in handle
RuntimeError: CUDA out of memory
2026-02-27 03:00:02,000 - rec - WARNING - slow
EOF
run 0 "python logging detected" -- panels -f json "$d/py.log"
json 'j["records"]["total"] == 3 and j["records"]["unparsed"] == 0 and j["latency"]["groups"][0]["p50"] == 60.25 and sum(p["hits"] for p in j["cache_hit"]["points"]) == 1 and sum(p["total"] for p in j["cache_hit"]["points"]) == 2' \
    "python logging: key=value fields, True/False, the traceback joined"
run 1 "--log-format json on a text file (nothing with a time: exit 1)" -- panels -f json --log-format json "$d/py.log"
json 'j["records"]["invalid_json"] == 6' "--log-format json: every line is invalid JSON"
run 1 "--log-format forcing another text format" -- panels -f json --log-format logfmt "$d/py.log"
json 'j["records"]["unparsed"] == 6' "--log-format logfmt: every line unparsed (exit 1: nothing with a time)"
run 0 "a JSON file still detected as JSON" -- panels -f json "$srcdir/share/samples/incident.jsonl.gz"
json 'j["records"]["total"] == 35001 and j["records"]["invalid_json"] == 19 and j["records"]["unparsed"] == 0' "JSON lines: unchanged"

# ---- syslog 3164: year from the mtime, --tz ----
printf '<11>Dec 31 23:59:50 h1 app[1]: request_id=r1 inference_metrics.latency_ms=5\n<14>Jan  1 00:00:10 h1 app[1]: request_id=r2 inference_metrics.latency_ms=7\n' >"$d/sys.log"
touch -d 2027-01-01T00:05:00Z "$d/sys.log"
run 0 "syslog 3164" -- requests -f csv "$d/sys.log"
grep -q "^2026-12-31T23:59:50.000Z," "$tmp/out" && grep -q "^2027-01-01T00:00:10.000Z," "$tmp/out"
check $? "3164: Dec/Jan rollover from the mtime" "$tmp/out"
grep -q "year inferred 2027 from the file's mtime" "$tmp/err" && grep -q "zone UTC assumed (--tz)" "$tmp/err"
check $? "3164: the assumptions are said" "$tmp/err"
run 0 "--tz" -- panels -f json --tz +01:00 "$d/sys.log"
json 'j["records"]["naive_time"] == 0 and j["range"]["start"] == "2026-12-31T22:59:50Z"' "--tz +01:00: shifted, not naive"
run 0 "3164 panels" -- panels -f json "$d/sys.log"
json 'j["records"]["naive_time"] == 2 and sum(p["errors"] for p in j["errors"]["points"]) == 1' \
    "3164: naive without --tz; PRI severity 3 is an error"

# ---- the index: a second run reads it; another format re-reads ----
XDG_CACHE_HOME=$tmp/cache2
"$LOGDIVE" panels -f json "$d/py.log" >/dev/null 2>&1
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" panels -f json "$d/py.log" >/dev/null 2>"$tmp/ix1"
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" panels -f json --log-format python-logging "$d/py.log" >/dev/null 2>"$tmp/ix2"
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" panels -f json --log-format logfmt "$d/py.log" >/dev/null 2>"$tmp/ix3"
grep -q "index: hit" "$tmp/ix1" && grep -q "index: hit" "$tmp/ix2" && ! grep -q "index: hit" "$tmp/ix3"
check $? "index: detected = forced python-logging (hit); --log-format logfmt re-reads" "$tmp/ix3"
cp "$srcdir/share/formats/python-logging.json" "$XDG_CONFIG_HOME/logdive/formats/"
printf '\n' >>"$XDG_CONFIG_HOME/logdive/formats/python-logging.json"
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" panels -f json "$d/py.log" >/dev/null 2>"$tmp/ix4"
! grep -q "index: hit" "$tmp/ix4"
check $? "index: an edited format definition re-reads the file" "$tmp/ix4"
rm -f "$XDG_CONFIG_HOME/logdive/formats/python-logging.json"
XDG_CACHE_HOME=$tmp/cache

# a file that grew: the new lines continue the last record
printf '2026-02-27 03:00:05,000 - rec - ERROR - boom request_id=req-9\n' >"$d/grow.log"
"$LOGDIVE" panels -f json "$d/grow.log" >/dev/null 2>&1
printf 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad\n2026-02-27 03:00:06,000 - rec - INFO - after\n' >>"$d/grow.log"
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" requests -f jsonl "$d/grow.log" >"$tmp/out" 2>"$tmp/ix5"
[ "$(wc -l <"$tmp/out")" -eq 2 ] && grep -q 'ValueError: bad' "$tmp/out" && grep -q "index: grew" "$tmp/ix5"
check $? "a grown file: the appended traceback joins the record read before" "$tmp/out"
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" requests -f jsonl "$d/grow.log" >"$tmp/out" 2>"$tmp/ix6"
[ "$(wc -l <"$tmp/out")" -eq 2 ] && grep -q 'ValueError: bad' "$tmp/out" && grep -q "index: hit" "$tmp/ix6"
check $? "a grown file: the index keeps the longer record" "$tmp/out"

# ---- the parallel scan: regions never split a multi-line record ----
"$PYTHON3" - "$d/big.log" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        s = 1772161200 + i // 10
        t = "2026-02-27 %02d:%02d:%02d,%03d" % ((s // 3600) % 24, (s // 60) % 60, s % 60, (i % 10) * 100)
        if i % 3 == 0:
            f.write("%s - rec - ERROR - failed request_id=r%d inference_metrics.latency_ms=%d\n" % (t, i, i % 100))
            f.write("Traceback (most recent call last):\n")
            for k in range(20):
                f.write('  File "/srv/app/module%d.py", line %d, in handler_%d\n    do_something_long(%s)\n' % (k, k, k, "x" * 40))
            f.write("RuntimeError: CUDA out of memory\n")
        else:
            f.write("%s - rec - INFO - done request_id=r%d inference_metrics.latency_ms=%d\n" % (t, i, i % 100))
EOF
run 0 "a 20 MB log with tracebacks" -- panels -f json --no-index "$d/big.log"
json 'j["records"]["total"] == 60000 and j["records"]["unparsed"] == 0 and sum(g["count"] for g in j["latency"]["groups"]) == 60000 and sum(p["errors"] for p in j["errors"]["points"]) == 20000' \
    "parallel scan: 60000 records, every traceback joined"

# ---- the record view: one JSON object ----
run 0 "requests -f jsonl on text" -- requests -f jsonl -q 'request_id:req-4' "$d/py.log"
"$PYTHON3" -c 'import json, sys
r = json.loads(open(sys.argv[1]).read())
ok = (r["_format"] == "python-logging" and r["request_id"] == "req-4" and
      r["inference_metrics.latency_ms"] == 70.5 and r["input_features.cache_hit"] is False and
      r["_raw"].endswith("RuntimeError: CUDA out of memory"))
sys.exit(0 if ok else 1)' "$tmp/out"
check $? "record: typed fields and the whole text in _raw" "$tmp/out"

# ---- --follow: a traceback that arrives later, a file empty at the start ----
if command -v tmux >/dev/null 2>&1; then
	sock=ldfmt$$
	tm() { LC_ALL=C.UTF-8 tmux -L "$sock" -f /dev/null "$@"; }
	screen_has() {	# TEXT SECONDS
		_i=0
		while [ $_i -lt $(($2 * 10)) ]; do
			tm capture-pane -p -t f >"$tmp/screen" 2>/dev/null
			grep -qF -- "$1" "$tmp/screen" && return 0
			sleep 0.1
			_i=$((_i + 1))
		done
		return 1
	}
	printf '2026-02-27 03:00:00,000 - rec - INFO - a request_id=f1\n2026-02-27 03:00:01,000 - rec - ERROR - b request_id=f2\n' >"$d/f.log"
	: >"$d/empty.log"
	tm new-session -d -s f -x 160 -y 30 \
	    "LANG=C.UTF-8 '$LOGDIVE' --no-journal --follow '$d/f.log' '$d/empty.log'; sleep 30"
	screen_has "2 records" 10
	check $? "follow: the first records" "$tmp/screen"
	printf 'Traceback (most recent call last):\n  File "x.py", line 1\n' >>"$d/f.log"
	sleep 2
	printf 'ValueError: late\n2026-02-27 03:00:02,000 - rec - INFO - c request_id=f3\n' >>"$d/f.log"
	printf '2026-02-27 03:00:03,000 - rec - INFO - d request_id=f4\n' >>"$d/empty.log"
	screen_has "4 records" 5 && grep -qF "unparsed 0" "$tmp/screen" &&
	    grep -qF "invalid JSON 0" "$tmp/screen"
	check $? "follow: continuation lines that come later join; an empty file's format is detected when lines come" "$tmp/screen"
	tm kill-server >/dev/null 2>&1
	sock=
fi

# unparsed lines are said per file, on stderr (and the status line)
printf 'ts=2026-02-27T03:00:00Z level=info msg=a\nnot logfmt at all\nnor this\nts=2026-02-27T03:00:01Z level=info msg=b\n' >"$tmp/u1.log"
printf 'ts=2026-02-27T03:00:02Z level=info msg=c\n' >"$tmp/u2.log"
run 0 "panels on two logfmt files, one with 2 unparsed lines" -- panels --no-index "$tmp/u1.log" "$tmp/u2.log"
grep -qF "u1.log: 2 lines match no pattern of logfmt (unparsed; see logdive formats test logfmt " "$tmp/err" &&
    ! grep -q "u2.log: .* no pattern" "$tmp/err"
check $? "the unparsed lines are counted per file on stderr" "$tmp/err"

run 0 "--help" -- --help
grep -q "logdive formats \[test NAME FILE" "$tmp/out" && grep -q -- "--log-format NAME" "$tmp/out" &&
    grep -q -- "--tz ZONE" "$tmp/out"
check $? "--help lists formats, --log-format and --tz" "$tmp/out"

echo "1..$n"
