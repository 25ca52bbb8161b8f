#!/bin/sh
# The terminal (TAP; issue 6 §4), through tmux as a person uses it, on one
# private tmux server:
#  1. a resize storm (100 resizes, among sizes from 1x1 to 200x60) in the
#     dashboard and in a list: logdive lives, and the final screen is
#     exactly what a fresh start at that size draws;
#  2. small sizes: "terminal too small" at 20x5 (exact), every view at
#     30x10 and 40x10 inside its borders, 1x1, keys (q, Esc) at those sizes,
#     the full screen back at a normal size;
#  3. signals as a person sends them: Ctrl-C (cancels, does not kill), the
#     session killed (hangup), a hangup and a resize with SIGHUP/SIGWINCH
#     blocked by the parent, Ctrl-Z and SIGTSTP under a job-control shell
#     (cooked tty while stopped; fg after a resize redraws at the new size;
#     keys work), Ctrl-Z without job control (says so);
#  4. TERM unset, empty, dumb, unknown, a type that cannot move the cursor,
#     LINES/COLUMNS in the environment: exit 2, one line on stderr naming
#     the headless commands, not one byte written to the terminal;
#  5. non-UTF-8 locales (POSIX, and ISO-8859-1 when one can be had): ASCII
#     glyphs only, non-ASCII log text shown as \u{...} everywhere;
#  6. escape injection in values, key names, service, group, model version,
#     correlation ID and file name (CSI, OSC 0/2/8/52 with BEL and ST, DCS,
#     tmux passthrough, C1 as \u escapes and as raw UTF-8, bidi controls,
#     BEL, BS, CR, TAB): the exact visible escapes in the dashboard, the
#     lists, the record and the trace, the pane title and tmux's buffers
#     (set-clipboard on) unchanged, no colour bleed; the headless commands
#     on a terminal write no control character either.
# signals.sh covers SIGTERM/SIGHUP/SIGINT/SIGSEGV sent with kill; tui.sh
# the drill chain and one resize.
#
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-term.XXXXXX") || exit 1
sock=ldterm$$
. "$srcdir/tests/lib/common.sh"
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$tmp"
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
unset NO_COLOR LOGDIVE_NOW LINES COLUMNS
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
lib=$srcdir/tests/lib

# --- data ----------------------------------------------------------------

data=$tmp/inc.jsonl
"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 300 --seed 5 --out "$data" \
    >/dev/null 2>&1 || { echo "not ok 1 - gen-logs.py failed"; exit 1; }
"$PYTHON3" "$lib/terminal_data.py" evil "$tmp/evil.jsonl" &&
"$PYTHON3" "$lib/terminal_data.py" nonascii "$tmp/nonascii.jsonl" ||
	{ echo "not ok 1 - terminal_data.py failed"; exit 1; }
# the same records under a file name with an OSC title and a raw C1 byte
# (0x9b, CSI; invalid UTF-8) in it
evilname=$(printf 'ev\033]0;PWNED\007\233il.jsonl')
cp "$tmp/evil.jsonl" "$tmp/$evilname"
total=$(LC_ALL=C.UTF-8 "$LOGDIVE" panels -f json "$data" | "$PYTHON3" -c \
    'import json,sys; print("{:,}".format(json.load(sys.stdin)["records"]["total"]))') ||
	{ echo "not ok 1 - logdive panels failed"; exit 1; }
# row of a group in the latency table (the headless order)
group_row() {	# FILE KEY-PREFIX
	LC_ALL=C.UTF-8 "$LOGDIVE" panels -f json "$1" | "$PYTHON3" -c '
import json, sys
keys = [g["key"] for g in json.load(sys.stdin)["latency"]["groups"]]
print([i for i, k in enumerate(keys) if k.startswith(sys.argv[1])][0])' "$2"
}

# --- driving tmux ----------------------------------------------------------

# A session that lives as long as the suite: the server stays when the
# session under test is killed. set-clipboard on: an OSC 52 that reached
# tmux would land in its buffers.
tm new-session -d -s keep -x 80 -y 24 "sleep 3600" || {
	echo "not ok 1 - tmux new-session failed"; exit 1; }
tm set -s set-clipboard on >/dev/null 2>&1
tm set -g history-limit 0 >/dev/null 2>&1

