#!/bin/sh
# TUI tests (TAP) driven through tmux on a private server: the drill chain
# dashboard -> requests -> record -> trace -> back (Esc x3) -> q, at
# 120x40 and 80x24, in a UTF-8 locale and in the C locale (ASCII glyphs);
# a log line carrying ESC ] 0 ; title BEL and ESC [ 2 J must not change the
# pane title or clear the screen, and shows as visible escapes; live resize;
# TERM=dumb points to the headless commands. Expected figures come from the
# headless commands (same code paths) on data made by tests/gen-logs.py.
#
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); echo "not ok $n - $1"
	# the screen as it was, to see why
	[ -s "$tmp/screen" ] && sed 's/^/#   /' "$tmp/screen"
	return 0
}

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-tui.XXXXXX") || {
	echo "not ok 1 - mktemp -d failed"; exit 1; }
nsess=0
sock=ldtest$$
tm() { LC_ALL=C.UTF-8 tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
export XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME
unset LOGDIVE_NOW NO_COLOR

# --- data and what the screens must show -----------------------------

data=$tmp/incident.jsonl
"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 2000 --seed 3 \
    --out "$data" >/dev/null 2>&1 || { echo "not ok 1 - gen-logs.py failed"; exit 1; }
"$LOGDIVE" panels -f json "$data" >"$tmp/panels.json" 2>"$tmp/err" ||
	{ echo "not ok 1 - logdive panels failed"; sed "s/^/# /" "$tmp/err"; exit 1; }

# Facts from the headless output, as shell assignments:
#   total     records read, with thousands separators
#   grp       the group drilled (canary), row its index in the table
#   rowre     an ERE of its table row (name, n, p50, p95, p99)
#   p95txt    its p95 as the breadcrumb shows it; p95raw as a query number
"$PYTHON3" - "$tmp/panels.json" >"$tmp/facts.sh" <<'EOF' || exit 1
import json, math, sys
p = json.load(open(sys.argv[1]))
def grp(n):
    return "{:,}".format(n)
def pct(v):          # the table: one decimal under 10, else none
    return grp_f(v, 1 if v < 10 else 0)
def grp_f(v, d):
    s = "{:,.{}f}".format(v, d)
    return "0" if s in ("-0", "-0.0") else s
def ms(v):           # the breadcrumb: one decimal when not whole, under 1000
    return grp_f(v, 1 if abs(v) < 1000 and v != math.floor(v) else 0)
groups = p["latency"]["groups"]
row = [g["key"] for g in groups].index("canary")
g = groups[row]
print("total='%s'" % grp(p["records"]["total"]))
print("grp='%s'" % g["key"])
print("row=%d" % row)
print("rowre='^[^ ]+ %s +%s +%s +%s +%s '" % (g["key"], grp(g["count"]),
      pct(g["p50"]), pct(g["p95"]), pct(g["p99"])))
print("p95txt='%s'" % ms(g["p95"]))
print("p95raw='%r'" % g["p95"])
EOF
. "$tmp/facts.sh"

# The requests at or above the group's p95, slowest first, and the trace of
# the slowest one.
"$LOGDIVE" requests -f jsonl --sort latency \
    -q "serving_variant:$grp and latency_ms >= $p95raw" "$data" \
    >"$tmp/slow.jsonl" 2>"$tmp/err" || { echo "not ok 1 - logdive requests failed"; exit 1; }
"$PYTHON3" - "$tmp/slow.jsonl" >>"$tmp/facts.sh" <<'EOF' || exit 1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
top = recs[0]
print("nreq='{:,}'".format(len(recs)))
print("toplat='%.1f'" % top["inference_metrics"]["latency_ms"])
print("topreq='%s'" % top["request_id"])
print("topcorr='%s'" % top["correlation_id"])
EOF
. "$tmp/facts.sh"
"$LOGDIVE" trace -f json "$topcorr" "$data" >"$tmp/trace.json" 2>"$tmp/err" ||
	{ echo "not ok 1 - logdive trace failed"; exit 1; }
"$PYTHON3" - "$tmp/trace.json" >>"$tmp/facts.sh" <<'EOF' || exit 1
import json, sys
t = json.load(open(sys.argv[1]))
r = t["records"]
print("ntrace=%d" % len(r))
print("nsvc=%d" % len(set(x["service"] for x in r if "service" in x)))
EOF
. "$tmp/facts.sh"

# --- driving tmux --------------------------------------------------------

# start W H LOCALE FILE [ENV...]: logdive in a new session; when it exits,
# the pane says "EXITED <status>".
start() {
	w=$1 h=$2 loc=$3 file=$4; shift 4
	tm kill-server >/dev/null 2>&1
	# a new server each time: a dying one may still hold the old socket
	nsess=$((nsess + 1))
	sock=ldtest$$-$nsess
	tm new-session -d -s t -x "$w" -y "$h" \
	    "env LC_ALL=$loc LANG=$loc $* '$LOGDIVE' '$file'; echo EXITED \$?; sleep 120"
}
snap() { tm capture-pane -p -t t >"$tmp/screen" 2>/dev/null; }
# settle: until two snapshots 0.1 s apart agree (a frame may be captured
# half written), at most 3 s.
settle() {
	i=0
	while [ $i -lt 30 ]; do
		cp "$tmp/screen" "$tmp/screen.prev"
		sleep 0.1
		snap
		cmp -s "$tmp/screen" "$tmp/screen.prev" && return 0
		i=$((i + 1))
	done
}
# wait_for TEXT: poll the screen until it shows TEXT (fixed string), 10 s;
# then let it settle.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		snap
		grep -qF -- "$1" "$tmp/screen" && { settle; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_re ERE: the same for an extended regular expression.
wait_re() {
	i=0
	while [ $i -lt 100 ]; do
		snap
		grep -qE -- "$1" "$tmp/screen" && { settle; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
keys() { tm send-keys -t t "$@"; }
# Quote a fixed string for a basic (q) or extended (qe) regex.
q() { printf '%s' "$1" | sed 's/[].[*^$\\/]/\\&/g'; }
qe() { printf '%s' "$1" | sed 's/[].[*^$\\/|+?(){}]/\\&/g'; }
# has_line TEXT: a line that is exactly "V TEXT", padding, "V".
has_line() { grep -q "^$(q "$V") $(q "$1") *$(q "$V")\$" "$tmp/screen"; }
check() {	# check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

glyphs() {
	case $1 in
	*UTF-8*|*utf8*)
		V='│' TL='┌' CR='›' GE='≥' DN='▼' MK='◀' DOT='·' ELL='…' ;;
	*)	V='|' TL='+' CR='>' GE='>=' DN='v' MK='<' DOT='-' ELL='~' ;;
	esac
}

cut23() { printf '%s' "$1" | cut -c1-23; }

# chain W H LOCALE: the drill chain and back.
chain() {
	w=$1 h=$2 loc=$3
	glyphs "$loc"
	tag="${w}x$h $loc"
	start "$w" "$h" "$loc" "$data"
	crumb_dash="Dashboard"
	crumb_req="Dashboard $CR $grp $GE p95 ($p95txt ms)"
	crumb_rec="$crumb_req $CR $(cut23 "$topreq")$ELL"
	crumb_trace_tail="$CR $(cut23 "$topreq")$ELL $CR trace $(cut23 "$topcorr")$ELL"

	# dashboard
	wait_re "$rowre"
	check "$tag: dashboard shows the $grp row of the headless figures" \
	    grep -qE -- "$rowre" "$tmp/screen"
	check "$tag: title: source and $total records" \
	    grep -q "^$(q "$TL") logdive $(q "$DOT") incident\.jsonl $(q "$DOT") .* $(q "$total") records " "$tmp/screen"
	check "$tag: breadcrumb is the dashboard" has_line "$crumb_dash"
	check "$tag: latency panel by serving_variant" \
	    grep -qF "Latency (ms) by serving_variant" "$tmp/screen"
	check "$tag: confidence, cache, errors, drift, versions, bad input" \
	    sh -c 'for t in "Confidence (mean)" "Cache hit rate" "Errors / " \
	        "Drift (mean)" "Model version share" "Bad input"; do
	        grep -qF "$t" "$1" || exit 1; done' - "$tmp/screen"

	# Enter on the group row: its requests at or above p95, slowest first
	i=0
	while [ $i -lt "$row" ]; do keys Down; i=$((i + 1)); done
	keys Enter
	wait_re "$nreq requests? $DOT sorted by latency $DN"
	check "$tag: Enter on $grp opens its requests >= p95" has_line "$crumb_req"
	check "$tag: as many requests as the headless command ($nreq)" \
	    grep -q "^$(q "$V") $(q "$nreq") requests* $(q "$DOT") sorted by latency $(q "$DN") *$(q "$V")\$" "$tmp/screen"
	check "$tag: requests table header" \
	    grep -qE "time \(UTC\) +service +variant +latency$DN +conf +level +message" "$tmp/screen"
	check "$tag: the slowest first ($toplat ms)" \
	    sh -c 'sed -n 5p "$1" | grep -qE " $2 +$3 "' - "$tmp/screen" "$grp" "$toplat"

	# Enter: the record's JSON
	keys Enter
	wait_for "request_id: \"$topreq\""
	check "$tag: Enter opens the record's JSON" \
	    grep -qF "  request_id: \"$topreq\"" "$tmp/screen"
	check "$tag: record breadcrumb" has_line "$crumb_rec"
	check "$tag: nested objects unfolded" \
	    grep -qE " model_metadata: \{[0-9]+\} " "$tmp/screen"

	# T: the trace
	keys T
	wait_for "slowest step"
	check "$tag: T opens the trace ($ntrace records, $nsvc services)" \
	    grep -q "^$(q "$V") $ntrace records $(q "$DOT") $nsvc services $(q "$DOT") " "$tmp/screen"
	check "$tag: trace breadcrumb" \
	    grep -q " $(q "$crumb_trace_tail") *$(q "$V")\$" "$tmp/screen"
	check "$tag: the slowest step is marked" \
	    grep -qE "[0-9] $(qe "$MK") " "$tmp/screen"

	# Esc x3 back to the dashboard, then q
	keys Escape
	wait_for "request_id: \"$topreq\""
	check "$tag: Esc goes back to the record" has_line "$crumb_rec"
	keys Escape
	wait_for "sorted by latency"
	check "$tag: Esc goes back to the requests" has_line "$crumb_req"
	keys Escape
	wait_for "Latency (ms) by"
	check "$tag: Esc goes back to the dashboard" has_line "$crumb_dash"
	keys q
	wait_for "EXITED"
	check "$tag: q quits with status 0 and restores the screen" \
	    sh -c 'grep -q "^EXITED 0$" "$1" && ! grep -qF "Latency (ms)" "$1"' \
	    - "$tmp/screen"
	if [ "$loc" = C ]; then
		check "$tag: nothing but ASCII on the screen" \
		    sh -c '! LC_ALL=C grep -q "[^ -~]" "$1"' - "$tmp/screen"
	fi
}

chain 120 40 C.UTF-8
chain 80 24 C.UTF-8
chain 120 40 C
chain 80 24 C

# --- untrusted text --------------------------------------------------------

evil=$tmp/evil.jsonl
cat >"$evil" <<'EOF'
{"timestamp":"2026-02-27T03:00:00.000Z","request_id":"req-e1","correlation_id":"corr-evil","service":"api-gateway","log_level":"INFO","event_type":"request_received","message":"hello"}
{"timestamp":"2026-02-27T03:00:00.100Z","request_id":"req-e1","correlation_id":"corr-evil","service":"recommendation-model-prod","log_level":"ERROR","event_type":"inference_error","model_metadata":{"serving_variant":"canary","model_version":"3.3.0"},"inference_metrics":{"latency_ms":900},"message":"pwned \u001b]0;HACKED\u0007 and \u001b[2J cleared \u202eevil\u202c done"}
{"timestamp":"2026-02-27T03:00:01.000Z","request_id":"req-e2","correlation_id":"corr-ok","service":"recommendation-model-prod","log_level":"INFO","event_type":"inference_complete","model_metadata":{"serving_variant":"canary","model_version":"3.3.0"},"inference_metrics":{"latency_ms":50},"message":"fine"}
EOF
for loc in C.UTF-8 C; do
	glyphs "$loc"
	tag="escapes $loc"
	start 100 30 "$loc" "$evil"
	title0=$(tm display -p -t t '#{pane_title}')
	wait_re "^[^ ]+ canary +2 "
	keys Enter
	wait_for "pwned"
	check "$tag: the message shows its escapes in the requests" \
	    grep -qF 'pwned \e]0;HACKED\x07 and \' "$tmp/screen"
	keys Enter
	wait_for "message:"
	check "$tag: the record shows every escape visibly" \
	    grep -qF '  message: "pwned \e]0;HACKED\x07 and \e[2J cleared \u{202e}evil\u{202c} done"' "$tmp/screen"
	check "$tag: the screen was not cleared" \
	    sh -c 'head -1 "$1" | grep -qF "logdive" &&
	        grep -qF "request_id: \"req-e1\"" "$1"' - "$tmp/screen"
	title1=$(tm display -p -t t '#{pane_title}')
	if [ "$title1" = "$title0" ] && [ "$title1" != HACKED ]; then
		ok "$tag: the pane title did not change ($title1)"
	else
		not_ok "$tag: the pane title changed: '$title0' -> '$title1'"
	fi
	keys q
	wait_for "EXITED"
	check "$tag: q quits from the record view" grep -q "^EXITED 0$" "$tmp/screen"
done

# --- the query line and the group-by -------------------------------------------

glyphs C.UTF-8
start 100 30 C.UTF-8 "$data"
wait_re "$rowre"
keys / 'latency_ms >' Enter
wait_re "at col [0-9]+"
check "a query with a syntax error: the column, the input stays open" \
    sh -c 'tail -1 "$1" | grep -qE "at col [0-9]+" &&
        tail -2 "$1" | head -1 | grep -qF "/latency_ms >"' - "$tmp/screen"
col=$(tail -1 "$tmp/screen" | sed -n 's/.*at col \([0-9]*\).*/\1/p')
cx=$(tm display -p -t t '#{cursor_x}')
# "│ /" then the text: column N of the query is screen column N + 2
if [ -n "$col" ] && [ "$cx" = $((col + 2)) ]; then
	ok "the cursor waits at the column of the error ($col)"
else
	not_ok "the cursor is at x=$cx, the error at col $col"
fi
keys C-u "serving_variant:$grp" Enter
wait_re "^[^ ]+ $grp +[0-9]"
check "a query narrows the panels to one group" \
    sh -c '! grep -qE "^[^ ]+ prod +[0-9]" "$1" &&
        tail -2 "$1" | head -1 | grep -qF "/serving_variant:$2"' - "$tmp/screen" "$grp"
keys / C-u Enter
wait_re "^[^ ]+ prod +[0-9]"
keys g
wait_for "Latency (ms) by model_version"
check "g groups by model version" grep -qF "Latency (ms) by model_version" "$tmp/screen"
keys g
wait_for "group by field:"
keys environment Enter
wait_for "Latency (ms) by environment"
check "g again asks for a field (a suffix will do)" \
    grep -qF "Latency (ms) by environment" "$tmp/screen"
keys '?'
wait_for "Everywhere"
check "? lists the keys" sh -c 'grep -qF "Dashboard $2 Help" "$1" &&
    grep -qE "^. +Esc +back one level" "$1"' - "$tmp/screen" "$CR"
keys q
wait_for "EXITED"
check "q quits from the help" grep -q "^EXITED 0$" "$tmp/screen"

# --- resize, no terminal ------------------------------------------------------

glyphs C.UTF-8
start 120 40 C.UTF-8 "$data" NO_COLOR=1
wait_re "$rowre"
tm resize-window -t t -x 80 -y 24 >/dev/null 2>&1
i=0
while [ $i -lt 50 ]; do
	snap
	[ "$(head -1 "$tmp/screen" | LC_ALL=C.UTF-8 wc -m)" -eq 81 ] &&
	    grep -qE "$rowre" "$tmp/screen" && { settle; break; }
	sleep 0.1
	i=$((i + 1))
done
check "resize 120x40 -> 80x24 redraws at the new size" \
    sh -c '[ "$(wc -l <"$1")" -eq 24 ] &&
        [ "$(head -1 "$1" | LC_ALL=C.UTF-8 wc -m)" -eq 81 ] &&
        grep -qE "$2" "$1"' - "$tmp/screen" "$rowre"
keys q
wait_for "EXITED"

TERM=dumb "$LOGDIVE" "$data" >"$tmp/out" 2>"$tmp/err" </dev/null
st=$?
if [ "$st" -eq 2 ] && grep -q "logdive panels" "$tmp/err"; then
	ok "TERM=dumb: exit 2, pointing to the headless commands"
else
	: >"$tmp/screen"
	not_ok "TERM=dumb: exit $st: $(cat "$tmp/err")"
fi

echo "1..$n"
