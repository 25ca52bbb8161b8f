#!/bin/sh
# Hostile and broken files (TAP), issue 6 §3: every check is an exact
# figure (the `records` counters of panels -f json, the records requests
# prints, exit statuses, stderr lines), never only "no crash":
#  1. a file truncated while the first scan reads it, and between the
#     index being written and the next run
#  2. --follow (tmux): rotation while the old file is still written,
#     copytruncate (also written past the old size before the next poll),
#     the file replaced by a directory
#  3. a directory, an unreadable file: one line, exit 3
#  4. NUL bytes, CRLF, a UTF-8 BOM, invalid UTF-8 in keys and values
#  5. a 1 GiB line: peak RSS bounded, the records around it exact
#  6. duplicate keys, numbers at every edge
#  7. timestamps: every accepted form to the exact time, refused forms
#  8. gzip: damaged, cut, concatenated, padded, garbage after it
#  9. disk full while the index is written (tmpfs, else RLIMIT_FSIZE)
# 10. index databases damaged beyond what index.sh does
# 11. two processes on one file that is being appended
# Helpers: tests/lib/hostile.py.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=$builddir/logdive}"
H="$srcdir/tests/lib/hostile.py"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-hostile.XXXXXX") || {
	echo "not ok 1 - mktemp -d failed"; exit 1; }
sock=ldhostile$$
mnt=
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	[ -n "$sock" ] && tm kill-server >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
. "$srcdir/tests/lib/common.sh"
sock=
# a file with no time gets a range around "now": the same in every run
LOGDIVE_NOW=2026-03-01T00:00:00Z
export LOGDIVE_NOW

hy() { "$PYTHON3" "$H" "$@"; }
# rec FILE: the records counters of a panels -f json output
rec() { hy rec "$1"; }
# ld NAME ARGS...: logdive ARGS, stdout $tmp/NAME.out, stderr $tmp/NAME.err,
# status in $st
ld() { _n=$1; shift; "$LOGDIVE" "$@" >"$tmp/$_n.out" 2>"$tmp/$_n.err"; st=$?; }
# is WHAT GOT WANT: exact equality
is() {
	if [ "$2" = "$3" ]; then ok "$1"
	else
		n=$((n + 1)); echo "not ok $n - $1"
		echo "#   got:  $2" | cut -c1-400
		echo "#   want: $3" | cut -c1-400
	fi
}
# same_panels WHAT A B: two panels outputs equal but for the file names
same_panels() {
	if hy panels-eq "$tmp/$2.out" "$tmp/$3.out"; then ok "$1"
	else not_ok "$1: panels differ ($2 vs $3)" "$tmp/$2.err"; fi
}
Z="invalid_json=0 no_time=0 naive_time=0 bad_type=0 invalid_utf8=0 too_long=0 unparsed=0"

if [ ! -x "$LOGDIVE" ]; then
	not_ok "no logdive binary at $LOGDIVE"
	echo "1..$n"
	exit 1
fi
t0=$(date +%s)

# ---- 1. truncated while read -------------------------------------------
# 120,000 records of about 1 KB; stopped once it has read 16 MB, truncated,
# let go on: the figures are those of the truncated file, exactly (the
# records read before the truncation are dropped and the file read again).
# (Should the run end before it has read 16 MB, the truncation comes after
# it: then its figures are the whole file's, exactly.)
big=$tmp/trunc.jsonl
hy gen "$tmp/trunc.src" 120000 0 900
cut_at=$(head -n 50000 "$tmp/trunc.src" | wc -c)
ld trunc-full panels -f json --no-index "$tmp/trunc.src"
for how in lines mid-line zero; do
	case $how in
	lines) size=$cut_at want_st=0
	    want="total=50000 $Z" ;;
	mid-line) size=$((cut_at + 100)) want_st=0
	    want="total=50001 invalid_json=1 no_time=0 naive_time=0 bad_type=0 invalid_utf8=0 too_long=0 unparsed=0" ;;
	zero) size=0 want_st=1
	    want="total=0 $Z" ;;
	esac
	head -c "$size" "$tmp/trunc.src" >"$tmp/trunc.want"
	ld trunc-ref panels -f json --no-index "$tmp/trunc.want"
	is "the file truncated to $how: reference counters" "$(rec "$tmp/trunc-ref.out")" "$want"
	tries=0
	while :; do
		cp "$tmp/trunc.src" "$big"
		rm -rf "$tmp/cache/logdive"
		when=$(hy truncate-during "$big" "$size" 16000000 "$tmp/trunc.out" \
		    "$tmp/trunc.err" "$LOGDIVE" panels -f json "$big")
		st=$?
		tries=$((tries + 1))
		[ "$when" = mid-scan ] || [ $tries -ge 5 ] && break
	done
	if [ "$when" = mid-scan ]; then
		is "truncated to $how ($size bytes) during the scan: exit status" "$st" "$want_st"
		is "truncated to $how during the scan: exactly the truncated file's counters" \
		    "$(rec "$tmp/trunc.out")" "$want"
		same_panels "truncated to $how during the scan: the truncated file's panels" \
		    trunc trunc-ref
		[ $how = zero ] && is "truncated to nothing: the one-line message" \
		    "$(cat "$tmp/trunc.err")" "logdive: no record with a time in $big"
	else
		echo "# truncated to $how: the run ended before it had read 16 MB"
		is "truncated to $how after the scan: exit status" "$st" 0
		same_panels "truncated to $how after the scan: the whole file's panels" \
		    trunc trunc-full
	fi
	# the index saved by that run (if any) holds the truncated file
	LOGDIVE_DEBUG_INDEX=1 ld trunc-next panels -f json "$big"
	is "after a truncation during the scan, the next run (index): same counters" \
	    "$(rec "$tmp/trunc-next.out")" "$want"