# run W H COMMAND: session s (a new one) running COMMAND
run() {
	tm kill-session -t s >/dev/null 2>&1
	tm new-session -d -s s -x "$1" -y "$2" "$3"
}
# ld W H ENV ARGS...: logdive in session s with the variables ENV (one word,
# "-" for none); stderr to $tmp/stderr; the pane says EXITED <status> after,
# and $tmp/status has the status
ld() {
	_w=$1 _h=$2 _e=$3
	shift 3
	[ "$_e" = - ] && _e=
	_a=
	for _x in "$@"; do _a="$_a '$_x'"; done
	rm -f "$tmp/status"
	run "$_w" "$_h" "cd '$tmp' && env $_e '$LOGDIVE'$_a 2>'$tmp/stderr'; st=\$?; echo \$st >'$tmp/status'; echo EXITED \$st; sleep 600"
}
keys() { tm send-keys -t s "$@"; }
snap() { tm capture-pane -p -t s >"$tmp/screen" 2>/dev/null; }
# settle: until two snapshots 0.15 s apart agree, at most 3 s
settle() {
	_i=0
	while [ $_i -lt 20 ]; do
		cp "$tmp/screen" "$tmp/screen.prev"
		sleep 0.15
		snap
		cmp -s "$tmp/screen" "$tmp/screen.prev" && return 0
		_i=$((_i + 1))
	done
}
# until_text TEXT [SECONDS]: the screen shows TEXT (fixed string), settled
until_text() {
	_i=0
	while [ $_i -lt $((${2:-15} * 10)) ]; do
		snap
		grep -qF -- "$1" "$tmp/screen" && { settle; return 0; }
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
# steady: the screen shows no load in progress and has not changed for
# 0.6 s (a reference screen), at most 15 s
steady() {
	_i=0 _same=0
	snap
	while [ $_i -lt 100 ] && [ $_same -lt 4 ]; do
		cp "$tmp/screen" "$tmp/screen.prev"
		sleep 0.15
		snap
		if cmp -s "$tmp/screen" "$tmp/screen.prev" &&
		    ! grep -q "loading\|Searching\|Loading" "$tmp/screen"; then
			_same=$((_same + 1))
		else
			_same=0
		fi
		_i=$((_i + 1))
	done
}
# until_same FILE [SECONDS]: the screen is exactly FILE
until_same() {
	_i=0
	while [ $_i -lt $((${2:-15} * 10)) ]; do
		snap
		cmp -s "$tmp/screen" "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	diff "$1" "$tmp/screen" | head -20 | sed 's/^/#   /'
	return 1
}
# has_line TEXT: a screen line is "│ TEXT", padding, "│" (or | in ASCII)
has_line() {
	sed 's/^\(│\||\) //; s/ *\(│\||\)$//' "$tmp/screen" | grep -qxF -- "$1"
}
# framed W H: the screen is H lines of W columns, each starting and ending
# with a border glyph (nothing drawn over the borders)
framed() {
	"$PYTHON3" - "$tmp/screen" "$1" "$2" <<'PY'
import sys
ls = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
w, h = int(sys.argv[2]), int(sys.argv[3])
bad = [(i + 1, l) for i, l in enumerate(ls) if len(l) != w or
       l[0] not in "┌│├└+|" or l[-1] not in "┐│┤┘+|"]
for i, l in bad[:3]:
    print("#   line %d (%d columns): %s" % (i, len(l), l))
sys.exit(1 if bad or len(ls) != h else 0)
PY
}
# grep in a UTF-8 locale (patterns with box glyphs)
ugrep() { LC_ALL=C.UTF-8 grep "$@"; }
# the pid of the logdive started by this suite that is still alive
ldpid() {
	for _d in /proc/[0-9]*; do
		[ "$(cat "$_d/comm" 2>/dev/null)" = logdive ] || continue
		grep -q " Z " "$_d/stat" 2>/dev/null && continue
		tr '\0' '\n' <"$_d/environ" 2>/dev/null |
		    grep -qxF "XDG_STATE_HOME=$XDG_STATE_HOME" || continue
		echo "${_d#/proc/}"
		return 0
	done
	return 1
}
# gone PID SECONDS: the process has exited (or is a zombie)
gone() {
	_i=0
	while [ $_i -lt $(($2 * 10)) ]; do
		[ -d "/proc/$1" ] && ! grep -q " Z " "/proc/$1/stat" 2>/dev/null ||
		    return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
# quit: q, then the pane says EXITED 0 and stderr is empty (no sanitizer
# report)
quit_ok() {	# NAME
	keys q
	if until_text "EXITED" 15 && grep -qx "EXITED 0" "$tmp/screen" &&
	    [ ! -s "$tmp/stderr" ]; then
		ok "$1"
	else
		not_ok "$1" "$tmp/stderr"
	fi
}
loaded="$total records"

# --- 1. resize storm ----------------------------------------------------------

sizes="80x24 132x43 20x5 45x12 200x60 30x10 1x1 100x30 41x11 64x20"
storm() {	# 100 resizes, then W H
	_i=0
	while [ $_i -lt 10 ]; do
		for _s in $sizes; do
			tm resize-window -t s -x "${_s%x*}" -y "${_s#*x}"
		done
		_i=$((_i + 1))
	done
	tm resize-window -t s -x "$1" -y "$2"
}

# what a fresh start draws at 90x26: the dashboard, then its first list
ld 90 26 LANG=C.UTF-8 "$data"
until_text "$loaded" || not_ok "the dashboard did not load"
steady
cp "$tmp/screen" "$tmp/ref-dash"
keys Enter
until_text "sorted by latency"
steady
cp "$tmp/screen" "$tmp/ref-list"
keys Escape
until_same "$tmp/ref-dash" 5
quit_ok "a fresh start at 90x26 (the reference screens), q quits"

ld 120 40 LANG=C.UTF-8 "$data"
until_text "$loaded"
t0=$(date +%s)
storm 90 26
t1=$(date +%s)
if until_same "$tmp/ref-dash"; then
	ok "dashboard: 100 resizes (in $((t1 - t0 + 1)) s or less), then 90x26: exactly the fresh start's screen"
else
	not_ok "dashboard: after 100 resizes the screen is not the fresh start's"
fi
ldpid >/dev/null
check $? "after the storm: logdive is alive"
if framed 90 26 &&
    head -1 "$tmp/screen" | ugrep -q "^┌ logdive · inc\.jsonl · .* · $total records ─*┐$" &&
    has_line "Dashboard" &&
    sed -n 3p "$tmp/screen" | ugrep -q "^│ Latency (ms) by serving_variant  *│ Confidence (mean) .*│$" &&
    tail -1 "$tmp/screen" | ugrep -q "^└ Tab panel · Enter drill · / filter · .* q quit ─*┘$"; then
	ok "after the storm: title, breadcrumb, panel headings and hints at 90 columns, 26 lines"
else
	not_ok "after the storm: the frame at 90x26 is wrong"
fi
keys Enter
until_text "sorted by latency"
storm 90 26
if until_same "$tmp/ref-list"; then
	ok "requests list: 100 resizes, then exactly the fresh start's list at 90x26"
else
	not_ok "requests list: after 100 resizes the screen is not the fresh start's"
fi
quit_ok "after two storms q quits with status 0, nothing on stderr"

# --- 2. small sizes -------------------------------------------------------------

ld 20 5 LANG=C.UTF-8 "$data"
until_text "terminal too small"
sed 's/ *$//' "$tmp/screen" >"$tmp/small"
printf 'terminal too small\n20x5, need 30x10\nq quits\n\n\n' >"$tmp/want"
if cmp -s "$tmp/small" "$tmp/want"; then
	ok "20x5: 'terminal too small', '20x5, need 30x10', 'q quits' (the whole screen)"
else
	not_ok "20x5: the small-terminal screen is not the expected one"
fi
tm resize-window -t s -x 29 -y 10
until_text "29x10, need 30x10" 5
check $? "29x10: still too small, says so with the new size"
tm resize-window -t s -x 30 -y 9
until_text "30x9, need 30x10" 5
check $? "30x9: too small"
tm resize-window -t s -x 30 -y 10
until_text "$loaded" 10
if framed 30 10 && head -1 "$tmp/screen" | ugrep -q "^┌ logdive · $total records ─*┐$" &&
    has_line "Dashboard"; then
	ok "30x10: the dashboard inside its frame; the title keeps the record count"
else
	not_ok "30x10: the dashboard is not framed"
fi
for step in "Enter:p95 (:requests" "Enter:request req-:record" \
    "T:› trace corr:trace"; do
	k=${step%%:*} rest=${step#*:}
	keys "$k"
	until_text "${rest%%:*}" 10
	framed 30 10
	check $? "30x10: the ${rest#*:} view stays inside the borders"
done
tm resize-window -t s -x 40 -y 10
until_text "› trace corr" 5
framed 40 10
check $? "40x10: the trace view stays inside the borders"
keys Escape
until_text "request req-" 5
framed 40 10
check $? "40x10: the record view stays inside the borders"
keys Escape Escape
until_text "Dashboard  " 5
tm resize-window -t s -x 20 -y 5
until_text "q quits" 5
keys /
until_text "Esc cancels" 5
check $? "20x5 with the query line open: 'Esc cancels' instead of 'q quits'"
keys Escape
until_text "q quits" 5
check $? "20x5: Esc closes the query line"
tm resize-window -t s -x 1 -y 1
sleep 0.3
tm resize-window -t s -x 90 -y 26
if until_same "$tmp/ref-dash"; then
	ok "1x1, then 90x26: the full dashboard again, exactly the fresh start's"
else
	not_ok "after 1x1 the dashboard at 90x26 is not the fresh start's"
fi
tm resize-window -t s -x 1 -y 1
sleep 0.3
keys q
_i=0
while [ ! -s "$tmp/status" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
if [ "$(cat "$tmp/status" 2>/dev/null)" = 0 ] && [ ! -s "$tmp/stderr" ]; then
	ok "q quits at 1x1 (status 0, nothing on stderr)"
else
	not_ok "q at 1x1" "$tmp/stderr"
fi

# --- 3. signals ---------------------------------------------------------------------

ld 90 26 LANG=C.UTF-8 "$data"
until_text "$loaded"
keys C-c
until_text "nothing to cancel (q quits)" 5
check $? "Ctrl-C with nothing running: 'nothing to cancel (q quits)', logdive goes on"
quit_ok "after Ctrl-C, q quits with status 0"

ld 90 26 LANG=C.UTF-8 "$data"
until_text "$loaded"
pid=$(ldpid)
tm kill-session -t s
if [ -n "$pid" ] && gone "$pid" 10; then
	ok "the tmux session killed (terminal hangup): logdive exits"
else
	not_ok "the session killed: logdive ($pid) still runs"
fi

# a parent that blocks SIGHUP and SIGWINCH (inherited across exec)
cat >"$tmp/blocked.py" <<'EOF'
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP, signal.SIGWINCH])
os.execv(sys.argv[1], sys.argv[1:])
EOF
run 120 40 "cd '$tmp' && LANG=C.UTF-8 '$PYTHON3' '$tmp/blocked.py' '$LOGDIVE' '$data'"
until_text "$loaded"
storm 90 26
until_same "$tmp/ref-dash"
check $? "SIGWINCH blocked by the parent: the resizes still redraw (the fresh start's screen)"
pid=$(ldpid)
tm kill-session -t s
if [ -n "$pid" ] && gone "$pid" 10; then
	ok "SIGHUP blocked by the parent: the terminal hangs up, logdive exits (no spinning)"
else
	not_ok "SIGHUP blocked: logdive ($pid) still runs after the hangup: $(ps -o pcpu=,stat= -p "$pid" 2>/dev/null)"
	kill -9 "$pid" 2>/dev/null
fi

if command -v bash >/dev/null 2>&1; then
	run 120 40 "cd '$tmp' && env PS1='$ ' bash --norc --noprofile -i"
	until_text '$' 10
	keys "LANG=C.UTF-8 '$LOGDIVE' '$data' 2>'$tmp/stderr'" Enter
	until_text "$loaded"
	keys C-z
	until_text "Stopped" 10
	if ! grep -qF "Latency (ms)" "$tmp/screen"; then
		ok "Ctrl-Z under a job-control shell: stopped, the shell's screen back"
	else
		not_ok "Ctrl-Z: the dashboard is still on the screen"
	fi
	keys "stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo" Enter
	until_text "icanon echo" 5
	grep -q "^icanon echo *$" "$tmp/screen"
	check $? "while stopped the tty is cooked (stty: icanon echo)"
	tm resize-window -t s -x 90 -y 26
	keys fg Enter
	if until_same "$tmp/ref-dash"; then
		ok "resized while stopped, fg: redrawn in full at the new size (the fresh start's screen)"
	else
		not_ok "fg: the screen is not the fresh start's"
	fi
	keys '?'
	until_text "Everywhere" 5
	check $? "after fg the keys work (? opens the help)"
	keys Escape
	until_same "$tmp/ref-dash" 5
	pid=$(ldpid)
	kill -s TSTP "$pid" 2>/dev/null
	until_text "Stopped" 10
	check $? "SIGTSTP from outside: stopped, the shell back"
	keys fg Enter
	until_same "$tmp/ref-dash"
	check $? "fg after SIGTSTP: redrawn in full"
	keys q
	keys "echo EXITED \$?" Enter
	until_text "EXITED" 10
	grep -qx "EXITED 0" "$tmp/screen" && [ ! -s "$tmp/stderr" ]
	check $? "after two stops q quits with status 0" "$tmp/stderr"
else
	skip "Ctrl-Z and fg" "bash is not installed (a job-control shell)"
fi

ld 90 26 LANG=C.UTF-8 "$data"
until_text "$loaded"
keys C-z
until_text "cannot suspend: no job control here" 5
check $? "Ctrl-Z without job control (tmux runs logdive under sh -c): says so, does not stop"
keys '?'
until_text "Everywhere" 5
check $? "then the keys work (? opens the help)"
quit_ok "then q quits with status 0"

# --- 4. TERM --------------------------------------------------------------------------

headless="use the headless commands instead: logdive panels|requests|trace ID SOURCE... (see logdive --help)"
unknown="set TERM (e.g. TERM=xterm), or use the headless commands: logdive panels|requests|trace ID SOURCE..."
mkdir -p "$tmp/terminfo"
printf 'nocup-xyz|a terminal that cannot move the cursor,\n\tam, cols#80,\n\tbel=^G, cr=\\r, cud1=\\n, ind=\\n,\n' >"$tmp/nocup.ti"
have_tic=0
tic -o "$tmp/terminfo" "$tmp/nocup.ti" >/dev/null 2>&1 && have_tic=1
for case in unset empty dumb unknown nocup; do
	case $case in
	unset)	envs="-u TERM" what="TERM unset"
		want="logdive: TERM is not set: the interactive view needs a terminal; $headless" ;;
	empty)	envs="TERM=" what="TERM empty"
		want="logdive: TERM is not set: the interactive view needs a terminal; $headless" ;;
	dumb)	envs="TERM=dumb" what="TERM=dumb"
		want="logdive: TERM is dumb: the interactive view needs a terminal; $headless" ;;
	unknown) envs="TERM=unknown-term-xyz" what="TERM=unknown-term-xyz"
		want="logdive: unknown terminal type 'unknown-term-xyz': $unknown" ;;
	nocup)	envs="TERMINFO=$tmp/terminfo TERM=nocup-xyz" what="a TERM that cannot move the cursor"
		want="logdive: terminal type 'nocup-xyz' cannot move the cursor: $unknown"
		[ $have_tic = 1 ] || { skip "$what" "tic is not installed"; continue; } ;;
	esac
	rm -f "$tmp/go" "$tmp/tty.out"
	# logdive starts once every byte to the pane is being recorded
	run 100 10 "cd '$tmp' && while [ ! -e go ]; do sleep 0.05; done; env $envs '$LOGDIVE' '$data' 2>'$tmp/err.$case'; echo EXITED \$?; sleep 600"
	tm pipe-pane -t s -o "cat >'$tmp/tty.out'"
	sleep 0.2
	: >"$tmp/go"
	until_text EXITED 10
	tm pipe-pane -t s
	sleep 0.2
	if grep -qx "EXITED 2" "$tmp/screen" && [ "$(wc -l <"$tmp/err.$case")" -eq 1 ] &&
	    [ "$(cat "$tmp/err.$case")" = "$want" ]; then
		ok "$what: exit 2, stderr one line: the headless commands"
	else
		not_ok "$what: exit or message wrong" "$tmp/err.$case"
	fi
	# what reached the terminal: the shell's "EXITED 2" line and nothing else
	if [ "$(tr -d '\r' <"$tmp/tty.out")" = "EXITED 2" ]; then
		ok "$what: not one byte written to the terminal"
	else
		not_ok "$what: the terminal got: $(od -An -tx1 "$tmp/tty.out" | head -3 | tr -s '\n ' '  ')"
	fi
