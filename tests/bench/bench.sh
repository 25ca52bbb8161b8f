#!/bin/sh
# make bench: a thin wrapper around tests/bench/bench.py, which does the work
# (generates ~1 GB of incident logs, times cat, jq, lnav and logdive on it,
# prints the table).  This script only finds python3 and the comparison
# tools.  Environment: LOGDIVE (the binary), srcdir, and the LOGDIVE_BENCH_*
# variables described in bench.py (--help).

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${LOGDIVE:=./logdive}"
export srcdir LOGDIVE

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "bench: python3 is needed: apt-get install -y python3" >&2
    exit 2
fi

# jq and lnav are what logdive is compared with.  Install them when we may;
# otherwise say how, and bench.py skips their rows.
missing=
for tool in jq lnav; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing$missing (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q$missing >/dev/null 2>&1 ||
            { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q$missing >/dev/null 2>&1; } ||
            echo "bench: apt-get install$missing failed; those rows are skipped" >&2
    else
        echo "bench: not installed:$missing; install with: sudo apt-get install -y$missing" \
             "(those rows are skipped)" >&2
    fi
fi

"$PY" "$srcdir/tests/bench/bench.py" "$@" || exit $?
# the Elasticsearch and Loki backends through the fake servers, 100 ms per request
"$PY" "$srcdir/tests/bench/es-bench.py" || exit $?
"$PY" "$srcdir/tests/bench/loki-bench.py" || exit $?
# TorchServe text logs (~1 GB; LOGDIVE_BENCH_TEXT_MB scales it): logdive against lnav's regex format
exec "$PY" "$srcdir/tests/bench/text-bench.py"
