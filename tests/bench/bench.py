#!/usr/bin/env python3
"""logdive benchmark (`make bench`; issue 2, section 8).

Generates ~1 GB of incident logs (about 2.15 M lines) with the project's own
generator, tests/gen-logs.py, warms the page cache, then times in the same
run, each as a subprocess (wall time, and peak RSS from os.wait4):

  cat FILE > /dev/null                         best of N
  jq -R 'fromjson? ...' latency and variant      1 run
  lnav 0.11 with tests/bench/lnav-inference.json (installed in a private
  HOME's ~/.lnav/formats/installed/, as `lnav -i` would):
      load + SELECT count(*)                     1 run
      per-variant p50/p95/p99 in SQL             1 run (exact, window functions)
      the records of one correlation id          1 run
  logdive panels -f json FILE, cold              best of 3 (empty cache dir)
  logdive panels -f json FILE, warm              best of N (index present)
  logdive trace ID FILE, warm                    best of N

and, when make bench has built it, tests/bench/jscan_bench (the scanner
alone, one core); then prints a table, the ratios, the targets of the issue with pass/miss, and
checks of logdive's output (panels JSON against the generator's truth, warm
output = cold output, the trace has the five records of the request).

A missed target is reported, not fatal.  Exit status: 0, or 1 when a command
fails or logdive's output is wrong, 2 on a usage or set-up error.  A run
that would have been repeated is done once when it takes more than 3 s.

Environment:
  LOGDIVE                      the logdive binary (required; make bench sets it)
  srcdir                       top of the source tree (default: ../.. of here)
  LOGDIVE_BENCH_DIR            work directory (default /tmp/logdive-bench);
                               the generated file is kept there and reused
                               while the generator and its arguments are the
                               same (recorded in incident.stamp)
  LOGDIVE_BENCH_REQUESTS       generator --requests (default 430000: ~1 GB)
  LOGDIVE_BENCH_SEED           generator --seed (default 1)
  LOGDIVE_BENCH_RUNS           N for the repeated runs (default 5)
  LOGDIVE_BENCH_LNAV_TIMEOUT   seconds before an lnav run is stopped and
                               reported as such (default 60; 0: none)
  LOGDIVE_BENCH_LNAV_COPY      auto (default): when an lnav run on the file
                               was stopped, run lnav again ("lnav*") on a copy
                               whose zone-less timestamps end in Z; 1: always;
                               0: never.  lnav 0.11.1 misreads every timestamp
                               after the first zone-less "YYYY-MM-DD HH:MM:SS"
                               one, and reading rows then crawls.

Options (for development): --file FILE benches an existing file instead of
generating one, --truth FILE gives its generator truth (optional).
"""
import argparse
import hashlib
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

TARGETS = {  # from issue 2, section 8 (this 2-core machine)
    "cold": 1.5,          # s, logdive panels, empty cache dir, 1 GB
    "warm": 0.2,          # s, logdive panels, index present
    "trace": 0.020,       # s, logdive trace, index present
    "rss_mb": 300.0,      # MB, peak RSS of any logdive run
}
CHEAP_S = 3.0             # a run longer than this is not repeated

JQ_PROGRAM = ('fromjson? | objects'
              ' | select(.event_type == "inference_complete"'
              ' or .event_type == "inference_error")'
              ' | [.inference_metrics.latency_ms, .model_metadata.serving_variant]')

LNAV_TABLE = "inference_log"
LNAV_VARIANT = '"model_metadata/serving_variant"'
LNAV_LATENCY = '"inference_metrics/latency_ms"'
# Exact percentiles with numpy's 'linear' method (the one logdive uses):
# rank h = (n-1)p, value = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
# lnav's SQLite has window functions but no percentile function.
LNAV_PERCENTILES = (
    ";WITH lat AS (SELECT {v} AS v, {ms} AS ms FROM {t}"
    " WHERE v IS NOT NULL AND typeof(ms) IN ('integer', 'real')),"
    " r AS (SELECT v, ms, row_number() OVER (PARTITION BY v ORDER BY ms) - 1 AS i,"
    " count(*) OVER (PARTITION BY v) AS n FROM lat),"
    " q AS (SELECT column1 AS p FROM (VALUES (0.5), (0.95), (0.99))),"
    " w AS (SELECT r.v, r.n, q.p, (r.n - 1) * q.p AS h, r.i, r.ms FROM r, q"
    " WHERE r.i = CAST((r.n - 1) * q.p AS INTEGER)"
    " OR r.i = CAST((r.n - 1) * q.p AS INTEGER) + 1)"
    " SELECT v, n, p, sum(CASE WHEN i = CAST(h AS INTEGER)"
    " THEN ms * (1 - (h - CAST(h AS INTEGER)))"
    " ELSE ms * (h - CAST(h AS INTEGER)) END) AS value"
    " FROM w GROUP BY v, p ORDER BY n DESC, v, p"
).format(v=LNAV_VARIANT, ms=LNAV_LATENCY, t=LNAV_TABLE)