done
# the message as a person sees it: stderr on the terminal, the only line
run 200 10 "cd '$tmp' && env TERM=dumb '$LOGDIVE' '$data'; echo EXITED \$?; sleep 600"
until_text EXITED 10
if [ "$(sed -n 1p "$tmp/screen" | sed 's/ *$//')" = "logdive: TERM is dumb: the interactive view needs a terminal; $headless" ] &&
    [ "$(sed -n 2p "$tmp/screen")" = "EXITED 2" ]; then
	ok "TERM=dumb, stderr on the terminal: one line, then the shell"
else
	not_ok "TERM=dumb on the terminal"
fi
# LINES and COLUMNS exported with other values: the terminal's size wins
ld 90 26 "LANG=C.UTF-8 LINES=50 COLUMNS=150" "$data"
if until_same "$tmp/ref-dash"; then
	ok "LINES=50 COLUMNS=150 in the environment of a 90x26 terminal: drawn at 90x26"
else
	not_ok "LINES/COLUMNS in the environment change the drawing"
fi
quit_ok "then q quits with status 0"

# --- 5. non-UTF-8 locales -------------------------------------------------------------

latin1=
for l in $(locale -a 2>/dev/null); do
	case $l in *.iso88591|*.ISO-8859-1|*.ISO8859-1|*.iso885915) latin1=$l; break ;; esac