done
# A last line being written while the file is read: stopped mid-scan with
# half a line at the end, the rest of it and 10 lines appended: the line
# is read whole (not an invalid half), the 10 lines are not (they came
# after the run began).
head -n 100000 "$tmp/trunc.src" >"$big"
sed -n 100001p "$tmp/trunc.src" | head -c 300 >>"$big"
{ sed -n 100001p "$tmp/trunc.src" | tail -c +301; sed -n 100002,100011p "$tmp/trunc.src"; } \
    >"$tmp/trunc.rest"
rm -rf "$tmp/cache/logdive"
when=$(hy append-during "$big" "$tmp/trunc.rest" 16000000 "$tmp/grow.out" "$tmp/grow.err" \
    "$LOGDIVE" panels -f json "$big")
if [ "$when" = mid-scan ]; then
	is "a last line completed during the scan: read whole, the lines after it not" \
	    "$(rec "$tmp/grow.out")" "total=100001 $Z"
else
	echo "# the run ended before it had read 16 MB"
	is "a last line without a newline when the run ends: an invalid record" \
	    "$(rec "$tmp/grow.out")" \
	    "total=100001 invalid_json=1 no_time=0 naive_time=0 bad_type=0 invalid_utf8=0 too_long=0 unparsed=0"
fi
LOGDIVE_DEBUG_INDEX=1 ld grow2 panels -f json "$big"
is "... and the next run reads on from the index: every line" "$(rec "$tmp/grow2.out")" \
    "total=100011 $Z"
rm -f "$big" "$tmp/trunc.src" "$tmp/trunc.want" "$tmp/trunc.rest"

# Truncated between the index being written and the next run.
hy gen "$tmp/ix.jsonl" 3000
ld ix1 panels -f json "$tmp/ix.jsonl"
head -n 1000 "$tmp/ix.jsonl" >"$tmp/ix.head"
cat "$tmp/ix.head" >"$tmp/ix.jsonl"	# same inode, shorter
LOGDIVE_DEBUG_INDEX=1 ld ix2 panels -f json "$tmp/ix.jsonl"
ld ix2ref panels -f json --no-index "$tmp/ix.jsonl"
is "truncated after indexing: counters of the shorter file" "$(rec "$tmp/ix2.out")" \
    "total=1000 $Z"
same_panels "truncated after indexing: same panels as without the index" ix2 ix2ref
is "truncated after indexing: the index is not used" \
    "$(grep '^index: \(hit\|grew\|miss\)' "$tmp/ix2.err")" \
    "index: miss $(realpath "$tmp/ix.jsonl") (the file is shorter)"
# rewritten to the same length with other content (one digit changed)
ld ix3a panels -f json "$tmp/ix.jsonl"
sed 's/"latency_ms":1}/"latency_ms":9}/' "$tmp/ix.head" >"$tmp/ix.new"
cat "$tmp/ix.new" >"$tmp/ix.jsonl"
LOGDIVE_DEBUG_INDEX=1 ld ix3 panels -f json "$tmp/ix.jsonl"
ld ix3ref panels -f json --no-index "$tmp/ix.jsonl"
same_panels "rewritten (same size) after indexing: same panels as without the index" ix3 ix3ref
if grep -q '^index: hit' "$tmp/ix3.err"; then
	not_ok "rewritten after indexing: served from the stale index" "$tmp/ix3.err"
else ok "rewritten after indexing: the index is not used"; fi

echo "# section 1: $(($(date +%s) - t0)) s"
# ---- 3. a directory, an unreadable file --------------------------------
mkdir "$tmp/dir.jsonl"
ld dir panels -f json "$tmp/dir.jsonl"
is "a directory: exit 3" "$st" 3
is "a directory: one line on stderr" "$(cat "$tmp/dir.err")" \
    "logdive: cannot open $tmp/dir.jsonl: is a directory"
ld dir2 requests -f jsonl "$tmp/ix.jsonl" "$tmp/dir.jsonl"
is "a directory among files: exit 3, one line" "$st $(cat "$tmp/dir2.err")" \
    "3 logdive: cannot open $tmp/dir.jsonl: is a directory"
"$LOGDIVE" panels -f json - <"$tmp/dir.jsonl" >"$tmp/dir3.out" 2>"$tmp/dir3.err"
is "a directory on stdin: exit 3, one line" "$? $(cat "$tmp/dir3.err")" \
    "3 logdive: cannot read standard input: Is a directory"
# a device is refused before anything is copied (/dev/zero would fill TMPDIR)
mkdir "$tmp/devtmp"
TMPDIR=$tmp/devtmp "$LOGDIVE" panels -f json /dev/zero >"$tmp/dev.out" 2>"$tmp/dev.err"
is "a device: exit 3, one line, nothing spooled" "$? $(cat "$tmp/dev.err")$(ls "$tmp/devtmp")" \
    "3 logdive: cannot read /dev/zero: a device is not a log file (to read what it gives, pipe it: logdive - < /dev/zero)"