def say(*args):
    print(*args, flush=True)


def die(msg, code=2):
    print("bench: " + msg, file=sys.stderr, flush=True)
    sys.exit(code)


def env_int(name, default):
    v = os.environ.get(name, "")
    if not v:
        return default
    try:
        return int(v)
    except ValueError:
        die("%s=%r is not a whole number" % (name, v))


def fmt_s(s):
    if s is None:
        return "-"
    if s < 0.1:
        return "%.1f ms" % (s * 1000)
    if s < 10:
        return "%.3f s" % s
    return "%.1f s" % s


RSS_FLOOR_KB = 0       # the launcher's own image (see LAUNCHER)


def fmt_mb(kb):
    if kb is None:
        return "-"
    if kb <= RSS_FLOOR_KB + 512:
        return "<= %.1f MB" % (max(kb, RSS_FLOOR_KB) / 1024.0)
    return "%.1f MB" % (kb / 1024.0)


def fmt_ratio(x):
    if x >= 100:
        return "%.0fx" % x
    if x >= 10:
        return "%.1fx" % x
    return "%.2fx" % x


def close(a, b):
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)), abs(float(b)))


# ------------------------------------------------------------- running ----

class Run:
    """One command, timed: best wall time and peak RSS over its runs."""

    def __init__(self, key, label, argv, runs=1, timeout=0, env=None,
                 stdout=None, before=None, optional=False):
        self.key, self.label, self.argv = key, label, argv
        self.runs, self.timeout, self.env = runs, timeout, env
        self.stdout = stdout        # path to keep the output, else /dev/null
        self.before = before        # called before each run (cold cache)
        self.optional = optional    # jq/lnav: a failure is reported as such
        self.walls = []
        self.maxrss_kb = None
        self.rc = None
        self.timed_out = False
        self.stderr = ""
        self.note = ""
        self.skipped = None         # reason

    @property
    def best(self):
        return min(self.walls) if self.walls else None

    @property
    def ok(self):
        return self.skipped is None and self.rc == 0 and not self.timed_out

    def how(self):
        if self.skipped:
            return "skipped"
        n = len(self.walls)
        return "best of %d" % n if n > 1 else "1 run"

    def execute(self, workdir):
        for i in range(self.runs):
            if self.before:
                self.before()
            wall, rss, rc, timed_out, err = run_once(
                self.argv, self.env, self.stdout, self.timeout, workdir)
            self.walls.append(wall)
            self.maxrss_kb = rss if self.maxrss_kb is None else max(self.maxrss_kb, rss)
            self.rc, self.timed_out, self.stderr = rc, timed_out, err
            if rc != 0 or timed_out or wall > CHEAP_S:
                break
        if self.timed_out:
            self.walls = [self.walls[-1]]
        return self


# Peak RSS comes from os.wait4's ru_maxrss.  Linux folds into it the memory
# image the child had before exec (a forked or vforked copy of the launcher),
# so the commands are not started from this process (tens of MB) but from a
# small fresh python3 -I -S that only spawns, waits and reports; its image
# (about 8 MB) is the floor of every figure, measured with `true` and shown.
LAUNCHER = r"""
import json, os, signal, sys, time
spec = json.load(sys.stdin)
acts = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, spec["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, spec["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
killed = []
def stop(*_):
    killed.append(1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
t0 = time.perf_counter()
pid = os.posix_spawnp(spec["argv"][0], spec["argv"], spec["env"], file_actions=acts,
                      setpgroup=0)
if spec["timeout"]:
    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, spec["timeout"])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
signal.setitimer(signal.ITIMER_REAL, 0)
print(json.dumps({"wall": wall, "maxrss": ru.ru_maxrss,
                  "rc": os.waitstatus_to_exitcode(status), "killed": bool(killed)}))
"""