done
locpath=
if [ -z "$latin1" ] && command -v localedef >/dev/null 2>&1 &&
    mkdir -p "$tmp/locale" && localedef -i en_US -f ISO-8859-1 "$tmp/locale/en_US.ISO-8859-1" >/dev/null 2>&1; then
	# glibc leaks the LOCPATH it splits (__argz_add_sep in setlocale):
	# not logdive's, kept out of a sanitizer build's leak report
	printf 'leak:__argz_add_sep\n' >"$tmp/lsan.supp"
	latin1=en_US.ISO-8859-1
	locpath="LOCPATH=$tmp/locale LSAN_OPTIONS=suppressions=$tmp/lsan.supp:print_suppressions=0"
fi
row=$(group_row "$tmp/nonascii.jsonl" caf)
msg_esc='na\u{00ef}ve r\u{00e9}sum\u{00e9} \u{2014} \u{65e5}\u{672c} \u{1f642} end'
msg_utf8='naïve résumé — 日本 🙂 end'
for loc in C.UTF-8 POSIX latin1; do
	if [ $loc = latin1 ]; then
		if [ -z "$latin1" ]; then
			skip "ISO-8859-1 locale" "locale -a lists none and localedef could not make one"
			continue
		fi
		envs="$locpath LC_ALL=$latin1" tag="LC_ALL=$latin1"
	else
		envs="LC_ALL=$loc" tag="LC_ALL=$loc"
	fi
	ld 160 24 "$envs" "$tmp/nonascii.jsonl"
	until_text "2 records"
	if [ $loc = C.UTF-8 ]; then
		ugrep -q "^┌ logdive · nonascii\.jsonl · .*┐$" "$tmp/screen" &&
		    ugrep -q "^│ café  *1 " "$tmp/screen"
		check $? "$tag: box glyphs, café as is (the reference)"
	else
		if grep -q "^+ logdive - nonascii\.jsonl - .* records -*+$" "$tmp/screen" &&
		    grep -q '^| caf\\u{00e9}  *1 ' "$tmp/screen" &&
		    tail -1 "$tmp/screen" | grep -q "^+ Tab panel - Enter drill - .*-+$" &&
		    ! LC_ALL=C grep -q '[^ -~]' "$tmp/screen"; then
			ok "$tag: the dashboard in ASCII glyphs, café escaped as a code point, no other byte"
		else
			not_ok "$tag: the dashboard is not plain ASCII"
		fi
	fi
	i=0
	while [ $i -lt "$row" ]; do keys Down; i=$((i + 1)); done
	keys Enter
	until_text "sorted by latency" 10
	keys Enter
	until_text "request_id" 10
	if [ $loc = C.UTF-8 ]; then
		has_line "  message: \"$msg_utf8\""
		check $? "$tag: the record shows the text as is"
	else
		if has_line "  message: \"$msg_esc\"" &&
		    has_line '  correlation_id: "corr-\u{00fc}"' &&
		    has_line '    serving_variant: "caf\u{00e9}"' &&
		    ! LC_ALL=C grep -q '[^ -~]' "$tmp/screen"; then
			ok "$tag: the record shows every non-ASCII character as its code point (u{...})"
		else
			not_ok "$tag: non-ASCII text in the record"
		fi
	fi
	quit_ok "$tag: q quits from the record"
