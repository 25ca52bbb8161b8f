#!/bin/sh
# The Loki backend against tests/fake-loki.py (TAP): on the same generated
# data, panels, requests and trace equal the file backend's; errors are one
# actionable line that never shows the credential.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-loki.XXXXXX") || exit 1
. "$srcdir/tests/lib/common.sh"
trap 'stop_fakes; rm -rf "$tmp"' EXIT
unset LOKI_ADDR LOKI_USERNAME LOKI_PASSWORD LOKI_BEARER_TOKEN LOKI_BEARER_TOKEN_FILE \
    LOKI_ORG_ID LOKI_CA_CERT_PATH LOKI_CLIENT_CERT_PATH LOKI_CLIENT_KEY_PATH \
    LOKI_TLS_SKIP_VERIFY

"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 2000 --seed 9 --long-line 0 \
    --out "$tmp/all.jsonl" --truth "$tmp/truth.json" >/dev/null 2>&1 ||
	{ echo "not ok 1 - gen-logs.py"; exit 1; }

start_fake loki fake-loki.py --stream "{job=\"ml-inference\"}=$tmp/all.jsonl" ||
	{ echo "not ok 1 - the fake server did not start"; cat "$tmp/loki.log"; exit 1; }
port=$(cat "$tmp/loki.port")
loki="loki+http://127.0.0.1:$port/{job=\"ml-inference\"}"
range=2026-02-26T04:00:00Z..2026-02-27T04:00:00Z

# panels: the same figures as the file backend
. "$srcdir/tests/lib/panels.sh"
panels_vs_file loki Loki "$loki"

# requests and trace: the very records of the file backend
q='serving_variant:canary and latency_ms >= 300'
"$LOGDIVE" requests -t "$range" -q "$q" -f jsonl "$tmp/all.jsonl" | sort >"$tmp/r-file"
"$LOGDIVE" requests -t "$range" -q "$q" -f jsonl "$loki" 2>"$tmp/err3" | sort >"$tmp/r-loki"
if [ -s "$tmp/r-file" ] && cmp -s "$tmp/r-file" "$tmp/r-loki"; then
	ok "requests: the same $(wc -l <"$tmp/r-loki") records as the file backend"
else not_ok "requests: the same records as the file backend" "$tmp/err3"; fi

id=$("$PYTHON3" -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["traces"])[0])' "$tmp/truth.json")
"$LOGDIVE" trace "$id" -f csv "$tmp/all.jsonl" >"$tmp/t-file" 2>/dev/null
"$LOGDIVE" trace -t "$range" "$id" -f csv "$loki" >"$tmp/t-loki" 2>"$tmp/err4"
if [ -s "$tmp/t-file" ] && cmp -s "$tmp/t-file" "$tmp/t-loki"; then
	ok "trace: the same waterfall as the file backend"
else not_ok "trace: the same waterfall as the file backend" "$tmp/err4"; diff "$tmp/t-file" "$tmp/t-loki" | head -5 | sed 's/^/#   /'; fi

# more than a page (5000 entries): every INFO record once
"$LOGDIVE" requests -t "$range" -q 'log_level:INFO' -f jsonl "$tmp/all.jsonl" 2>/dev/null |
    sort >"$tmp/c-file"
"$LOGDIVE" requests -t "$range" -q 'log_level:INFO' -f jsonl "$loki" 2>"$tmp/err5" |
    sort >"$tmp/c-loki"
if [ "$(wc -l <"$tmp/c-file")" -gt 5000 ] && cmp -s "$tmp/c-file" "$tmp/c-loki"; then
	ok "paging: all $(wc -l <"$tmp/c-loki") records, each once"
else not_ok "paging: file $(wc -l <"$tmp/c-file") vs loki $(wc -l <"$tmp/c-loki")" "$tmp/err5"; fi

# a list cut by --limit says how many there are, as the file backend does
"$LOGDIVE" requests --limit 5 -t "$range" "$tmp/all.jsonl" >"$tmp/l-file" 2>/dev/null
"$LOGDIVE" requests --limit 5 -t "$range" "$loki" >"$tmp/l-loki" 2>"$tmp/err16"
if cmp -s "$tmp/l-file" "$tmp/l-loki" && grep -q "^(5 of [0-9]* records" "$tmp/l-loki"
then ok "--limit 5: the same first records, and how many there are ($(tail -1 "$tmp/l-loki"))"
else not_ok "--limit 5: the same list" "$tmp/err16"; diff "$tmp/l-file" "$tmp/l-loki" | head -5 | sed 's/^/#   /'; fi