# a gzip bomb (200 MB of zeros in 0.2 MB) stops before its copy fills the
# disk: 5% of it stays free (a 64 MB tmpfs as TMPDIR)
mkdir "$tmp/bombfs"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64m tmpfs "$tmp/bombfs" 2>/dev/null; then
	mnt=$tmp/bombfs
	head -c 200000000 /dev/zero | gzip -1 >"$tmp/bomb.jsonl.gz"
	TMPDIR=$tmp/bombfs "$LOGDIVE" panels -f json "$tmp/bomb.jsonl.gz" >"$tmp/bomb.out" 2>"$tmp/bomb.err"
	st=$?
	sed 's/after [0-9.]* MB/after N MB/' "$tmp/bomb.err" >"$tmp/bomb.msg"
	is "a gzip bomb: exit 3, one line, the disk left with room" \
	    "$st $(cat "$tmp/bomb.msg") $(df -k "$tmp/bombfs" | awk 'NR == 2 { print $3 < 1024 }')" \
	    "3 logdive: cannot copy $tmp/bomb.jsonl.gz to $tmp/bombfs: it would leave less than 5% of that disk free after N MB (a gzip bomb or an endless input?); set TMPDIR to a larger disk 1"
	umount "$tmp/bombfs" && mnt=
	rm -f "$tmp/bomb.jsonl.gz"
else
	echo "ok $((n + 1)) - a gzip bomb # SKIP needs root to mount a small tmpfs"
	n=$((n + 1))
fi
mkdir "$tmp/ro"
chmod 755 "$tmp" "$tmp/ro"
cp "$tmp/ix.head" "$tmp/ro/secret.jsonl"
chmod 000 "$tmp/ro/secret.jsonl"
if [ "$(id -u)" -ne 0 ]; then
	ld unr panels -f json "$tmp/ro/secret.jsonl"
	is "an unreadable file: exit 3, one line" "$st $(cat "$tmp/unr.err")" \
	    "3 logdive: cannot open $tmp/ro/secret.jsonl: Permission denied"
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	# root reads any file: the check runs as nobody instead
	mkdir -p "$tmp/ro/cache"
	chmod 777 "$tmp/ro/cache"
	XDG_CACHE_HOME=$tmp/ro/cache setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$LOGDIVE" panels -f json "$tmp/ro/secret.jsonl" >"$tmp/unr.out" 2>"$tmp/unr.err"
	is "an unreadable file (run as nobody): exit 3, one line" "$? $(cat "$tmp/unr.err")" \
	    "3 logdive: cannot open $tmp/ro/secret.jsonl: Permission denied"
else
	n=$((n + 1)); echo "ok $n # SKIP an unreadable file: running as root without setpriv"
fi
chmod 700 "$tmp"

# ---- 4. NUL, CRLF, BOM, invalid UTF-8 ----------------------------------
hy values "$tmp/val.jsonl"
ld val panels -f json "$tmp/val.jsonl"
# valid: v0 v1 v2 v3 v11; invalid_utf8: \xff in a value, \xfe in a key, a
# raw surrogate, an overlong '/'; invalid_json: a raw NUL in a string, a
# line of NULs, a NUL after and before a record, 16 NULs between records
is "NUL bytes and invalid UTF-8: counters" "$(rec "$tmp/val.out")" \
    "total=14 invalid_json=5 no_time=0 naive_time=0 bad_type=0 invalid_utf8=4 too_long=0 unparsed=0"
ld valr requests -f jsonl "$tmp/val.jsonl"
is "NUL bytes and invalid UTF-8: the valid records listed" "$(hy ids "$tmp/valr.out")" \
    "v0 v1 v2 v3 v11"
grep -a -e '"v0"' -e '"v1"' -e '"v2"' -e '"v3"' -e '"v11"' "$tmp/val.jsonl" >"$tmp/val.want"
cmp -s "$tmp/valr.out" "$tmp/val.want"
check $? "requests -f jsonl prints the valid records byte for byte"
ld valc requests -f csv "$tmp/val.jsonl"
"$PYTHON3" -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$tmp/valc.out" 2>/dev/null
check $? "requests -f csv of NULs and bad UTF-8 is valid UTF-8"
is "an escaped NUL in a value is shown as U+FFFD, the rest kept" \
    "$(grep ',v0,' "$tmp/valc.out" | sed 's/.*,v0,//')" "nul$(printf '\357\277\275')in"
is "a lone surrogate escape is shown as U+FFFD" \
    "$(grep ',v1,' "$tmp/valc.out" | sed 's/.*,v1,//')" "lone$(printf '\357\277\275')x"

hy gen "$tmp/lf.jsonl" 2000
sed 's/$/\r/' "$tmp/lf.jsonl" >"$tmp/crlf.jsonl"
{ printf '\357\273\277'; cat "$tmp/lf.jsonl"; } >"$tmp/bom.jsonl"
{ printf '\357\273\277'; cat "$tmp/crlf.jsonl"; } >"$tmp/bomcrlf.jsonl"
ld lf panels -f json --no-index "$tmp/lf.jsonl"
ld lfr requests -f jsonl --no-index "$tmp/lf.jsonl"
is "LF reference counters" "$(rec "$tmp/lf.out")" "total=2000 $Z"
for v in crlf bom bomcrlf; do
	ld "$v" panels -f json "$tmp/$v.jsonl"
	same_panels "$v: same panels as the LF file" "$v" lf
	ld "$v-ix" panels -f json "$tmp/$v.jsonl"
	same_panels "$v: same panels read back from the index" "$v-ix" lf
	ld "$v-r" requests -f jsonl "$tmp/$v.jsonl"
	cmp -s "$tmp/$v-r.out" "$tmp/lfr.out"
	check $? "$v: requests -f jsonl prints the LF file's records (no CR, no BOM)"
done
is "BOM: the first record is read" "$(hy ids "$tmp/bom-r.out" | cut -d' ' -f1)" "r000000"

