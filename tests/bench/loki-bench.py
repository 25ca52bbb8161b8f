#!/usr/bin/env python3
"""Loki backend benchmark (issue 4 §5), part of `make bench`.

Starts tests/fake-loki.py with 100 ms of latency on every request over
generated logs and times, with logdive's real HTTP path:
  - a full dashboard (`panels -t RANGE`): wall time, HTTP requests per
    refresh, the most in flight at once, bytes sent and received; the
    metric queries go out together, so the time should be near one round
    trip plus the slowest query (and the confidence lines, fetched
    meanwhile), not the sum;
  - paging 20,000 lines (`requests -f jsonl`, the logcli algorithm);
  - a full trace (`trace ID`).
Environment: LOGDIVE (the binary), srcdir, LOGDIVE_BENCH_DIR (default
/tmp/logdive-bench), LOGDIVE_BENCH_LOKI_REQUESTS (default 4000).
"""
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
from benchlib import LATENCY_MS, RANGE, fake_server, gen, logdive, measured  # noqa: E402

nreq = int(os.environ.get("LOGDIVE_BENCH_LOKI_REQUESTS", "4000"))
# the fake evaluates LogQL in Python, one thread at a time: on a small set
# its own work is small beside the 100 ms, so the dashboard row shows
# logdive's concurrency, not the fake's CPU
ndash = int(os.environ.get("LOGDIVE_BENCH_LOKI_DASH_REQUESTS", "200"))


def row(what, dt, st, queries):
    return (what, dt, st["requests"], queries, st.get("max_concurrent", 0),
            st["bytes_in"], st["bytes_out"])


def dashboard(port, src, n):
    dt, _, st = measured(port, [logdive, "panels", "-f", "json", "-t", RANGE, src])
    q = sum(v for k, v in st["by_path"].items() if "query" in k)
    return row("full dashboard (%d requests)" % n, dt, st, q)


def main():
    small, _ = gen("loki", ndash)
    data, truth = gen("loki", nreq)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        stream = '{job="ml-inference"}='
        with fake_server(tmp, "fake-loki.py", ["--stream", stream + small]) as port:
            src = 'loki+http://127.0.0.1:%d/{job="ml-inference"}' % port
            rows = [dashboard(port, src, ndash)]
        with fake_server(tmp, "fake-loki.py", ["--stream", stream + data]) as port:
            src = 'loki+http://127.0.0.1:%d/{job="ml-inference"}' % port
            tid = sorted(json.load(open(truth))["traces"])[0]
            rows.append(dashboard(port, src, nreq))
            dt, out, st = measured(port, [logdive, "requests", "-f", "jsonl", "--limit",
                                          "20000", "-t", RANGE, src])
            rows.append(row("page %d lines" % len(out.splitlines()), dt, st, None))
            dt, _, st = measured(port, [logdive, "trace", "-t", RANGE, tid, src])
            rows.append(row("full trace (%s…)" % tid[:13], dt, st, None))
    print("\nLoki backend against tests/fake-loki.py, %d ms per request"
          % LATENCY_MS)
    print("  %-32s %9s %9s %9s %9s %11s %11s" % ("what", "wall", "requests", "queries",
                                               "at once", "body sent", "body recv"))
    for what, dt, n, qn, conc, bi, bo in rows:
        print("  %-32s %8.3fs %9d %9s %9d %11d %11d" % (what, dt, n,
                                                       "-" if qn is None else str(qn),
                                                       conc, bi, bo))
    print("  the small dashboard's wall time over one round trip (%d ms): %.1fx "
          "(%d queries; sent one after another they would take %.1fx)"
          % (LATENCY_MS, rows[0][1] / (LATENCY_MS / 1000.0), rows[0][3], rows[0][3]))
    print("  (the big dashboard's time is mostly the fake's own LogQL evaluation in "
          "Python)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
