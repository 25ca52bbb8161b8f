#!/bin/sh
# Presets, runbooks and the journal from the command line (TAP): listing
# and showing, -p filling what the command line leaves out, user and team
# presets shadowing shipped ones, every shipped preset and runbook on the
# sample and on generated data, the "first five minutes" report (golden,
# tests/data/runbook-spike.md), the journal's export (exact, fixed clock),
# two processes writing at once, and bad input: one line naming the file
# and the key, exit 2, nothing changed.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-presets.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
LOGDIVE_NOW=2026-02-27T04:00:00Z
export XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME LOGDIVE_NOW
cd "$srcdir" || exit 1
sample=share/samples/incident.jsonl.gz
window=2026-02-27T02:40:00Z..2026-02-27T03:40:00Z
journal=$XDG_STATE_HOME/logdive/journal.db
n=0

. "$srcdir/tests/lib/expect.sh"

check() {
	n=$((n + 1))
	if eval "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

# ---- presets ----

expect 0 "" "presets lists the shipped presets" -- presets
cat >"$tmp/want" <<'OUT'
NAME                FROM     DESCRIPTION
drift-high          shipped  Records with a drift score above 0.5, by serving variant
errors-by-version   shipped  ERROR records split by model version: counts, share and when
feature-store       shipped  Feature-store lookups: cache hit rate over time, latency split by cache hit or miss
gpu-memory          shipped  GPU memory near the limit (14 GB of a 16 GB card; edit for yours) or out-of-memory errors, newest first, by model version
latency-by-variant  shipped  Latency split by serving variant (prod, canary, shadow): is it the canary only?
latency-by-version  shipped  Latency split by model version: is a recent deployment slower?
low-confidence      shipped  Predictions whose top confidence score is below the 0.5 threshold, by serving variant
slow-requests       shipped  Requests at or above their serving variant's p99 latency, slowest first
slowest-trace       shipped  The trace of the slowest inference across services: where is the time lost?
OUT
same "$tmp/want" "presets: name, origin, description"

expect 0 "" "presets show" -- presets show slow-requests
cat >"$tmp/want" <<'OUT'
{
  "logdive_preset": 1,
  "name": "slow-requests",
  "description": "Requests at or above their serving variant's p99 latency, slowest first",
  "group_by": "model_metadata.serving_variant",
  "view": "requests",
  "sort": "latency",
  "above": "p99",
  "limit": 20
}
OUT
same "$tmp/want" "presets show prints the preset as JSON"

# every shipped preset on the sample, with the command its view calls for
for p in drift-high errors-by-version feature-store latency-by-variant latency-by-version \
    low-confidence; do
	expect 0 "" "panels -p $p on the sample" -- panels -p "$p" "$sample"
done
for p in gpu-memory slow-requests slowest-trace; do
	expect 0 "" "requests -p $p on the sample" -- requests -p "$p" --limit 5 "$sample"
done

# -p fills what the command line did not give; the command line wins
expect 0 "" "panels -p latency-by-version" -- panels -p latency-by-version -f json "$sample"
check 'grep -q "\"group_by\": \"model_metadata.model_version\"" "$tmp/out"' \
    "the preset's group-by is used"
expect 0 "" "panels -p latency-by-version -g serving_variant" -- \
    panels -p latency-by-version -g serving_variant -f json "$sample"
check 'grep -q "\"group_by\": \"model_metadata.serving_variant\"" "$tmp/out"' \
    "-g on the command line wins over the preset"
expect 0 "" "requests -p slow-requests in the incident window" -- \
    requests -p slow-requests --limit 3 -f csv -t 2026-02-27T03:00:00Z..2026-02-27T03:40:00Z \
    "$sample"
"$LOGDIVE" panels -f json -t 2026-02-27T03:00:00Z..2026-02-27T03:40:00Z "$sample" \
    >"$tmp/panels.json" 2>/dev/null
"$LOGDIVE" requests -f csv -t 2026-02-27T03:00:00Z..2026-02-27T03:40:00Z \
    -q 'inference_metrics.latency_ms:*' "$sample" >"$tmp/all.csv" 2>/dev/null
n=$((n + 1))
if "$PYTHON3" - "$tmp/panels.json" "$tmp/all.csv" "$tmp/out" <<'PY'
import csv, json, sys
p99 = {g["key"]: g["p99"] for g in json.load(open(sys.argv[1]))["latency"]["groups"]}
rows = list(csv.DictReader(open(sys.argv[2])))
want = [r for r in rows if r["latency_ms"] and float(r["latency_ms"]) >= p99[r["group"]]]
want.sort(key=lambda r: (-float(r["latency_ms"]), r["time"]))
got = list(csv.DictReader(open(sys.argv[3])))
sys.exit(0 if [r["request_id"] for r in got] == [r["request_id"] for r in want[:3]] else 1)
PY
then echo "ok $n - slow-requests: each variant's records at or above its p99, slowest first"
else echo "not ok $n - slow-requests: each variant's records at or above its p99, slowest first"; fi

# a user preset shadows the shipped one; a team folder (presets_path) is read
mkdir -p "$XDG_CONFIG_HOME/logdive/presets" "$tmp/team"
cat >"$XDG_CONFIG_HOME/logdive/presets/latency-by-version.json" <<'EOF'
{"logdive_preset": 1, "name": "latency-by-version", "description": "mine",
 "group_by": "event_type"}
EOF
cat >"$tmp/team/team-errors.json" <<'EOF'
{"logdive_preset": 1, "name": "team-errors", "description": "the team's",
 "query": "log_level:ERROR", "source": "incident"}
EOF
printf '{"logdive_config": 1, "sources": {"incident": {"url": "%s/%s"}},\n "presets_path": ["%s/team"]}\n' \
    "$PWD" "$sample" "$tmp" >"$XDG_CONFIG_HOME/logdive/config"
expect 0 "" "presets with a user and a team preset" -- presets
check 'grep -q "^latency-by-version  user     mine\$" "$tmp/out" &&
    grep -q "^team-errors         team     the team.s\$" "$tmp/out" &&
    [ "$(wc -l <"$tmp/out")" -eq 11 ]' "the user's preset shadows the shipped one; the team's is listed"
expect 0 "" "panels -p with the user's preset" -- panels -p latency-by-version -f json "$sample"
check 'grep -q "\"group_by\": \"event_type\"" "$tmp/out"' "the user's preset is applied"
expect 0 "" "a preset's source from the config, no SOURCE given" -- panels -p team-errors -f json
check 'grep -q "\"records\": {\"total\": 12," "$tmp/out"' \
    "the named source is read with the preset's query"

# ---- bad presets: one line naming the file and the key, exit 2 ----

expect 2 "-p: no preset named 'nope' (logdive presets lists them)" "an unknown preset" -- \
    panels -p nope "$sample"
cat >"$tmp/team/broken.json" <<'EOF'
{"logdive_preset": 1, "name": "broken",
 "query": "service:"}
EOF
expect 2 "$tmp/team/broken.json:2:11: query: expected value after ':' at col 9" \
    "a preset whose query does not parse" -- panels -p broken "$sample"
cat >"$tmp/team/trail.json" <<'EOF'
{"logdive_preset": 1, "name": "trail",
 "view": "requests",}
EOF
expect 2 "$tmp/team/trail.json:2:21: string or '}' expected near '}'" \
    "a JSON syntax error: file:line:column" -- panels -p trail "$sample"
"$LOGDIVE" presets >"$tmp/out" 2>"$tmp/err"
rc=$?
check '[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 2 ] && grep -q "^latency-by-variant" "$tmp/out" &&
    grep -q "logdive: warning: $tmp/team/broken.json:2:11: query:" "$tmp/err"' \
    "presets: the others still list, each bad file warned about, exit 2"
cat >"$tmp/team/fields.json" <<'EOF'
{"logdive_preset": 1, "name": "fields", "query": "nosuch_field:1", "group_by": "nosuch_group"}
EOF
expect 2 "preset fields: query: unknown field 'nosuch_field' at col 1" \
    "a preset naming a missing field says so when applied" -- requests -p fields "$sample"
expect 2 "preset fields: group_by: unknown field 'nosuch_group'" \
    "a missing group-by field too" -- panels -p fields -q '' "$sample"
cat >"$tmp/team/nosrc.json" <<'EOF'
{"logdive_preset": 1, "name": "nosrc", "source": "prod"}
EOF
expect 2 "preset nosrc names the source 'prod', which the config file" \
    "a preset naming a source the config lacks" -- panels -p nosrc
cat >"$tmp/team/unknown.json" <<'EOF'
{"logdive_preset": 1, "name": "unknown", "colour": "red"}
EOF
expect 0 "unknown.json: colour: unknown key, ignored" "an unknown key is a warning" -- \
    panels -p unknown -f json "$sample"
rm -f "$tmp/team/broken.json" "$tmp/team/trail.json" "$tmp/team/fields.json" \
    "$tmp/team/nosrc.json" "$tmp/team/unknown.json"
rm "$XDG_CONFIG_HOME/logdive/presets/latency-by-version.json"

# ---- runbooks ----

expect 0 "" "runbooks" -- runbooks
cat >"$tmp/want" <<'OUT'
NAME                     FROM     STEPS  TITLE
cache-degradation        shipped      4  Feature-store cache degradation
error-rate               shipped      5  Error rate
inference-latency-spike  shipped      5  Inference latency spike
low-confidence           shipped      5  Low prediction confidence
OUT
same "$tmp/want" "runbooks lists the shipped runbooks"

expect 0 "" "runbook inference-latency-spike -f md" -- runbook inference-latency-spike \
    "$sample" -f md -t "$window" -b 10m --no-journal
same tests/data/runbook-spike.md "the first five minutes report: exact Markdown"
# its figures are the panels' and its trace the slowest request's
"$LOGDIVE" panels -g serving_variant -f json -t "$window" -b 10m "$sample" >"$tmp/p.json" 2>/dev/null
slowest=$("$LOGDIVE" requests -q 'inference_metrics.latency_ms:*' --sort latency --limit 1 \
    -f csv -t "$window" "$sample" 2>/dev/null | awk -F, 'NR == 2 {print $8}')
n=$((n + 1))
if "$PYTHON3" - "$tmp/p.json" "$tmp/out" "$slowest" <<'PY'
import json, sys
md = open(sys.argv[2]).read()
step2 = md.split("## 2.")[1].split("## 3.")[0]
for g in json.load(open(sys.argv[1]))["latency"]["groups"]:
    row = "| %s | %s | %.1f | %.1f | %.1f |" % (g["key"], format(g["count"], ","),
                                               g["p50"], g["p95"], g["p99"])
    if row not in step2:
        sys.exit("missing: " + row)
sys.exit(0 if ("Trace `%s`" % sys.argv[3]) in md.split("## 5.")[1] else "wrong trace")
PY
then echo "ok $n - step 2 shows the panels' figures; step 5 traces the slowest request"
else echo "not ok $n - step 2 shows the panels' figures; step 5 traces the slowest request"; fi

for r in low-confidence cache-degradation error-rate inference-latency-spike; do
	expect 0 "" "runbook $r -f json on the sample" -- runbook "$r" "$sample" -f json --no-journal
	n=$((n + 1))
	if "$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = d["runbook"] == sys.argv[2] and all(
    any(k in s for k in ("panels", "requests", "trace")) and "error" not in s
    for s in d["steps"])
