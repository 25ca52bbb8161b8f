#!/bin/sh
# The network and the credentials (issue 6 §5; TAP): the real logdive
# against tests/fake-es.py and tests/fake-loki.py (answers computed from
# generated data) with faults injected, and tests/lib/fakeproxy.py:
#   1. a connection reset in the middle of a body: retried (counted by the
#      fake), and after the last retry one line, exit 3; closed (FIN) in the
#      middle: "cut short", not retried;
#   2. a server that sends one byte a second: --timeout and the config
#      file's "timeout" end the request, the message names the limit; a
#      TLS port that never answers: --connect-timeout;
#   3. a 2 GB body: refused at --max-body (default 256 MiB, config
#      "max_body"), announced or streamed (peak RSS under the bound), or
#      gzip-encoded (the inflated size counts);
#   4. a redirect to another host: not followed; the other host (a second
#      fake recording every request) sees nothing; the Location redacted;
#   5. TLS with certificates made here by openssl (self-signed, and a CA
#      with a server certificate for "localhost"): refused by default, with
#      the CA (ES_CA_CERT, LOKI_CA_CERT_PATH, config "ca_cert"), --insecure
#      with its warning, a wrong host name refused;
#   6. proxies from the environment (http_proxy, HTTP_PROXY, https_proxy
#      by CONNECT, no_proxy), a proxy that wants credentials (407) or is
#      down: one line naming the proxy, never its password;
#   7. a session with distinctive credentials (headless commands, the
#      journal, config sources, a preset saved in the TUI, error paths):
#      no file under the config, cache, state or home directory, no output
#      and no message holds any of them, plain or base64.
# Environment (set by tests/run.sh): LOGDIVE, srcdir, PYTHON3.
: "${srcdir:=.}" "${PYTHON3:=python3}"
: "${LOGDIVE:=./logdive}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logdive-network.XXXXXX") || exit 1
. "$srcdir/tests/lib/common.sh"
sock=
trap '[ -n "$sock" ] && tm kill-server >/dev/null 2>&1; stop_fakes; rm -rf "$tmp"' EXIT
unset ES_API_KEY ES_USERNAME ES_PASSWORD ES_BEARER_TOKEN ES_CA_CERT ES_CLIENT_CERT \
    ES_CLIENT_KEY LOKI_ADDR LOKI_USERNAME LOKI_PASSWORD LOKI_BEARER_TOKEN \
    LOKI_BEARER_TOKEN_FILE LOKI_ORG_ID LOKI_CA_CERT_PATH LOKI_CLIENT_CERT_PATH \
    LOKI_CLIENT_KEY_PATH LOKI_TLS_SKIP_VERIFY http_proxy HTTP_PROXY https_proxy \
    HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY REQUEST_METHOD
HOME=$tmp/home
export HOME
# what logdive writes and prints goes under out/ (grepped at the end); what
# the fakes and the proxies log (credentials included) under fakes/
mkdir -p "$tmp/out" "$tmp/fakes" "$HOME"

# the credentials of the whole suite: distinctive, grepped for at the end
es_key=s3cr3t-ES-apikey-4402
es_user=elastic es_pw=s3cr3t-ES-pw-7731
loki_user=lokiuser loki_pw=s3cr3t-LOKI-pw-5519
loki_token=s3cr3t-LOKI-bearer-8820
px_user=puser px_pw=s3cr3t-PROXY-pw-3141
wrong=s3cr3t-WRONG-pw-2718

"$PYTHON3" "$srcdir/tests/gen-logs.py" --requests 300 --seed 5 --long-line 0 \
    --out "$tmp/all.jsonl" --truth "$tmp/truth.json" >/dev/null 2>&1 ||
	{ echo "not ok 1 - gen-logs.py"; exit 1; }
range=2026-02-26T04:00:00Z..2026-02-27T04:00:00Z
id=$("$PYTHON3" -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["traces"])[0])' \
    "$tmp/truth.json")

# fake NAME SCRIPT ARGS...: start_fake with the log in fakes/
fake() {
	_fn=$1
	shift
	start_fake "$_fn" "$@" --log-headers "$tmp/fakes/$_fn.hdr" &&
	    mv "$tmp/$_fn.log" "$tmp/fakes/$_fn.log" 2>/dev/null
	[ -s "$tmp/$_fn.port" ] || { echo "not ok 1 - fake $_fn did not start"; exit 1; }
}
fake es fake-es.py --index "ml-a=$tmp/all.jsonl" \
    --require-api-key "$es_key" --require-basic "$es_user:$es_pw"
fake loki fake-loki.py --stream "{job=\"ml\"}=$tmp/all.jsonl" \
    --require-basic "$loki_user:$loki_pw" --require-bearer "$loki_token"
ep=$(cat "$tmp/es.port") lp=$(cat "$tmp/loki.port")
es="es+http://127.0.0.1:$ep/ml-a"
loki="loki+http://127.0.0.1:$lp/{job=\"ml\"}"
lokij="loki+http://127.0.0.1:$lp/{job=\\\"ml\\\"}"	# in a JSON string
# the other host of the redirects: 127.0.0.2 where it can be bound
far=127.0.0.2
"$PYTHON3" -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null ||
	far=127.0.0.1
if ! start_fake far fake-es.py --bind $far --index "ml-a=$tmp/all.jsonl" \
    --log-headers "$tmp/fakes/far.hdr"; then
	far=127.0.0.1
	start_fake far fake-es.py --index "ml-a=$tmp/all.jsonl" \
	    --log-headers "$tmp/fakes/far.hdr" ||
		{ echo "not ok 1 - fake far did not start"; exit 1; }
fi
mv "$tmp/far.log" "$tmp/fakes/far.log"
fp=$(cat "$tmp/far.port")

