#!/usr/bin/env python3
"""Elasticsearch backend benchmark (issue 3 §5), part of `make bench`.

Starts tests/fake-es.py with 100 ms of latency on every request over
generated logs and times, with logdive's real HTTP path:
  - a full dashboard (`panels -t RANGE`): wall time, HTTP requests made and
    how many of them the refresh itself took (must be 1: one _msearch),
    bytes sent and received;
  - the first page of a drill-down (`requests --sort latency --limit 50`);
  - a full trace (`trace ID`).
Environment: LOGDIVE (the binary), srcdir, LOGDIVE_BENCH_DIR (default
/tmp/logdive-bench), LOGDIVE_BENCH_ES_REQUESTS (default 4000).
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
nreq = int(os.environ.get("LOGDIVE_BENCH_ES_REQUESTS", "4000"))
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
        sys.exit("es-bench: %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                    p.stderr.strip()))
    return dt, p.stdout


def main():
    os.makedirs(bench, exist_ok=True)
    data = os.path.join(bench, "es-%d.jsonl" % nreq)
    truth = data + ".truth.json"
    if not os.path.exists(truth):
        subprocess.run([sys.executable, os.path.join(srcdir, "tests/gen-logs.py"),
                        "--requests", str(nreq), "--seed", "21", "--long-line", "0",
                        "--out", data, "--truth", truth], check=True,
                       stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        pf = os.path.join(tmp, "port")
        srv = subprocess.Popen([sys.executable, os.path.join(srcdir, "tests/fake-es.py"),
                                "--port-file", pf, "--latency-ms", str(LATENCY_MS),
                                "--index", "ml-inference-1=" + data],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                if os.path.exists(pf) and os.path.getsize(pf):
                    break
                time.sleep(0.1)
            port = int(open(pf).read())
            es = "es+http://127.0.0.1:%d/ml-inference-*" % port
            env_cache = {"XDG_CACHE_HOME": tmp}
            os.environ.update(env_cache)
            tid = sorted(json.load(open(truth))["traces"])[0]
            rows = []
            fake(port, "/_fake/reset", b"")
            dt, _ = timed([logdive, "panels", "-f", "json", "-t", RANGE, es])
            st = fake(port, "/_fake/stats")
            refresh = sum(v for k, v in st["by_path"].items()
                          if "_msearch" in k or "_search" in k)
            rows.append(("full dashboard (panels -t)", dt, st["requests"], refresh,
                         st["bytes_in"], st["bytes_out"]))
            fake(port, "/_fake/reset", b"")
            dt, _ = timed([logdive, "requests", "-q", "serving_variant:canary", "--sort",
                           "latency", "--limit", "50", "-t", RANGE, es])
            st = fake(port, "/_fake/stats")
            rows.append(("drill-down, first page (50)", dt, st["requests"], None,
                         st["bytes_in"], st["bytes_out"]))
            fake(port, "/_fake/reset", b"")
            dt, out = timed([logdive, "trace", tid, es])
            st = fake(port, "/_fake/stats")
            rows.append(("full trace (%s…)" % tid[:13], dt, st["requests"], None,
                         st["bytes_in"], st["bytes_out"]))
        finally:
            srv.terminate()
            srv.wait()
    print("\nElasticsearch backend against tests/fake-es.py, %d ms per request, %s"
          % (LATENCY_MS, os.path.basename(data)))
    print("  %-30s %9s %9s %13s %11s %11s" % ("what", "wall", "requests",
                                               "per refresh", "body sent", "body recv"))
    for what, dt, n, ref, bi, bo in rows:
        print("  %-30s %8.3fs %9d %13s %11d %11d" % (what, dt, n,
                                                     "-" if ref is None else str(ref), bi, bo))
    ok = rows[0][3] == 1
    print("  one search request per dashboard refresh: %s" % ("yes" if ok else "NO"))
    print("  (the other requests of a first start are GET / and GET _mapping)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