sys.exit(0 if ok else 1)' "$tmp/out" "$r"; then
		echo "ok $n - runbook $r: valid JSON, every step has its data"
	else
		echo "not ok $n - runbook $r: valid JSON, every step has its data"
	fi
done

# on generated data too
gen=$tmp/gen.jsonl
"$PYTHON3" tests/gen-logs.py --requests 1500 --seed 11 --out "$gen" >/dev/null 2>&1
for r in inference-latency-spike low-confidence cache-degradation error-rate; do
	expect 0 "" "runbook $r on generated data" -- runbook "$r" "$gen" -f md --no-journal
	check '! grep -q "^Step failed" "$tmp/out" && [ "$(grep -c "^## " "$tmp/out")" -ge 4 ]' \
	    "runbook $r on generated data: every step ran"
done

expect 2 "no runbook named 'nope' (logdive runbooks lists them)" "an unknown runbook" -- \
    runbook nope "$sample"
expect 2 "runbook needs a NAME" "runbook without a name" -- runbook
expect 2 "runbook inference-latency-spike needs a SOURCE" "runbook without a source" -- \
    runbook inference-latency-spike
mkdir -p "$XDG_CONFIG_HOME/logdive/runbooks"
cat >"$XDG_CONFIG_HOME/logdive/runbooks/mine.json" <<'EOF'
{"logdive_runbook": 1, "name": "mine", "title": "Mine",
 "steps": [{"title": "One", "note": "n", "preset": "no-such-preset"}]}