# ---- 5. a 1 GiB line ---------------------------------------------------
hy bigline "$tmp/small.jsonl" 100
base_kb=$(hy rss "$tmp/rss0.out" "$tmp/rss0.err" "$LOGDIVE" panels -f json --no-index "$tmp/small.jsonl")
s1=$(date +%s)
hy bigline "$tmp/huge.jsonl" 1073741824
huge_kb=$(hy rss "$tmp/rss1.out" "$tmp/rss1.err" "$LOGDIVE" panels -f json "$tmp/huge.jsonl")
echo "# 1 GiB line: peak RSS ${huge_kb} KiB, small-file baseline ${base_kb} KiB"
if [ $((huge_kb - base_kb)) -lt 65536 ]; then
	ok "a 1 GiB line: peak RSS $((huge_kb - base_kb)) KiB above a small file's (< 64 MiB)"
else
	not_ok "a 1 GiB line: peak RSS $huge_kb KiB, baseline $base_kb KiB (64 MiB more allowed)"
fi
is "a 1 GiB line: counted too_long, the records around it exact" "$(rec "$tmp/rss1.out")" \
    "total=6 invalid_json=0 no_time=0 naive_time=0 bad_type=0 invalid_utf8=0 too_long=1 unparsed=0"
ld huge2 panels -f json "$tmp/huge.jsonl"
same_panels "a 1 GiB line: the same from the index" huge2 rss1
ld huger requests -f jsonl "$tmp/huge.jsonl"
is "a 1 GiB line: requests lists the five records around it" "$(hy ids "$tmp/huger.out")" \
    "r000000 r000001 r000002 r000004 r000005"
rm -f "$tmp/huge.jsonl"
echo "# 1 GiB line section: $(($(date +%s) - s1)) s"

# ---- 6. duplicate keys, numbers ----------------------------------------
cat >"$tmp/dup.jsonl" <<'EOF'
{"timestamp":"2026-02-27T03:00:01Z","request_id":"d1","inference_metrics":{"latency_ms":1,"latency_ms":900},"model_metadata":{"serving_variant":"a"},"model_metadata":{"serving_variant":"b"}}
{"timestamp":"2026-02-27T03:00:02Z","request_id":"d2","inference_metrics":{"latency_ms":2},"inference_metrics":{"latency_ms":800}}
{"timestamp":"2026-02-27T03:00:03Z","request_id":"d3","inference_metrics.latency_ms":3,"inference_metrics":{"latency_ms":700}}
{"timestamp":"2026-02-27T03:00:04Z","request_id":"d4","inference_metrics":{"latency_ms":4},"inference_metrics.latency_ms":600}
{"timestamp":"1999-01-01T00:00:00Z","request_id":"x","request_id":"d5","timestamp":"2026-02-27T03:00:05Z","inference_metrics":{"latency_ms":500}}
{"timestamp":"2026-02-27T03:00:06Z","request_id":"d6","inference_metrics":{"latency_ms":"bad"},"inference_metrics":{"latency_ms":5}}
{"timestamp":"2026-02-27T03:00:07Z","request_id":"d7","inference_metrics":{"latency_ms":7},"inference_metrics":{"other":1}}
EOF
# the last of duplicate keys wins, everywhere (as jansson)
ld dup panels -f json "$tmp/dup.jsonl"
is "duplicate keys: counters (the last value wins: no bad_type for d6)" \
    "$(rec "$tmp/dup.out")" "total=7 $Z"
is "duplicate keys: latency groups" \
    "$("$PYTHON3" -c 'import json,sys; print(" ".join("%s:%d:%s:%s" % (g["key"], g["count"], g["p50"], g["p99"]) for g in json.load(open(sys.argv[1]))["latency"]["groups"]))' "$tmp/dup.out")" \
    "(none):5:600.0:796.0 b:1:900.0:900.0"
is "duplicate keys: range starts at the last timestamp of d5" \
    "$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["range"]["start"])' "$tmp/dup.out")" \
    "2026-02-27T03:00:01Z"
ld dupq requests -f jsonl -q 'latency_ms >= 500' "$tmp/dup.jsonl"
is "duplicate keys: a query sees the same values" "$(hy ids "$tmp/dupq.out")" "d1 d2 d3 d4 d5"
ld dupq2 requests -f jsonl -q 'latency_ms < 10' "$tmp/dup.jsonl"
is "duplicate keys: an object replaced by a later one keeps none of it" \
    "$(hy ids "$tmp/dupq2.out")" "d6"
ld dupg requests -f jsonl -q 'serving_variant:b' "$tmp/dup.jsonl"
is "duplicate keys: group value" "$(hy ids "$tmp/dupg.out")" "d1"
ld dupx requests -f jsonl -q 'request_id:x' "$tmp/dup.jsonl"
is "duplicate keys: the first value is not found (exit 1)" "$st" 1
ld dupt trace d5 -f json "$tmp/dup.jsonl"
is "duplicate keys: trace by the last request_id" \
    "$("$PYTHON3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$tmp/dupt.out")" 1
ld dupt2 trace x "$tmp/dup.jsonl"
is "duplicate keys: no trace by the first request_id (exit 1)" "$st" 1
ld dupi panels -f json "$tmp/dup.jsonl"
same_panels "duplicate keys: the same from the index" dupi dup

i=0
: >"$tmp/num.jsonl"
for v in -0 0 1e308 1.7976931348623157e308 1e309 -1e309 1e-400 4.9e-324 \
    9223372036854775808 18446744073709551616 123456789012345678901234567890 \
    007 +1 1. .5 NaN Infinity -Infinity 1e 0x10 '"5"' 1E2 -0.0e-0; do
	i=$((i + 1))
	printf '{"timestamp":"2026-02-27T03:00:%02dZ","request_id":"n%d","inference_metrics":{"latency_ms":%s}}\n' \
	    "$i" "$i" "$v" >>"$tmp/num.jsonl"