# a list cap (LOGDIVE_LIST_CAP stands in for 100,000): by latency, the top is
# exact however many match (a quantile_over_time bound checked by a count);
# a list cut by the cap says so; --all fetches every match
for s in latency -latency; do
	"$LOGDIVE" requests -t "$range" --sort $s --limit 40 -f jsonl "$tmp/all.jsonl" \
	    >"$tmp/top-file" 2>/dev/null
	LOGDIVE_LIST_CAP=1000 LOGDIVE_DEBUG_LOGQL="$tmp/top-q" "$LOGDIVE" requests -t "$range" \
	    --sort $s --limit 40 -f jsonl "$loki" >"$tmp/top-loki" 2>"$tmp/err21"
	if [ "$(wc -l <"$tmp/top-file")" -eq 40 ] && cmp -s "$tmp/top-file" "$tmp/top-loki" &&
	    grep -q "^quantile_over_time(" "$tmp/top-q"
	then ok "--sort $s --limit 40 past the list cap: the file backend's 40, exactly"
	else not_ok "--sort $s --limit 40 past the list cap" "$tmp/err21"; fi
	rm -f "$tmp/top-q"
done
LOGDIVE_LIST_CAP=1000 "$LOGDIVE" requests -t "$range" --sort latency "$loki" >"$tmp/cap" 2>"$tmp/err22"
"$LOGDIVE" requests -t "$range" -f jsonl "$tmp/all.jsonl" 2>/dev/null | sort >"$tmp/r-all"
if [ "$(tail -1 "$tmp/cap")" = "(1000 of $(wc -l <"$tmp/r-all") records, sorted among the first by time; --all fetches every match)" ]
then ok "a list cut by the cap says so: $(tail -1 "$tmp/cap")"
else not_ok "a list cut by the cap says so" "$tmp/cap"; fi
LOGDIVE_LIST_CAP=1000 "$LOGDIVE" requests -t "$range" --all -f jsonl "$loki" 2>"$tmp/err23" |
    sort >"$tmp/r-all-loki"
if cmp -s "$tmp/r-all" "$tmp/r-all-loki"; then ok "--all: every one of the $(wc -l <"$tmp/r-all") records"
else not_ok "--all: $(wc -l <"$tmp/r-all-loki") records" "$tmp/err23"; fi

# Loki 3.x, a tenant, basic auth in front: the same panels
start_fake loki3 fake-loki.py --version 3.4.0 --require-org-id --require-basic "ops:s3cr3t-pw" \
    --stream "{job=\"ml-inference\"}=$tmp/all.jsonl" || not_ok "the Loki 3 fake did not start"
loki3="loki+http://127.0.0.1:$(cat "$tmp/loki3.port")/{job=\"ml-inference\"}"
"$LOGDIVE" panels -t "$range" "$loki3" >/dev/null 2>"$tmp/err6"
st=$?
if [ $st -eq 3 ] && [ "$(wc -l <"$tmp/err6")" -eq 1 ] && grep -q "401" "$tmp/err6"
then ok "401 without credentials: exit 3, one line"; else not_ok "401 without credentials (exit $st)" "$tmp/err6"; fi
LOKI_USERNAME=ops LOKI_PASSWORD=wrong-pw "$LOGDIVE" panels -t "$range" "$loki3" >/dev/null 2>"$tmp/err7"
st=$?
if [ $st -eq 3 ] && grep -q "LOKI_USERNAME/LOKI_PASSWORD" "$tmp/err7" && ! grep -q "wrong-pw" "$tmp/err7"
then ok "401 with a wrong password names the variables, not the value"
else not_ok "401 with a wrong password (exit $st)" "$tmp/err7"; fi
LOKI_USERNAME=ops LOKI_PASSWORD=s3cr3t-pw "$LOGDIVE" panels -t "$range" "$loki3" >/dev/null 2>"$tmp/err8"
st=$?
if [ $st -eq 3 ] && grep -q "no org id" "$tmp/err8"
then ok "a tenant is required: Loki's message"; else not_ok "no org id (exit $st)" "$tmp/err8"; fi
LOKI_USERNAME=ops LOKI_PASSWORD=s3cr3t-pw LOKI_ORG_ID=team-ml "$LOGDIVE" panels -f json -b 1h \
    -t "$range" "$loki3" 2>"$tmp/err9" | grep -v '^  "source": ' >"$tmp/p3"