done

# --- 6. escape injection ---------------------------------------------------------------

cat >"$tmp/evil-tui.sh" <<EOF
cd '$tmp' || exit 1
env \$1 '$LOGDIVE' "\$(printf 'ev\\033]0;PWNED\\007\\233il.jsonl')" 2>'$tmp/stderr'
echo EXITED \$?
sleep 600
EOF
vrow=$(group_row "$tmp/evil.jsonl" var)
msg3='c1 \u{009b}2J \u{009d}0;PWNED\u{009c} bidi \u{202e}evil\u{202c} \u{2066}a\u{2069} \u{2067}b\u{2068} \u{200e}\u{200f} bel\x07 bs ab\x08\x08XY cr one\rtwo tab a\tb'
msg1='csi \e[2J\e[H \e[31mRED\e[0m \e[5A end'
msg2='osc2 \e]2;PWNED\e\ end'
msg4='dcs \eP+q544e\e\ tmux \ePtmux;\e\e]0;PWNED\x07\e\ raw \u{009b}2J \u{202e}X end'
for loc in C.UTF-8 POSIX; do
	if [ $loc = C.UTF-8 ]; then
		glyph_crumb='›' ge='≥' dot='·' mk='◀' tag="escapes, colour, $loc"
		run 240 40 "sh '$tmp/evil-tui.sh' LC_ALL=$loc"
	else
		glyph_crumb='>' ge='>=' dot='-' mk='<' tag="escapes, NO_COLOR, $loc"
		run 240 40 "sh '$tmp/evil-tui.sh' 'LC_ALL=$loc NO_COLOR=1'"
	fi
	title0=$(tm display -p -t s '#{pane_title}')
	until_text "4 records"
	# the dashboard: file name, group, model version
	if head -1 "$tmp/screen" | grep -qF " logdive $dot ev\\e]0;PWNED\\x07\\x9bil.jsonl $dot " &&
	    { grep -qF "| var\\e]52;c;cHduZWQ=\\x07 " "$tmp/screen" ||
	    grep -qF "│ var\\e]52;c;cHduZWQ=\\x07 " "$tmp/screen"; }; then
		ok "$tag: dashboard: the file name (OSC 0, raw byte 0x9b) and the group (OSC 52) shown escaped"
	else
		not_ok "$tag: dashboard escapes"
	fi
	grep -qF " v\\eP+q544e\\e\\ " "$tmp/screen"
	check $? "$tag: dashboard: the model version's DCS shown escaped"
	tm capture-pane -e -p -t s >"$tmp/screen.e"
	if [ $loc = POSIX ]; then
		"$PYTHON3" "$lib/terminal_cells.py" nocolour <"$tmp/screen.e"
		check $? "$tag: dashboard: no colour anywhere (none leaked from the logs)"
	fi
	# Enter on the group: its list, breadcrumb with the group escaped
	i=0
	while [ $i -lt "$vrow" ]; do keys Down; i=$((i + 1)); done
	keys Enter
	until_text "sorted by latency" 10
	has_line "Dashboard $glyph_crumb var\\e]52;c;cHduZWQ=\\x07 $ge p95 (900 ms)"
	check $? "$tag: requests: the breadcrumb shows the group escaped"
	# a bucket's list: the four records
	keys Escape Tab Enter
	until_text "4 requests" 10
	if grep -qF " api-gateway " "$tmp/screen" && grep -qF " $msg1 " "$tmp/screen" &&
	    grep -qF " svc\\e[31m " "$tmp/screen" && grep -qF " $msg2 " "$tmp/screen" &&
	    grep -qF " $msg4 " "$tmp/screen" &&
	    grep -qF " c1 \\u{009b}2J \\u{009d}0;PWNED\\u{009c} bidi \\u{202e}evil" "$tmp/screen"; then
		ok "$tag: requests: CSI, OSC 2 (ST), DCS, tmux passthrough, C1 (escaped and raw UTF-8), bidi, each shown escaped"
	else
		not_ok "$tag: requests: the messages are not shown escaped"
	fi
	tm capture-pane -e -p -t s >"$tmp/screen.e"
	if [ $loc = POSIX ]; then
		"$PYTHON3" "$lib/terminal_cells.py" nocolour <"$tmp/screen.e"
		check $? "$tag: requests: no colour anywhere"
	else
		# the text after an escaped colour sequence is in the row's style
		"$PYTHON3" "$lib/terminal_cells.py" same "$msg1" "csi " "RED" " end" <"$tmp/screen.e" &&
		    "$PYTHON3" "$lib/terminal_cells.py" same "$msg2" "osc2 " " end" <"$tmp/screen.e"
		check $? "$tag: requests: no colour bleed (the text after an escaped SGR 31 is in the row's style)"
	fi
	# the third record's JSON
	keys Down Down Enter
	until_text "request_id" 10
	if has_line "2026-02-27 03:00:00.020 $dot recommendation-model-prod $dot inference_complete" &&
	    has_line '  correlation_id: "cid\e]0;PWNED\x07"' &&
	    has_line '    serving_variant: "var\e]52;c;cHduZWQ=\x07"' &&
	    has_line '    model_version: "v\eP+q544e\e\"' &&
	    has_line '  k\e[2Jey: "osc8 \e]8;;http://evil.example/\e\click\e]8;;\e\ end"' &&
	    has_line "  message: \"$msg3\""; then
		ok "$tag: record: values, a key name (CSI), OSC 8, C1, bidi, BEL, BS, CR, TAB all escaped"
	else
		not_ok "$tag: record view escapes"
	fi
	# its trace
	keys T
	until_text "slowest step" 10
	if grep -qF " $glyph_crumb trace cid\\e]0;PWNED\\x07 " "$tmp/screen" &&
	    has_line "4 records $dot 3 services $dot 30.0 ms $dot slowest step 10.0 ms, before svc\\e[31m" &&
	    grep -qF " +10.0 $mk svc\\e[31m " "$tmp/screen"; then
		ok "$tag: trace: correlation ID (OSC 0) and service (CSI) escaped"
	else
		not_ok "$tag: trace view escapes"
	fi
	if [ $loc = POSIX ]; then
		! LC_ALL=C grep -q '[^ -~]' "$tmp/screen"
		check $? "$tag: trace: nothing but ASCII on the screen"
	fi
	title1=$(tm display -p -t s '#{pane_title}')
	if [ "$title1" = "$title0" ] && [ "$title1" != PWNED ]; then
		ok "$tag: the pane title did not change ($title1)"
	else
		not_ok "$tag: the pane title changed: '$title0' -> '$title1'"
	fi
	if [ -z "$(tm list-buffers 2>/dev/null)" ]; then
		ok "$tag: no tmux buffer (no OSC 52 reached the terminal, set-clipboard on)"
	else
		not_ok "$tag: tmux buffers: $(tm list-buffers)"
	fi
	quit_ok "$tag: q quits from the trace"