done
# not JSON (RFC 8259): 007 +1 1. .5 NaN Infinity -Infinity 1e 0x10;
# bad_type: 1e309 and -1e309 (beyond double range), "5" (a string);
# 1e-400 is the nearest double, 0
ld num panels -f json "$tmp/num.jsonl"
is "numbers: counters" "$(rec "$tmp/num.out")" \
    "total=23 invalid_json=9 no_time=0 naive_time=0 bad_type=3 invalid_utf8=0 too_long=0 unparsed=0"
is "numbers: latency count, p50, max" \
    "$("$PYTHON3" -c 'import json,sys; g=json.load(open(sys.argv[1]))["latency"]["groups"][0]; print(g["count"], g["p50"])' "$tmp/num.out")" \
    "11 100.0"
for q in 'latency_ms >= 1e308:n3 n4' 'latency_ms:0:n1 n2 n7 n23' \
    'latency_ms > 0 and latency_ms < 1e-300:n8' \
    'latency_ms > 9e18 and latency_ms < 1e30:n9 n10 n11'; do
	ld numq requests -f jsonl -q "${q%%:[n]*}" "$tmp/num.jsonl"
	is "numbers: -q '${q%%:[n]*}'" "$(hy ids "$tmp/numq.out")" "${q##*:}"
done
ld numi panels -f json "$tmp/num.jsonl"
same_panels "numbers: the same from the index" numi num
# the table and CSV print every number whole (1e308 was 31 wrong digits)
ld numc requests -f csv --sort time -q 'latency_ms > 1e15' "$tmp/num.jsonl"
is "numbers: csv latency_ms column" "$(cut -d, -f4,9 "$tmp/numc.out" | tr '\n' ' ')" \
    "latency_ms,request_id 1e+308,n3 1.7976931348623157e+308,n4 9.2233720368547758e+18,n9 1.8446744073709552e+19,n10 1.2345678901234568e+29,n11 "

# ---- 7. timestamps -----------------------------------------------------
# id|value|time shown by requests -f csv (ms), or "-" if refused
cat >"$tmp/ts.cases" <<'EOF'
t1|"2026-02-27T03:00:00Z"|2026-02-27T03:00:00.000Z
t2|"2026-02-27T03:00:00z"|2026-02-27T03:00:00.000Z
t3|"2026-02-27t03:00:00Z"|2026-02-27T03:00:00.000Z
t4|"2026-02-27 03:00:00Z"|2026-02-27T03:00:00.000Z
t5|"2026-02-27T03:00:00.1Z"|2026-02-27T03:00:00.100Z
t6|"2026-02-27T03:00:00.123456789Z"|2026-02-27T03:00:00.123Z
t7|"2026-02-27T03:00:00.1234567891Z"|2026-02-27T03:00:00.123Z
t8|"2026-02-27T03:00:00,5Z"|2026-02-27T03:00:00.500Z
t9|"2026-02-27T03:00:00+02:00"|2026-02-27T01:00:00.000Z
t10|"2026-02-27T03:00:00-0530"|2026-02-27T08:30:00.000Z
t11|"2026-02-27T03:00:00+01"|2026-02-27T02:00:00.000Z
t12|"2026-02-27T03:00Z"|2026-02-27T03:00:00.000Z
t13|"2026-02-27"|2026-02-27T00:00:00.000Z
t14|"2026-02-27T03:00:00"|2026-02-27T03:00:00.000Z
t15|"2024-02-29T00:00:00Z"|2024-02-29T00:00:00.000Z
t16|"2026-12-31T23:59:60Z"|2026-12-31T23:59:59.999Z
t17|"2026-02-30T00:00:00Z"|-
t18|"2025-02-29T00:00:00Z"|-
t19|"2026-02-27T25:00:00Z"|-
t20|"2026-02-27T24:00:00Z"|-
t21|"2026-02-27T03:60:00Z"|-
t22|"2026-13-01T00:00:00Z"|-
t23|"2026-02-27T03:00:00.Z"|-
t24|"2026-02-27T03:00:00+24:00"|-
t25|"garbage"|-
t26|""|-
t27|"20260227T030000Z"|-
t28|"2026-02-27T03:00:00 Z"|-
t29|1772161200|2026-02-27T03:00:00.000Z
t30|1772161200000|2026-02-27T03:00:00.000Z
t31|1772161200000000|2026-02-27T03:00:00.000Z
t32|1772161200000000000|2026-02-27T03:00:00.000Z
t33|1772161200.5|2026-02-27T03:00:00.500Z
t34|-1|1969-12-31T23:59:59.000Z
t35|"1772161200"|-
t36|"2026-02-27T03:00:00Z "|-
t37|"1677-09-21T00:12:44Z"|1677-09-21T00:12:44.000Z
t38|"2262-04-11T23:47:17Z"|-
t39|"+002026-02-27T03:00:00Z"|-
t40|"2026-02-27T03:00:00+14:00"|2026-02-26T13:00:00.000Z
t41|"2026-02-27T03:00:00-12:00"|2026-02-27T15:00:00.000Z
t42|"2026-02-27T03:00:00+00:60"|-
t43|"2026-02-27T03:00:00.000000000000000000001Z"|2026-02-27T03:00:00.000Z
t44|null|-
t45|true|-
t46|{"a":1}|-
t47|1e400|-
EOF
while IFS='|' read -r id v want; do
	printf '{"timestamp":%s,"request_id":"%s"}\n' "$v" "$id"
