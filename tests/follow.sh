#!/bin/sh
# --follow through tmux (TAP): appended lines reach the dashboard, a
# truncated file and a rotated file (renamed, a new one created) are
# noticed and read again.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); echo "not ok $n - $1"
	tm capture-pane -p -t ld 2>/dev/null | head -5 | sed 's/^/#   /'
}
if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-follow.XXXXXX") || exit 1
sock=ldfollow$$
tm() { LC_ALL=C.UTF-8 tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME

"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 60 --seed 5 --dirty 0 --long-line 0 \
    --out "$tmp/all.jsonl" >/dev/null 2>&1 || { echo "not ok 1 - gen-logs.py"; exit 1; }
head -n 100 "$tmp/all.jsonl" >"$tmp/app.jsonl"

# wait_for TEXT [SECONDS]: poll the title line until it contains TEXT
wait_for() {
	i=0 limit=$(( ${2:-5} * 10 ))
	while [ $i -lt $limit ]; do
		tm capture-pane -p -t ld 2>/dev/null | head -n 1 | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

tm new-session -d -s ld -x 110 -y 30 \
    "LANG=C.UTF-8 '$LOGDIVE' --follow '$tmp/app.jsonl'; sleep 30"
if wait_for "100 records" 10; then ok "the first 100 lines are loaded"
else not_ok "the first 100 lines are loaded"; fi

sed -n '101,150p' "$tmp/all.jsonl" >>"$tmp/app.jsonl"
if wait_for "150 records" 3; then ok "50 appended lines appear"
else not_ok "50 appended lines appear"; fi

# a line written in two parts is read once, whole
line=$(sed -n '151p' "$tmp/all.jsonl")
printf '%s' "$(printf '%s' "$line" | cut -c1-40)" >>"$tmp/app.jsonl"
sleep 1
printf '%s\n' "$(printf '%s' "$line" | cut -c41-)" >>"$tmp/app.jsonl"
if wait_for "151 records" 3; then ok "a line appended in two writes counts once"
else not_ok "a line appended in two writes counts once"; fi

# truncated and rewritten
head -n 10 "$tmp/all.jsonl" >"$tmp/app.jsonl.new"
cat "$tmp/app.jsonl.new" >"$tmp/app.jsonl"
if wait_for "10 records" 3; then ok "a truncated file is read again"
else not_ok "a truncated file is read again"; fi

# rotated: renamed away, a new file in its place
mv "$tmp/app.jsonl" "$tmp/app.jsonl.1"
head -n 7 "$tmp/all.jsonl" >"$tmp/app.jsonl"
if wait_for "7 records" 3; then ok "a rotated file is noticed and the new one read"
else not_ok "a rotated file is noticed and the new one read"; fi

tm send-keys -t ld q
sleep 0.5
echo "1..$n"
