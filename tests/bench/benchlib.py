"""What tests/bench/es-bench.py and tests/bench/loki-bench.py share: their
environment, generated logs, a fake server over them with 100 ms of latency,
and logdive timed against it.
Environment: LOGDIVE (the binary), srcdir, LOGDIVE_BENCH_DIR (default
/tmp/logdive-bench)."""

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request

srcdir = os.environ.get("srcdir", ".")
logdive = os.environ.get("LOGDIVE", "./logdive")
bench = os.environ.get("LOGDIVE_BENCH_DIR", "/tmp/logdive-bench")
LATENCY_MS = 100
RANGE = "2026-02-26T04:00:00Z..2026-02-27T04:00:00Z"
who = os.path.splitext(os.path.basename(sys.argv[0]))[0]   # es-bench, loki-bench


def fake(port, path, data=None):
    """A test-control request (/_fake/...) -> its JSON answer."""
    r = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                               method="POST" if data is not None else "GET")
    return json.loads(urllib.request.urlopen(r).read() or b"{}")


def timed(args):
    """Runs ARGS (logdive ...) -> (seconds, stdout); a failure ends the
    bench."""
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("%s: %s failed (%d): %s" % (who, " ".join(args), p.returncode,
                                              p.stderr.strip()))
    return dt, p.stdout


def measured(port, args):
    """timed(ARGS) with the fake's counters reset before -> (seconds,
    stdout, the fake's /_fake/stats after)."""
    fake(port, "/_fake/reset", b"")
    dt, out = timed(args)
    return dt, out, fake(port, "/_fake/stats")


def gen(prefix, n):
    """PREFIX-N.jsonl of n requests (seed 21) in the bench directory, made
    once -> (its path, the path of its truth file)."""
    os.makedirs(bench, exist_ok=True)
    data = os.path.join(bench, "%s-%d.jsonl" % (prefix, n))
    truth = data + ".truth.json"
    if not os.path.exists(truth):
        subprocess.run([sys.executable, os.path.join(srcdir, "tests/gen-logs.py"),
                        "--requests", str(n), "--seed", "21", "--long-line", "0",
                        "--out", data, "--truth", truth], check=True,
                       stdout=subprocess.DEVNULL)
    return data, truth


@contextlib.contextmanager
def fake_server(tmp, script, args):
    """tests/SCRIPT --latency-ms LATENCY_MS ARGS, its port file in tmp ->
    its port; stopped at the end."""
    pf = os.path.join(tmp, script + ".port")
    if os.path.exists(pf):
        os.remove(pf)
    srv = subprocess.Popen([sys.executable, os.path.join(srcdir, "tests", script),
                            "--port-file", pf, "--latency-ms", str(LATENCY_MS)] + args,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if os.path.exists(pf) and os.path.getsize(pf):
                break
            time.sleep(0.1)
        yield int(open(pf).read())
    finally:
        srv.terminate()
        srv.wait()