done

# --- 6b. the headless commands on a terminal -------------------------------------------

cid=$(printf 'cid\033]0;PWNED\007')
cat >"$tmp/headless.sh" <<EOF
cd '$tmp' || exit 1
for f in table csv jsonl json md; do
	LC_ALL=C.UTF-8 '$LOGDIVE' requests -f \$f evil.jsonl
done
for f in table csv jsonl json; do
	LC_ALL=C.UTF-8 '$LOGDIVE' trace -f \$f "\$(printf 'cid\\033]0;PWNED\\007')" evil.jsonl
done
echo EXITED \$?
sleep 600
EOF
rm -f "$tmp/tty.out" "$tmp/go"
run 240 40 "while [ ! -e '$tmp/go' ]; do sleep 0.05; done; sh '$tmp/headless.sh'"
title0=$(tm display -p -t s '#{pane_title}')
tm pipe-pane -t s -o "cat >'$tmp/tty.out'"
sleep 0.2
: >"$tmp/go"
until_text EXITED 20
tm pipe-pane -t s
sleep 0.2
if [ -s "$tmp/tty.out" ] && ! grep -q "$(printf '\033')" "$tmp/tty.out" &&
    ! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$tmp/tty.out" &&
    ! LC_ALL=C grep -q "$(printf '\342\200[\252-\256\216\217]')" "$tmp/tty.out" &&
    ! LC_ALL=C grep -q "$(printf '[\001-\010\013\014\016-\037\177]')" "$tmp/tty.out"; then
	ok "headless requests (table, csv, jsonl, json, md) and trace on a terminal: no control, C1 or bidi character reaches it"