done <"$tmp/ts.cases" >"$tmp/ts.jsonl"
ld ts panels -f json "$tmp/ts.jsonl"
is "timestamps: 21 refused (no_time), 2 naive (a bare date, no zone)" "$(rec "$tmp/ts.out")" \
    "total=47 invalid_json=0 no_time=21 naive_time=2 bad_type=0 invalid_utf8=0 too_long=0 unparsed=0"
ld tsr requests -f csv "$tmp/ts.jsonl"
bad=0 good=0
while IFS='|' read -r id v want; do
	got=$(grep ",$id,\$" "$tmp/tsr.out" | cut -d, -f1)
	[ -n "$got" ] || got=-
	if [ "$got" = "$want" ]; then good=$((good + 1))
	else bad=$((bad + 1)); echo "# $id $v: got $got, want $want"; fi
done <"$tmp/ts.cases"
is "timestamps: each accepted form at its exact time, each refused one absent" \
    "$good/$bad" "47/0"
# nanoseconds: a window one ns wide holds t6 and t7 (ten digits truncated)
ld tsn requests -f jsonl -t 2026-02-27T03:00:00.123456789Z..2026-02-27T03:00:00.12345679Z \
    "$tmp/ts.jsonl"
is "timestamps: nine fraction digits exact to the nanosecond" "$(hy ids "$tmp/tsn.out")" "t6 t7"
ld tsn2 requests -f jsonl -t 2026-12-31T23:59:59.999999999Z..2027-01-01T00:00:00Z "$tmp/ts.jsonl"
is "timestamps: a leap second is the last nanosecond of its minute" "$(hy ids "$tmp/tsn2.out")" "t16"

# ---- 8. gzip -----------------------------------------------------------
mkdir "$tmp/gz"
hy gen "$tmp/gz/src.jsonl" 1000 0 200
offs=$(hy gzip-cases "$tmp/gz" "$tmp/gz/src.jsonl")
eval "$offs"	# m1= total_two= cut=
for c in two hdr stored crc cut garbage padded; do
	g=$tmp/gz/$c.jsonl.gz
	ld "gz-$c" panels -f json "$g"
	ld "gz-$c-want" panels -f json --no-index "$tmp/gz/$c.want.jsonl"
	case $c in
	two) w="total=1000 $Z" e= ;;
	hdr) w="total=400 $Z"
	    e="logdive: warning: $g: corrupt gzip data at byte $((m1 + 11)) (member at byte $m1: invalid block type); the lines before it are kept" ;;
	stored) w="total=1000 invalid_json=1 no_time=0 naive_time=0 bad_type=0 invalid_utf8=0 too_long=0 unparsed=0"
	    e="logdive: warning: $g: corrupt gzip data at byte $(($(wc -c <"$g") - 4)) (incorrect data check of the member at byte 0): its lines are read but may be damaged" ;;
	crc) w="total=1000 $Z"
	    e="logdive: warning: $g: corrupt gzip data at byte $((total_two - 4)) (incorrect data check of the member at byte $m1): its lines are read but may be damaged" ;;
	cut) w=$(rec "$tmp/gz-$c-want.out")
	    e="logdive: warning: $g: the gzip data ends early at byte $cut (a truncated file?); the lines before the end are kept" ;;
	garbage) w="total=400 $Z"
	    e="logdive: warning: $g: $(($(wc -c <"$g") - m1)) bytes after the end of the gzip data at byte $m1 are not gzip (ignored: is the file damaged?)" ;;
	padded) w="total=1000 $Z" e= ;;
	esac
	is "gzip $c: exit 0" "$st" 0
	is "gzip $c: counters" "$(rec "$tmp/gz-$c.out")" "$w"
	same_panels "gzip $c: the panels of what it holds before the damage" "gz-$c" "gz-$c-want"
	is "gzip $c: stderr" "$(cat "$tmp/gz-$c.err")" "$e"
done
is "gzip cut: the cut last line is one invalid line" "$(rec "$tmp/gz-cut.out" | cut -d' ' -f2)" \
    "invalid_json=1"
# two damaged files: both named, on one line
ld gz2 panels -f json "$tmp/gz/hdr.jsonl.gz" "$tmp/gz/cut.jsonl.gz"
is "two damaged gzip files: one warning line naming both" \
    "$(wc -l <"$tmp/gz2.err") $(grep -c 'hdr.jsonl.gz.*; .*cut.jsonl.gz' "$tmp/gz2.err")" "1 1"
ld gz-hdr-ix panels -f json "$tmp/gz/hdr.jsonl.gz"
same_panels "gzip hdr: the same from the index" gz-hdr-ix gz-hdr-want

echo "# sections 1-8: $(($(date +%s) - t0)) s"
# ---- 9. disk full while the index is written ---------------------------
hy gen "$tmp/full.jsonl" 20000
ld fullref panels -f json --no-index "$tmp/full.jsonl"
fullmode=
if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/mnt" &&
    mount -t tmpfs -o size=4m tmpfs "$tmp/mnt" 2>/dev/null; then
	mnt=$tmp/mnt
	fullmode=tmpfs