EOF
expect 2 "$XDG_CONFIG_HOME/logdive/runbooks/mine.json:2:52: steps[1].preset: no preset named 'no-such-preset'" \
    "a runbook step naming a missing preset" -- runbook mine "$sample"
"$LOGDIVE" runbooks >"$tmp/out" 2>"$tmp/err"
rc=$?
check '[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/out")" -eq 5 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]' \
    "runbooks: the others still list, the bad one warned about, exit 2"
rm "$XDG_CONFIG_HOME/logdive/runbooks/mine.json"

# ---- journal ----

rm -rf "$XDG_STATE_HOME"
expect 0 "" "journal new" -- journal new "p99 latency high on canary"
cat >"$tmp/want" <<'OUT'
investigation 1: p99 latency high on canary
OUT
same "$tmp/want" "journal new says the investigation's number"
expect 0 "" "panels recorded" -- panels -p latency-by-variant -t "$window" "$sample"
expect 0 "" "requests recorded" -- requests -q 'serving_variant:canary' --sort latency \
    --limit 1 -t "$window" "$sample"
expect 0 "" "trace recorded" -- trace corr-0cc48094-0410-491b-8f4a-7204eb084186 "$sample"
expect 0 "" "not recorded with --no-journal" -- panels --no-journal "$sample"
expect 0 "" "journal finding" -- journal finding "canary 3.3.0 runs out of GPU memory"
expect 0 "" "journal export -f md" -- journal export -f md
cat >"$tmp/want" <<'OUT'
# Investigation 1: p99 latency high on canary