else
	not_ok "headless output on a terminal carries controls: $(LC_ALL=C grep -c "$(printf '\033')" "$tmp/tty.out") lines with ESC"
fi
title1=$(tm display -p -t s '#{pane_title}')
[ "$title1" = "$title0" ] && [ -z "$(tm list-buffers 2>/dev/null)" ]
check $? "headless on a terminal: the pane title and tmux's buffers unchanged"
grep -qF 'cid\e]0;PWNED\x07' "$tmp/tty.out" &&
    grep -qF '"message": "dcs \u001bP+q544e\u001b\\ tmux \u001bPtmux;\u001b\u001b]0;PWNED\u0007\u001b\\ raw \u009b2J \u202eX end"' "$tmp/tty.out"
check $? "headless on a terminal: csv shows the escapes as the TUI does; jsonl writes raw C1 and bidi as JSON u escapes"
# jsonl on a terminal is still the same JSON; piped, the source bytes
tr -d '\r' <"$tmp/tty.out" | "$PYTHON3" -c '
import json, sys
src = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l) for l in sys.stdin if l.startswith("{\"timestamp\"")]
sys.exit(0 if got[:4] == src else 1)' "$tmp/evil.jsonl"
check $? "headless jsonl on a terminal: each line parses to the source record"
LC_ALL=C.UTF-8 "$LOGDIVE" requests -f jsonl "$tmp/evil.jsonl" >"$tmp/piped" 2>&1 &&
    cmp -s "$tmp/piped" "$tmp/evil.jsonl"
