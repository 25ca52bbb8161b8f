#!/bin/sh
# The SQLite index (TAP): a second open is served from the index and gives
# the same figures; a file that only grew is loaded from the index and
# scanned on; a rewritten file, a different mapping, a damaged, foreign or
# newer database, or an unwritable cache directory are never trusted and
# never fatal. Every figure is compared with a run that uses no index
# (--no-index). LOGDIVE_DEBUG_INDEX=1 makes backends/fileindex.c say on
# stderr what it did ("index: hit|grew|miss|corrupt|saved|skip ...").
#
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"
GEN=$srcdir/tests/gen-logs.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-index.XXXXXX") || {
	echo "not ok 1 - mktemp -d failed"; exit 1; }
trap '[ -n "$KEEP" ] || { chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"; }' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
LOGDIVE_DEBUG_INDEX=1
export XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME LOGDIVE_DEBUG_INDEX
unset LOGDIVE_NOW
db=$tmp/cache/logdive/index.db

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); echo "not ok $n - $1"
	[ -n "$2" ] && [ -s "$2" ] && head -8 "$2" | sed 's/^/#   /'
	return 0
}
skip() { n=$((n + 1)); echo "ok $n # skip $1"; }
# ld NAME ARGS...: run logdive; stdout to $tmp/NAME.out, stderr to
# $tmp/NAME.err. A TAP line only when it fails (exit status not 0).
ld() {
	name=$1; shift
	"$LOGDIVE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	st=$?
	[ "$st" -eq 0 ] && return 0
	not_ok "logdive $* exited with status $st" "$tmp/$name.err"
	return 1
}
# same NAME REF WHAT: NAME's output equals REF's.
same() {
	if cmp -s "$tmp/$1.out" "$tmp/$2.out"; then
		ok "$3: same output as without the index"
	else
		diff "$tmp/$2.out" "$tmp/$1.out" >"$tmp/$1.diff" 2>&1
		not_ok "$3: output differs from a run without the index" "$tmp/$1.diff"
	fi
}
# said NAME WORD WHAT: NAME's stderr has an "index: WORD" line.
said() {
	if grep -q "^index: $2 " "$tmp/$1.err"; then
		ok "$3 (index: $2)"
	else
		not_ok "$3: no 'index: $2' on stderr" "$tmp/$1.err"
	fi
}
# notsaid NAME WORD WHAT
notsaid() {
	if grep -q "^index: $2 " "$tmp/$1.err"; then
		not_ok "$3: 'index: $2' on stderr" "$tmp/$1.err"
	else
		ok "$3"
	fi
}
# panels NAME FILE ARGS...: panels -f json with and without the index.
panels() {
	name=$1 file=$2; shift 2
	ld "$name" panels -f json -b 1h "$@" "$file" &&
		ld "$name-ref" panels -f json -b 1h --no-index "$@" "$file"
}

data=$tmp/a.jsonl
if "$PYTHON3" "$GEN" --requests 4000 --seed 3 --dirty 0.01 --out "$data" 2>"$tmp/gen.err" &&
	"$PYTHON3" "$GEN" --requests 300 --seed 4 --start 2026-02-27T12:00:00Z --hours 1 \
		--out "$tmp/more.jsonl" 2>>"$tmp/gen.err" &&
	"$PYTHON3" "$GEN" --requests 4000 --seed 5 --dirty 0.01 --out "$tmp/other.jsonl" \
		2>>"$tmp/gen.err"; then
	ok "gen-logs.py: test data"
else
	not_ok "gen-logs.py failed" "$tmp/gen.err"
	echo "1..$n"
	exit 1
fi
if [ ! -x "$LOGDIVE" ]; then
	not_ok "no logdive binary at $LOGDIVE"
	echo "1..$n"
	exit 1
fi

# 1. First open: scanned and saved; second open: read back.
if panels p1 "$data"; then
	said p1 saved "first open saves the index"
	[ -f "$db" ] && ok "index.db created under XDG_CACHE_HOME" ||
		not_ok "no $db"
	same p1 p1-ref "first open"
fi
if panels p2 "$data"; then
	said p2 hit "second open is served from the index"
	notsaid p2 saved "second open does not save again"
	same p2 p1-ref "second open"
fi
id=$(sed -n '100p' "$data" | sed -n 's/.*"correlation_id":"\([^"]*\)".*/\1/p')
if [ -n "$id" ] && ld tr trace "$id" -f json "$data" &&
	ld tr-ref trace "$id" -f json --no-index "$data"; then
	same tr tr-ref "trace from the index"
fi
if ld rq requests -f jsonl -q 'latency_ms >= 300' "$data" &&
	ld rq-ref requests -f jsonl -q 'latency_ms >= 300' --no-index "$data"; then
	same rq rq-ref "requests from the index"
fi

# 2. The file only grew: the indexed part is read back, the rest scanned.
cat "$tmp/more.jsonl" >>"$data"
if panels grew "$data"; then
	said grew grew "appended lines: loaded from the index and scanned on"
	if grep -q '^index: saved .*appended' "$tmp/grew.err"; then
		ok "the grown file's new records are appended to its entry"
	else
		not_ok "the grown file was not saved by appending" "$tmp/grew.err"
	fi
	same grew grew-ref "appended lines"
