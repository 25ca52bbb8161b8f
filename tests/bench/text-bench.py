#!/usr/bin/env python3
"""TorchServe text-log benchmark (issue 7, section 5), part of `make bench`.

Generates ~1 GB of TorchServe text logs with the project's generator
(tests/gen-logs.py --text-formats, formats torchserve-log and
torchserve-metrics: the model_log.log with each worker's JSON record as
a MODEL_LOG line, tracebacks and frontend noise, and the model_metrics.log
with QueueTime/HandlerTime/PredictionTime and host metric lines), warms
the page cache, then times in the same run, each as a subprocess (wall
time, and peak RSS from os.wait4, through bench.py's launcher):

  cat FILES > /dev/null                          best of N (the reference)
  lnav 0.11 with tests/bench/lnav-torchserve.json (a regex format reading
  the same fields, installed in a private HOME's ~/.lnav/formats/installed/):
      load + SELECT count(*) FROM torchserve_log   1 run (the load: the ratio)
      per-variant p50/p95/p99 in SQL               1 run (the panels' answer:
                                                   PredictionTime lines and the
                                                   JSON bodies' latency_ms)
  logdive panels -f json FILES, cold             best of 3 (empty cache dir:
                                                 every line read and parsed)
  logdive panels -f json FILES, warm             best of N (index present)

and prints a table (seconds, MB/s, peak RSS), the load-speed ratio
logdive/lnav (lnav's time over logdive's cold time; the issue's target is
at least 2x), and checks: the panels JSON parses, its records.total is the
generator's record count (tracebacks joined into their error record),
nothing is unparsed, the latency groups are there; lnav's count(*).

A missed target is reported, not fatal.  Exit status: 0, or 1 when a
command fails or logdive's output is wrong, 2 on a usage or set-up error.

Environment:
  LOGDIVE                      the logdive binary (required; make bench sets it)
  srcdir                       top of the source tree (default: ../.. of here)
  LOGDIVE_BENCH_DIR            work directory (default /tmp/logdive-bench); the
                               text logs go to its text/ folder and are reused
                               while the generator and its arguments are the
                               same (text/stamp.json)
  LOGDIVE_BENCH_TEXT_MB        size to generate, in MB (default 1024; e.g. 50
                               for a quick run); the request count is derived
                               from it (about 2.1 kB of text per request)
  LOGDIVE_BENCH_SEED           generator --seed (default 1)
  LOGDIVE_BENCH_RUNS           N for the repeated runs (default 5)
  LOGDIVE_BENCH_LNAV_TIMEOUT   seconds before the lnav run is stopped and
                               reported as such (default 600; 0: none)
"""
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_RATIO = 2.0            # logdive cold load at least 2x lnav's speed
BYTES_PER_REQUEST = 2070      # torchserve-log + torchserve-metrics, measured
FORMATS = "torchserve-log,torchserve-metrics"
LNAV_TABLE = "torchserve_log"
# The latencies logdive's panels hold, in lnav's SQL: PredictionTime metric
# lines (no variant) and the JSON records of MODEL_LOG lines (by variant),
# then exact percentiles as bench.py computes them (numpy 'linear').
LNAV_LATENCY = (
    "SELECT CASE WHEN metric = 'PredictionTime' THEN NULL"
    " ELSE json_extract(log_body, '$.model_metadata.serving_variant') END AS v,"
    " CASE WHEN metric = 'PredictionTime' THEN value"
    " ELSE json_extract(log_body, '$.inference_metrics.latency_ms') END AS ms"
    " FROM %s WHERE metric = 'PredictionTime'"
    " OR (logger = 'MODEL_LOG' AND json_valid(log_body))" % LNAV_TABLE)
