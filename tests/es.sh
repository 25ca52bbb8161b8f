#!/bin/sh
# The Elasticsearch backend against tests/fake-es.py (TAP): on the same
# generated data, panels, requests and trace equal the file backend's;
# errors (no such index, connection refused, 401) are one actionable line
# that never shows the credential.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-es.XXXXXX") || exit 1
. "$srcdir/tests/lib/common.sh"
trap 'stop_fakes; rm -rf "$tmp"' EXIT
unset ES_API_KEY ES_USERNAME ES_PASSWORD ES_BEARER_TOKEN

"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 2000 --seed 9 --long-line 0 \
    --out "$tmp/all.jsonl" --truth "$tmp/truth.json" >/dev/null 2>&1 ||
	{ echo "not ok 1 - gen-logs.py"; exit 1; }
awk 'NR % 2 == 1' "$tmp/all.jsonl" >"$tmp/a.jsonl"
awk 'NR % 2 == 0' "$tmp/all.jsonl" >"$tmp/b.jsonl"

start_fake es fake-es.py --index "ml-inference-2026.02.26=$tmp/a.jsonl" \
    --index "ml-inference-2026.02.27=$tmp/b.jsonl" ||
	{ echo "not ok 1 - the fake server did not start"; cat "$tmp/es.log"; exit 1; }
es="es+http://127.0.0.1:$(cat "$tmp/es.port")/ml-inference-*"
range=2026-02-26T04:00:00Z..2026-02-27T04:00:00Z

# panels: the same figures as the file backend
. "$srcdir/tests/lib/panels.sh"
panels_vs_file es Elasticsearch "$es"

# requests and trace: the very records of the file backend
q='serving_variant:canary and latency_ms >= 300'
"$LOGDIVE" requests -q "$q" -f jsonl "$tmp/all.jsonl" | sort >"$tmp/r-file"
"$LOGDIVE" requests -q "$q" -f jsonl "$es" 2>"$tmp/err3" |
    "$PYTHON3" -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l); o.pop("_index", None); o.pop("_id", None)
    print(json.dumps(o, separators=(",", ":")))' | sort >"$tmp/r-es"
"$PYTHON3" -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.dumps(json.loads(l), separators=(",", ":")))' "$tmp/r-file" | sort >"$tmp/r-file2"
if [ -s "$tmp/r-file2" ] && cmp -s "$tmp/r-file2" "$tmp/r-es"; then
	ok "requests: the same $(wc -l <"$tmp/r-es") records as the file backend"
else not_ok "requests: the same records as the file backend" "$tmp/err3"; fi

# a list cap (LOGDIVE_LIST_CAP stands in for 100,000): said, and --all lifts it
n_all=$("$LOGDIVE" requests -f jsonl "$tmp/all.jsonl" 2>/dev/null | wc -l)
LOGDIVE_LIST_CAP=1000 "$LOGDIVE" requests "$es" >"$tmp/cap" 2>"$tmp/err30"
if [ "$(tail -1 "$tmp/cap")" = "(1000 of $n_all records; --limit N or --all for more)" ]
then ok "a list cut by the cap says how many there are: $(tail -1 "$tmp/cap")"
else not_ok "a list cut by the cap says so" "$tmp/cap"; fi
got=$(LOGDIVE_LIST_CAP=1000 "$LOGDIVE" requests --all -f jsonl "$es" 2>"$tmp/err31" | wc -l)
if [ "$got" -eq "$n_all" ]; then ok "--all: every one of the $n_all records"
else not_ok "--all: $got of $n_all records" "$tmp/err31"; fi

id=$("$PYTHON3" -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["traces"])[0])' "$tmp/truth.json")
"$LOGDIVE" trace "$id" -f csv "$tmp/all.jsonl" >"$tmp/t-file" 2>/dev/null
"$LOGDIVE" trace "$id" -f csv "$es" >"$tmp/t-es" 2>"$tmp/err4"
if [ -s "$tmp/t-file" ] && cmp -s "$tmp/t-file" "$tmp/t-es"; then
	ok "trace: the same waterfall as the file backend"
else not_ok "trace: the same waterfall as the file backend" "$tmp/err4"; fi
"$LOGDIVE" trace "$id" -f json "$es" | grep -q '{"_index":"ml-inference-2026.02.2[67]","_id":' &&
	ok "records carry _index and _id" || not_ok "records carry _index and _id"