grep -v '^  "source": ' "$tmp/loki.json" >"$tmp/p2"
if cmp -s "$tmp/p2" "$tmp/p3" && ! grep -q "s3cr3t" "$tmp/p3" "$tmp/err9"
then ok "Loki 3.4 with a tenant and basic auth: the same panels"
else not_ok "Loki 3.4: the same panels" "$tmp/err9"; diff "$tmp/p2" "$tmp/p3" | head -5 | sed 's/^/#   /'; fi
"$PYTHON3" -c '
import json, sys, urllib.request
st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/stats" % sys.argv[1]))
print(" ".join(sorted(st.get("org_ids", {}))))' "$(cat "$tmp/loki3.port")" >"$tmp/orgs"
if grep -qx "team-ml" "$tmp/orgs"; then ok "LOKI_ORG_ID sent as X-Scope-OrgID"
else not_ok "LOKI_ORG_ID sent (saw: $(cat "$tmp/orgs"))"; fi

# negative numbers in label filters: Loki 3.1 and later only
"$LOGDIVE" requests -q 'latency_ms > -5' -t "$range" "$loki" >/dev/null 2>"$tmp/err17"
st=$?
if [ $st -eq 2 ] && grep -q "Loki before 3.1 cannot compare a label with a negative number (-5) at col 1" "$tmp/err17"
then ok "Loki 2.9: a negative number refused with its column"; else not_ok "Loki 2.9: a negative number (exit $st)" "$tmp/err17"; fi
LOKI_USERNAME=ops LOKI_PASSWORD=s3cr3t-pw LOKI_ORG_ID=team-ml "$LOGDIVE" requests -q 'latency_ms > -5' \
    -t "$range" -f jsonl "$loki3" 2>"$tmp/err18" | sort >"$tmp/n-loki"
"$LOGDIVE" requests -q 'latency_ms > -5' -t "$range" -f jsonl "$tmp/all.jsonl" 2>/dev/null | sort >"$tmp/n-file"
if [ -s "$tmp/n-file" ] && cmp -s "$tmp/n-file" "$tmp/n-loki"; then ok "Loki 3.4: a negative number, the same records"
else not_ok "Loki 3.4: a negative number" "$tmp/err18"; fi

# a lower max_entries_limit_per_query: learnt from the 400, paging goes on
start_fake small fake-loki.py --max-entries 1000 --stream "{job=\"ml-inference\"}=$tmp/all.jsonl" ||
	not_ok "the small-limit fake did not start"
"$LOGDIVE" requests -t "$range" -q 'log_level:INFO' -f jsonl \
    "loki+http://127.0.0.1:$(cat "$tmp/small.port")/{job=\"ml-inference\"}" 2>"$tmp/err10" |
    sort >"$tmp/c-small"
if cmp -s "$tmp/c-file" "$tmp/c-small"; then ok "max entries 1000: learnt, all records paged"
else not_ok "max entries 1000: $(wc -l <"$tmp/c-small") records" "$tmp/err10"; fi

# a limit below the 500 lines the load samples: learnt there too
start_fake tiny fake-loki.py --max-entries 100 --stream "{job=\"ml-inference\"}=$tmp/all.jsonl" ||
	not_ok "the tiny-limit fake did not start"
"$LOGDIVE" panels -f json -b 1h -t "$range" \
    "loki+http://127.0.0.1:$(cat "$tmp/tiny.port")/{job=\"ml-inference\"}" >"$tmp/p-tiny" 2>"$tmp/err24"
if [ -s "$tmp/p-tiny" ] && [ "$(grep -v '"source":' "$tmp/p-tiny")" = "$(grep -v '"source":' "$tmp/loki.json")" ]; then ok "max entries 100 (below the field sample): the same panels"
else not_ok "max entries 100: the same panels" "$tmp/err24"; fi

# a max_query_length shorter than the range: learnt from the 400, the
# series and the lists go in windows within it
start_fake short fake-loki.py --max-query-length 2h --stream "{job=\"ml-inference\"}=$tmp/all.jsonl" ||
	not_ok "the short-range fake did not start"
short="loki+http://127.0.0.1:$(cat "$tmp/short.port")/{job=\"ml-inference\"}"
"$LOGDIVE" panels -f json -b 1h -t "$range" "$short" 2>"$tmp/err19" | grep -v '^  "source": ' >"$tmp/p-short"
if cmp -s "$tmp/p2" "$tmp/p-short"; then ok "max_query_length 2h: the same panels over 24h, in windows"
else not_ok "max_query_length 2h: the same panels" "$tmp/err19"; diff "$tmp/p2" "$tmp/p-short" | head -5 | sed 's/^/#   /'; fi
"$LOGDIVE" requests -t "$range" -q 'log_level:INFO' -f jsonl "$short" 2>"$tmp/err20" | sort >"$tmp/c-short"
if cmp -s "$tmp/c-file" "$tmp/c-short"; then ok "max_query_length 2h: every record paged, window by window"
else not_ok "max_query_length 2h: $(wc -l <"$tmp/c-short") records" "$tmp/err20"; fi