check $? "headless jsonl into a pipe: byte for byte the source lines"
# panels prints group names through queries/panels.c and tui/cli.c
rm -f "$tmp/tty.out" "$tmp/go"
run 240 40 "cd '$tmp' && while [ ! -e go ]; do sleep 0.05; done; LC_ALL=C.UTF-8 '$LOGDIVE' panels evil.jsonl; echo EXITED \$?; sleep 600"
tm pipe-pane -t s -o "cat >'$tmp/tty.out'"
sleep 0.2
: >"$tmp/go"
until_text EXITED 20
tm pipe-pane -t s
sleep 0.2
if ! grep -q "$(printf '\033')" "$tmp/tty.out"; then
	ok "headless panels on a terminal: no escape sequence reaches it"
else
	not_ok "headless panels on a terminal: an escape sequence reached it" "$tmp/tty.out"
fi
# error messages and warnings quote what the user or a log gave (an id, a
# file name): made visible wherever stderr goes
LC_ALL=C.UTF-8 "$LOGDIVE" trace "$(printf 'x\033]0;PWNED\007\302\233y')" "$tmp/evil.jsonl" \
    >/dev/null 2>"$tmp/err"
st=$?
[ $st -eq 1 ] && ! grep -q "$(printf '\033')" "$tmp/err" &&
    grep -qF "'x\e]0;PWNED\x07\u{009b}y'" "$tmp/err"
check $? "an error quoting an escape shows it visibly (exit $st)" "$tmp/err"
cp "$tmp/evil.jsonl" "$tmp/$(printf 'e\033[2Jvil.jsonl')"
printf 'not json\n' >>"$tmp/$(printf 'e\033[2Jvil.jsonl')"
LC_ALL=C.UTF-8 "$LOGDIVE" panels -f json --log-format logfmt "$tmp/$(printf 'e\033[2Jvil.jsonl')" \
    >/dev/null 2>"$tmp/err"
! grep -q "$(printf '\033')" "$tmp/err" && grep -qF 'e\e[2Jvil.jsonl' "$tmp/err"
check $? "a warning naming a file with an escape in its name shows it visibly" "$tmp/err"

echo "1..$n"