Started 2026-02-27T04:00:00Z, last entry 2026-02-27T04:00:00Z, 9 entries.
Sources: `share/samples/incident.jsonl.gz`.

## Findings

- 2026-02-27T04:00:00Z canary 3.3.0 runs out of GPU memory

## Timeline

| Time (UTC) | Event | Detail |
|---|---|---|
| 2026-02-27T04:00:00Z | source | `share/samples/incident.jsonl.gz` |
| 2026-02-27T04:00:00Z | preset | `latency-by-variant` |
| 2026-02-27T04:00:00Z | range | `2026-02-27T02:40:00Z..2026-02-27T03:40:00Z` |
| 2026-02-27T04:00:00Z | panels | panels, by model_metadata.serving_variant, 2026-02-27T02:40:00Z..2026-02-27T03:40:00Z: prod p99 315.1 ms (n 704), canary p99 913.6 ms (n 118), prod-shadow-test p99 337.1 ms (n 46); confidence 0.6595; cache hit 68.6%; errors 12 (invalid lines 5); drift 0.167 |
| 2026-02-27T04:00:00Z | query | `serving_variant:canary` |
| 2026-02-27T04:00:00Z | range | `2026-02-27T02:40:00Z..2026-02-27T03:40:00Z` |
| 2026-02-27T04:00:00Z | requests | requests: 1 of 118 records, by latency |
| 2026-02-27T04:00:00Z | trace | corr-0cc48094-0410-491b-8f4a-7204eb084186: 5 records over 1100.000 ms; slowest step recommendation-model-prod inference_complete, 1089.000 ms |
| 2026-02-27T04:00:00Z | finding | canary 3.3.0 runs out of GPU memory |
OUT
same "$tmp/want" "the journal export: a postmortem timeline, exact"
expect 0 "" "journal export 1 -f json" -- journal export 1 -f json
check '"$PYTHON3" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d[\"entries\"]) == 9 and abs(d[\"entries\"][3][\"detail\"][\"groups\"][1][\"p99\"] - 913.568) < 1e-9 else 1)" "$tmp/out"' \
    "JSON export: every entry, the panels' figures in detail"