# ld NAME [VAR=VALUE...] -- ARGS: logdive ARGS with those variables; its
# output in out/NAME.out and out/NAME.err, its status in $st, its wall
# time in $ms (milliseconds)
ld() {
	_ln=$1
	shift
	_i=0
	for _a; do
		[ $_i -eq 0 ] && set --
		_i=1
		if [ "$_a" = -- ]; then set -- "$@" "$LOGDIVE"; else set -- "$@" "$_a"; fi
	done
	_t0=$(date +%s%N)
	if [ -n "${_rss:-}" ]; then
		# the peak RSS of the child (rss) in $tmp/rss
		"$PYTHON3" -c '
import resource, subprocess, sys
st = subprocess.call(["env"] + sys.argv[2:], stdout=open(sys.argv[1] + ".out", "w"),
                     stderr=open(sys.argv[1] + ".err", "w"))
sys.stderr.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(st)' "$tmp/out/$_ln" "$@" 2>"$tmp/rss"
	else
		env "$@" >"$tmp/out/$_ln.out" 2>"$tmp/out/$_ln.err"
	fi
	st=$?
	ms=$((($(date +%s%N) - _t0) / 1000000))
}
# want NAME STATUS ERRLINE DESCRIPTION: the last ld exited with STATUS and
# wrote exactly ERRLINE on stderr ("" = nothing)
want() {
	if [ -n "$3" ]; then printf '%s\n' "$3" >"$tmp/want.err"; else : >"$tmp/want.err"; fi
	if [ "$st" -eq "$2" ] && cmp -s "$tmp/want.err" "$tmp/out/$1.err"; then ok "$4"
	else
		not_ok "$4 (exit $st, want $2)" "$tmp/out/$1.err"
		[ -n "$3" ] && echo "#   want: $3"
	fi
	return 0
}
# same NAME1 NAME2: the two runs printed the same
same() { cmp -s "$tmp/out/$1.out" "$tmp/out/$2.out" && [ -s "$tmp/out/$1.out" ]; }
# count PORT PATH: requests the fake on PORT got for PATH since its reset
count() {
	"$PYTHON3" -c '
import json, sys, urllib.request
s = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/stats" % sys.argv[1]))
print(s["by_path"].get(sys.argv[2], 0))' "$1" "$2"
}
reset() { fake_post "$1" /_fake/reset '{}'; }
clear_faults() { fake_post "$1" /_fake/faults '' DELETE; }
# lines FILE: its number of lines (0 if absent)
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

KEY="ES_API_KEY=$es_key"
BASIC="ES_USERNAME=$es_user ES_PASSWORD=$es_pw"
LOKI_BASIC="LOKI_USERNAME=$loki_user LOKI_PASSWORD=$loki_pw"

# the answers without faults, to compare with
ld es-clean "$KEY" -- requests -f jsonl --no-journal "$es"
[ "$st" -eq 0 ] && [ "$(lines "$tmp/out/es-clean.out")" -eq "$(grep -c '^{' "$tmp/all.jsonl")" ] ||
	{ not_ok "ES without faults: every record" "$tmp/out/es-clean.err"; }
ld loki-clean $LOKI_BASIC -- requests -t "$range" -f jsonl --no-journal "$loki"
[ "$st" -eq 0 ] && [ -s "$tmp/out/loki-clean.out" ] ||
	{ not_ok "Loki without faults" "$tmp/out/loki-clean.err"; }

# ---- 1. a connection reset in the middle of the body ------------------------

reset "$ep"
fault "$ep" '{"reset_after": 3000, "path": "/_search"}'
ld reset1 "$KEY" -- requests -f jsonl --no-journal "$es"
if [ $st -eq 0 ] && same reset1 es-clean && [ ! -s "$tmp/out/reset1.err" ] &&
    [ "$(count "$ep" /ml-a/_search)" -eq 2 ]; then
	ok "ES: reset after 3000 bytes of the body: retried once (2 searches), the same records"
else not_ok "ES: reset mid-body retried (exit $st, $(count "$ep" /ml-a/_search) searches)" \
    "$tmp/out/reset1.err"; fi

reset "$ep"
fault "$ep" '{"reset_after": 3000, "path": "/_search", "times": -1}'
ld reset2 "$KEY" -- requests -f jsonl --no-journal "$es"
want reset2 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: connection reset while receiving the response (after 3 retries) — try again" \
    "ES: reset every time: one line, exit 3"
n_s=$(count "$ep" /ml-a/_search)
[ "$n_s" -eq 4 ] && ok "ES: 1 + 3 retries = 4 searches" || not_ok "ES: $n_s searches, want 4"
clear_faults "$ep"

reset "$lp"
fault "$lp" '{"reset_after": 100, "path": "query_range"}'
ld reset3 $LOKI_BASIC -- requests -t "$range" -f jsonl --no-journal "$loki"
n_q=$(count "$lp" /loki/api/v1/query_range)
reset "$lp"
ld reset3b $LOKI_BASIC -- requests -t "$range" -f jsonl --no-journal "$loki"
n_q0=$(count "$lp" /loki/api/v1/query_range)
if [ $st -eq 0 ] && same reset3 loki-clean && [ "$n_q" -eq $((n_q0 + 1)) ]; then
	ok "Loki: reset mid-body: retried ($n_q queries, $n_q0 without the fault), the same records"
else not_ok "Loki: reset mid-body retried (queries $n_q vs $n_q0)" "$tmp/out/reset3.err"; fi
fault "$lp" '{"reset_after": 100, "path": "query_range", "times": -1}'
ld reset4 $LOKI_BASIC -- requests -t "$range" -f jsonl --no-journal "$loki"
if [ $st -eq 3 ] && [ "$(lines "$tmp/out/reset4.err")" -eq 1 ] &&
    grep -qF "logdive: http://127.0.0.1:$lp/loki/api/v1/query_range: connection reset while receiving the response (after 3 retries) — try again" "$tmp/out/reset4.err"
then ok "Loki: reset every time: one line, exit 3"
else not_ok "Loki: reset every time (exit $st)" "$tmp/out/reset4.err"; fi
clear_faults "$lp"

# closed (FIN) rather than reset in the middle of the body: a response cut
# short, said with its byte counts; not retried (http.c retries resets and
# connections closed before any answer only)
reset "$ep"
fault "$ep" '{"truncate": true, "path": "/_search"}'
ld cut1 "$KEY" -- requests -f jsonl --no-journal "$es"
if [ $st -eq 3 ] && [ "$(lines "$tmp/out/cut1.err")" -eq 1 ] &&
    grep -qE "^logdive: http://127\.0\.0\.1:$ep/ml-a/_search: response cut short: [0-9]+ of [0-9]+ bytes came before the connection closed — try again\$" "$tmp/out/cut1.err" &&
    [ "$(count "$ep" /ml-a/_search)" -eq 1 ]