fi
# the appended part has correlation map entries of its own
id=$(tail -n 20 "$data" | sed -n 's/.*"correlation_id":"\([^"]*\)".*/\1/p' | head -1)
if [ -n "$id" ] && ld trg trace "$id" -f json "$data" &&
	ld trg-ref trace "$id" -f json --no-index "$data"; then
	same trg trg-ref "trace in the appended part"
fi
if panels grew2 "$data"; then
	said grew2 hit "after growing, the next open is a hit"
	same grew2 grew-ref "after growing, next open"
fi

# 3. Rewritten with other content: not reused.
cp "$tmp/other.jsonl" "$data"
if panels rw "$data"; then
	said rw miss "rewritten file is not served from the index"
	same rw rw-ref "rewritten file"
fi
# Same size and mtime, a changed byte near the end: the content check
# catches it.
"$PYTHON3" -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.rindex(b"\"timestamp\":\"") + 13	# the year of the last line
b[i:i + 4] = b"2025" if b[i:i + 4] != b"2025" else b"2024"
open(p, "r+b").write(b)
' "$data" && touch -r "$tmp/other.jsonl" "$data"
if panels same-size "$data"; then
	said same-size miss "same size and mtime, other bytes: not reused"
	same same-size same-size-ref "same size and mtime, other bytes"
fi

# 4. A last line without a newline, then lines appended: not a "grew"
# (the last record would be half a line).
printf '%s' "$(cat "$tmp/other.jsonl")" >"$data"
ld nonl panels -f json "$data"
cat "$tmp/more.jsonl" >>"$data"
if panels nonl2 "$data"; then
	notsaid nonl2 grew "a partial last line is not continued from the index"
	same nonl2 nonl2-ref "a partial last line, then appended lines"
fi