fi
# fill KB: the cache directory has about (4096 - KB) KiB left (tmpfs) or
# logdive may write files of at most (4096 - KB) KiB (ulimit -f, in
# 512-byte blocks)
run_full() {	# NAME FILL
	if [ "$fullmode" = tmpfs ]; then
		XDG_CACHE_HOME=$mnt LOGDIVE_DEBUG_INDEX=1 "$LOGDIVE" panels -f json \
		    "$tmp/full.jsonl" >"$tmp/$1.out" 2>"$tmp/$1.err"
	else
		(ulimit -f $(( (4096 - $2) * 2 )); trap '' XFSZ
		 XDG_CACHE_HOME=$tmp/fcache LOGDIVE_DEBUG_INDEX=1 exec "$LOGDIVE" panels -f json \
		    "$tmp/full.jsonl" >"$tmp/$1.out" 2>"$tmp/$1.err")
	fi
	st=$?
}
[ -n "$fullmode" ] || fullmode=ulimit
echo "# disk full by: $fullmode"
fails=0 runs=0 saved=0
for fill in 0 1024 2048 2560 3072 3584 4000; do
	if [ "$fullmode" = tmpfs ]; then
		rm -rf "$mnt"/* 2>/dev/null
		[ $fill -gt 0 ] && dd if=/dev/zero of="$mnt/filler" bs=1k count=$fill 2>/dev/null
	else
		rm -rf "$tmp/fcache"
	fi
	for r in 1 2; do
		run_full "full$fill-$r" "$fill"
		runs=$((runs + 1))
		if [ "$st" -ne 0 ] || ! hy panels-eq "$tmp/full$fill-$r.out" "$tmp/fullref.out"; then
			fails=$((fails + 1))
			echo "# fill $fill run $r: exit $st, figures differ"
			sed 's/^/#   /' "$tmp/full$fill-$r.err" | head -5
		fi
		if grep -q '^index: hit' "$tmp/full$fill-$r.err" &&
		    ! grep -q '^index: saved' "$tmp/full$fill-1.err"; then
			fails=$((fails + 1))
			echo "# fill $fill run $r: an index hit after a save that failed"
		fi
	done
	grep -q '^index: saved' "$tmp/full$fill-1.err" && saved=$((saved + 1))
	grep -q '^index: skip .*full' "$tmp/full$fill-1.err" && echo "# fill $fill: disk full seen"
done
is "disk full at 7 levels: exit 0, exact figures, no index used after a failed save ($runs runs)" \
    "$fails" 0
if [ "$saved" -lt 7 ] && [ "$saved" -gt 0 ]; then ok "disk full: $((7 - saved)) of 7 saves failed, $saved succeeded"
else not_ok "disk full: $saved of 7 saves succeeded (want some, not all)"; fi
# a grown file whose appended save fails: the older entry stays right
if [ "$fullmode" = tmpfs ]; then
	rm -rf "$mnt"/*
	run_full fullg1 0
	hy append "$tmp/full.jsonl" 20000 20000
	ld fullgref panels -f json --no-index "$tmp/full.jsonl"
	avail=$(df -k "$mnt" | awk 'NR == 2 { print $4 }')
	dd if=/dev/zero of="$mnt/filler" bs=1k count=$((avail - 64)) 2>/dev/null
	run_full fullg2 0
	run_full fullg3 0
	if hy panels-eq "$tmp/fullg2.out" "$tmp/fullgref.out" &&
	    hy panels-eq "$tmp/fullg3.out" "$tmp/fullgref.out"; then
		ok "disk full while a grown file's entry is appended to: exact figures, twice"
	else not_ok "disk full on a grown file: figures differ" "$tmp/fullg3.err"; fi
	umount "$mnt" && mnt=
fi

echo "# sections 1-9: $(($(date +%s) - t0)) s"
# ---- 10. damaged index databases ---------------------------------------
hy gen "$tmp/dmg.jsonl" 20000
ld dmgref panels -f json --no-index "$tmp/dmg.jsonl"
ld dmgtref trace c77 -f json --no-index "$tmp/dmg.jsonl"
db=$tmp/cache/logdive/index.db
if "$PYTHON3" -c 'import sqlite3' 2>/dev/null; then
	for how in garbage-recs swap-recs garbage-tmap hot-journal; do
		rm -rf "$tmp/cache/logdive"
		ld "dmg0-$how" panels -f json "$tmp/dmg.jsonl"
		if ! hy index-damage "$db" "$how"; then
			not_ok "could not damage the index ($how)"
			continue
		fi
		LOGDIVE_DEBUG_INDEX=1 ld "dmgt-$how" trace c77 -f json "$tmp/dmg.jsonl"
		is "index $how: trace exit 0" "$st" 0
		cmp -s "$tmp/dmgt-$how.out" "$tmp/dmgtref.out"
		check $? "index $how: the trace is exact"
		LOGDIVE_DEBUG_INDEX=1 ld "dmg-$how" panels -f json "$tmp/dmg.jsonl"
		is "index $how: exit 0" "$st" 0
		same_panels "index $how: exact figures" "dmg-$how" dmgref
		LOGDIVE_DEBUG_INDEX=1 ld "dmg2-$how" panels -f json "$tmp/dmg.jsonl"
		same_panels "index $how: exact figures on the next run" "dmg2-$how" dmgref
		if grep -q '^index: hit' "$tmp/dmg2-$how.err"; then
			ok "index $how: rebuilt, the next run is served from it"
		else not_ok "index $how: not rebuilt" "$tmp/dmg2-$how.err"; fi
	done
else
	n=$((n + 1)); echo "ok $n # SKIP damaged index: no python3 sqlite3 module"
fi
# the database file is a directory
rm -rf "$tmp/cache/logdive"
mkdir -p "$db"
ld dmgdir panels -f json "$tmp/dmg.jsonl"
is "index.db is a directory: exit 0" "$st" 0
same_panels "index.db is a directory: exact figures" dmgdir dmgref
rm -rf "$tmp/cache/logdive"

# ---- 11. two processes on a file being appended ------------------------
hy gen "$tmp/two.jsonl" 20000
hy append "$tmp/two.jsonl" 20000 40000 2000 0.05 &
apid=$!
ld twoa panels -f json "$tmp/two.jsonl" &
bpid=$!
sleep 0.3
ld twob panels -f json "$tmp/two.jsonl"
stb=$st
wait "$bpid"
sta=$?
wait "$apid"
twook=0
for x in twoa twob; do
	k=$(rec "$tmp/$x.out" | sed 's/^total=\([0-9]*\) .*/\1/')
	head -n "$k" "$tmp/two.jsonl" >"$tmp/two.prefix"
	ld "$x-ref" panels -f json --no-index "$tmp/two.prefix"
	if hy panels-eq "$tmp/$x.out" "$tmp/$x-ref.out" &&
	    [ "$(rec "$tmp/$x.out")" = "total=$k $Z" ]; then
		twook=$((twook + 1))
	else echo "# $x: $(rec "$tmp/$x.out") is not the first $k lines' figures"; fi
