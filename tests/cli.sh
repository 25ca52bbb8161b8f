#!/bin/sh
# The command line (TAP): options, exit statuses of DESIGN §7, one-line
# errors that say what to do, and the headless outputs' exact text on a
# small fixed file (tests/data/tiny.jsonl).
# Environment (set by tests/run.sh): LOGDIVE, srcdir.
: "${srcdir:=.}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME
tiny=$srcdir/tests/data/tiny.jsonl
n=0

. "$srcdir/tests/lib/expect.sh"

expect 0 "" "--help" -- --help
grep -q "logdive trace ID" "$tmp/out" && grep -q -- "--max-line" "$tmp/out" &&
	echo "ok $((n = n + 1)) - --help lists the commands and options" ||
	echo "not ok $((n = n + 1)) - --help lists the commands and options"
expect 0 "" "--version" -- --version
grep -qE '^logdive [0-9]+\.[0-9]+' "$tmp/out" &&
	echo "ok $((n = n + 1)) - --version prints the version" ||
	echo "not ok $((n = n + 1)) - --version prints the version"

expect 2 "no source given" "no source: usage error" -- panels
expect 2 "unknown option --frobnicate" "unknown option" -- panels --frobnicate "$tiny"
expect 2 "-f xml: unknown format" "bad format" -- panels -f xml "$tiny"
expect 2 "-b 5x: not a bucket width" "bad bucket" -- panels -b 5x "$tiny"
expect 2 "-t:" "bad range" -- panels -t 2026-02-30T00:00:00Z..now "$tiny"
expect 2 "expected value after ':' at col 9" "query syntax error names the column" -- \
    requests -q 'service:' "$tiny"
expect 2 "unknown field 'nosuch'" "unknown field" -- requests -q 'nosuch:1' "$tiny"
expect 2 "-g: unknown field 'nosuch'" "-g unknown field" -- panels -g nosuch "$tiny"
expect 2 "--follow works in the interactive dashboard" "--follow is for the dashboard" -- \
    panels --follow "$tiny"
expect 2 "trace needs an ID" "trace without an id" -- trace
expect 3 "cannot open $tmp/none.jsonl" "missing file: source error" -- panels "$tmp/none.jsonl"
expect 3 "no file matches" "glob matching nothing" -- panels "$tmp/*.nothing"
expect 3 "is a directory" "a directory" -- panels "$tmp"
expect 1 "no matching records" "no match: status 1" -- requests -q 'service:nosuch' "$tiny"
expect 1 "no record has the correlation or request id 'nope'" "unknown trace id" -- \
    trace nope "$tiny"

expect 0 "" "requests --sort latency --limit 2 -f csv" -- \
    requests --sort latency --limit 2 -f csv "$tiny"
cat >"$tmp/want" <<'OUT'
time,service,group,latency_ms,confidence,level,event,trace_id,request_id,message
2026-02-27T02:40:00.000Z,,canary,70.000,,ERROR,,,,
2026-02-27T02:30:00.000Z,recommendation-model-prod,prod,60.000,,INFO,,,,
OUT
same "$tmp/want" "requests CSV: exact text"

trace=$srcdir/tests/data/trace.jsonl
expect 0 "" "trace table" -- trace corr-a "$trace"
cat >"$tmp/want" <<'OUT'
trace corr-a: 5 records over 259.000 ms
time                         offset        gap  service                    event                   latency  time
2026-02-27T03:00:00.000Z      0.0ms      0.0ms  api-gateway                request_received              -  #
2026-02-27T03:00:00.006Z      6.0ms      6.0ms  feature-store              feature_lookup                -  #
2026-02-27T03:00:00.250Z    250.0ms    244.0ms  recommendation-model-prod  inference_complete        243.0  ############################   * slowest step
2026-02-27T03:00:00.257Z    257.0ms      7.0ms  ranking-service            ranking_complete              -                             ##
2026-02-27T03:00:00.259Z    259.0ms      2.0ms  api-gateway                response_sent                 -                              ##
OUT
same "$tmp/want" "trace waterfall: exact text, slowest step marked"

expect 0 "" "trace by request id, json" -- trace req-a -f json "$trace"
cat >"$tmp/want" <<'OUT'
{"id": "req-a", "records": [
  {"timestamp":"2026-02-27T03:00:00.006Z","correlation_id":"corr-a","request_id":"req-a","service":"feature-store","log_level":"INFO","event_type":"feature_lookup","input_features":{"cache_hit":false,"feature_store_latency_ms":5}},
  {"timestamp":"2026-02-27T03:00:00.250Z","correlation_id":"corr-a","request_id":"req-a","service":"recommendation-model-prod","log_level":"INFO","event_type":"inference_complete","model_metadata":{"serving_variant":"canary","model_version":"3.3.0"},"inference_metrics":{"latency_ms":243},"output":{"confidence_scores":[0.1,0.05]}},
  {"timestamp":"2026-02-27T03:00:00.257Z","correlation_id":"corr-a","request_id":"req-a","service":"ranking-service","log_level":"INFO","event_type":"ranking_complete","message":"ranked \u001b[2J 5 items"}
]}
OUT
same "$tmp/want" "trace JSON: {id, records} in time order, records as in the source"