then ok "ES: the connection closed mid-body: \"cut short\" with the byte counts, exit 3"
else not_ok "ES: closed mid-body (exit $st)" "$tmp/out/cut1.err"; fi
clear_faults "$ep"


reset "$ep"
fault "$ep" '{"trickle_ms": 1000, "path": "/_search"}'
ld slow1 "$KEY" -- requests -f jsonl --no-journal --timeout 2s "$es"
want slow1 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: no complete response within the request timeout (2 s) — the server is slow; narrow the query or raise --timeout" \
    "ES trickling 1 byte/s, --timeout 2s: one line naming the limit, exit 3"
if [ "$ms" -ge 1900 ] && [ "$ms" -lt 20000 ] && [ "$(count "$ep" /ml-a/_search)" -eq 1 ]; then
	ok "... it ended after $ms ms, not retried"
else not_ok "... ended after $ms ms, $(count "$ep" /ml-a/_search) searches"; fi
clear_faults "$ep"

cat >"$tmp/cfg" <<EOF
{"logdive_config": 1,
 "sources": {
   "slowloki": {"url": "$lokij", "timeout": "3s",
                "username_env": "TEAM_LOKI_USER", "password_env": "TEAM_LOKI_PW"},
   "biges": {"url": "$es", "api_key_env": "TEAM_ES_KEY", "max_body": "2M"},
   "bigloki": {"url": "$lokij", "bearer_token_env": "TEAM_LOKI_TOKEN", "max_body": 3145728}}}
EOF
TEAM_LOKI="TEAM_LOKI_USER=$loki_user TEAM_LOKI_PW=$loki_pw"
reset "$lp"
fault "$lp" '{"trickle_ms": 1000, "path": "query_range", "times": -1}'
ld slow2 $TEAM_LOKI -- requests -t "$range" -f jsonl --no-journal -c "$tmp/cfg" slowloki
if [ $st -eq 3 ] && [ "$(lines "$tmp/out/slow2.err")" -eq 1 ] &&
    grep -qF "logdive: http://127.0.0.1:$lp/loki/api/v1/query_range: no complete response within the request timeout (3 s) — the server is slow; narrow the query or raise --timeout" "$tmp/out/slow2.err" &&
    [ "$ms" -ge 2900 ] && [ "$ms" -lt 30000 ]
then ok "Loki trickling, the config's \"timeout\": \"3s\": one line naming 3 s, ended after $ms ms"
else not_ok "Loki trickling with the config's timeout (exit $st, $ms ms)" "$tmp/out/slow2.err"; fi
clear_faults "$lp"

