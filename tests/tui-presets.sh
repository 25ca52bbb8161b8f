#!/bin/sh
# Presets, runbooks, history and the journal in the TUI (TAP), through tmux
# on the shipped sample: the preset picker (p) filters as one types and
# applies a shipped preset (the dashboard's group-by changes, the figures
# are the headless command's); S saves the state as a user preset and
# asks before overwriting one; -p opens a preset's view; -r opens a
# runbook beside the dashboard at 120x40 (the pane, exactly) and folded
# into one line at 80x24; ] and [ apply the steps' presets (dashboard,
# requests, trace); x and f land in `logdive journal export`, whose panels
# figures equal the headless command's; R picks a runbook; a step naming a
# field the source lacks and a broken preset file are said and change
# nothing; Up/Down and Ctrl-R recall the queries and ranges of an earlier
# session; --no-journal writes nothing. Every session ends with status 0
# (under --enable-asan: no error, no leak).
#
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-tuip.XXXXXX") || exit 1
sock=ldtuip$$
nsock=0
. "$srcdir/tests/lib/common.sh"
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
LOGDIVE_NOW=2026-02-27T04:00:00Z
export XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME LOGDIVE_NOW
unset NO_COLOR
sample=$srcdir/share/samples/incident.jsonl.gz
now='2026-02-27T04:00:00Z'
V='│'

# --- the screen ------------------------------------------------------------

# start W H [ENV=V...] -- ARGS: logdive ARGS in a new tmux server (a dying
# one may still hold the old socket); the pane says "EXITED <status>" after.
start() {
	w=$1 h=$2; shift 2
	envs=
	while [ "$1" != -- ]; do envs="$envs $1"; shift; done
	shift
	args=
	for a in "$@"; do args="$args '$a'"; done
	tm kill-server >/dev/null 2>&1
	nsock=$((nsock + 1))
	sock=ldtuip$$-$nsock
	tm new-session -d -s s -x "$w" -y "$h" \
	    "env LC_ALL=C.UTF-8 LANG=C.UTF-8 $envs '$LOGDIVE' $args; echo EXITED \$?; sleep 120"
}
snap() { tm capture-pane -p -t s >"$tmp/screen" 2>/dev/null; }
# until two snapshots 0.1 s apart agree, at most 3 s
settle() {
	_k=0
	while [ $_k -lt 30 ]; do
		cp "$tmp/screen" "$tmp/screen.prev"
		sleep 0.1
		snap
		cmp -s "$tmp/screen" "$tmp/screen.prev" && return 0
		_k=$((_k + 1))
	done
}
# show TEXT: wait (10 s) for a fixed string on the screen, then settle
show() {
	_k=0
	while [ $_k -lt 100 ]; do
		snap
		grep -qF -- "$1" "$tmp/screen" && { settle; return 0; }
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}
show_re() {
	_k=0
	while [ $_k -lt 100 ]; do
		snap
		grep -qE -- "$1" "$tmp/screen" && { settle; return 0; }
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}
keys() { tm send-keys -t s "$@"; }
# line N: screen line N (1-based), as is
line() { sed -n "${1}p" "$tmp/screen"; }
# is_line N TEXT: line N is exactly "│ TEXT<blanks>│" (full width)
is_line() {
	_l=$(line "$1")
	case $_l in
	"$V $2"*"$V") [ "$(printf '%s' "$_l" | sed "s/^$V $(q "$2") *$V\$/OK/")" = OK ] ;;
	*) false ;;
	esac
}
# cols FROM TO: characters FROM..TO (1-based) of every line, blanks at the
# end dropped
cols() {
	"$PYTHON3" -c '
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
for l in open(sys.argv[3], encoding="utf-8"):
    print(l.rstrip("\n")[a - 1:b].rstrip())' "$1" "$2" "$tmp/screen"
}
q() { printf '%s' "$1" | sed 's/[].[*^$\\/]/\\&/g'; }
# ok_if DESCRIPTION COMMAND...: a check that shows the screen when it fails
ok_if() {
	_d=$1; shift
	if "$@"; then ok "$_d"; else not_ok "$_d" "$tmp/screen"; fi
}
# quit WHAT: q, and the program ends with status 0 (under ASan: no error,
# no leak)
quit() {
	keys q
	show EXITED
	ok_if "$1: q quits with status 0" grep -q "^EXITED 0$" "$tmp/screen"
}
same() {	# same EXPECTED-FILE ACTUAL-FILE
	cmp -s "$1" "$2" || { diff "$1" "$2" | sed 's/^/#   /' | head -30; return 1; }
}

