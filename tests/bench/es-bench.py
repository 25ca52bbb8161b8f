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
import sys
import tempfile

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
from benchlib import LATENCY_MS, RANGE, fake_server, gen, logdive, measured  # noqa: E402

nreq = int(os.environ.get("LOGDIVE_BENCH_ES_REQUESTS", "4000"))


def main():
    data, truth = gen("es", nreq)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        with fake_server(tmp, "fake-es.py", ["--index", "ml-inference-1=" + data]) as port:
            es = "es+http://127.0.0.1:%d/ml-inference-*" % port
            tid = sorted(json.load(open(truth))["traces"])[0]
            rows = []
            dt, _, st = measured(port, [logdive, "panels", "-f", "json", "-t", RANGE, es])
            refresh = sum(v for k, v in st["by_path"].items()
                          if "_msearch" in k or "_search" in k)
            rows.append(("full dashboard (panels -t)", dt, st["requests"], refresh,
                         st["bytes_in"], st["bytes_out"]))
            dt, _, st = measured(port, [logdive, "requests", "-q", "serving_variant:canary",
                                        "--sort", "latency", "--limit", "50", "-t", RANGE,
                                        es])
            rows.append(("drill-down, first page (50)", dt, st["requests"], None,
                         st["bytes_in"], st["bytes_out"]))
            dt, _, st = measured(port, [logdive, "trace", tid, es])
            rows.append(("full trace (%s…)" % tid[:13], dt, st["requests"], None,
                         st["bytes_in"], st["bytes_out"]))
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