# a max_query_range (a range vector's [interval]) shorter than the range:
# learnt from the 500, the totals add up window by window and the
# percentiles come from the latency values read as lines
start_fake vshort fake-loki.py --max-query-range 2h --stream "{job=\"ml-inference\"}=$tmp/all.jsonl" ||
	not_ok "the short-range-vector fake did not start"
LOGDIVE_DEBUG_LOGQL="$tmp/vq" "$LOGDIVE" panels -f json -b 1h -t "$range" \
    "loki+http://127.0.0.1:$(cat "$tmp/vshort.port")/{job=\"ml-inference\"}" 2>"$tmp/err25" |
    grep -v '^  "source": ' >"$tmp/p-vshort"
# the same figures as through one query, and percentiles bit for bit the
# file backend's (quantile_over_time's may differ in the last bit)
if "$PYTHON3" - "$tmp/p2" "$tmp/p-vshort" "$tmp/file.json" <<'PY' && grep -q 'line_format "{{.inference_metrics_latency_ms}}"' "$tmp/vq"
import json, sys
a, b, f = (json.load(open(p)) for p in sys.argv[1:4])
la, lb = a.pop("latency"), b.pop("latency")
for g in la["groups"]:
    g.pop("p50"); g.pop("p95"); g.pop("p99")
pf = [(g["key"], g["p50"], g["p95"], g["p99"]) for g in f["latency"]["groups"]]
pb = [(g["key"], g.pop("p50"), g.pop("p95"), g.pop("p99")) for g in lb["groups"]]
sys.exit(0 if a == b and la == lb and pf == pb else 1)
PY
then ok "max_query_range 2h: the same panels over 24h (totals in windows, percentiles from lines)"
else not_ok "max_query_range 2h: the same panels" "$tmp/err25"; diff "$tmp/p2" "$tmp/p-vshort" | head -5 | sed 's/^/#   /'; fi

# faults: retried overload, a 400 shows the LogQL, a truncated body
fault "$port" '{"status": 429, "retry_after": 1, "times": 2, "path": "query"}'
"$LOGDIVE" panels -f json -b 1h -t "$range" "$loki" >"$tmp/out11" 2>"$tmp/err11"
st=$?
if [ $st -eq 0 ] && cmp -s "$tmp/out11" "$tmp/loki.json"; then ok "429 twice, Retry-After honoured: the same panels"
else not_ok "429 twice then success (exit $st)" "$tmp/err11"; fi
fault "$port" '{"status": 400, "body": "parse error at line 1, col 9: syntax error: unexpected IDENTIFIER", "path": "query_range"}'
"$LOGDIVE" requests -t "$range" "$loki" >/dev/null 2>"$tmp/err12"
st=$?
if [ $st -eq 3 ] && [ "$(wc -l <"$tmp/err12")" -eq 1 ] &&
    grep -q 'answered 400: parse error at line 1, col 9: .*(LogQL: {job="ml-inference"}' "$tmp/err12"
then ok "a 400: Loki's message and the LogQL sent"; else not_ok "a 400 (exit $st)" "$tmp/err12"; fi
fault "$port" '{"truncate": true, "path": "query_range"}'
"$LOGDIVE" requests -t "$range" "$loki" >/dev/null 2>"$tmp/err13"
st=$?
if [ $st -eq 3 ] && [ "$(wc -l <"$tmp/err13")" -eq 1 ]; then ok "a truncated body: exit 3, one line"
else not_ok "a truncated body (exit $st)" "$tmp/err13"; fi
"$LOGDIVE" panels -q '/(?<=a)b/' -t "$range" "$loki" >/dev/null 2>"$tmp/err14"
st=$?
if [ $st -eq 2 ] && grep -q "not supported by Loki (RE2) at col 2" "$tmp/err14"
then ok "a PCRE-only regex: refused with its column, exit 2"; else not_ok "PCRE-only regex (exit $st)" "$tmp/err14"; fi
"$LOGDIVE" panels -t "$range" 'loki+http://127.0.0.1:9/{job=~".*"}' >/dev/null 2>"$tmp/err15"
st=$?
if [ $st -eq 2 ] && grep -q "empty-compatible" "$tmp/err15"
then ok "a selector that matches everything: Loki's rule, exit 2"; else not_ok "empty-compatible selector (exit $st)" "$tmp/err15"; fi

echo "1..$n"