# a port that accepts TCP connections and never says a word: the TLS
# handshake never ends, --connect-timeout does
"$PYTHON3" -c '
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)' "$tmp/mute.port" &
pids="$pids $!"
_i=0
while [ ! -s "$tmp/mute.port" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
mp=$(cat "$tmp/mute.port")
ld slow3 "$KEY" -- panels --no-journal --connect-timeout 1s "es+https://127.0.0.1:$mp/ml-a"
want slow3 3 "logdive: cannot connect to https://127.0.0.1:$mp: no answer within the connect timeout (1 s) — is the host reachable (firewall, VPN)?" \
    "a TLS port that never answers, --connect-timeout 1s: one line naming it, exit 3"
[ "$ms" -ge 900 ] && [ "$ms" -lt 15000 ] && ok "... it ended after $ms ms" ||
	not_ok "... ended after $ms ms"

# ---- 3. a 2 GB body ----------------------------------------------------------

# rss NAME [VAR=VALUE...] -- ARGS: ld, and the peak RSS of logdive in $rss (KiB)
rss() {
	_rss=1
	ld "$@"
	_rss=
	rss=$(cat "$tmp/rss")
}
# an ASan build keeps freed memory in quarantine and copies on realloc
if grep -q __asan_init "$LOGDIVE" 2>/dev/null; then rss_cap=900000; else rss_cap=307200; fi
big="response larger than the 256 MiB limit (--max-body) — narrow the query or raise --max-body"
fault "$ep" '{"huge": 2147483648, "length": true, "path": "/_search"}'
rss big1 "$KEY" -- requests -f jsonl --no-journal "$es"
want big1 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: $big" \
    "2 GB announced in Content-Length: refused at once, the default bound named, exit 3"
[ "$rss" -lt 102400 ] && ok "... peak RSS $rss KiB, $ms ms" || not_ok "... peak RSS $rss KiB"

fault "$ep" '{"huge": 2147483648, "path": "/_search"}'
rss big2 "$KEY" -- requests -f jsonl --no-journal "$es"
want big2 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: $big" \
    "2 GB streamed (chunked, no length): refused at 256 MiB, exit 3"
if [ "$rss" -lt "$rss_cap" ] && [ "$rss" -gt 200000 ]; then
	ok "... it stopped reading at the bound: peak RSS $rss KiB (< $rss_cap), $ms ms"
else not_ok "... peak RSS $rss KiB, want 200000..$rss_cap"; fi

fault "$ep" '{"huge": 2147483648, "path": "/_search"}'
rss big3 "$KEY" -- requests -f jsonl --no-journal --max-body 1M "$es"
want big3 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: response larger than the 1 MiB limit (--max-body) — narrow the query or raise --max-body" \
    "--max-body 1M: refused at 1 MiB"
[ "$rss" -lt 102400 ] && ok "... peak RSS $rss KiB" || not_ok "... peak RSS $rss KiB"

fault "$ep" '{"huge": 2147483648, "path": "/_search"}'
ld big4 "TEAM_ES_KEY=$es_key" -- requests -f jsonl --no-journal -c "$tmp/cfg" biges
want big4 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: response larger than the 2 MiB limit (--max-body) — narrow the query or raise --max-body" \
    "the config's \"max_body\": \"2M\""
fault "$ep" '{"huge": 2147483648, "path": "/_search"}'
ld big5 "TEAM_ES_KEY=$es_key" -- requests -f jsonl --no-journal --max-body 1048576 -c "$tmp/cfg" biges
want big5 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: response larger than the 1 MiB limit (--max-body) — narrow the query or raise --max-body" \
    "--max-body 1048576 wins over the config's"
reset "$lp"
fault "$lp" '{"huge": 2147483648, "path": "query_range", "times": -1}'
ld big6 "TEAM_LOKI_TOKEN=$loki_token" -- requests -t "$range" -f jsonl --no-journal -c "$tmp/cfg" bigloki
if [ $st -eq 3 ] && [ "$(lines "$tmp/out/big6.err")" -eq 1 ] &&
    grep -qF "logdive: http://127.0.0.1:$lp/loki/api/v1/query_range: response larger than the 3 MiB limit (--max-body) — narrow the query or raise --max-body" "$tmp/out/big6.err"
then ok "Loki: the config's \"max_body\": 3145728 (bytes)"
else not_ok "Loki: the config's max_body in bytes (exit $st)" "$tmp/out/big6.err"; fi
clear_faults "$lp"

fault "$ep" '{"huge": 268435456, "gzip": true, "path": "/_search"}'
rss big7 "$KEY" -- requests -f jsonl --no-journal --max-body 8M "$es"
want big7 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: response larger than the 8 MiB limit (--max-body) — narrow the query or raise --max-body" \
    "a gzip body that inflates to 256 MiB: the inflated size counts"
[ "$rss" -lt 102400 ] && ok "... peak RSS $rss KiB" || not_ok "... peak RSS $rss KiB"
clear_faults "$ep"

ld big8 "$KEY" -- panels -f json --no-journal --max-body 1M "$es"
ld big8b "$KEY" -- panels -f json --no-journal "$es"
[ $st -eq 0 ] && same big8 big8b && ok "answers under --max-body 1M: the same panels" ||
	not_ok "answers under --max-body 1M" "$tmp/out/big8.err"
for v in 0 12X 1.5M -1M 99999999999999999999G; do
	ld bad-size -- panels --max-body "$v" "$es"
	want bad-size 2 "logdive: --max-body $v: use a size such as 256M, 1G or a number of bytes" \
	    "--max-body $v refused, exit 2"
done
printf '{"sources": {"x": {"url": "%s", "max_body": "lots"}}}\n' "$es" >"$tmp/badcfg"
ld bad-cfg -- panels -c "$tmp/badcfg" x
want bad-cfg 2 "logdive: $tmp/badcfg: sources.x.max_body: expected a size such as \"256M\", \"1G\" or a number of bytes" \
    "config \"max_body\": \"lots\" refused, exit 2"

# ---- 4. a redirect to another host -------------------------------------------

: >"$tmp/fakes/far.hdr"
fault "$ep" "{\"redirect\": \"http://u:$wrong@$far:$fp/ml-a/_search?api_key=$wrong&size=10\", \"status\": 307, \"path\": \"/_search\"}"
ld redir1 $BASIC -- requests -f jsonl --no-journal "$es"
want redir1 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: 307 Temporary Redirect: redirected to http://$far:$fp/ml-a/_search?api_key=***&size=10 — logdive does not follow redirects; use that address" \
    "ES (basic auth) redirected to $far: not followed, the Location redacted, exit 3"
fault "$ep" "{\"redirect\": \"http://$far:$fp/\", \"status\": 301}"
ld redir2 "$KEY" -- panels --no-journal "$es"
want redir2 3 "logdive: http://127.0.0.1:$ep/: 301 Moved Permanently: redirected to http://$far:$fp/ — logdive does not follow redirects; use that address" \
    "ES (API key) redirected at its first request: not followed"
fault "$lp" "{\"redirect\": \"http://$far:$fp/loki/api/v1/query_range\", \"path\": \"query_range\"}"
ld redir3 $LOKI_BASIC -- requests -t "$range" --no-journal "$loki"
if [ $st -eq 3 ] && [ "$(lines "$tmp/out/redir3.err")" -eq 1 ] &&
    grep -qF "302 Found: redirected to http://$far:$fp/loki/api/v1/query_range — logdive does not follow redirects; use that address" "$tmp/out/redir3.err"
then ok "Loki (basic auth) redirected: not followed, exit 3"
else not_ok "Loki redirected (exit $st)" "$tmp/out/redir3.err"; fi
clear_faults "$lp"
fault "$lp" "{\"redirect\": \"https://localhost:$fp/\", \"status\": 308, \"times\": -1}"
ld redir4 "LOKI_BEARER_TOKEN=$loki_token" -- panels -t "$range" --no-journal "$loki"
[ $st -eq 3 ] && grep -qF "308 Permanent Redirect: redirected to https://localhost:$fp/ — " "$tmp/out/redir4.err" &&
	ok "Loki (bearer token) redirected to localhost: not followed" ||
	not_ok "Loki (bearer) redirected (exit $st)" "$tmp/out/redir4.err"
clear_faults "$lp"
clear_faults "$ep"
[ "$(lines "$tmp/fakes/far.hdr")" -eq 0 ] &&
	ok "the other host got no request at all (so no credential)" ||
	not_ok "the other host got requests" "$tmp/fakes/far.hdr"

# ---- 5. TLS ------------------------------------------------------------------

if command -v openssl >/dev/null 2>&1 && (
	cd "$tmp/fakes" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -keyout ss.key -out ss.pem -subj "/CN=logdive self-signed" \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -keyout ca.key -out ca.pem -subj "/CN=logdive test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout srv.key -out srv.csr -subj "/CN=localhost" &&
	printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >srv.ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	    -out srv.pem -extfile srv.ext
) >"$tmp/fakes/openssl.log" 2>&1; then
	have_tls=1
else
	have_tls=0
fi
if [ $have_tls -eq 1 ]; then
	f=$tmp/fakes
	fake est fake-es.py --tls-cert "$f/ss.pem" --tls-key "$f/ss.key" \
	    --index "ml-a=$tmp/all.jsonl" --require-api-key "$es_key"
	fake lt fake-loki.py --tls-cert "$f/srv.pem" --tls-key "$f/srv.key" \
	    --stream "{job=\"ml\"}=$tmp/all.jsonl" --require-bearer "$loki_token"
	tp=$(cat "$tmp/est.port") ltp=$(cat "$tmp/lt.port")
	ests="es+https://127.0.0.1:$tp/ml-a"
	lts="loki+https://localhost:$ltp/{job=\"ml\"}"
	ltsj="loki+https://localhost:$ltp/{job=\\\"ml\\\"}"
	warn="logdive: warning: TLS verification is off (--insecure)"
	TOKEN="LOKI_BEARER_TOKEN=$loki_token"

	ld tls1 "$KEY" -- requests -f jsonl --no-journal "$ests"
	want tls1 3 "logdive: TLS: the certificate of https://127.0.0.1:$tp is not trusted: self-signed certificate — set ES_CA_CERT to the CA that signed it, or use --insecure" \
	    "ES self-signed: refused by default, exit 3"
	ld tls2 "$KEY" -- requests -f jsonl --no-journal --insecure "$ests"
	if [ $st -eq 0 ] && same tls2 es-clean && [ "$(cat "$tmp/out/tls2.err")" = "$warn" ]
	then ok "ES self-signed, --insecure: the same records, and the warning"
	else not_ok "ES --insecure (exit $st)" "$tmp/out/tls2.err"; fi
	ld tls3 "$KEY" "ES_CA_CERT=$f/ss.pem" -- requests -f jsonl --no-journal "$ests"
	[ $st -eq 0 ] && same tls3 es-clean && [ ! -s "$tmp/out/tls3.err" ] &&
		ok "ES_CA_CERT: verified, the same records, no warning" ||
		not_ok "ES_CA_CERT (exit $st)" "$tmp/out/tls3.err"
	ld tls4 "$KEY" "ES_CA_CERT=$f/ca.pem" -- requests -f jsonl --no-journal "$ests"
	want tls4 3 "logdive: TLS: the certificate of https://127.0.0.1:$tp is not trusted: self-signed certificate — set ES_CA_CERT to the CA that signed it, or use --insecure" \
	    "ES_CA_CERT naming another CA: refused"
	cat >"$tmp/tlscfg" <<EOF
{"sources": {"tls": {"url": "$ests", "api_key_env": "TEAM_ES_KEY", "ca_cert": "$f/ss.pem"},
             "tlsi": {"url": "$ests", "api_key_env": "TEAM_ES_KEY", "insecure": true},
             "ltls": {"url": "$ltsj", "bearer_token_env": "TEAM_LOKI_TOKEN",
                      "ca_cert": "$f/ca.pem"}}}
EOF
	ld tls5 "TEAM_ES_KEY=$es_key" -- requests -f jsonl --no-journal -c "$tmp/tlscfg" tls
	[ $st -eq 0 ] && same tls5 es-clean && [ ! -s "$tmp/out/tls5.err" ] &&
		ok "the config's \"ca_cert\": verified" || not_ok "config ca_cert (exit $st)" "$tmp/out/tls5.err"
	ld tls6 "TEAM_ES_KEY=$es_key" -- requests -f jsonl --no-journal -c "$tmp/tlscfg" tlsi
	[ $st -eq 0 ] && same tls6 es-clean && [ "$(cat "$tmp/out/tls6.err")" = "$warn" ] &&
		ok "the config's \"insecure\": true: accepted, the warning" ||
		not_ok "config insecure (exit $st)" "$tmp/out/tls6.err"

	ld tls7 "$TOKEN" -- requests -t "$range" -f jsonl --no-journal "$lts"
	want tls7 3 "logdive: TLS: the certificate of https://localhost:$ltp is not trusted: unable to get local issuer certificate — set LOKI_CA_CERT_PATH to the CA that signed it, or use --insecure" \
	    "Loki, a certificate of an unknown CA: refused by default"
	ld tls8 "$TOKEN" "LOKI_CA_CERT_PATH=$f/ca.pem" -- requests -t "$range" -f jsonl --no-journal "$lts"
	[ $st -eq 0 ] && same tls8 loki-clean && [ ! -s "$tmp/out/tls8.err" ] &&
		ok "LOKI_CA_CERT_PATH: verified, the same records" ||
		not_ok "LOKI_CA_CERT_PATH (exit $st)" "$tmp/out/tls8.err"
	ld tls9 "TEAM_LOKI_TOKEN=$loki_token" -- requests -t "$range" -f jsonl --no-journal \
	    -c "$tmp/tlscfg" ltls
	[ $st -eq 0 ] && same tls9 loki-clean && ok "Loki, the config's \"ca_cert\": verified" ||
		not_ok "Loki config ca_cert (exit $st)" "$tmp/out/tls9.err"
	ld tls10 "$TOKEN" "LOKI_CA_CERT_PATH=$f/ca.pem" -- requests -t "$range" --no-journal \
	    "loki+https://127.0.0.1:$ltp/{job=\"ml\"}"
	want tls10 3 "logdive: TLS: the certificate of https://127.0.0.1:$ltp is not for that name: no alternative certificate subject name matches target host name '127.0.0.1' — use a name the certificate holds, or --insecure" \
	    "Loki with its CA but a name the certificate lacks (127.0.0.1): refused"
	ld tls11 "$TOKEN" -- requests -t "$range" -f jsonl --no-journal --insecure \
	    "loki+https://127.0.0.1:$ltp/{job=\"ml\"}"
	[ $st -eq 0 ] && same tls11 loki-clean && [ "$(cat "$tmp/out/tls11.err")" = "$warn" ] &&
		ok "Loki --insecure: accepted, the warning" || not_ok "Loki --insecure" "$tmp/out/tls11.err"
	ld tls12 "$TOKEN" LOKI_TLS_SKIP_VERIFY=true -- requests -t "$range" -f jsonl --no-journal "$lts"
	[ $st -eq 0 ] && same tls12 loki-clean && [ "$(cat "$tmp/out/tls12.err")" = "$warn" ] &&
		ok "LOKI_TLS_SKIP_VERIFY=true: accepted, the warning" ||
		not_ok "LOKI_TLS_SKIP_VERIFY" "$tmp/out/tls12.err"
	ld tls13 "$KEY" -- panels --no-journal "es+http://127.0.0.1:$tp/ml-a"
	want tls13 3 "logdive: http://127.0.0.1:$tp/: the server closed the connection without answering (after 3 retries) — is it an https:// port?" \
	    "http:// to an https port: says so"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do ok "# SKIP openssl is not installed (TLS)"; done
fi

# ---- 6. proxies from the environment -------------------------------------------

# proxy NAME ARGS...: tests/lib/fakeproxy.py, its log in fakes/NAME.jsonl
proxy() {
	_pn=$1
	shift
	"$PYTHON3" "$srcdir/tests/lib/fakeproxy.py" --port-file "$tmp/$_pn.port" \
	    --log "$tmp/fakes/$_pn.jsonl" "$@" >"$tmp/fakes/$_pn.log" 2>&1 &
	pids="$pids $!"
	_i=0
	while [ ! -s "$tmp/$_pn.port" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$tmp/$_pn.port" ] || { echo "not ok 1 - proxy $_pn did not start"; exit 1; }
}
proxy px
proxy pxa --require-auth "$px_user:$px_pw"
xp=$(cat "$tmp/px.port") xap=$(cat "$tmp/pxa.port")
# via NAME PREFIX: the proxy's log holds lines whose target all start with
# PREFIX, as many as the fake counted requests ($2 may be "CONNECT host:port")
via() {
	"$PYTHON3" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = sys.argv[2]
good = [r for r in rows if (r["method"] + " " + r["target"]).startswith(want)
        or r["target"].startswith(want)]
print(len(rows) if len(good) == len(rows) else -1)' "$tmp/fakes/$1.jsonl" "$2"
}

: >"$tmp/fakes/px.jsonl"
reset "$ep"
ld px1 "$KEY" "http_proxy=http://127.0.0.1:$xp" -- requests -f jsonl --no-journal "$es"
n_px=$(via px "http://127.0.0.1:$ep/")
n_es=$("$PYTHON3" -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/stats" % sys.argv[1]))["requests"])' "$ep")
if [ $st -eq 0 ] && same px1 es-clean && [ "$n_px" -gt 0 ] && [ "$n_px" -eq "$n_es" ]; then
	ok "http_proxy: all $n_px requests went through the proxy, the same records"
else not_ok "http_proxy (exit $st, proxy $n_px, server $n_es)" "$tmp/out/px1.err"; fi
: >"$tmp/fakes/px.jsonl"
ld px2 "$KEY" "HTTP_PROXY=http://127.0.0.1:$xp" -- requests -f jsonl --no-journal "$es"
n_px=$(via px "http://127.0.0.1:$ep/")
[ $st -eq 0 ] && same px2 es-clean && [ "$n_px" -gt 0 ] &&
	ok "HTTP_PROXY (upper case) too: $n_px requests through the proxy" ||
	not_ok "HTTP_PROXY (exit $st, $n_px)" "$tmp/out/px2.err"
: >"$tmp/fakes/px.jsonl"
ld px3 "$KEY" "HTTP_PROXY=http://127.0.0.1:$xp" REQUEST_METHOD=GET -- \
    requests -f jsonl --no-journal "$es"
[ $st -eq 0 ] && [ "$(lines "$tmp/fakes/px.jsonl")" -eq 0 ] &&
	ok "HTTP_PROXY is ignored in a CGI environment (httpoxy)" ||
	not_ok "HTTP_PROXY under CGI (exit $st)" "$tmp/out/px3.err"
ld px4 $LOKI_BASIC "http_proxy=http://127.0.0.1:$xp" -- requests -t "$range" -f jsonl \
    --no-journal "$loki"
n_px=$(via px "http://127.0.0.1:$lp/loki/api/v1/")
[ $st -eq 0 ] && same px4 loki-clean && [ "$n_px" -gt 0 ] &&
	ok "Loki through http_proxy: $n_px requests, the same records" ||
	not_ok "Loki through http_proxy (exit $st, $n_px)" "$tmp/out/px4.err"
: >"$tmp/fakes/px.jsonl"
ld px5 "$KEY" "http_proxy=http://127.0.0.1:$xp" "no_proxy=localhost,127.0.0.1" -- \
    requests -f jsonl --no-journal "$es"
ld px6 $LOKI_BASIC "HTTP_PROXY=http://127.0.0.1:$xp" "NO_PROXY=127.0.0.0/8" -- \
    requests -t "$range" -f jsonl --no-journal "$loki"
[ "$(lines "$tmp/fakes/px.jsonl")" -eq 0 ] && same px5 es-clean && same px6 loki-clean &&
	ok "no_proxy (a name list) and NO_PROXY (a CIDR range) bypass the proxy" ||
	not_ok "no_proxy bypass" "$tmp/fakes/px.jsonl"
if [ $have_tls -eq 1 ]; then
	: >"$tmp/fakes/px.jsonl"
	ld px7 "$KEY" "ES_CA_CERT=$tmp/fakes/ss.pem" "https_proxy=http://127.0.0.1:$xp" -- \
	    requests -f jsonl --no-journal "$ests"
	n_px=$(via px "CONNECT 127.0.0.1:$tp")
	[ $st -eq 0 ] && same px7 es-clean && [ "$n_px" -ge 1 ] &&
		ok "https_proxy: CONNECT 127.0.0.1:$tp ($n_px tunnels), verified, the same records" ||
		not_ok "https_proxy CONNECT (exit $st, $n_px)" "$tmp/out/px7.err"
else ok "# SKIP openssl is not installed (https_proxy)"; fi

: >"$tmp/fakes/pxa.jsonl"
ld px8 "$KEY" "http_proxy=http://$px_user:$px_pw@127.0.0.1:$xap" -- \
    requests -f jsonl --no-journal "$es"
[ $st -eq 0 ] && same px8 es-clean && [ "$(via pxa "http://127.0.0.1:$ep/")" -gt 0 ] &&
	ok "a proxy that wants credentials, given in http_proxy: through it" ||
	not_ok "proxy credentials (exit $st)" "$tmp/out/px8.err"
: >"$tmp/fakes/pxa.jsonl"
ld px9 "$KEY" "http_proxy=http://$px_user:$wrong@127.0.0.1:$xap" -- \
    requests -f jsonl --no-journal "$es"
want px9 3 "logdive: http://127.0.0.1:$ep/: 407 Proxy Authentication Required: the proxy http://127.0.0.1:$xap (from http_proxy) asks for credentials — check the user name and password in http_proxy" \
    "a wrong proxy password (407): the proxy named without it, exit 3"
if [ $have_tls -eq 1 ]; then
	: >"$tmp/fakes/pxa.jsonl"
	ld px10 "$KEY" "ES_CA_CERT=$tmp/fakes/ss.pem" "https_proxy=$px_user:$wrong@127.0.0.1:$xap" -- \
	    requests -f jsonl --no-journal "$ests"
	want px10 3 "logdive: the proxy http://127.0.0.1:$xap (from https_proxy) refused to reach https://127.0.0.1:$tp: 407 Proxy Authentication Required — check the user name and password in https_proxy" \
	    "CONNECT refused with 407: said so (not \"connection reset\"), exit 3"
	[ "$(lines "$tmp/fakes/pxa.jsonl")" -eq 1 ] && ok "... and not retried" ||
		not_ok "... CONNECT tried $(lines "$tmp/fakes/pxa.jsonl") times"
else
	ok "# SKIP openssl is not installed (CONNECT 407)"
	ok "# SKIP openssl is not installed (CONNECT 407)"
fi
dead=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ld px11 "$KEY" "http_proxy=http://$px_user:$px_pw@127.0.0.1:$dead" -- \
    requests -f jsonl --no-journal "$es"
want px11 3 "logdive: cannot connect to the proxy http://127.0.0.1:$dead (from http_proxy) to reach http://127.0.0.1:$ep: connection refused — check http_proxy, or name the host in no_proxy" \
    "a dead proxy: the proxy named (not the server), without its password"
ld px12 $LOKI_BASIC "all_proxy=$px_user:$px_pw@no-such-proxy.invalid:3128" -- \
    requests -t "$range" --no-journal "$loki"
want px12 3 "logdive: cannot connect to the proxy http://no-such-proxy.invalid:3128 (from all_proxy) to reach http://127.0.0.1:$lp: host name not found — check all_proxy, or name the host in no_proxy" \
    "a proxy whose name is not found (all_proxy)"

# ---- 7. no credential written or printed anywhere ----------------------------

# a session with the journal on: headless commands on both backends, every
# way of giving a credential, a config source, findings, the export
S=session
ld s1 "$KEY" -- panels "$es"
ld s2 "$KEY" -- requests -q 'latency_ms > 100' -f csv "$es"
ld s3 "$KEY" -- trace "$id" -f json "$es"
ld s4 $BASIC -- panels -f json -q 'log_level:ERROR' "$es"
ld s5 $BASIC -- requests --limit 20 "$es"
ld s6 $LOKI_BASIC -- panels -t "$range" "$loki"
ld s7 $LOKI_BASIC -- requests -t "$range" -q 'serving_variant:canary' -f jsonl "$loki"
ld s8 "LOKI_BEARER_TOKEN=$loki_token" -- trace -t "$range" "$id" -f csv "$loki"
printf '%s\n' "$loki_token" >"$tmp/fakes/token"
chmod 600 "$tmp/fakes/token"
ld s9 "LOKI_BEARER_TOKEN_FILE=$tmp/fakes/token" -- panels -t "$range" -f json "$loki"
printf '%s\n' "$es_pw" >"$tmp/fakes/espw"
chmod 600 "$tmp/fakes/espw"
mkdir -p "$XDG_CONFIG_HOME/logdive"
cat >"$XDG_CONFIG_HOME/logdive/config" <<EOF
{"logdive_config": 1,
 "sources": {
   "prod": {"url": "$es", "username_env": "TEAM_ES_USER", "password_file": "$tmp/fakes/espw"},
   "logs": {"url": "$lokij", "username_env": "TEAM_LOKI_USER", "password_env": "TEAM_LOKI_PW"}}}
EOF
ld s10 "TEAM_ES_USER=$es_user" -- panels -f json prod
ld s11 $TEAM_LOKI -- requests -t "$range" --limit 5 logs
ld s12 "$KEY" "http_proxy=http://$px_user:$px_pw@127.0.0.1:$xap" -- requests --limit 5 "$es"
ld s13 -- journal finding "canary p99 regression: traced to the feature store"
ld s14 -- journal export -f md
ld s15 -- journal export -f json
ld s16 -- journal list
ld s17 -- panels "$tmp/all.jsonl"	# the index too (in the cache)
good=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	if [ "$(cat "$tmp/out/s$i.err" 2>/dev/null)" = "" ] && [ -s "$tmp/out/s$i.out" ]; then
		good=$((good + 1))
	else sed "s/^/#   s$i: /" "$tmp/out/s$i.err" | head -3; fi
done
[ $good -eq 17 ] && ok "a session of 17 commands with credentials: all ran, no message" ||
	not_ok "the session: $good of 17 ran cleanly"
grep -q "canary p99 regression" "$tmp/out/s14.out" && grep -q "127.0.0.1:$ep" "$tmp/out/s14.out" &&
	ok "the journal recorded it (the export names the sources and the finding)" ||
	not_ok "the journal export" "$tmp/out/s14.out"

# error paths: a wrong credential, a server echoing the Authorization
# header back, credentials in the URL
ld e1 "ES_API_KEY=$wrong" -- panels "$es"
[ $st -eq 3 ] && grep -qF "401 Unauthorized with API key from ES_API_KEY" "$tmp/out/e1.err" &&
	ok "401 with a wrong API key: names ES_API_KEY" || not_ok "401 ES (exit $st)" "$tmp/out/e1.err"
ld e2 "LOKI_USERNAME=$loki_user" "LOKI_PASSWORD=$wrong" -- panels -t "$range" "$loki"
[ $st -eq 3 ] && grep -qF "basic auth from LOKI_USERNAME/LOKI_PASSWORD" "$tmp/out/e2.err" &&
	ok "401 with a wrong Loki password: names the variables" ||
	not_ok "401 Loki (exit $st)" "$tmp/out/e2.err"
fault "$ep" '{"echo_auth": true, "path": "/_search"}'
ld e3 $BASIC -- requests "$es"
want e3 3 "logdive: http://127.0.0.1:$ep/ml-a/_search: 500 Internal Server Error: exception: cannot handle request with Authorization: Basic ***" \
    "a 500 quoting the basic-auth header: the credential blanked (base64 too)"
fault "$ep" '{"echo_auth": true, "path": "/_mapping"}'
ld e4 "$KEY" -- panels "$es"
want e4 3 "logdive: http://127.0.0.1:$ep/ml-a/_mapping: 500 Internal Server Error: exception: cannot handle request with Authorization: ApiKey ***" \
    "a 500 quoting the API key: blanked"
fault "$lp" '{"echo_auth": true, "path": "query_range", "times": -1}'
ld e5 $LOKI_BASIC -- requests -t "$range" "$loki"
[ $st -eq 3 ] && grep -qF "cannot handle request with Authorization: Basic ***" "$tmp/out/e5.err" &&
	ok "Loki: a 500 quoting the basic-auth header: blanked" ||
	not_ok "Loki 500 echo (exit $st)" "$tmp/out/e5.err"
clear_faults "$lp"
fault "$lp" "{\"status\": 500, \"body\": \"upstream said: Authorization: Bearer $loki_token\", \"path\": \"query_range\", \"times\": -1}"
ld e6 "LOKI_BEARER_TOKEN=$loki_token" -- requests -t "$range" "$loki"
[ $st -eq 3 ] && grep -qF "upstream said: Authorization: Bearer ***" "$tmp/out/e6.err" &&
	ok "Loki: a text/plain 500 quoting the bearer token: blanked" ||
	not_ok "Loki 500 text echo (exit $st)" "$tmp/out/e6.err"
clear_faults "$lp"
ld e7 -- panels "es+http://$es_user:$es_pw@127.0.0.1:$ep/ml-a"
want e7 2 "logdive: credentials do not go in the URL (they would show in ps and shell history): set ES_API_KEY, or ES_USERNAME and ES_PASSWORD" \
    "ES: user:password in the URL refused, exit 2"
ld e8 -- panels -t "$range" "loki+http://$loki_user:$loki_pw@127.0.0.1:$lp/{job=\"ml\"}"
want e8 2 "logdive: credentials do not go in the URL (they would show in ps and shell history): set LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN" \
    "Loki: user:password in the URL refused, exit 2"
printf '{"sources": {"x": {"url": "%s", "password": "%s"}}}\n' "$es" "$es_pw" >"$tmp/fakes/pwcfg"
ld e9 -- panels -c "$tmp/fakes/pwcfg" x
[ $st -eq 2 ] && grep -qF "secrets do not go in the config file" "$tmp/out/e9.err" &&
	ok "a password written in the config file: refused, exit 2" ||
	not_ok "password in the config (exit $st)" "$tmp/out/e9.err"

# the TUI: the dashboard over Elasticsearch, a query (the history), a preset
# saved with S
if command -v tmux >/dev/null 2>&1; then
	sock=ldnet$$
	tm new-session -d -s s -x 100 -y 30 \
	    "env LC_ALL=C.UTF-8 LANG=C.UTF-8 ES_API_KEY='$es_key' '$LOGDIVE' '$es'; echo EXITED \$?; sleep 60"
	wait_for "Latency" 20 && tm send-keys -t s / 'log_level:ERROR' Enter &&
	    wait_for "/log_level:ERROR" 20 && sleep 0.5 && tm send-keys -t s S &&
	    wait_for "save as preset:" 10 && tm send-keys -t s net-leak Enter &&
	    wait_for "saved to" 10
	tm capture-pane -p -t s >"$tmp/out/tui.screen" 2>/dev/null
	tm send-keys -t s q
	wait_for "EXITED" 10
	tm capture-pane -p -t s >>"$tmp/out/tui.screen" 2>/dev/null
	tm kill-server >/dev/null 2>&1
	sock=
	[ -f "$XDG_CONFIG_HOME/logdive/presets/net-leak.json" ] &&
	    grep -q "^EXITED 0$" "$tmp/out/tui.screen" &&
		ok "the TUI over Elasticsearch: a query, a preset saved, q" ||
		not_ok "the TUI session" "$tmp/out/tui.screen"
else ok "# SKIP tmux is not installed"; fi

# every secret, plain and base64 (basic auth's user:password, padded or not)
"$PYTHON3" - "$tmp/fakes/needles" "$es_key" "$es_pw" "$loki_pw" "$loki_token" \
    "$px_pw" "$wrong" "$es_user:$es_pw" "$loki_user:$loki_pw" "$px_user:$px_pw" \
    "$es_user:$wrong" "$loki_user:$wrong" "$px_user:$wrong" <<'EOF'
import base64, sys
out = set()
for s in sys.argv[2:]:
    if ":" not in s:
        out.add(s)
    b = base64.b64encode(s.encode()).decode()
    out.add(b)
    out.add(b.rstrip("="))
open(sys.argv[1], "w").write("\n".join(sorted(out)) + "\n")
EOF
# the fakes saw the credentials (so finding none below means something)
grep -qF "$("$PYTHON3" -c 'import base64,sys; print(base64.b64encode(sys.argv[1].encode()).decode())' "$es_user:$es_pw")" \
    "$tmp/fakes/es.hdr" && grep -qF "$loki_token" "$tmp/fakes/loki.hdr" &&
    grep -qF "$es_key" "$tmp/fakes/es.hdr" &&
	ok "the servers did receive the credentials" ||
	not_ok "the servers did not receive the credentials"
if [ -f "$XDG_STATE_HOME/logdive/journal.db" ] && [ -n "$(ls "$XDG_CACHE_HOME/logdive")" ] &&
    { [ -f "$XDG_CONFIG_HOME/logdive/presets/net-leak.json" ] || ! command -v tmux >/dev/null; }
then ok "the journal, the index and the preset exist: $(cd "$tmp" && find config cache state home -type f | sort | tr '\n' ' ')"
else not_ok "the journal, the index or the preset is missing"; fi
grep -rlaF -f "$tmp/fakes/needles" "$tmp" --exclude-dir=fakes >"$tmp/fakes/found" 2>&1
if [ ! -s "$tmp/fakes/found" ]; then
	ok "no credential in any file written or printed ($(find "$tmp" -path "$tmp/fakes" -prune -o -type f -print | wc -l | tr -d ' ') files: config, cache, state, home, every stdout and stderr)"
else
	not_ok "credentials found in:" "$tmp/fakes/found"
	grep -raoF -f "$tmp/fakes/needles" "$tmp" --exclude-dir=fakes | head -5 | sed 's/^/#   /'
fi

echo "1..$n"