expect 0 "" "journal list" -- journal list
cat >"$tmp/want" <<'OUT'
  ID  STARTED               LAST                  ENTRIES  TITLE
   1  2026-02-27T04:00:00Z  2026-02-27T04:00:00Z        9  p99 latency high on canary
OUT
same "$tmp/want" "journal list"
expect 1 "no investigation 9" "export of an unknown investigation" -- journal export 9
expect 2 "journal export x: not an investigation number" "a bad id" -- journal export x
expect 2 "use logdive journal new TITLE" "an unknown journal command" -- journal frob

# two processes writing at once: nothing lost
( i=0; while [ $i -lt 25 ]; do "$LOGDIVE" journal finding "a $i" >/dev/null || echo fail; i=$((i + 1)); done ) >"$tmp/a" 2>&1 &
( i=0; while [ $i -lt 25 ]; do "$LOGDIVE" journal finding "b $i" >/dev/null || echo fail; i=$((i + 1)); done ) >"$tmp/b" 2>&1
wait
"$LOGDIVE" journal export -f json >"$tmp/out" 2>/dev/null
check '[ ! -s "$tmp/a" ] && [ ! -s "$tmp/b" ] &&
    [ "$(grep -c "\"text\": \"[ab] [0-9]*\"" "$tmp/out")" -eq 50 ]' \
    "two processes wrote 25 findings each at once: all 50 are there"

# a newer journal, a damaged one and someone else's: refused, untouched
rm -rf "$XDG_STATE_HOME"; mkdir -p "$XDG_STATE_HOME/logdive"
"$PYTHON3" - "$journal" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("CREATE TABLE investigation(id INTEGER PRIMARY KEY);"
                 "PRAGMA application_id=%d; PRAGMA user_version=7;" % 0x4C444A4E)
db.close()
PY
cp "$journal" "$tmp/before"
expect 2 "journal $journal: version 7 is newer than this logdive reads (1): upgrade logdive" \
    "a newer journal is refused" -- journal list
check 'cmp -s "$journal" "$tmp/before"' "the newer journal is unchanged"
expect 0 "warning: not recorded in the journal: journal $journal: version 7" \
    "a headless command goes on with a warning" -- panels "$sample"
check 'cmp -s "$journal" "$tmp/before"' "still unchanged"
printf 'SQLite format 3\000 but not really; notes from an earlier incident\n' >"$journal"
cp "$journal" "$tmp/before"
expect 2 "not a SQLite database or damaged" "a damaged journal is refused" -- \
    journal export -f md
check 'cmp -s "$journal" "$tmp/before"' "the damaged journal is unchanged"
"$PYTHON3" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("CREATE TABLE t(x)")' \
    "$tmp/other.db"
cp "$tmp/other.db" "$journal"
expect 2 "not a logdive journal (left as it is)" "another program's database is refused" -- \
    journal new x
check 'cmp -s "$journal" "$tmp/other.db"' "and unchanged"

# the dashboard takes the preset's group-by (through tmux, if there is one)
if command -v tmux >/dev/null 2>&1; then
	tm() { LC_ALL=C.UTF-8 tmux -L "ldpresets$$" -f /dev/null "$@"; }
	tm new-session -d -x 100 -y 30 "$LOGDIVE -p latency-by-version --no-journal $sample"
	i=0
	while [ $i -lt 100 ]; do
		tm capture-pane -p >"$tmp/screen" 2>/dev/null
		grep -q "Latency (ms) by model_version" "$tmp/screen" && break
		sleep 0.1; i=$((i + 1))
	done
	tm send-keys q >/dev/null 2>&1
	sleep 0.2
	tm kill-server >/dev/null 2>&1
	check 'grep -q "Latency (ms) by model_version" "$tmp/screen" &&
	    grep -q "^│ 3.3.0  *1,003 " "$tmp/screen"' "logdive -p: the dashboard grouped by the preset's field"
fi

expect 0 "" "--help" -- --help
check 'grep -q "logdive runbook NAME" "$tmp/out" && grep -q -- "--no-journal" "$tmp/out" &&
    grep -q -- "-p, --preset NAME" "$tmp/out" && grep -q "journal new TITLE" "$tmp/out"' \
    "--help lists the new commands and options"

echo "1..$n"