# errors: one line, exit 3, what to do
"$LOGDIVE" panels "es+http://127.0.0.1:$(cat "$tmp/es.port")/nosuch-*" >/dev/null 2>"$tmp/err5"
st=$?
if [ $st -eq 3 ] && [ "$(wc -l <"$tmp/err5")" -eq 1 ] && grep -q "no index matches 'nosuch-\*'" "$tmp/err5"
then ok "no such index: exit 3, one line"; else not_ok "no such index (exit $st)" "$tmp/err5"; fi

"$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$tmp/closed"
"$LOGDIVE" panels "es+http://127.0.0.1:$(cat "$tmp/closed")/x" >/dev/null 2>"$tmp/err6"
st=$?
if [ $st -eq 3 ] && grep -q "connection refused" "$tmp/err6"
then ok "connection refused: exit 3, says so"; else not_ok "connection refused (exit $st)" "$tmp/err6"; fi

"$LOGDIVE" panels "es+http://user:hunter2@127.0.0.1:9/x" >/dev/null 2>"$tmp/err7"
st=$?
if [ $st -eq 2 ] && grep -q "credentials do not go in the URL" "$tmp/err7" && ! grep -q hunter2 "$tmp/err7"
then ok "credentials in the URL refused, not echoed"; else not_ok "credentials in the URL (exit $st)" "$tmp/err7"; fi

start_fake auth fake-es.py --require-api-key "s3cr3t-key-42" --index "ml-a=$tmp/a.jsonl" ||
	not_ok "the fake server with an API key did not start"
esa="es+http://127.0.0.1:$(cat "$tmp/auth.port")/ml-a"
"$LOGDIVE" panels "$esa" >/dev/null 2>"$tmp/err8"
st=$?
if [ $st -eq 3 ] && grep -q "401" "$tmp/err8"; then ok "401 without a key: exit 3"
else not_ok "401 without a key (exit $st)" "$tmp/err8"; fi
ES_API_KEY=wrong-key "$LOGDIVE" panels "$esa" >/dev/null 2>"$tmp/err9"
st=$?
if [ $st -eq 3 ] && grep -q "ES_API_KEY" "$tmp/err9" && ! grep -q "wrong-key" "$tmp/err9"
then ok "401 with a wrong key names ES_API_KEY, not its value"
else not_ok "401 with a wrong key (exit $st)" "$tmp/err9"; fi
ES_API_KEY=s3cr3t-key-42 "$LOGDIVE" panels -f json "$esa" >"$tmp/out10" 2>"$tmp/err10"
st=$?
if [ $st -eq 0 ] && ! grep -q "s3cr3t" "$tmp/out10" "$tmp/err10"
then ok "the right key: panels, and the key appears nowhere"
else not_ok "the right key (exit $st)" "$tmp/err10"; fi
# more than a page: search_after in a point in time, nothing lost or repeated
"$LOGDIVE" requests -q 'log_level:INFO' -f jsonl "$tmp/all.jsonl" 2>/dev/null | wc -l >"$tmp/c-file"
"$LOGDIVE" requests -q 'log_level:INFO' -f jsonl "$es" 2>"$tmp/err11" |
    "$PYTHON3" -c '
import json, sys
ids = [json.loads(l)["_id"] for l in sys.stdin]
print(len(ids) if len(set(ids)) == len(ids) else -1)' >"$tmp/c-es"
if [ "$(cat "$tmp/c-file")" -gt 1000 ] && cmp -s "$tmp/c-file" "$tmp/c-es"; then
	ok "paging: all $(cat "$tmp/c-es") records, each once"
else not_ok "paging: file $(cat "$tmp/c-file") vs es $(cat "$tmp/c-es")" "$tmp/err11"; fi

# a named source of the config file, its key named by variable
mkdir -p "$tmp/cfg/logdive"
printf '{"sources": {"prod": {"url": "%s", "api_key_env": "TEAM_ES_KEY"}}}\n' "$esa" \
    >"$tmp/cfg/logdive/config"
XDG_CONFIG_HOME=$tmp/cfg TEAM_ES_KEY=s3cr3t-key-42 "$LOGDIVE" panels prod >/dev/null 2>"$tmp/err12"
st=$?
if [ $st -eq 0 ]; then ok "a config source with api_key_env"
else not_ok "a config source with api_key_env (exit $st)" "$tmp/err12"; fi
XDG_CONFIG_HOME=$tmp/cfg "$LOGDIVE" panels prod >/dev/null 2>"$tmp/err13"
st=$?
if [ $st -eq 2 ] && grep -q "TEAM_ES_KEY (api_key_env) is not set" "$tmp/err13"
then ok "the variable the config names is not set: says which"
else not_ok "unset api_key_env (exit $st)" "$tmp/err13"; fi