def run_once(argv, env, stdout_path, timeout, workdir):
    """Run argv; return (wall seconds, peak RSS KB, exit code, timed out, stderr)."""
    err_path = os.path.join(workdir, ".stderr")
    spec = {"argv": argv, "env": dict(env if env is not None else os.environ),
            "out": stdout_path or os.devnull, "err": err_path, "timeout": timeout or 0}
    res = subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER],
                         input=json.dumps(spec).encode(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if res.returncode != 0:
        msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
        return 0.0, 0, 127, False, (msg[-1] if msg else "could not run %s" % argv[0])
    r = json.loads(res.stdout)
    try:
        with open(err_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        os.unlink(err_path)
    except OSError:
        text = ""
    return r["wall"], r["maxrss"], r["rc"], r["killed"], text


# ------------------------------------------------------------ the data ----

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def prepare_data(srcdir, bench_dir, requests, seed):
    """Generate (or reuse) the bench file; return (data path, truth path, argv)."""
    gen = os.path.join(srcdir, "tests", "gen-logs.py")
    if not os.path.isfile(gen):
        die("the generator %s is missing" % gen)
    data = os.path.join(bench_dir, "incident.jsonl")
    truth = os.path.join(bench_dir, "incident-truth.json")
    stamp_path = os.path.join(bench_dir, "incident.stamp")
    gen_args = ["--requests", str(requests), "--seed", str(seed)]
    want = {"generator": "tests/gen-logs.py", "args": gen_args,
            "generator_sha256": sha256_file(gen)}
    try:
        with open(stamp_path) as f:
            have = json.load(f)
        st = os.stat(data)
        if (os.path.isfile(truth) and
                {k: have.get(k) for k in want} == want and
                have.get("size") == st.st_size and
                have.get("mtime_ns") == st.st_mtime_ns):
            say("data: reusing %s (%s, same generator and arguments)"
                % (data, " ".join(gen_args)))
            return data, truth, gen_args
    except (OSError, ValueError):
        pass

    need = requests * 2600 + (64 << 20)
    free = shutil.disk_usage(bench_dir).free
    if free < need:
        die("%s has %.1f GB free; the bench file needs about %.1f GB "
            "(set LOGDIVE_BENCH_DIR elsewhere)" % (bench_dir, free / 1e9, need / 1e9))
    for p in (data, truth, stamp_path):
        if os.path.exists(p):
            os.unlink(p)
    part, truth_part = data + ".part", truth + ".part"
    argv = [sys.executable, gen] + gen_args + ["--out", part, "--truth", truth_part]
    say("data: generating %s with tests/gen-logs.py %s (about %.1f GB; "
        "this takes a minute or two, once)" % (data, " ".join(gen_args), requests * 2.45e3 / 1e9))
    t0 = time.perf_counter()
    rc = subprocess.call(argv)
    if rc != 0:
        die("the generator failed (exit %d): %s" % (rc, shlex.join(argv)), 1)
    os.replace(truth_part, truth)
    os.replace(part, data)
    st = os.stat(data)
    want.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    with open(stamp_path + ".part", "w") as f:
        json.dump(want, f, indent=1)
    os.replace(stamp_path + ".part", stamp_path)
    say("data: %.2f GB in %.0f s" % (st.st_size / 1e9, time.perf_counter() - t0))
    return data, truth, gen_args


def run_reported(b, work, timeout):
    """Run bench B in WORK unless it is skipped, saying so; a timeout or a
    failure becomes its note. Returns False if it was skipped."""
    if b.skipped:
        say("skip: %s: %s" % (b.label, b.skipped))
        return False
    say("run:  %s ..." % b.label)
    b.execute(work)
    if b.timed_out:
        b.note = "stopped after %d s" % timeout
    elif b.rc != 0:
        b.note = "FAILED (exit %d)" % b.rc
        say("      %s exited %d: %s" % (b.argv[0], b.rc,
                                       " / ".join(b.stderr.strip().splitlines()[-3:])))
    return True


def workspace(work, lnav_format, lnav_name):
    """Set up WORK (an empty directory) for one bench run and measure the
    RSS floor. Returns (ld_env, empty_cache, lnav_env): logdive's
    environment with private XDG directories (the cache directory is what
    cold and warm mean; empty_cache() empties it), and lnav's with a private
    HOME whose ~/.lnav/formats/installed/LNAV_NAME is LNAV_FORMAT (where
    `lnav -i` installs a format; lnav 0.11 reads ~/.lnav)."""
    global RSS_FLOOR_KB
    RSS_FLOOR_KB = min(run_once(["true"], None, None, 0, work)[1] for _ in range(3))
    cache = os.path.join(work, "xdg-cache")
    ld_env = dict(os.environ)
    ld_env.update(XDG_CACHE_HOME=cache,
                  XDG_STATE_HOME=os.path.join(work, "xdg-state"),
                  XDG_CONFIG_HOME=os.path.join(work, "xdg-config"),
                  NO_COLOR="1")
    for d in ("xdg-state", "xdg-config"):
        os.makedirs(os.path.join(work, d))

    def empty_cache():
        if os.path.isdir(cache):
            shutil.rmtree(cache)
        os.makedirs(cache)

    fmt_dir = os.path.join(work, "lnav-home", ".lnav", "formats", "installed")
    os.makedirs(fmt_dir)
    shutil.copyfile(lnav_format, os.path.join(fmt_dir, lnav_name))
    lnav_env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    lnav_env.update(HOME=os.path.join(work, "lnav-home"), TERM="dumb")
    return ld_env, empty_cache, lnav_env


def warm_cache(path):
    """Read the file once (into the page cache); return (lines, bytes, seconds)."""
    lines = size = 0
    last = b"\n"
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while True:
            chunk = f.read(8 << 20)
            if not chunk:
                break
            lines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return lines, size, time.perf_counter() - t0


def mem_available_kb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = "%.1f GB RAM" % (int(f.readline().split()[1]) / 1048576.0)
    except (OSError, ValueError, IndexError):
        pass
    return ", ".join(x for x in ("%d cores" % (os.cpu_count() or 0), model, mem) if x)


def pick_trace_id(truth, data):
    """A correlation id whose request has its five records: (id, expected)."""
    if truth:
        for cid, t in truth.get("traces", {}).items():
            if t.get("kind") == "normal" and len(t.get("records", ())) == 5:
                return cid, t["records"]
        for cid, t in truth.get("traces", {}).items():
            return cid, t["records"]
    # No truth: a request_received line from the middle of the file.
    size = os.path.getsize(data)
    with open(data, "rb") as f:
        f.seek(size // 2)
        f.readline()
        for _ in range(10000):
            line = f.readline()
            if not line:
                break
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if (isinstance(rec, dict) and rec.get("event_type") == "request_received"
                    and isinstance(rec.get("correlation_id"), str)):
                return rec["correlation_id"], None
    die("found no correlation id in the middle of %s" % data)


def tool_version(argv):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=30).stdout.decode("utf-8", "replace")
        return out.strip().splitlines()[0] if out.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return None


def lnav_rows(path):
    """Rows of lnav -n's table output (first line is the header)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [l.split() for l in f.read().splitlines() if l.strip()]
    except OSError:
        return []
    return lines[1:] if lines else []


# -------------------------------------------------------------- checks ----

class Checks:
    def __init__(self):
        self.items = []          # (ok: True/False/None, text)

    def add(self, ok, text):
        self.items.append((ok, text))

    @property
    def failed(self):
        return [t for ok, t in self.items if ok is False]


def check_panels(checks, path, lines, truth):
    try:
        with open(path, encoding="utf-8") as f:
            panels = json.load(f)
    except (OSError, ValueError) as e:
        checks.add(False, "panels -f json: output does not parse as JSON (%s)" % e)
        return None
    problems = []
    rec = panels.get("records", {})
    if rec.get("total") != lines:
        problems.append("records.total %r, the file has %d lines" % (rec.get("total"), lines))
    if truth:
        for k, v in truth.get("records", {}).items():
            if k in rec and rec[k] != v:
                problems.append("records.%s %r, truth %r" % (k, rec[k], v))
        want = {g["key"]: g for g in truth["views"]["all_variant"]["latency"]["groups"]}
        got = {g.get("key"): g for g in panels.get("latency", {}).get("groups", [])}
        if sorted(want) != sorted(got):
            problems.append("latency groups %s, truth %s" % (sorted(got), sorted(want)))
        for key in sorted(set(want) & set(got)):
            for fld in ("count", "p50", "p95", "p99"):
                if not close(got[key].get(fld), want[key].get(fld)):
                    problems.append("latency %s %s %r, truth %r"
                                    % (key, fld, got[key].get(fld), want[key][fld]))
    what = ("parses; records.total = %d lines" % lines +
            ("; records and latency count/p50/p95/p99 per variant = generator truth"
             if truth else " (no truth file: figures not compared)"))
    checks.add(not problems, "panels -f json: " + (what if not problems else
                                                   "; ".join(problems[:6])))
    return panels


def check_trace(checks, path, cid, expected):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        records = doc["records"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        checks.add(False, "trace -f json %s: output unreadable (%s)" % (cid, e))
        return
    problems = []
    if doc.get("id") != cid:
        problems.append("id %r" % doc.get("id"))
    if len(records) != 5:
        problems.append("%d records, not 5" % len(records))
    if any(not isinstance(r, dict) or r.get("correlation_id") != cid for r in records):
        problems.append("a record without the id")
    if expected:
        got = [(r.get("service"), r.get("event_type")) for r in records if isinstance(r, dict)]
        want = [(r["service"], r["event_type"]) for r in expected]
        if got != want:
            problems.append("steps %s, truth %s" % (got, want))
    checks.add(not problems, "trace %s: " % cid + (
        "5 records, each with the id, in time order%s" % (" = truth" if expected else "")
        if not problems else "; ".join(problems)))


def zoned_copy(data, bench_dir):
    """A copy of data whose zone-less timestamps end in Z (for lnav); reused."""
    copy = os.path.join(bench_dir, "incident-zoned.jsonl")
    stamp = os.path.join(bench_dir, "incident-zoned.stamp")
    st = os.stat(data)
    key = {"source": data, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    try:
        with open(stamp) as f:
            have = json.load(f)
        if have.get("source_key") == key and os.path.getsize(copy) == have.get("size"):
            return copy, have["fixed"]
    except (OSError, ValueError, KeyError):
        pass
    for p in (copy, stamp):
        if os.path.exists(p):
            os.unlink(p)
    pat = re.compile(rb'"timestamp":"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?"')
    fixed = 0
    with open(data, "rb") as f, open(copy + ".part", "wb") as o:
        for line in f:
            m = pat.search(line, 0, 256)
            if m:
                line = b'%s"timestamp":"%sT%s%sZ"%s' % (
                    line[:m.start()], m.group(1), m.group(2), m.group(3) or b"", line[m.end():])
                fixed += 1
            o.write(line)
    os.replace(copy + ".part", copy)
    with open(stamp, "w") as f:
        json.dump({"source_key": key, "size": os.path.getsize(copy), "fixed": fixed}, f)
    warm_cache(copy)
    return copy, fixed


def check_lnav(checks, by, suffix, out, lines, panels, trace_id):
    tag = "lnav*" if suffix else "lnav"
    load, pct, trace = (by[k + suffix] for k in ("lnav_load", "lnav_pct", "lnav_trace"))
    if load.ok:
        rows = lnav_rows(out("lnav-count%s.txt" % suffix))
        try:
            n = int(rows[-1][0])
        except (IndexError, ValueError):
            n = None
        if n is None:
            load.note = "no count"
            checks.add(None, "%s count(*): no count in its output (is the format loaded?)" % tag)
        else:
            load.note = "%s rows" % format(n, ",")
            checks.add(None, "%s count(*) %s %s the %s lines of the file" % (
                tag, format(n, ","), "=" if n == lines else "differs from", format(lines, ",")))
    if pct.ok:
        got = {}
        for r in lnav_rows(out("lnav-pct%s.txt" % suffix)):
            try:
                got.setdefault(r[0], {"count": int(r[1])})[
                    "p%d" % round(float(r[2]) * 100)] = float(r[3])
            except (IndexError, ValueError):
                pass
        pct.note = "%d variants" % len(got)
        if panels:
            ld = {g.get("key"): g for g in panels.get("latency", {}).get("groups", [])}
            same = sorted(ld) == sorted(got) and all(
                close(ld[k].get(f), got[k].get(f))
                for k in ld for f in ("count", "p50", "p95", "p99"))
            checks.add(None, "%s's per-variant count/p50/p95/p99 %s logdive's"
                       % (tag, "=" if same else "differ from"))
    if trace.ok:
        n = len(lnav_rows(out("lnav-trace%s.txt" % suffix)))
        trace.note = "%d records" % n
        checks.add(None, "%s found %d records for the id%s"
                   % (tag, n, "" if n == 5 else " (expected 5)"))


# ---------------------------------------------------------------- main ----

def main():
    ap = argparse.ArgumentParser(description="logdive benchmark (make bench)",
                                 epilog="Environment: see the top of this file.")
    ap.add_argument("--file", help="bench this existing file (no generation)")
    ap.add_argument("--truth", help="generator truth for --file (optional)")
    opts = ap.parse_args()

    logdive = os.environ.get("LOGDIVE", "")
    if not logdive:
        die("LOGDIVE is not set (run it with make bench)")
    logdive = os.path.abspath(logdive)
    if not os.access(logdive, os.X_OK):
        die("%s is not an executable logdive (build it first: make logdive)" % logdive)
    srcdir = os.path.abspath(os.environ.get("srcdir") or
                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    bench_dir = os.path.abspath(os.environ.get("LOGDIVE_BENCH_DIR") or "/tmp/logdive-bench")
    requests = env_int("LOGDIVE_BENCH_REQUESTS", 430000)
    seed = env_int("LOGDIVE_BENCH_SEED", 1)
    runs = max(1, env_int("LOGDIVE_BENCH_RUNS", 5))
    lnav_timeout = max(0, env_int("LOGDIVE_BENCH_LNAV_TIMEOUT", 60))
    os.makedirs(bench_dir, exist_ok=True)

    if opts.file:
        data, truth_path = os.path.abspath(opts.file), opts.truth
        origin = "given with --file"
    else:
        data, truth_path, gen_args = prepare_data(srcdir, bench_dir, requests, seed)
        origin = "tests/gen-logs.py " + " ".join(gen_args)
    truth = None
    if truth_path:
        with open(truth_path) as f:
            truth = json.load(f)

    avail = mem_available_kb()
    if avail is not None and os.path.getsize(data) > avail * 1024 * 0.9:
        say("note: the file is larger than the free memory; the page cache "
            "cannot hold it and every figure includes disk reads")
    warm_cache(data)                       # once to load, once to measure
    lines, size, warm_s = warm_cache(data)
    say("data: %s, %.2f GB, %s lines; page cache warm (python read it at %.1f GB/s)"
        % (data, size / 1e9, format(lines, ","), size / 1e9 / max(warm_s, 1e-9)))

    trace_id, trace_expected = pick_trace_id(truth, data)
    work = os.path.join(bench_dir, "work")
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    ld_env, empty_cache, lnav_env = workspace(
        work, os.path.join(srcdir, "tests", "bench", "lnav-inference.json"),
        "inference_log.json")
    cache = ld_env["XDG_CACHE_HOME"]
    lnav_home = lnav_env["HOME"]

    have_jq = shutil.which("jq")
    have_lnav = shutil.which("lnav")
    out = lambda name: os.path.join(work, name)
    cold_runs = min(runs, 3)

    def lnav_benches(path, tag, suffix):
        sql_id = trace_id.replace("'", "''")
        label = "lnav%s " % tag
        runs3 = [
            Run("lnav_load" + suffix, label + "load + count(*)",
                ["lnav", "-n", "-c", ";SELECT count(*) FROM %s" % LNAV_TABLE, path],
                stdout=out("lnav-count%s.txt" % suffix)),
            Run("lnav_pct" + suffix, label + "per-variant p50/p95/p99",
                ["lnav", "-n", "-c", LNAV_PERCENTILES, path],
                stdout=out("lnav-pct%s.txt" % suffix)),
            Run("lnav_trace" + suffix, label + "find one correlation id",
                ["lnav", "-n", "-c", ";SELECT log_time, service, log_body FROM %s"
                 " WHERE correlation_id = '%s'" % (LNAV_TABLE, sql_id), path],
                stdout=out("lnav-trace%s.txt" % suffix)),
        ]
        for r in runs3:
            r.timeout, r.env, r.optional = lnav_timeout, lnav_env, True
            if not have_lnav:
                r.skipped = "lnav not installed (apt-get install -y lnav)"
        return runs3

    benches = [
        Run("cat", "cat FILE > /dev/null", ["cat", data], runs=runs),
        Run("cold", "logdive panels -f json (cold)",
            [logdive, "panels", "-f", "json", data], runs=cold_runs, env=ld_env,
            stdout=out("panels-cold.json"), before=empty_cache),
        Run("warm", "logdive panels -f json (warm)",
            [logdive, "panels", "-f", "json", data], runs=runs, env=ld_env,
            stdout=out("panels-warm.json")),
        Run("trace", "logdive trace ID (warm)",
            [logdive, "trace", trace_id, data], runs=runs, env=ld_env),
        Run("jq", "jq -R fromjson? latency+variant",
            ["jq", "-c", "-R", JQ_PROGRAM, data], stdout=out("jq.out"), optional=True),
    ] + lnav_benches(data, "", "")
    by = {b.key: b for b in benches}
    if not have_jq:
        by["jq"].skipped = "jq not installed (apt-get install -y jq)"

    checks = Checks()

    def execute(b):
        if not run_reported(b, work, lnav_timeout):
            return
        if b.key == "cold" and b.ok and not os.listdir(cache):
            checks.add(None, "the cold run left nothing in $XDG_CACHE_HOME: "
                             "the warm runs had no index to read")

    for b in benches:
        execute(b)

    # lnav 0.11.1 misreads every timestamp after the first zone-less
    # "YYYY-MM-DD HH:MM:SS" one (the generator's dirty lines), sees the rest
    # of the file out of time order, and its row access (any SQL that reads a
    # column) becomes orders of magnitude slower.  For a like-for-like figure
    # lnav also gets a copy whose zone-less timestamps carry a Z.
    lnav_keys = ("lnav_load", "lnav_pct", "lnav_trace")
    stopped = any(by[k].timed_out for k in lnav_keys)
    if stopped:
        checks.add(None, "an lnav run on the file was stopped after %d s "
                   "(LOGDIVE_BENCH_LNAV_TIMEOUT): lnav 0.11.1 misreads the timestamps after "
                   "the first zone-less one (the generator's dirty lines), sees the rest out "
                   "of time order, and reading rows then crawls" % lnav_timeout)
    fixed_copy = os.environ.get("LOGDIVE_BENCH_LNAV_COPY", "auto")
    if (have_lnav and (fixed_copy == "1" or (fixed_copy == "auto" and stopped)) and
            not os.path.exists(os.path.join(bench_dir, "incident-zoned.jsonl")) and
            shutil.disk_usage(bench_dir).free < size + (256 << 20)):
        checks.add(None, "no room in %s for lnav's copy of the file: lnav* skipped" % bench_dir)
        fixed_copy = "0"
    if have_lnav and (fixed_copy == "1" or (fixed_copy == "auto" and stopped)):
        copy, n_fixed = zoned_copy(data, bench_dir)
        say("data: %s: %d zone-less timestamps given a Z, for lnav" % (copy, n_fixed))
        more = lnav_benches(copy, "*", "_z")
        benches += more
        by.update((b.key, b) for b in more)
        for b in more:
            execute(b)
        checks.add(None, "lnav* ran on %s, a copy of the file whose %d zone-less timestamps "
                   "carry a Z; the ratios use those runs" % (copy, n_fixed))

    # The scanner alone (make bench builds it): explains the cold figure.
    scanner = os.path.join(os.path.dirname(logdive), "tests", "bench", "jscan_bench")
    scan_lines = []
    avail = mem_available_kb()
    if os.access(scanner, os.X_OK) and (avail is None or avail * 1024 > 2 * size):
        say("run:  tests/bench/jscan_bench FILE 3 1 ...")
        r = subprocess.run([scanner, data, "3", "1"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        scan_lines = [l for l in r.stdout.decode("utf-8", "replace").splitlines()
                      if l.strip() and not l.startswith(data)]
        if r.returncode != 0:
            scan_lines.append("(exit %d)" % r.returncode)

    # ---- checks of the outputs
    cold, warm = by["cold"], by["warm"]
    panels = None
    if cold.ok:
        panels = check_panels(checks, out("panels-cold.json"), lines, truth)
    if cold.ok and warm.ok:
        try:
            with open(out("panels-cold.json")) as a, open(out("panels-warm.json")) as b:
                same = json.load(a) == json.load(b)
        except (OSError, ValueError):
            same = False
        checks.add(same, "panels warm (from the index) = panels cold: %s"
                   % ("same JSON" if same else "DIFFERENT"))
    if by["trace"].ok:
        tj = out("trace.json")
        _, _, rc, _, err = run_once([logdive, "trace", "-f", "json", trace_id, data],
                                    ld_env, tj, 0, work)
        if rc != 0:
            checks.add(False, "trace -f json %s: exit %d: %s" % (trace_id, rc, err.strip()))
        else:
            check_trace(checks, tj, trace_id, trace_expected)
    if by["jq"].ok:
        with open(out("jq.out"), "rb") as f:
            n = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        by["jq"].note = "%s rows" % format(n, ",")
    for suffix in ("", "_z"):
        if "lnav_load" + suffix in by:
            check_lnav(checks, by, suffix, out, lines, panels, trace_id)

    # ---- report
    say("")
    say("logdive bench  %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
    say("  file     %s: %.3f GB, %s lines (%s)" % (data, size / 1e9, format(lines, ","), origin))
    say("  machine  %s; page cache warm" % machine())
    say("  logdive  %s (%s)" % (tool_version([logdive, "--version"]) or "?", logdive))
    if have_jq:
        say("  jq       %s" % tool_version(["jq", "--version"]))
    if have_lnav:
        v = tool_version(["lnav", "-V"])
        say("  lnav     %s%s" % (v, "" if v and " 0.11" in v else "  (the issue's figures are from lnav 0.11)"))
    say("  trace id %s" % trace_id)
    say("  peak RSS from wait4 (ru_maxrss); it cannot go below the launcher's %.1f MB,"
        " shown as '<='" % (RSS_FLOOR_KB / 1024.0))
    say("")
    w = max(len(b.label) for b in benches)
    row = "  %-*s  %-10s %10s %10s %11s  %s"
    say(row % (w, "command", "runs", "wall", "(worst)", "peak RSS", "note"))
    say("  %s" % ("-" * (w + 61)))
    for b in benches:
        if b.skipped:
            say(row % (w, b.label, "skipped", "-", "", "-", b.skipped))
            continue
        wall = (">" + fmt_s(b.best)) if b.timed_out else fmt_s(b.best)
        worst = "(%s)" % fmt_s(max(b.walls)) if len(b.walls) > 1 else ""
        say(row % (w, b.label, b.how(), wall, worst, fmt_mb(b.maxrss_kb), b.note))

    if scan_lines:
        say("")
        say("  scanner alone (tests/bench/jscan_bench FILE 3 1: one core, file in memory, best of 3)")
        for l in scan_lines:
            say("    " + l)
    say("")
    say("  ratios (wall time; x faster = their time / logdive's; '>' where the other run was stopped)")
    def versus(ld, other, name):
        if other + "_z" in by and by[other + "_z"].ok:
            other, name = other + "_z", name.replace("lnav", "lnav*")
        if other not in by:
            return None
        o = by[other]
        if not ld.ok or o.skipped or o.best is None or (not o.ok and not o.timed_out):
            return None
        r = o.best / ld.best if ld.best else float("inf")
        return "%s%s faster than %s" % (">" if o.timed_out else "", fmt_ratio(r), name)
    for key, name, peers in (
            ("cold", "panels cold", (("jq", "jq"), ("lnav_load", "lnav load+count"),
                                     ("lnav_pct", "lnav percentiles"))),
            ("warm", "panels warm", (("jq", "jq"), ("lnav_load", "lnav load+count"),
                                     ("lnav_pct", "lnav percentiles"))),
            ("trace", "trace warm", (("lnav_trace", "lnav finding the id"),))):
        ld = by[key]
        if not ld.ok:
            continue
        parts = []
        if by["cat"].ok and by["cat"].best:
            parts.append("%s cat's time" % fmt_ratio(ld.best / by["cat"].best))
        parts += [p for p in (versus(ld, k, n) for k, n in peers) if p]
        say("  %-12s %s" % (name, "; ".join(parts)))

    say("")
    say("  targets (issue 2, section 8, on its 2-core machine)")
    ld_rss = [by[k].maxrss_kb for k in ("cold", "warm", "trace") if by[k].ok]
    best = lambda k: by[k].best if by[k].ok else None
    rows = [("cold panels", "<= %.1f s" % TARGETS["cold"], best("cold"), TARGETS["cold"], fmt_s),
            ("warm panels", "<= %.1f s" % TARGETS["warm"], best("warm"), TARGETS["warm"], fmt_s),
            ("warm trace", "<= %.0f ms" % (TARGETS["trace"] * 1000), best("trace"),
             TARGETS["trace"], fmt_s),
            ("peak RSS", "<= %.0f MB" % TARGETS["rss_mb"],
             max(ld_rss) / 1024.0 if ld_rss else None, TARGETS["rss_mb"],
             lambda v: "%.1f MB" % v)]
    for name, text, val, lim, f in rows:
        verdict = "-" if val is None else ("pass" if val <= lim else "MISS")
        say("  %-12s %-10s %10s  %s" % (name, text, "-" if val is None else f(val), verdict))

    say("")
    say("  checks")
    for ok, text in sorted(checks.items, key=lambda c: c[0] is None):
        say("  %-5s %s" % ({True: "ok", False: "FAIL", None: "note"}[ok], text))

    say("")
    say("  commands (FILE = %s; logdive with XDG_CACHE_HOME=%s, emptied before each cold run;"
        " lnav with HOME=%s)" % (data, cache, lnav_home))
    for b in benches:
        say("    " + shlex.join(["FILE" if a == data else a for a in b.argv]))

    errors = [b for b in benches if not b.skipped and not b.timed_out and b.rc != 0]
    if errors or checks.failed:
        say("")
        say("bench: %s" % "; ".join(["%s failed" % b.label for b in errors] +
                                    ["wrong output: %s" % t for t in checks.failed]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