# --- what the screens must show, from the headless commands ------------------

# ERE of the latency rows of preset $1 ("^│ KEY +N +P50 +P95 +P99 ")
rows_of() {
	"$LOGDIVE" panels --no-journal -p "$1" -f json "$sample" | "$PYTHON3" -c '
import json, sys
def f(v, d):
    s = "{:,.{}f}".format(v, d)
    return "0" if s in ("-0", "-0.0") else s
for g in json.load(sys.stdin)["latency"]["groups"]:
    p = lambda v: f(v, 1 if v < 10 else 0)
    print("^. %s +%s +%s +%s +%s " % (g["key"], "{:,}".format(g["count"]),
          p(g["p50"]), p(g["p95"]), p(g["p99"])))'
}
rows_of latency-by-version >"$tmp/rows.version" || { echo "not ok 1 - panels failed"; exit 1; }
rows_of latency-by-variant >"$tmp/rows.variant" || { echo "not ok 1 - panels failed"; exit 1; }
# every row of FILE on the screen, and nothing of OTHER
has_rows() {
	while IFS= read -r re; do
		grep -qE -- "$re" "$tmp/screen" || return 1
	done <"$1"
	[ -z "${2:-}" ] && return 0
	while IFS= read -r re; do
		grep -qE -- "$re" "$tmp/screen" && return 1
	done <"$2"
	return 0
}
nslow=$("$LOGDIVE" requests --no-journal -p slow-requests --limit 100000 -f csv "$sample" |
    sed 1d | wc -l | tr -d ' ')
slowtop=$("$LOGDIVE" requests --no-journal -p slow-requests --limit 1 -f csv "$sample" |
    "$PYTHON3" -c 'import csv, sys; print("{:,.1f}".format(float(list(csv.DictReader(sys.stdin))[0]["latency_ms"])))')
ngpu=$("$LOGDIVE" requests --no-journal -p gpu-memory -f csv "$sample" | sed 1d | wc -l |
    tr -d ' ')
tid=$("$LOGDIVE" requests --no-journal -p slowest-trace --limit 1 -f csv "$sample" |
    awk -F, 'NR == 2 { print $8 }')