"$LOGDIVE" panels --insecure -t "$range" "$es" >/dev/null 2>"$tmp/err14"
if grep -q "TLS verification is off" "$tmp/err14"; then ok "--insecure warns"
else not_ok "--insecure warns" "$tmp/err14"; fi

# the same figures from Elasticsearch 7.17 and OpenSearch 2.11 (no point in
# time there: plain search_after)
for fl in "elasticsearch 7.17.0" "opensearch 2.11.0"; do
	set -- $fl
	start_fake "$1" fake-es.py --flavour "$1" --version "$2" \
	    --index "ml-inference-2026.02.26=$tmp/a.jsonl" \
	    --index "ml-inference-2026.02.27=$tmp/b.jsonl" ||
		not_ok "the $1 $2 fake did not start"
	other="es+http://127.0.0.1:$(cat "$tmp/$1.port")/ml-inference-*"
	"$LOGDIVE" panels -f json -b 1h -t "$range" "$other" 2>"$tmp/err-$1" |
	    sed "s|$other|ES|" >"$tmp/p-$1"
	sed "s|$es|ES|" "$tmp/es.json" >"$tmp/p-8"
	if cmp -s "$tmp/p-8" "$tmp/p-$1"; then ok "$1 $2: the same panels"
	else not_ok "$1 $2: the same panels" "$tmp/err-$1"; diff "$tmp/p-8" "$tmp/p-$1" | head -5 | sed 's/^/#   /'; fi
	"$LOGDIVE" requests -q 'log_level:INFO' -f csv "$other" 2>/dev/null | wc -l >"$tmp/c-$1"
	if [ "$(cat "$tmp/c-$1")" -eq $(($(cat "$tmp/c-file") + 1)) ]; then
		ok "$1 $2: paging walks all $(cat "$tmp/c-file") records"
	else not_ok "$1 $2: paging got $(cat "$tmp/c-$1") lines"; fi
done

# 12000 records (more than the 10,000 of from+size) with one timestamp:
# pages of 1000 split them, and the unique
# last sort key (_shard_doc in an ES point in time, _id in an OpenSearch
# one and on ES before 7.10) makes the walk lose and repeat none
"$PYTHON3" -c '
import json
for i in range(12000):
    print(json.dumps({"timestamp": "2026-02-27T03:00:00.000Z", "request_id": "r-%05d" % i,
                      "inference_metrics": {"latency_ms": 5}}))' >"$tmp/ties.jsonl"
for fl in "elasticsearch 8.13.4 /ties/_pit" "opensearch 2.11.0 /ties/_search/point_in_time" \
    "elasticsearch 7.9.3 -"; do
	set -- $fl
	start_fake "ties$2" fake-es.py --flavour "$1" --version "$2" --index "ties=$tmp/ties.jsonl" ||
		not_ok "the $1 $2 fake did not start"
	port=$(cat "$tmp/ties$2.port")
	"$LOGDIVE" requests -f jsonl "es+http://127.0.0.1:$port/ties" 2>"$tmp/err-ties" |
	    "$PYTHON3" -c '
import json, sys
ids = [json.loads(l)["request_id"] for l in sys.stdin]
print(len(set(ids)) if len(set(ids)) == len(ids) else "%d with repeats" % len(ids))' >"$tmp/c-ties"
	"$PYTHON3" -c '
import json, sys, urllib.request
st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/stats" % sys.argv[1]))
print(" ".join(sorted(p for p in st["by_path"] if "pit" in p or "point_in_time" in p)) or "-")' \
	    "$port" >"$tmp/pit-ties"
	if [ "$(cat "$tmp/c-ties")" = 12000 ] && grep -q -- "$3" "$tmp/pit-ties"; then
		ok "$1 $2: 12000 records on one timestamp, each once (point in time: $3)"
	else not_ok "$1 $2: one timestamp: $(cat "$tmp/c-ties"), PIT $(cat "$tmp/pit-ties")" "$tmp/err-ties"; fi
done

# faults: retried overload, partial shard failures, a truncated body
fault "$(cat "$tmp/es.port")" '{"status": 503, "retry_after": 1, "times": 2, "path": "_msearch"}'
"$LOGDIVE" panels -f json -b 1h -t "$range" "$es" >"$tmp/out15" 2>"$tmp/err15"
st=$?
if [ $st -eq 0 ] && cmp -s "$tmp/out15" "$tmp/es.json"; then ok "503 twice, Retry-After honoured: the same panels"
else not_ok "503 twice then success (exit $st)" "$tmp/err15"; fi
fault "$(cat "$tmp/es.port")" '{"shard_failures": 1, "path": "_msearch"}'
"$LOGDIVE" panels -f json -b 1h -t "$range" "$es" >"$tmp/out16" 2>"$tmp/err16"
st=$?
if [ $st -eq 0 ] && grep -q "shards answered" "$tmp/err16" &&
    grep -q '^  "note": "[0-9]*/[0-9]* shards answered' "$tmp/out16"