# Bad input (empty, random bytes, a 20 MB line, cut lines, ...) and a
# smaller line bound: every kind of record goes through the index. (A
# fixed "now": a file without times gets a range around it.)
LOGDIVE_NOW=2026-02-27T12:00:00Z
export LOGDIVE_NOW
if "$PYTHON3" "$GEN" --bad-input "$tmp/bad" >"$tmp/bad.log" 2>&1; then
	badok=0 badn=0
	for f in "$tmp"/bad/*.jsonl "$tmp"/bad/*.bin; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		for args in "" "--max-line 64K"; do
			badn=$((badn + 1))
			# shellcheck disable=SC2086
			"$LOGDIVE" panels -f json $args "$f" >"$tmp/b1.out" 2>"$tmp/b1.err"; s1=$?
			# shellcheck disable=SC2086
			"$LOGDIVE" panels -f json $args "$f" >"$tmp/b2.out" 2>"$tmp/b2.err"; s2=$?
			# shellcheck disable=SC2086
			"$LOGDIVE" panels -f json --no-index $args "$f" >"$tmp/b3.out" \
				2>"$tmp/b3.err"; s3=$?
			if [ "$s1" = "$s3" ] && [ "$s2" = "$s3" ] && [ "$s3" -lt 128 ] &&
				cmp -s "$tmp/b2.out" "$tmp/b3.out" &&
				cmp -s "$tmp/b1.out" "$tmp/b3.out" &&
				grep -q '^index: hit ' "$tmp/b2.err"; then
				badok=$((badok + 1))
			else
				not_ok "bad input $b ${args:-(default bound)}: index run differs" \
					"$tmp/b2.err"
			fi
		done
	done
	[ "$badok" -eq "$badn" ] &&
		ok "bad input: $badn files and bounds, same figures and exit status from the index"
else
	not_ok "gen-logs.py --bad-input" "$tmp/bad.log"
fi
unset LOGDIVE_NOW

# 5. Another mapping never reuses the index of the default one.
cp "$tmp/other.jsonl" "$data"
ld m0 panels -f json "$data"
echo '{"group": "model_metadata.model_version"}' >"$tmp/map.json"
if panels m1 "$data" -m "$tmp/map.json"; then
	notsaid m1 hit "another mapping: not served from the default mapping's index"
	same m1 m1-ref "another mapping"
fi
if panels m2 "$data" -m "$tmp/map.json"; then
	said m2 hit "another mapping: its own index on the next open"
	same m2 m1-ref "another mapping, next open"
fi
if panels m3 "$data"; then
	said m3 hit "the default mapping's index is still there"
fi

# 6. A .gz source is indexed by the .gz file.
gzip -c "$tmp/other.jsonl" >"$tmp/g.jsonl.gz"
ld gz1 panels -f json "$tmp/g.jsonl.gz"
if panels gz2 "$tmp/g.jsonl.gz"; then
	said gz2 hit ".gz: second open from the index"
	same gz2 gz2-ref ".gz"
fi

# 7. stdin is never indexed.
if ld stdin panels -f json - <"$tmp/other.jsonl"; then
	notsaid stdin saved "stdin is not indexed"
fi

# 8. A damaged database: rebuilt, right figures, exit 0.
ld base panels -f json --no-index "$data"	# the reference
corrupt() {	# corrupt HOW
	"$PYTHON3" -c '
import os, sys
how, p = sys.argv[1:]
size = os.path.getsize(p)
with open(p, "r+b") as f:
    if how == "middle":		# the middle half: record pages for sure
        f.seek(size // 4)
        f.write(bytes((i * 131 + 7) % 251 for i in range(size // 2)))
    elif how == "truncate":
        f.truncate(size // 2)
    elif how == "header":	# the first page: schema and header
        f.seek(16)
        f.write(b"\xff" * 200)
    elif how == "garbage":
        f.truncate(0)
        f.write(b"this is not a database\n" * 1000)
' "$1" "$db"
}
# One flipped byte inside each record blob, the database otherwise sound:
# the blob's checksum catches it.
if "$PYTHON3" -c 'import sqlite3' 2>/dev/null; then
	"$PYTHON3" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for i, b in c.execute("SELECT id, recs FROM chunk").fetchall():
    b = bytearray(b); b[100] ^= 0x40
    c.execute("UPDATE chunk SET recs = ? WHERE id = ?", (bytes(b), i))
c.commit()
' "$db"
	if ld flip panels -f json "$data"; then
		said flip corrupt "a flipped byte in a record blob is detected"
		same flip base "a flipped byte in a record blob"
	fi
	ld flip2 panels -f json "$data" && said flip2 hit "after a flipped byte: rebuilt"
fi
for how in middle truncate header garbage; do
	# a database holding only this file's entry, so that the damage hits it
	rm -rf "$tmp/cache"
	ld "c0-$how" panels -f json "$data"
	if corrupt "$how"; then
		if ld "c-$how" panels -f json "$data"; then
			ok "database damaged ($how): exit 0"
			same "c-$how" base "database damaged ($how)"
			notsaid "c-$how" hit "database damaged ($how): not served from it"
		fi
		if ld "c2-$how" panels -f json "$data"; then
			said "c2-$how" hit "database damaged ($how): rebuilt, next open is a hit"
		fi
	else
		not_ok "could not damage the database ($how)"
	fi
done

# 9. A database of a newer format (or not ours) is left alone.
if "$PYTHON3" -c 'import sqlite3' 2>/dev/null; then
	"$PYTHON3" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version=99"); c.commit()
' "$db"
	if panels newer "$data"; then
		notsaid newer hit "a newer format: not used"
		same newer newer-ref "a newer format"
		v=$("$PYTHON3" -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$db")
		[ "$v" = 99 ] && ok "a newer format: left alone" ||
			not_ok "a newer format: user_version is now $v"
	fi
	rm -f "$db" "$db-wal" "$db-shm"
	"$PYTHON3" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t (x)"); c.commit()
' "$db"
	if panels foreign "$data"; then
		same foreign foreign-ref "a database that is not logdive's"
		"$PYTHON3" -c '
import sqlite3, sys
sys.exit(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM sqlite_master WHERE name = \"t\"").fetchone()[0] != 1)' "$db" &&
			ok "a database that is not logdive's: left alone" ||
			not_ok "a database that is not logdive's was changed"
	fi
	rm -f "$db" "$db-wal" "$db-shm"
else
	skip "python3 has no sqlite3 module"
fi

# 10. An unwritable cache: still works, same figures.
: >"$tmp/file"
if XDG_CACHE_HOME=$tmp/file/sub ld unw panels -f json "$data"; then
	ok "cache directory cannot be created: exit 0"
	same unw base "cache directory cannot be created"
fi
ld ro0 panels -f json "$data"		# (re)create the index
if [ "$(id -u)" -ne 0 ]; then
	chmod a-w "$tmp/cache/logdive"
	if ld ro panels -f json "$data"; then
		ok "read-only index directory: exit 0"
		same ro base "read-only index directory"
	fi
	cat "$tmp/more.jsonl" >>"$data"
	if panels ro2 "$data"; then
		ok "read-only index directory, grown file: exit 0"
		same ro2 ro2-ref "read-only index directory, grown file"
	fi
	chmod u+w "$tmp/cache/logdive"
	cp "$tmp/other.jsonl" "$data"
else
	skip "read-only index directory: running as root"
fi

# 11. Two processes at once on a fresh cache.
rm -rf "$tmp/cache"
"$LOGDIVE" panels -f json "$data" >"$tmp/two-a.out" 2>"$tmp/two-a.err" &
pid=$!
"$LOGDIVE" panels -f json "$data" >"$tmp/two-b.out" 2>"$tmp/two-b.err"
st_b=$?
wait "$pid"
st_a=$?
if [ "$st_a" -eq 0 ] && [ "$st_b" -eq 0 ]; then
	ok "two processes at once: both exit 0"
	same two-a base "two processes at once (first)"
	same two-b base "two processes at once (second)"
else
	not_ok "two processes at once: exit statuses $st_a and $st_b" "$tmp/two-a.err"
fi
if ld two-c panels -f json "$data"; then
	said two-c hit "after two processes at once, the index is used"
fi

echo "1..$n"