ntrace=$("$LOGDIVE" trace --no-journal -f json "$tid" "$sample" | "$PYTHON3" -c '
import json, sys
r = json.load(sys.stdin)["records"]
print("%d records · %d services" % (len(r), len(set(x["service"] for x in r))))')

# --- -r on the command line: bad uses are one line, exit 2 --------------------

usage_err() {	# DESCRIPTION MESSAGE ARGS...
	_d=$1 _m=$2; shift 2
	"$LOGDIVE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	_st=$?
	if [ "$_st" -eq 2 ] && [ "$(cat "$tmp/err")" = "logdive: $_m" ]; then ok "$_d"
	else not_ok "$_d: status $_st" "$tmp/err"; fi
}
usage_err "-r with an unknown runbook" \
    "-r: no runbook named 'nope' (logdive runbooks lists them)" -r nope "$sample"
usage_err "-r with a headless command" \
    "-r opens a runbook beside the interactive dashboard (logdive runbook NAME SOURCE runs one headless)" \
    panels -r inference-latency-spike "$sample"
usage_err "-r with -p" "-p does not go with -r: each step of the runbook names its preset" \
    -p slow-requests -r inference-latency-spike "$sample"
"$LOGDIVE" --help >"$tmp/out" 2>&1
ok_if "--help lists -r" grep -q "^  -r, --runbook NAME    the dashboard with runbook NAME beside it" \
    "$tmp/out"

# --- p: the picker, filtering, applying -------------------------------------

start 120 40 -- "$sample"
show "Latency (ms) by serving_variant"
ok_if "the dashboard opens by serving_variant" has_rows "$tmp/rows.variant"
keys p
show "Presets · 9 of 9"
ok_if "p opens the picker: the breadcrumb, every shipped preset" \
    sh -c 'grep -q "^│ Dashboard › Presets *│$" "$1" && grep -q "^│ Presets · 9 of 9 *│$" "$1" &&
        grep -q "^│ latency-by-version  shipped  Latency split by model version: is a recent deployment slower? *│$" "$1" &&
        grep -q "^│ slow-requests       shipped  Requests at or above their serving variant.s p99 latency, slowest first *│$" "$1"' \
    - "$tmp/screen"
ok_if "the selected preset's description and settings below the list" \
    sh -c 'grep -q "^│ drift-high · shipped .*/share/presets/drift-high.json *│$" "$1" &&
        grep -q "^│ query anomaly_signals.drift_score > 0.5 · by model_metadata.serving_variant *│$" "$1"' \
    - "$tmp/screen"
keys v e r s
show "Presets · 3 of 9"
cols 3 60 | sed -n 4,8p >"$tmp/got"
cat >"$tmp/want" <<'EOF'
filter: vers
name                from     description
errors-by-version   shipped  ERROR records split by model
latency-by-version  shipped  Latency split by model versio
gpu-memory          shipped  GPU memory near the limit (14
EOF
ok_if "typing narrows the list: names first, then descriptions" same "$tmp/want" "$tmp/got"
keys ' lat'
show "Presets · 1 of 9"
ok_if "more words narrow it to one; its details below" \
    sh -c 'grep -q "^│ latency-by-version  shipped  Latency split" "$1" &&
        ! grep -q "^│ errors-by-version " "$1" &&
        grep -q "^│ latency-by-version · shipped " "$1" && grep -q "^│ opens the dashboard *│$" "$1"' \
    - "$tmp/screen"
keys z z
show "Presets · 0 of 9"
ok_if "a filter that matches nothing says so" \
    grep -q "^│ nothing matches the filter (Backspace to widen it) *│$" "$tmp/screen"
keys BSpace BSpace Enter
show "Latency (ms) by model_version"
ok_if "Enter applies latency-by-version: the group-by is model_version, as headless" \
    has_rows "$tmp/rows.version" "$tmp/rows.variant"
ok_if "the breadcrumb names the preset" is_line 2 "Dashboard · latency-by-version"
keys p
show "Presets · 9 of 9"
keys Escape
show "Latency (ms) by model_version"
ok_if "Esc closes the picker and changes nothing" \
    sh -c 'grep -q "^│ Dashboard · latency-by-version *│$" "$1"' - "$tmp/screen"

# --- S: save, refuse to overwrite without y ----------------------------------

saved=$XDG_CONFIG_HOME/logdive/presets/by-version.json
keys S
show "save as preset:"
keys 'by version' Enter
show "is not a preset name"
ok_if "a bad name is refused, the input line stays open" \
    sh -c 'tail -1 "$1" | grep -qF "'"'"'by version'"'"' is not a preset name: use 1 to 64 letters" &&
        tail -2 "$1" | head -1 | grep -qF "save as preset: by version"' - "$tmp/screen"
keys C-u by-version Enter
show "saved to"
ok_if "S saves the state and says where" \
    is_line 39 "preset by-version saved to $saved"
"$PYTHON3" - "$saved" <<'EOF' >"$tmp/got" 2>&1
import json, sys
p = json.load(open(sys.argv[1]))
print(p["name"], p.get("query"), p["group_by"], p["view"], p["description"])
EOF
echo "by-version None model_metadata.model_version dashboard Saved 2026-02-27 04:00 UTC from Dashboard · latency-by-version" >"$tmp/want"
ok_if "the preset file holds the group-by and the view" same "$tmp/want" "$tmp/got"
cp "$saved" "$tmp/saved.1"
keys / 'log_level:ERROR' Enter
show "/log_level:ERROR"
keys S by-version Enter
show "overwrite it? [y/N]"
ok_if "saving over a user preset asks first" \
    is_line 39 "preset by-version exists ($saved): overwrite it? [y/N]"
keys n
show "not saved"
ok_if "n: not saved, the file as it was" \
    sh -c 'grep -q "^│ not saved: preset by-version is left as it was *│$" "$1" &&
        cmp -s "$2" "$3"' - "$tmp/screen" "$saved" "$tmp/saved.1"
keys S by-version Enter
show "overwrite it? [y/N]"
keys y
show "saved to"
ok_if "y: overwritten with the new query" \
    sh -c 'grep -q "\"query\": \"log_level:ERROR\"" "$1"' - "$saved"
quit "picker and S"
"$LOGDIVE" presets >"$tmp/out" 2>&1
ok_if "logdive presets lists the saved one as the user's" \
    grep -q "^by-version  *user  *Saved 2026-02-27 04:00 UTC from Dashboard$" "$tmp/out"

# --- -p opens the preset's view -----------------------------------------------

start 120 40 -- -p slow-requests "$sample"
show "sorted by latency"
ok_if "-p slow-requests opens its requests, as many as headless ($nslow), slowest first" \
    sh -c 'grep -q "^│ 20 requests (first 20 of $2 · F fetches all) · sorted by latency ▼ *│$" "$1" &&
        grep -q "^│ Dashboard › slow-requests *│$" "$1" &&
        sed -n 5p "$1" | grep -q " canary  *$3  "' - "$tmp/screen" "$nslow" "$slowtop"
quit "-p"

# --- -r: the runbook beside the dashboard (120x40) ---------------------------

rm -rf "$XDG_STATE_HOME"
start 120 40 -- -r inference-latency-spike "$sample"
show "Step 1 of 5"
show_re "$(head -1 "$tmp/rows.version")"
cols 81 119 | sed -n 3,37p >"$tmp/got"
cat >"$tmp/want" <<'EOF'
 Runbook: Inference latency spike
 Step 1 of 5
 Split by model_version
 A recent deployment? Compare p95/p99
 across model versions; a new version
 that is much slower points at the
 deployment.
 Look for: one version with a p99
 several times the others
 Preset: latency-by-version

 Steps
 › 1 Split by model_version
   2 Split by serving_variant
   3 Feature-store latency and cache …
   4 GPU memory
   5 Trace the slowest request
















 ] next · [ prev · x done
 f finding · X close
EOF
ok_if "-r: the pane shows step 1's title, note, what to look for, the steps" \
    same "$tmp/want" "$tmp/got"
ok_if "step 1's preset applied: by model_version beside the pane, as headless" \
    sh -c 'has() { while IFS= read -r re; do grep -qE -- "$re" "$2" || return 1; done <"$1"; }
        has "$2" "$1" && grep -q "^│ Dashboard · step 1: latency-by-version *│$" "$1"' \
    - "$tmp/screen" "$tmp/rows.version"
ok_if "the views keep 78 columns, the pane's border joins the bottom line" \
    sh -c 'l=$(sed -n 38p "$1"); [ "$(printf "%s" "$l" | "$2" -c "import sys; s=sys.stdin.read(); print(s.index(\"┴\"))")" = 79 ]' \
    - "$tmp/screen" "$PYTHON3"
keys ']'
show "Step 2 of 5"
show_re "$(head -1 "$tmp/rows.variant")"
ok_if "] applies step 2's preset: by serving_variant" \
    sh -c 'grep -q "│ › 2 Split by serving_variant *│$" "$1" &&
        grep -q "^│ Dashboard · step 2: latency-by-variant *│" "$1"' - "$tmp/screen"
ok_if "step 2's figures are the headless ones" has_rows "$tmp/rows.variant" "$tmp/rows.version"
keys '['
show "Step 1 of 5"
show_re "$(head -1 "$tmp/rows.version")"
ok_if "[ goes back and applies step 1's preset again" has_rows "$tmp/rows.version" "$tmp/rows.variant"
keys '[' 
show "this is the first step"
ok_if "[ on the first step says so" is_line 39 "this is the first step"
keys ']'
show "Step 2 of 5"
keys x
show "Step 2 of 5 ✓ done"
ok_if "x marks the step done" \
    sh -c 'grep -q "│ ✓ 2 Split by serving_variant *│$" "$1"' - "$tmp/screen"
keys f
show "finding:"
keys 'canary 3.3.0 runs out of GPU memory' Enter
show "Findings (1)"
ok_if "f writes a finding, shown in the pane" \
    sh -c 'grep -q "│ - canary 3.3.0 runs out of GPU memory *│$" "$1"' - "$tmp/screen"
keys ']' ']'
show "Step 4 of 5"
show "sorted by time (UTC)"
ok_if "step 4 (gpu-memory) opens its requests, newest first ($ngpu, as headless)" \
    sh -c 'grep -q "^│ $2 requests · sorted by time (UTC) ▼ *│ " "$1" &&
        grep -q "^│ Dashboard › step 4: gpu-memory *│$" "$1"' - "$tmp/screen" "$ngpu"
keys ']'
show "Step 5 of 5"
show "$ntrace"
ok_if "step 5 (slowest-trace) opens the trace of the slowest request ($ntrace)" \
    sh -c 'grep -q "^│ $2 · " "$1" && grep -q "^│ Dashboard › step 5: slowest-trace *│$" "$1"' \
    - "$tmp/screen" "$ntrace"
quit "-r at 120x40"

# the journal: what the TUI recorded, exactly where it is ours
"$LOGDIVE" journal export -f md >"$tmp/export" 2>&1
grep -E '^\| [^|]+ \| (source|runbook|step|finding|preset|requests) \|' "$tmp/export" |
    grep -v '^| [^|]* | preset | `step [13]' >"$tmp/got"
cat >"$tmp/want" <<EOF
| $now | source | \`$sample\` |
| $now | runbook | inference-latency-spike: Inference latency spike |
| $now | preset | \`step 2: latency-by-variant\` |
| $now | preset | \`step 2: latency-by-variant\` |
| $now | step | 2. Split by serving_variant |
| $now | finding | canary 3.3.0 runs out of GPU memory |
| $now | preset | \`step 4: gpu-memory\` |
| $now | requests | step 4: gpu-memory: $ngpu of $ngpu records, by -time |
| $now | preset | \`step 5: slowest-trace\` |
EOF
grep '| trace |' "$tmp/export" | sed 's/: .*//' >>"$tmp/got"
echo "| $now | trace | $tid" >>"$tmp/want"
ok_if "x and f (and the steps, requests, trace) are in logdive journal export" \
    same "$tmp/want" "$tmp/got"
ok_if "the finding heads the export" grep -qx -- "- $now canary 3.3.0 runs out of GPU memory" \
    "$tmp/export"
# the panels viewed, with the headless command's headline figures
XDG_STATE_HOME=$tmp/state2 "$LOGDIVE" panels -p latency-by-variant "$sample" >/dev/null 2>&1
XDG_STATE_HOME=$tmp/state2 "$LOGDIVE" journal export -f md 2>&1 |
    sed -n 's/^| [^|]* | panels | panels, //p' >"$tmp/want"
grep '| panels | step 2, ' "$tmp/export" | sed 's/^| [^|]* | panels | step 2, //' |
    head -1 >"$tmp/got"
ok_if "step 2's panels are in the journal with the headless headline" \
    sh -c '[ -s "$1" ] && cmp -s "$1" "$2"' - "$tmp/want" "$tmp/got"

# --- -r folded at 80x24 ------------------------------------------------------

start 80 24 -- -r inference-latency-spike "$sample"
show "Step 1/5"
show_re "$(head -1 "$tmp/rows.version")"
ok_if "80x24: the pane folds into one line above the status" \
    sh -c '[ "$(sed -n 21p "$1")" = "│ Step 1/5 Split by model_version         ] next · [ prev · x done · f finding │" ]' \
    - "$tmp/screen"
keys ']'
show "Step 2/5"
show_re "$(head -1 "$tmp/rows.variant")"
keys x
show "Step 2/5 ✓"
ok_if "80x24: ] applies step 2, x marks it done" \
    sh -c '[ "$(sed -n 21p "$1")" = "│ Step 2/5 ✓ Split by serving_variant     ] next · [ prev · x done · f finding │" ]' \
    - "$tmp/screen"
ok_if "80x24: the dashboard above the bar is step 2's" has_rows "$tmp/rows.variant"
quit "-r at 80x24"

# --- bad input: a step that does not fit the source, a broken preset file ------

mkdir -p "$XDG_CONFIG_HOME/logdive/runbooks"
cat >"$XDG_CONFIG_HOME/logdive/runbooks/bad-fields.json" <<'EOF'
{"logdive_runbook": 1, "name": "bad-fields", "title": "Bad fields",
 "steps": [{"title": "Fine", "note": "By version.", "preset": "latency-by-version"},
           {"title": "No such field", "note": "Fails.", "preset": {"query": "nonexistent_field:1"}}]}
EOF
cat >"$XDG_CONFIG_HOME/logdive/presets/broken.json" <<'EOF'
{"logdive_preset": 1, "name": "broken",
 "query": "service:"}
EOF
start 120 40 -- "$sample"
show "Latency (ms) by serving_variant"
keys R
show "Runbooks · 5 of 5"
keys b a d
show "Runbooks · 1 of 5"
ok_if "R lists the runbooks, a user's among them, filtered as one types" \
    sh -c 'grep -q "^│ bad-fields  *user  *2   Bad fields *│$" "$1" &&
        grep -q "^│ bad-fields · user · 2 steps *│$" "$1"' - "$tmp/screen"
keys Enter
show "Runbook: Bad fields"
show_re "$(head -1 "$tmp/rows.version")"
keys ']'
show "Step 2 of 2"
ok_if "a step naming a field the source lacks: said, nothing changed" \
    sh -c 'grep -q "^│ step 2, preset (inline): query: unknown field .nonexistent_field. at col 1; nothing changed *│$" "$1" &&
        grep -q "^│ Dashboard · step 1: latency-by-version *│$" "$1"' - "$tmp/screen"
ok_if "the dashboard is still step 1's" has_rows "$tmp/rows.version"
keys X
show "closed"
ok_if "X closes the runbook: the views take the whole width again" \
    sh -c 'grep -q "^│ runbook bad-fields closed (R opens one) *│$" "$1" &&
        ! grep -q "Runbook: Bad fields" "$1" && ! grep -q "┴" "$1"' - "$tmp/screen"
keys p
show "Presets · "
ok_if "a broken preset file is named with its problem; the others are listed" \
    sh -c 'grep -q "^│ $2:2:11: query: expected value after .:. at col 9 *│$" "$1" &&
        grep -q "^│ Presets · 10 of 10 *│$" "$1"' - "$tmp/screen" \
    "$XDG_CONFIG_HOME/logdive/presets/broken.json"
keys Escape
quit "bad input"
rm -f "$XDG_CONFIG_HOME/logdive/presets/broken.json"

# --- history: Up/Down and Ctrl-R across sessions --------------------------------

rm -rf "$XDG_STATE_HOME"
start 100 30 -- "$sample"
show "Latency (ms) by"
keys / 'serving_variant:canary' Enter
show "/serving_variant:canary"
keys / C-u 'log_level:ERROR' Enter
show "/log_level:ERROR"
keys t '2026-02-27T03:00:00Z..2026-02-27T03:40:00Z' Enter
show "03:00 → 03:40"
quit "history, first session"
start 100 30 -- "$sample"
show "Latency (ms) by"
keys / Up
show "/log_level:ERROR"
ok_if "a new session: Up recalls the last query" is_line 29 "/log_level:ERROR"
keys Up
show "/serving_variant:canary"
ok_if "Up again: the one before" is_line 29 "/serving_variant:canary"
keys Down
show "/log_level:ERROR"
ok_if "Down: back to the later one" is_line 29 "/log_level:ERROR"
keys C-u C-r c a n a
show "(reverse-i-search)"
ok_if "Ctrl-R finds a query by a part of it" \
    is_line 29 "(reverse-i-search)'cana': serving_variant:canary"
keys z
show "failing"
ok_if "a part no query has: failing search" \
    is_line 29 "(failing reverse-i-search)'canaz': serving_variant:canary"
keys BSpace Enter
show "/serving_variant:canary"
# the panels come back when the refresh ends (slow under ASan on a busy box)
_k=0
while [ $_k -lt 150 ] && grep -qE "^│ prod +[0-9]" "$tmp/screen"; do
	sleep 0.1
	snap
	_k=$((_k + 1))
done
ok_if "Enter runs the query found: canary only" \
    sh -c 'grep -qE "^│ canary +1,003 " "$1" && ! grep -qE "^│ prod +[0-9]" "$1" &&
        grep -q "^│ /serving_variant:canary *│$" "$1"' - "$tmp/screen"
keys t Up
show "range: 2026"
ok_if "t: Up recalls the range" is_line 29 "range: 2026-02-27T03:00:00Z..2026-02-27T03:40:00Z"
keys Escape
quit "history, second session"

# --no-journal: no history recalled, nothing written
"$LOGDIVE" journal list -f json >"$tmp/before" 2>&1
start 100 30 -- --no-journal "$sample"
show "Latency (ms) by"
keys / Up
sleep 0.3
snap
ok_if "--no-journal: no history to recall" is_line 29 "/"
keys C-u 'log_level:INFO' Enter
show "/log_level:INFO"
keys f 'not kept' Enter
show "the finding is not kept"
ok_if "--no-journal: a finding says it is not kept" \
    is_line 29 "the journal is off (--no-journal, or it failed): the finding is not kept"
quit "--no-journal"
"$LOGDIVE" journal list -f json >"$tmp/after" 2>&1
ok_if "--no-journal: the journal is as it was" same "$tmp/before" "$tmp/after"

echo "1..$n"