done
is "two processes on a file being appended: exit statuses" "$sta $stb" "0 0"
is "two processes on a file being appended: each gives the exact figures of the lines it read" \
    "$twook" 2
ld twoc panels -f json "$tmp/two.jsonl"
ld twocref panels -f json --no-index "$tmp/two.jsonl"
is "after them, from the index: all 60000 records" "$(rec "$tmp/twoc.out")" "total=60000 $Z"
same_panels "after them, from the index: exact figures" twoc twocref

echo "# sections 1-11: $(($(date +%s) - t0)) s"
# ---- 2. --follow through tmux ------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
	n=$((n + 1)); echo "ok $n # SKIP --follow: tmux is not installed"
	echo "# wall time: $(($(date +%s) - t0)) s"
	echo "1..$n"
	exit 0
fi
sock=ldhostile$$
# title TEXT SECONDS: wait until the title line contains TEXT
title() {
	_i=0
	while [ $_i -lt $(($2 * 10)) ]; do
		tm capture-pane -p -t s 2>/dev/null | head -n 1 |
		    grep -qE -- "(^|[^0-9,])$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
f=$tmp/app.jsonl
hy gen "$f" 100 0
tm new-session -d -s s -x 120 -y 30 \
    "LANG=C.UTF-8 '$LOGDIVE' --follow '$f'; echo EXITED \$?; sleep 60"
title "100 records" 20 && ok "follow: 100 records" || not_ok "follow: 100 records"
# grows, then rotated while the writer still appends to the old file
hy append "$f" 100 50
title "150 records" 10 && ok "follow: 50 appended lines" || not_ok "follow: 50 appended lines"
hy append "$f" 150 400 20 0.02 &
wpid=$!
sleep 0.2
mv "$f" "$f.1"
hy gen "$f.new" 7 1000
mv "$f.new" "$f"
wait "$wpid"
hy append "$f" 1007 5
title "12 records" 10 &&
	ok "rotated while the old file is still written: exactly the new file's 12 records" ||
	not_ok "rotated while the old file is still written: 12 records"
hy append "$f" 1012 3
title "15 records" 10 && ok "after the rotation: 3 more, none doubled" ||
	not_ok "after the rotation: 15 records"
# copytruncate: copied, truncated, then fewer lines written
cp "$f" "$f.2"
: >"$f"
hy append "$f" 2000 4
title "4 records" 10 && ok "copytruncate: exactly the 4 new lines" ||
	not_ok "copytruncate: 4 records"
# copytruncate, then more written than the file held, before any poll
# (longer lines: where the last read ended falls inside the second one)
cp "$f" "$f.3"
"$PYTHON3" -c '
import os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(sys.argv[2]))
import hostile
pad = ",\"pad\":\"%s\"" % ("p" * 600)
data = "".join(hostile.line(i, extra=pad) + "\n" for i in range(3000, 3040)).encode()
fd = os.open(sys.argv[1], os.O_WRONLY)
os.ftruncate(fd, 0)
os.pwrite(fd, data, 0)
os.close(fd)' "$f" "$H"
title "40 records" 10 && ok "copytruncate and 40 lines written at once: exactly 40 records" ||
	not_ok "copytruncate and 40 lines written at once: 40 records"
# replaced by a directory: what was read stays, then a file again
mv "$f" "$f.4"
mkdir "$f"
sleep 2
if title "40 records" 1 && ! tm capture-pane -p -t s | grep -q EXITED; then
	ok "replaced by a directory: still running, the 40 records kept"
else not_ok "replaced by a directory"; fi
rmdir "$f"
hy gen "$f" 3 4000
title "3 records" 10 && ok "a file again after the directory: its 3 records" ||
	not_ok "a file again after the directory: 3 records"
# a second process writes the index of the file the first one follows
hy append "$f" 4003 5000 500 0.02 &
wpid=$!
ld fol panels -f json "$f"
wait "$wpid"
ld folref panels -f json --no-index "$f"
title "5,003 records" 15 && ok "follow while another process indexes the file: 5,003 records" ||
	not_ok "follow while another process indexes the file: 5003 records"
k=$(rec "$tmp/fol.out" | sed 's/^total=\([0-9]*\) .*/\1/')
head -n "$k" "$f" >"$tmp/fol.prefix"
ld folpre panels -f json --no-index "$tmp/fol.prefix"
same_panels "the indexing process: exact figures of the $k lines it read" fol folpre
ld fol2 panels -f json "$f"
same_panels "after both: exact figures from the index" fol2 folref
tm send-keys -t s q
wait_for EXITED 5 || true
tm kill-server >/dev/null 2>&1

echo "# wall time: $(($(date +%s) - t0)) s"
echo "1..$n"