expect 0 "" "requests table with an escape in a message" -- \
    requests -q 'correlation_id:corr-a and not service:api-gateway' "$trace"
cat >"$tmp/want" <<'OUT'
time                     service                    variant             latency   conf level message
2026-02-27T03:00:00.006Z feature-store              -                         -      - INFO  feature_lookup
2026-02-27T03:00:00.250Z recommendation-model-prod  canary                243.0   0.08 INFO  inference_complete
2026-02-27T03:00:00.257Z ranking-service            -                         -      - INFO  ranked \e[2J 5 items
OUT
same "$tmp/want" "requests table: exact text, ESC shown as \\e"

expect 0 "" "trace narrowed by -q" -- trace corr-a -q log_level:ERROR -f csv "$trace"
cat >"$tmp/want" <<'OUT'
time,offset_ms,gap_ms,service,event,latency_ms,slowest
2026-02-27T03:00:00.259Z,0.000,0.000,api-gateway,response_sent,,0
OUT
same "$tmp/want" "trace -q keeps the matching steps"

# The same trace from the index (second run) without loading every record.
"$LOGDIVE" trace corr-a "$trace" >/dev/null 2>&1
LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" trace corr-a -f json "$trace" >"$tmp/out" 2>"$tmp/err"
n=$((n + 1))
if grep -q "index: trace" "$tmp/err" && ! grep -q "index: hit" "$tmp/err"; then
	echo "ok $n - a warm trace is answered from the index without a load"
else
	echo "not ok $n - a warm trace is answered from the index without a load"
	sed 's/^/#   /' "$tmp/err"
fi
"$LOGDIVE" trace corr-a -f json --no-index "$trace" >"$tmp/want" 2>/dev/null
same "$tmp/want" "the trace from the index equals the trace from a scan"

# -g with any field (read from each line): counts per value, checked in Python.
sample=$srcdir/share/samples/incident.jsonl.gz
expect 0 "" "-g event_type" -- panels -g event_type -f json "$sample"
n=$((n + 1))
if "${PYTHON3:-python3}" - "$sample" "$tmp/out" <<'PY'
import gzip, json, sys
want = {}
for line in gzip.open(sys.argv[1], "rt", encoding="utf-8", errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if not isinstance(o, dict) or not isinstance(o.get("timestamp"), str):
        continue
    lat = (o.get("inference_metrics") or {}).get("latency_ms")
    if isinstance(lat, (int, float)) and not isinstance(lat, bool):
        k = o.get("event_type", "(none)")
        want[k] = want.get(k, 0) + 1
got = {g["key"]: g["count"] for g in json.load(open(sys.argv[2]))["latency"]["groups"]}
sys.exit(0 if got == want else 1)
PY
then echo "ok $n - -g event_type: the counts per value"
else echo "not ok $n - -g event_type: the counts per value"; fi

# A source named in the config file; a secret in the config is refused.
mkdir -p "$tmp/cfg/logdive"
printf '{"logdive_config": 1, "sources": {"tiny": {"url": "%s"}}}\n' "$tiny" \
    >"$tmp/cfg/logdive/config"
XDG_CONFIG_HOME=$tmp/cfg expect 0 "" "a config source by name" -- panels -f json tiny
n=$((n + 1))
if grep -q '"records": {"total": 11,' "$tmp/out"; then echo "ok $n - the named source is read"
else echo "not ok $n - the named source is read"; head -5 "$tmp/out" | sed 's/^/#   /'; fi
printf '{"sources": {"x": {"url": "%s", "password": "hunter2"}}}\n' "$tiny" >"$tmp/bad.json"
expect 2 "secrets do not go in the config file" "a password in the config is refused" -- \
    panels -c "$tmp/bad.json" x
n=$((n + 1))
if grep -q hunter2 "$tmp/err"; then echo "not ok $n - the refused secret is not echoed"
else echo "ok $n - the refused secret is not echoed"; fi

# A UTF-8 byte-order mark and CRLF line ends are not bad input.
printf '\357\273\277{"timestamp":"2026-02-27T03:00:00Z","inference_metrics":{"latency_ms":5}}\r\n{"timestamp":"2026-02-27T03:00:01Z","inference_metrics":{"latency_ms":7}}\r\n' >"$tmp/bom.jsonl"
expect 0 "" "BOM and CRLF" -- panels -f json "$tmp/bom.jsonl"
n=$((n + 1))
if grep -q '"records": {"total": 2, "invalid_json": 0,' "$tmp/out" &&
    grep -q '"count": 2, "p50": 6.0,' "$tmp/out"; then
	echo "ok $n - a BOM and CRLF line ends: two valid records"
else
	echo "not ok $n - a BOM and CRLF line ends: two valid records"
	grep -E '"records"|"count"' "$tmp/out" | sed 's/^/#   /'
fi

echo "1..$n"
