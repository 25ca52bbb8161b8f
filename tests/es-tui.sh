#!/bin/sh
# The dashboard against a fake Elasticsearch, through tmux (TAP): the drill
# chain dashboard -> requests -> record -> trace -> back, and Esc
# cancelling a slow request while the screen stays responsive.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-estui.XXXXXX") || exit 1
sock=ldestui$$
tm() { LC_ALL=C.UTF-8 tmux -L "$sock" -f /dev/null "$@"; }
pid=
trap 'tm kill-server >/dev/null 2>&1; [ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; tm capture-pane -p -t s | sed 's/^/#   /'; }
wait_for() {	# TEXT SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		tm capture-pane -p -t s 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 800 --seed 12 --long-line 0 \
    --out "$tmp/all.jsonl" >/dev/null 2>&1 || { echo "not ok 1 - gen-logs.py"; exit 1; }
"$PYTHON3" "$srcdir/tests/fake-es.py" --port-file "$tmp/port" --latency-ms 50 \
    --index "ml-inference-1=$tmp/all.jsonl" >"$tmp/fake.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$tmp/port")
es="es+http://127.0.0.1:$port/ml-inference-*"
range=2026-02-26T04:00:00Z..2026-02-27T04:00:00Z
# the canary row as the headless command computes it
canary=$("$LOGDIVE" panels -f json -t "$range" "$es" | "$PYTHON3" -c '
import json, sys
g = [g for g in json.load(sys.stdin)["latency"]["groups"] if g["key"] == "canary"][0]
print("{:,}".format(g["count"]))')

tm new-session -d -s s -x 120 -y 40 "LANG=C.UTF-8 '$LOGDIVE' -t '$range' '$es'; sleep 30"
if wait_for "(approximate)" 15 && tm capture-pane -p -t s | grep -qE "canary +$canary "
then ok "dashboard through Elasticsearch, the canary row as headless ($canary)"
else not_ok "dashboard through Elasticsearch"; fi
tm send-keys -t s Down Enter
if wait_for "requests · sorted by latency" 10; then ok "Enter on canary: its slow requests"
else not_ok "Enter on canary: its slow requests"; fi
tm send-keys -t s Enter
if wait_for "correlation_id:" 10; then ok "Enter: the record's JSON"
else not_ok "Enter: the record's JSON"; fi
if tm capture-pane -p -t s | grep -q '_index: "ml-inference-1"'; then ok "the record shows _index"
else not_ok "the record shows _index"; fi
tm send-keys -t s T
if wait_for "5 records" 10; then ok "T: the trace across five services"
else not_ok "T: the trace"; fi
tm send-keys -t s Escape
sleep 0.3
tm send-keys -t s Escape
sleep 0.3
tm send-keys -t s Escape
if wait_for "(approximate)" 5; then ok "Esc x3: back on the dashboard"
else not_ok "Esc x3: back on the dashboard"; fi

# a slow server: Esc cancels the request and the screen answers at once
"$PYTHON3" -c '
import sys, urllib.request
r = urllib.request.Request("http://127.0.0.1:%s/_fake/faults" % sys.argv[1],
    data=b"{\"delay_ms\": 8000, \"times\": 5, \"path\": \"_search\"}", method="POST")
urllib.request.urlopen(r).read()' "$port"
tm send-keys -t s Enter
sleep 1
tm send-keys -t s Escape
if wait_for "Dashboard" 2 && ! tm capture-pane -p -t s | grep -q "requests · sorted"; then
	ok "Esc during a slow request: back at once"
else not_ok "Esc during a slow request"; fi
tm send-keys -t s '?'
if wait_for "Everywhere" 3; then ok "the screen stays responsive (help opens)"
else not_ok "the screen stays responsive"; fi
tm send-keys -t s q
sleep 0.5

# a partial answer: the latency panel and the status line say so
tm kill-session -t s 2>/dev/null
"$PYTHON3" -c '
import sys, urllib.request
r = urllib.request.Request("http://127.0.0.1:%s/_fake/faults" % sys.argv[1], method="DELETE")
urllib.request.urlopen(r).read()
r = urllib.request.Request("http://127.0.0.1:%s/_fake/faults" % sys.argv[1],
    data=b"{\"shard_failures\": 1, \"times\": -1, \"path\": \"_msearch\"}", method="POST")
urllib.request.urlopen(r).read()' "$port"
tm new-session -d -s s -x 120 -y 40 "LANG=C.UTF-8 '$LOGDIVE' -t '$range' '$es'; sleep 30"
if wait_for "(approximate, 1/2 shards)" 15 && tm capture-pane -p -t s | grep -q "│ 1/2 shards answered: "
then ok "a partial answer: the panel and the status line say how many shards answered"
else not_ok "a partial answer is said"; fi
tm send-keys -t s q
sleep 0.3
echo "1..$n"