LNAV_PERCENTILES = (
    ";WITH lat0 AS (%s),"
    " lat AS (SELECT coalesce(v, '(none)') AS v, ms FROM lat0"
    " WHERE typeof(ms) IN ('integer', 'real')),"
    " r AS (SELECT v, ms, row_number() OVER (PARTITION BY v ORDER BY ms) - 1 AS i,"
    " count(*) OVER (PARTITION BY v) AS n FROM lat),"
    " q AS (SELECT column1 AS p FROM (VALUES (0.5), (0.95), (0.99))),"
    " w AS (SELECT r.v, r.n, q.p, (r.n - 1) * q.p AS h, r.i, r.ms FROM r, q"
    " WHERE r.i = CAST((r.n - 1) * q.p AS INTEGER)"
    " OR r.i = CAST((r.n - 1) * q.p AS INTEGER) + 1)"
    " SELECT v, n, p, sum(CASE WHEN i = CAST(h AS INTEGER)"
    " THEN ms * (1 - (h - CAST(h AS INTEGER)))"
    " ELSE ms * (h - CAST(h AS INTEGER)) END) AS value"
    " FROM w GROUP BY v, p ORDER BY n DESC, v, p" % LNAV_LATENCY)


def load_bench():
    """tests/bench/bench.py as a module: its runner, launcher and helpers."""
    spec = importlib.util.spec_from_file_location("logdive_bench", os.path.join(HERE, "bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


B = load_bench()
say, die, env_int = B.say, B.die, B.env_int


def prepare(srcdir, bench_dir, mb, seed):
    """Generate (or reuse) the text logs; return (paths, manifest)."""
    gen = os.path.join(srcdir, "tests", "gen-logs.py")
    if not os.path.isfile(gen):
        die("the generator %s is missing" % gen)
    d = os.path.join(bench_dir, "text")
    requests = max(100, int(mb * 1e6 / BYTES_PER_REQUEST))
    args = ["--requests", str(requests), "--seed", str(seed), "--long-line", "0",
            "--formats", FORMATS, "--no-twins"]
    want = {"generator_sha256": B.sha256_file(gen), "args": args}
    stamp = os.path.join(d, "stamp.json")
    paths = [os.path.join(d, f + ".log") for f in FORMATS.split(",")]
    try:
        with open(stamp) as f:
            have = json.load(f)
        with open(os.path.join(d, "manifest.json")) as f:
            manifest = json.load(f)
        if ({k: have.get(k) for k in want} == want and
                all(have["sizes"].get(p) == os.path.getsize(p) for p in paths)):
            say("data: reusing %s (tests/gen-logs.py %s)" % (d, " ".join(args)))
            return paths, manifest
    except (OSError, ValueError, KeyError):
        pass
    if os.path.isdir(d):
        shutil.rmtree(d)
    need = requests * BYTES_PER_REQUEST * 1.1 + (64 << 20)
    free = shutil.disk_usage(bench_dir).free
    if free < need:
        die("%s has %.1f GB free; the text logs need about %.1f GB "
            "(set LOGDIVE_BENCH_DIR elsewhere, or LOGDIVE_BENCH_TEXT_MB lower)"
            % (bench_dir, free / 1e9, need / 1e9))
    argv = [sys.executable, gen] + args + ["--text-formats", d, "--out", os.devnull]
    say("data: generating %s with tests/gen-logs.py %s (about %.2f GB; %.0f s or so, once)"
        % (d, " ".join(args), requests * BYTES_PER_REQUEST / 1e9, requests / 5000.0))
    t0 = time.perf_counter()
    rc = subprocess.call(argv)
    if rc != 0:
        die("the generator failed (exit %d): %s" % (rc, shlex.join(argv)), 1)
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    want["sizes"] = {p: os.path.getsize(p) for p in paths}
    with open(stamp, "w") as f:
        json.dump(want, f, indent=1)
    say("data: %.2f GB in %.0f s" % (sum(want["sizes"].values()) / 1e9,
                                     time.perf_counter() - t0))
    return paths, manifest


def main():
    logdive = os.environ.get("LOGDIVE", "")
    if not logdive:
        die("LOGDIVE is not set (run it with make bench)")
    logdive = os.path.abspath(logdive)
    if not os.access(logdive, os.X_OK):
        die("%s is not an executable logdive (build it first: make logdive)" % logdive)
    srcdir = os.path.abspath(os.environ.get("srcdir") or os.path.join(HERE, "..", ".."))
    bench_dir = os.path.abspath(os.environ.get("LOGDIVE_BENCH_DIR") or "/tmp/logdive-bench")
    mb = env_int("LOGDIVE_BENCH_TEXT_MB", 1024)
    seed = env_int("LOGDIVE_BENCH_SEED", 1)
    runs = max(1, env_int("LOGDIVE_BENCH_RUNS", 5))
    lnav_timeout = max(0, env_int("LOGDIVE_BENCH_LNAV_TIMEOUT", 600))
    os.makedirs(bench_dir, exist_ok=True)

    paths, manifest = prepare(srcdir, bench_dir, mb, seed)
    lines = size = 0
    for p in paths:
        B.warm_cache(p)
        n, s, _ = B.warm_cache(p)
        lines += n
        size += s
    records = sum(manifest["formats"][f]["records"] for f in FORMATS.split(","))
    say("data: %s; %.3f GB, %s lines, %s records; page cache warm"
        % (", ".join(os.path.basename(p) for p in paths), size / 1e9, format(lines, ","),
           format(records, ",")))

    work = os.path.join(bench_dir, "text-work")
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    ld_env, empty_cache, lnav_env = B.workspace(
        work, os.path.join(HERE, "lnav-torchserve.json"), "torchserve_log.json")
    cache = ld_env["XDG_CACHE_HOME"]
    lnav_home = lnav_env["HOME"]
    have_lnav = shutil.which("lnav")
    out = lambda name: os.path.join(work, name)

    benches = [
        B.Run("cat", "cat FILES > /dev/null", ["cat"] + paths, runs=runs),
        B.Run("cold", "logdive panels -f json (cold)", [logdive, "panels", "-f", "json"] + paths,
              runs=min(runs, 3), env=ld_env, stdout=out("panels-cold.json"), before=empty_cache),
        B.Run("warm", "logdive panels -f json (warm)", [logdive, "panels", "-f", "json"] + paths,
              runs=runs, env=ld_env, stdout=out("panels-warm.json")),
        B.Run("lnav", "lnav load + count(*)",
              ["lnav", "-n", "-c", ";SELECT count(*) FROM %s" % LNAV_TABLE] + paths,
              timeout=lnav_timeout, env=lnav_env, stdout=out("lnav-count.txt"), optional=True),
        B.Run("lnav_pct", "lnav per-variant p50/p95/p99",
              ["lnav", "-n", "-c", LNAV_PERCENTILES] + paths,
              timeout=lnav_timeout, env=lnav_env, stdout=out("lnav-pct.txt"), optional=True),
    ]
    by = {b.key: b for b in benches}
    if not have_lnav:
        for k in ("lnav", "lnav_pct"):
            by[k].skipped = "lnav not installed (apt-get install -y lnav)"
    checks = B.Checks()
    for b in benches:
        B.run_reported(b, work, lnav_timeout)

    # ---- checks
    cold, warm, lnav, lnav_pct = by["cold"], by["warm"], by["lnav"], by["lnav_pct"]
    panels = None
    if cold.ok:
        try:
            with open(out("panels-cold.json")) as f:
                panels = json.load(f)
            rec = panels.get("records", {})
            problems = []
            if rec.get("total") != records:
                problems.append("records.total %r, the generator wrote %d records"
                                % (rec.get("total"), records))
            if rec.get("unparsed"):
                problems.append("%d unparsed lines" % rec["unparsed"])
            groups = panels.get("latency", {}).get("groups", [])
            n_lat = sum(g.get("count", 0) for g in groups)
            if not n_lat:
                problems.append("no latency")
            checks.add(not problems, "panels -f json: " + ("; ".join(problems) if problems else
                       "records.total = the generator's %s records (tracebacks joined), "
                       "none unparsed, %s latencies in %d groups"
                       % (format(records, ","), format(n_lat, ","), len(groups))))
        except (OSError, ValueError) as e:
            checks.add(False, "panels -f json: output does not parse (%s)" % e)
        if warm.ok:
            try:
                with open(out("panels-cold.json")) as a, open(out("panels-warm.json")) as b:
                    same = json.load(a) == json.load(b)
            except (OSError, ValueError):
                same = False
            checks.add(same, "panels warm (from the index) = panels cold: %s"
                       % ("same JSON" if same else "DIFFERENT"))
    if lnav.ok:
        rows = B.lnav_rows(out("lnav-count.txt"))
        try:
            n = int(rows[-1][0])
            lnav.note = "%s rows" % format(n, ",")
            checks.add(None, "lnav count(*) %s (%s the %s lines: lnav keeps each traceback "
                       "line, a full log4j line, as a message of its own)"
                       % (format(n, ","), "=" if n == lines else "differs from",
                          format(lines, ",")))
        except (IndexError, ValueError):
            lnav.note = "no count"
            checks.add(None, "lnav count(*): no count in its output (is the format loaded?)")
    if lnav_pct.ok:
        got = {}
        for r in B.lnav_rows(out("lnav-pct.txt")):
            try:
                got.setdefault(r[0], {"count": int(r[1])})[
                    "p%d" % round(float(r[2]) * 100)] = float(r[3])
            except (IndexError, ValueError):
                pass
        lnav_pct.note = "%d groups" % len(got)
        if panels:
            ld = {g.get("key"): g for g in panels.get("latency", {}).get("groups", [])}
            same = sorted(ld) == sorted(got) and all(
                B.close(ld[k].get(f), got[k].get(f))
                for k in ld for f in ("count", "p50", "p95", "p99"))
            checks.add(None, "lnav's per-variant count/p50/p95/p99 %s logdive's"
                       % ("=" if same else "differ from"))

    # ---- report
    say("")
    say("logdive text-log bench  %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
    say("  files    %s: %.3f GB, %s lines, %s records"
        % (", ".join(paths), size / 1e9, format(lines, ","), format(records, ",")))
    say("  machine  %s; page cache warm" % B.machine())
    say("  logdive  %s (%s)" % (B.tool_version([logdive, "--version"]) or "?", logdive))
    if have_lnav:
        v = B.tool_version(["lnav", "-V"])
        say("  lnav     %s%s" % (v, "" if v and " 0.11" in v else
                                 "  (the issue's target is against lnav 0.11)"))
    say("  peak RSS from wait4 (ru_maxrss); not below the launcher's %.1f MB" %
        (B.RSS_FLOOR_KB / 1024.0))
    say("")
    w = max(len(b.label) for b in benches)
    row = "  %-*s  %-10s %10s %10s %11s  %s"
    say(row % (w, "command", "runs", "wall", "MB/s", "peak RSS", "note"))
    say("  %s" % ("-" * (w + 61)))
    for b in benches:
        if b.skipped:
            say(row % (w, b.label, "skipped", "-", "-", "-", b.skipped))
            continue
        wall = (">" + B.fmt_s(b.best)) if b.timed_out else B.fmt_s(b.best)
        mbs = "%.0f" % (size / 1e6 / b.best) if b.best else "-"
        say(row % (w, b.label, b.how(), wall, mbs, B.fmt_mb(b.maxrss_kb), b.note))
    say("")
    verdict = "-"
    if cold.ok and (lnav.ok or lnav.timed_out) and cold.best:
        ratio = lnav.best / cold.best
        verdict = "pass" if ratio >= TARGET_RATIO else "MISS"
        say("  load speed logdive/lnav: %s%s (lnav %s / logdive cold %s); target >= %.0fx: %s"
            % (">" if lnav.timed_out else "", B.fmt_ratio(ratio), B.fmt_s(lnav.best),
               B.fmt_s(cold.best), TARGET_RATIO, verdict))
    else:
        say("  load speed logdive/lnav: - (a run is missing); target >= %.0fx" % TARGET_RATIO)
    if cold.ok and lnav_pct.ok and cold.best:
        say("  same answer (latency percentiles): lnav %s / logdive cold %s = %s"
            % (B.fmt_s(lnav_pct.best), B.fmt_s(cold.best),
               B.fmt_ratio(lnav_pct.best / cold.best)))
    if cold.ok and by["cat"].ok and by["cat"].best:
        say("  logdive cold = %s cat's time" % B.fmt_ratio(cold.best / by["cat"].best))
    say("")
    say("  checks")
    for ok, text in sorted(checks.items, key=lambda c: c[0] is None):
        say("  %-5s %s" % ({True: "ok", False: "FAIL", None: "note"}[ok], text))
    say("")
    say("  commands (logdive with XDG_CACHE_HOME=%s, emptied before each cold run;"
        " lnav with HOME=%s)" % (cache, lnav_home))
    for b in benches:
        say("    " + shlex.join(b.argv))

    errors = [b for b in benches if not b.skipped and not b.timed_out and b.rc != 0]
    if errors or checks.failed:
        say("")
        say("text-bench: %s" % "; ".join(["%s failed" % b.label for b in errors] +
                                         ["wrong output: %s" % t for t in checks.failed]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