then ok "a partial shard failure is said, and in the JSON note"
else not_ok "a partial shard failure (exit $st)" "$tmp/err16"; fi
grep -q '^  "note": null,' "$tmp/es.json" && ok "complete results: note null" ||
	not_ok "complete results: note null"

# confidence arrays of different lengths: each record's mean, by a script;
# a cluster that refuses scripts gives the mean of all scores, and says so
"$PYTHON3" - "$tmp/ragged.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i, sc in enumerate([[0.9], [0.2, 0.4, 0.6, 0.8], [0.5, 0.1], [1.0, 0.0, 0.5],
                            0.7, [0.3], [0.25, 0.75]]):
        f.write(json.dumps({"timestamp": "2026-02-27T03:%02d:00Z" % (i * 7),
                            "model_metadata": {"serving_variant": "canary" if i % 2 else "prod"},
                            "inference_metrics": {"latency_ms": 10 + i},
                            "output": {"confidence_scores": sc}}) + "\n")
PY
start_fake rag fake-es.py --index "rag=$tmp/ragged.jsonl" &&
	start_fake ragns fake-es.py --no-scripts --index "rag=$tmp/ragged.jsonl" ||
	not_ok "the ragged-array fakes did not start"
rr=2026-02-27T03:00:00Z..2026-02-27T04:00:00Z
"$LOGDIVE" panels -f json -b 30m -t "$rr" "$tmp/ragged.jsonl" >"$tmp/rag-file" 2>/dev/null
"$LOGDIVE" panels -f json -b 30m -t "$rr" "es+http://127.0.0.1:$(cat "$tmp/rag.port")/rag" \
    >"$tmp/rag-es" 2>"$tmp/err19"
"$LOGDIVE" panels -f json -b 30m -t "$rr" "es+http://127.0.0.1:$(cat "$tmp/ragns.port")/rag" \
    >"$tmp/rag-ns" 2>"$tmp/err20"
py_checks "comparing ragged confidence" "$srcdir/tests/lib/cmp_panels.py" \
    ragged "$tmp/rag-file" "$tmp/rag-es" "$tmp/rag-ns"
if grep -q "confidence is the mean of all scores: .*cannot execute \[inline\] scripts" "$tmp/err20"
then ok "scripts refused: said, with the server's reason"
else not_ok "scripts refused: said" "$tmp/err20"; fi
"$LOGDIVE" panels -b 30m -t "$rr" "es+http://127.0.0.1:$(cat "$tmp/rag.port")/rag" 2>/dev/null |
    grep -q "^Confidence mean 0.5286 (previous window -) (each record's mean, by a server script)$" &&
	ok "the table says the means come from a script" ||
	not_ok "the table says the means come from a script"
fault "$(cat "$tmp/es.port")" '{"truncate": true, "path": "_msearch"}'
"$LOGDIVE" panels -t "$range" "$es" >/dev/null 2>"$tmp/err17"
st=$?
if [ $st -eq 3 ] && [ "$(wc -l <"$tmp/err17")" -eq 1 ]; then ok "a truncated body: exit 3, one line"
else not_ok "a truncated body (exit $st)" "$tmp/err17"; fi
fault "$(cat "$tmp/es.port")" '{"status": 400, "path": "_msearch"}'
"$LOGDIVE" panels -t "$range" "$es" >/dev/null 2>"$tmp/err18"
st=$?
if [ $st -eq 3 ] && grep -q "400" "$tmp/err18"; then ok "a 400 shows the server's reason"
else not_ok "a 400 (exit $st)" "$tmp/err18"; fi

# a 400 about a value of the query: the term, its column, exit 2
"$LOGDIVE" requests -q 'log_level:INFO and timestamp < "last tuesday"' "$es" >/dev/null 2>"$tmp/err21"
st=$?
if [ $st -eq 2 ] && [ "$(wc -l <"$tmp/err21")" -eq 1 ] &&
    grep -q 'failed to parse date field \[last tuesday\].*; the query at col 20: timestamp < "last tuesday"$' "$tmp/err21"
then ok "a 400 names the term of the query and its column: exit 2"
else not_ok "a 400 names the term of the query (exit $st)" "$tmp/err21"; fi

echo "1..$n"
