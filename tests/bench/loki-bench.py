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
import subprocess
import sys
import tempfile
import time
import urllib.request

srcdir = os.environ.get("srcdir", ".")
logdive = os.environ.get("LOGDIVE", "./logdive")
bench = os.environ.get("LOGDIVE_BENCH_DIR", "/tmp/logdive-bench")
nreq = int(os.environ.get("LOGDIVE_BENCH_LOKI_REQUESTS", "4000"))
# the fake evaluates LogQL in Python, one thread at a time: on a small set
# its own work is small beside the 100 ms, so the dashboard row shows
# logdive's concurrency, not the fake's CPU
ndash = int(os.environ.get("LOGDIVE_BENCH_LOKI_DASH_REQUESTS", "200"))
LATENCY_MS = 100
RANGE = "2026-02-26T04:00:00Z..2026-02-27T04:00:00Z"


def fake(port, path, data=None):
    r = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                               method="POST" if data is not None else "GET")
    return json.loads(urllib.request.urlopen(r).read() or b"{}")


def timed(args):
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("loki-bench: %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                      p.stderr.strip()))
    return dt, p.stdout


def gen(n):
    data = os.path.join(bench, "loki-%d.jsonl" % n)
    truth = data + ".truth.json"
    if not os.path.exists(truth):
        subprocess.run([sys.executable, os.path.join(srcdir, "tests/gen-logs.py"),
                        "--requests", str(n), "--seed", "21", "--long-line", "0",
                        "--out", data, "--truth", truth], check=True,
                       stdout=subprocess.DEVNULL)
    return data, truth


def start(tmp, name, data):
    pf = os.path.join(tmp, name + ".port")
    srv = subprocess.Popen([sys.executable, os.path.join(srcdir, "tests/fake-loki.py"),
                            "--port-file", pf, "--latency-ms", str(LATENCY_MS),
                            "--stream", '{job="ml-inference"}=' + data],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(pf) and os.path.getsize(pf):
            break
        time.sleep(0.1)
    return srv, int(open(pf).read())


def main():
    os.makedirs(bench, exist_ok=True)
    small, _ = gen(ndash)
    data, truth = gen(nreq)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        srv, port = start(tmp, "small", small)
        rows = []
        try:
            src = 'loki+http://127.0.0.1:%d/{job="ml-inference"}' % port
            fake(port, "/_fake/reset", b"")
            dt, _ = timed([logdive, "panels", "-f", "json", "-t", RANGE, src])
            st = fake(port, "/_fake/stats")
            q = sum(v for k, v in st["by_path"].items() if "query" in k)
            rows.append(("full dashboard (%d requests)" % ndash, dt, st["requests"], q,
                         st.get("max_concurrent", 0), st["bytes_in"], st["bytes_out"]))
        finally:
            srv.terminate()
            srv.wait()
        srv, port = start(tmp, "big", data)
        try:
            src = 'loki+http://127.0.0.1:%d/{job="ml-inference"}' % port
            tid = sorted(json.load(open(truth))["traces"])[0]
            fake(port, "/_fake/reset", b"")
            dt, _ = timed([logdive, "panels", "-f", "json", "-t", RANGE, src])
            st = fake(port, "/_fake/stats")
            q = sum(v for k, v in st["by_path"].items() if "query" in k)
            rows.append(("full dashboard (%d requests)" % nreq, dt, st["requests"], q,
                         st.get("max_concurrent", 0), st["bytes_in"], st["bytes_out"]))
            fake(port, "/_fake/reset", b"")
            dt, out = timed([logdive, "requests", "-f", "jsonl", "--limit", "20000",
                             "-t", RANGE, src])
            st = fake(port, "/_fake/stats")
            rows.append(("page %d lines" % len(out.splitlines()), dt, st["requests"],
                         None, st.get("max_concurrent", 0), st["bytes_in"],
                         st["bytes_out"]))
            fake(port, "/_fake/reset", b"")
            dt, _ = timed([logdive, "trace", "-t", RANGE, tid, src])
            st = fake(port, "/_fake/stats")
            rows.append(("full trace (%s…)" % tid[:13], dt, st["requests"], None,
                         st.get("max_concurrent", 0), st["bytes_in"], st["bytes_out"]))
        finally:
            srv.terminate()
            srv.wait()
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
