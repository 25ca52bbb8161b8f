#!/usr/bin/env python3
"""Generate ML-inference JSON-lines logs with a known incident, and the
exact figures a correct logdive must compute from them.

The shipped sample was made with (deterministic bytes, gzip mtime 0):

    tests/gen-logs.py --requests 7000 --seed 7 \\
        --start 2026-02-26T22:00:00Z --hours 6 \\
        --incident-at 2026-02-27T03:00:00Z --incident-minutes 40 \\
        --dirty 0.01 --long-line 200000 \\
        --gzip --out share/samples/incident.jsonl.gz

The benchmark's ~1 GB file (~2.15 M lines): --requests 430000 (24 h).

Schema: the production inference schema (timestamp, request_id,
correlation_id, service, environment, log_level, event_type, model_metadata,
request_context, input_features, inference_metrics, output, quality_metrics,
anomaly_signals).  Every request passes five services that share one
correlation_id:

    api-gateway                 request_received, response_sent
    feature-store               feature_lookup (input_features.cache_hit,
                                input_features.feature_store_latency_ms)
    recommendation-model-prod   inference_complete | inference_error
                                (model_metadata.serving_variant/model_version,
                                inference_metrics.latency_ms,
                                output.confidence_scores [array],
                                anomaly_signals.drift_score)
    ranking-service             ranking_complete

Variants: prod (model 3.2.1, 80 %), canary (3.3.0, 15 %), prod-shadow-test
(3.2.1, 5 %).  Traffic follows a daily curve.

The incident (--incident-at, --incident-minutes): canary inference slows
~3x, canary confidence collapses to ~0.05 and its drift score jumps to ~0.6,
the feature-store cache hit rate falls from ~94 % to ~55 % (every variant),
and the canary throws "CUDA out of memory" errors (~8 % of its requests).

Dirty lines on purpose (--dirty: the share of inference_complete lines made
dirty, split evenly): malformed JSON (a line cut in half), no request_id,
a timestamp without a zone (three spellings), latency written as a string
("87ms"); and one over-long line (--long-line bytes of payload, 0: none).

--truth FILE writes the figures of DESIGN §3 computed here, in Python, from
the records as written (independently of logdive):
  records        line counts by logdive's categories (total, invalid_json,
                 invalid_utf8, too_long, no_time, naive_time, bad_type)
  views          for each of: the whole data, 1 h buckets, grouped by
                 serving_variant ("all_variant") and by model_version
                 ("all_version"); the incident window, 1 m buckets, grouped
                 by serving_variant ("incident_variant"):
                   range, bucket_seconds, latency groups (count, p50, p95,
                   p99: numpy 'linear' percentiles; cumulative histogram),
                   confidence series ("*" and per group), cache hit rate,
                   errors/invalid/total, drift, per bucket (every bucket of
                   the range; an empty one has count 0 and mean null)
  requests       how many records match the golden test's query
  traces         a few correlation ids with (timestamp, service, event_type)
                 of every record, in time order
Floats are unrounded.  For the data's own extent the range is given as
start (earliest record time) and end_inclusive_last_time (the latest record
time; logdive's end is that time + 1 ns).

Semantics (decided for logdive): a record is a line that is one JSON object
(UTF-8, at most --max-line bytes); time is `timestamp`, else `@timestamp`
(ISO 8601, no zone = UTC and counted as naive_time; epoch numbers by
magnitude); a role field of the wrong type (latency "87ms", 1e400) counts
the record as bad_type but its other fields still count.  Invalid lines
(and no_time records) are attributed to the bucket of the last record time
before them in the same file; bad_type records to their own time.

--analyze FILE... computes the same truth from existing files (plain or
.gz), parsing each line with Python's json module; used by the golden
test for files made by splitting a generated file.

--bad-input DIR writes the bad-input files of tests/badinput.sh and
DIR/expect.json with the counts each must produce.

--text-formats DIR (with the scenario options above) writes, besides the
JSON lines (--out, default DIR/incident.jsonl, byte-identical to a run
without it), the same records as the text logs of issue 7, one file per
format (--formats a,b,...: a subset), in time order:
  DIR/FORMAT.log     the text log
  DIR/FORMAT.jsonl   its twin: one JSON object per record of FORMAT.log
                     (a traceback joined into its record), holding exactly
                     the fields the text carries, under the names logdive's
                     formats give them, typed as the text says, with a zone
                     in the timestamp only where the text has one; so
                     `logdive panels -f json` must print the same figures on
                     the two (tests/textlogs.sh; --no-twins: none, for the
                     benchmark)
  DIR/manifest.json  per format: files, lines and records, what it carries,
                     which panels mean something for it, the panels compared
                     (every one, text against twin), the argv of each view
                     (all_variant, all_version where the lines carry a model
                     version, incident_variant, as in --truth), a drill-down
                     query valid on both; and a request id for a trace that
                     joins torchserve-metrics lines with the JSON records
Formats (share/formats/NAME.json), and what each carries:
  torchserve-log      model_log: each inference record as a worker's stdout
                      line "%d{ISO8601} [INFO ] W-9003-recommendation_3.3.0-stdout
                      MODEL_LOG - {JSON}"; after an inference_error its
                      traceback, one MODEL_LOG line per traceback line, same ms,
                      same thread (joined into the error record); noise with no
                      role but time and level (WorkerThread, ACCESS_LOG, worker
                      start-up, a stderr [WARN ] line)
  torchserve-metrics  model_metrics/ts_metrics: per successful inference
                      QueueTime, HandlerTime, PredictionTime
                      ("PredictionTime.ms:87.3|#ModelName:recommendation,
                      ModelVersion:3.3.0,Level:Model|#hostname:ts-1,requestID:
                      req-...,timestamp:1772161200"; every 7th request in the old
                      .Milliseconds unit); Requests2XX/5XX.Count per request;
                      CPUUtilization.Percent and MemoryUsed.Megabytes per minute.
                      A failed inference writes no model metric (only the
                      frontend's Requests5XX.Count).  Latency is
                      PredictionTime only; the version group-by is ModelVersion;
                      no variant, no level
  torchserve-access   access_log: one line per inference request (status 200,
                      500 ValueError, 507 CUDA OOM; ms = ceil(latency)), and a
                      GET /ping every 30 s; latency and errors, no group
  python-logging      the model service: "2026-02-27 03:00:00,123 -
                      recommendation - INFO - key=value ..." with the schema's
                      dotted keys, Python True/False, confidence as a Python
                      list; logger.exception tracebacks as unprefixed lines; a
                      health-check line per minute
  python-iso          the feature store: "2026-02-27T03:00:00.123456 -
                      key=value ..." (microseconds) of each feature_lookup
  python-latency-csv  "epoch_seconds, latency" of each inference record
  syslog-5424         each inference record: severity 6/3, MSGID the event
                      type, SD element infer@32473 with the dotted paths as
                      PARAM-NAMEs (one number for the confidence: the mean)
  syslog-3164         the gateway's request_received/response_sent, "Feb 27
                      03:00:00 gw-1 api-gateway[2211]: key=value ..."; the
                      file's mtime is set to the last line + 60 s (the year)
  logfmt              every record: ts (fraction without trailing zeros), level,
                      msg (quoted, with escapes), every other field under its
                      dotted path.  logfmt has no arrays: the confidence is one
                      number, the record's (the mean of its array, repr: the
                      panel equals the JSON file's); output.prediction is dropped
Each format draws from its own random stream (seeded from --seed and its
name), so the JSON is unchanged and a format's bytes do not depend on which
others are written.  Cost per 10k requests: the JSON alone 1.6 s; with
torchserve-log and torchserve-metrics, no twins (the benchmark) 2.2 s; every
format with twins 7 s (logfmt carries every record).  Use --dirty 0
--long-line 0 for comparisons: dirty records are written as they are (a
malformed or oversized line is left out of the text formats).

Deterministic for a given --seed.  Python 3 standard library only.
"""
import argparse
import bisect
import calendar
import gzip
import heapq
import io
import json
import math
import os
import random
import re
import sys
import time

VARIANTS = (  # serving_variant, model_version, training_date, cumulative share
    ("prod", "3.2.1", "2026-02-20", 0.80),
    ("canary", "3.3.0", "2026-02-25", 0.95),
    ("prod-shadow-test", "3.2.1", "2026-02-20", 1.00),
)
MODEL = "collaborative_filtering_v3"
MAX_LINE = 16 * 1024 * 1024
NS = 1_000_000_000
MS = 1_000_000
HIST_BOUNDS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

LATENCY = "inference_metrics.latency_ms"
VARIANT = "model_metadata.serving_variant"
VERSION = "model_metadata.model_version"
CONFIDENCE = "output.confidence_scores"
CACHE_HIT = "input_features.cache_hit"
DRIFT = "anomaly_signals.drift_score"
LEVEL = ("log_level", "log.level", "level")
TIME = ("timestamp", "@timestamp")

# The golden test's requests query and its meaning.
SLOW_CANARY_QUERY = "serving_variant:canary and latency_ms >= 500"


# ---------------------------------------------------------------- time ----

_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d\d(?::?\d\d)?)?)?\Z")


def parse_iso(s):
    """ISO 8601 -> (ns since the epoch, naive) or None."""
    m = _ISO.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    try:
        secs = calendar.timegm((int(y), int(mo), int(d), int(hh or 0),
                                int(mi or 0), int(ss or 0), 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(hh or 0) <= 23
            and int(mi or 0) <= 59 and int(ss or 0) <= 60):
        return None
    ns = secs * NS
    if frac:
        ns += int((frac + "000000000")[:9])
    naive = hh is not None and zone is None
    if hh is None:
        naive = True
    elif zone and zone not in "Zz":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        off = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0)
        ns -= sign * off * NS
    return ns, naive


def epoch_number(v):
    """Epoch number -> ns by magnitude (s, ms, us, ns), or None."""
    if not math.isfinite(v):
        return None
    a = abs(v)
    if a < 1e11:
        ns = v * 1e9
    elif a < 1e14:
        ns = v * 1e6
    elif a < 1e17:
        ns = v * 1e3
    else:
        ns = v
    if not -2**63 < ns < 2**63:
        return None
    return int(ns)


def iso_ns(ns, frac=True):
    """ns -> ISO 8601 UTC; with milliseconds when frac, always with Z."""
    s, r = divmod(ns, NS)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
    if not frac:
        return base + "Z"
    if r % MS == 0:
        return "%s.%03dZ" % (base, r // MS)
    return "%s.%09dZ" % (base, r)


_prefix_cache = {}


def iso_ms(ms):
    """Epoch ms -> "YYYY-MM-DDThh:mm:ss.mmmZ" (fast: cached per second)."""
    s, m = divmod(ms, 1000)
    p = _prefix_cache.get(s)
    if p is None:
        if len(_prefix_cache) > 4096:
            _prefix_cache.clear()
        p = _prefix_cache[s] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
    return "%s.%03dZ" % (p, m)


def parse_utc_arg(s):
    r = parse_iso(s)
    if r is None:
        raise argparse.ArgumentTypeError("not an ISO 8601 time: %r" % s)
    return r[0]


# ------------------------------------------------------------- maths -----

def percentile(xs, p):
    """numpy.percentile(xs, p) ('linear') of a sorted list."""
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    lo = math.floor(k)
    hi = math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_double(v):
    """A JSON number as logdive reads it (a double); None when out of range."""
    try:
        d = float(v)
    except OverflowError:
        return None
    return d if math.isfinite(d) else None


def get_path(obj, path):
    """Dotted path lookup; a key containing dots matches by its full name
    (DESIGN §2). Returns (found, value)."""
    if path in obj:
        return True, obj[path]
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in obj and isinstance(obj[head], dict):
            found, v = get_path(obj[head], ".".join(parts[i:]))
            if found:
                return found, v
    return False, None


def first_of(obj, paths):
    for p in paths:
        found, v = get_path(obj, p)
        if found:
            return True, v
    return False, None


# ------------------------------------------------------------- truth -----

class Roles:
    """The role values of one record, typed as logdive must read them."""
    __slots__ = ("t", "naive", "latency", "variant", "version", "confidence",
                 "cache_hit", "drift", "error", "bad")


def roles_of(obj):
    """Extract the roles of a parsed record (a dict)."""
    r = Roles()
    r.t = None
    r.naive = False
    found, v = first_of(obj, TIME)
    if found:
        if isinstance(v, str):
            p = parse_iso(v)
            if p:
                r.t, r.naive = p
        elif is_number(v):
            d = as_double(v)
            r.t = epoch_number(d) if d is not None else None
    bad = False
    found, v = get_path(obj, LATENCY)
    r.latency = None
    if found:
        d = as_double(v) if is_number(v) else None
        if d is None:
            bad = True
        else:
            r.latency = d
    found, v = get_path(obj, VARIANT)
    r.variant = v if found and isinstance(v, str) else None
    found, v = get_path(obj, VERSION)
    r.version = v if found and isinstance(v, str) else None
    found, v = get_path(obj, CONFIDENCE)
    r.confidence = None
    if found:
        if is_number(v):
            r.confidence = as_double(v)
            bad = bad or r.confidence is None
        elif isinstance(v, list) and v and all(is_number(x) for x in v):
            ds = [as_double(x) for x in v]
            if None in ds:
                bad = True
            else:
                s = 0.0
                for x in ds:
                    s += x
                r.confidence = s / len(ds)
        else:
            bad = True
    found, v = get_path(obj, CACHE_HIT)
    r.cache_hit = None
    if found:
        if isinstance(v, bool):
            r.cache_hit = v
        else:
            bad = True
    found, v = get_path(obj, DRIFT)
    r.drift = None
    if found:
        d = as_double(v) if is_number(v) else None
        if d is None:
            bad = True
        else:
            r.drift = d
    found, v = first_of(obj, LEVEL)
    r.error = found and isinstance(v, str) and v.lower() == "error"
    r.bad = bad
    return r


class View:
    """One `logdive panels` invocation's figures."""

    def __init__(self, name, width_s, group_path, rng=None, argv=()):
        self.name = name
        self.width = width_s * NS
        self.group_path = group_path
        self.group_attr = "variant" if group_path == VARIANT else "version"
        self.range = rng  # (start_ns, end_ns) or None: the data's extent
        self.argv = list(argv)
        self.lat = {}
        self.conf = {}     # bucket -> [sum, n]
        self.conf_g = {}   # group -> bucket -> [sum, n]
        self.groups = set()
        self.cache = {}    # bucket -> [hits, total]
        self.err = {}      # bucket -> [errors, invalid, total]
        self.drift = {}    # bucket -> [sum, n]

    def add(self, r):
        t = r.t
        rg = self.range
        if rg is not None and not (rg[0] <= t < rg[1]):
            return
        b = t // self.width
        e = self.err.get(b)
        if e is None:
            e = self.err[b] = [0, 0, 0]
        e[2] += 1
        if r.error:
            e[0] += 1
        if r.bad:
            e[1] += 1
        g = getattr(r, self.group_attr)
        if g is not None:
            self.groups.add(g)
        if r.latency is not None:
            lst = self.lat.get(g)
            if lst is None:
                lst = self.lat[g] = []
            lst.append(r.latency)
        if r.confidence is not None:
            c = self.conf.get(b)
            if c is None:
                c = self.conf[b] = [0.0, 0]
            c[0] += r.confidence
            c[1] += 1
            if g is not None:
                cg = self.conf_g.setdefault(g, {})
                c = cg.get(b)
                if c is None:
                    c = cg[b] = [0.0, 0]
                c[0] += r.confidence
                c[1] += 1
        if r.cache_hit is not None:
            c = self.cache.get(b)
            if c is None:
                c = self.cache[b] = [0, 0]
            c[0] += r.cache_hit
            c[1] += 1
        if r.drift is not None:
            c = self.drift.get(b)
            if c is None:
                c = self.drift[b] = [0.0, 0]
            c[0] += r.drift
            c[1] += 1

    def add_invalid(self, t):
        if t is None:
            return
        rg = self.range
        if rg is not None and not (rg[0] <= t < rg[1]):
            return
        b = t // self.width
        e = self.err.get(b)
        if e is None:
            e = self.err[b] = [0, 0, 0]
        e[1] += 1

    def result(self, earliest, latest):
        w = self.width
        if self.range is not None:
            start, end = self.range
            rng = {"start": iso_ns(start), "end": iso_ns(end)}
        elif earliest is None:
            return {"argv": self.argv, "range": None}
        else:
            start, end = earliest, latest + 1
            rng = {"start": iso_ns(earliest), "end_inclusive_last_time": iso_ns(latest)}
        buckets = range(start // w, (end - 1) // w + 1)

        def tb(b):
            return iso_ns(b * w, frac=False)

        def mean_points(d):
            out = []
            for b in buckets:
                s, n = d.get(b, (0.0, 0))
                out.append({"t": tb(b), "mean": s / n if n else None, "count": n})
            return out

        groups = []
        for g, xs in self.lat.items():
            xs.sort()
            hist = [{"le": le, "count": bisect.bisect_right(xs, le)} for le in HIST_BOUNDS]
            hist.append({"le": None, "count": len(xs)})
            groups.append({"key": g, "count": len(xs), "p50": percentile(xs, 50),
                           "p95": percentile(xs, 95), "p99": percentile(xs, 99),
                           "histogram": hist})
        groups.sort(key=lambda x: (-x["count"], x["key"] or ""))
        series = [{"key": "*", "points": mean_points(self.conf)}]
        for g in sorted(self.groups):
            series.append({"key": g, "points": mean_points(self.conf_g.get(g, {}))})
        cache = []
        for b in buckets:
            h, n = self.cache.get(b, (0, 0))
            cache.append({"t": tb(b), "rate": h / n if n else None, "hits": h, "total": n})
        errs = []
        for b in buckets:
            e, i, n = self.err.get(b, (0, 0, 0))
            errs.append({"t": tb(b), "errors": e, "invalid": i, "total": n})
        return {
            "argv": self.argv,
            "range": rng,
            "bucket_seconds": w // NS,
            "latency": {"field": LATENCY, "group_by": self.group_path, "groups": groups},
            "confidence": {"series": series},
            "cache_hit": {"points": cache},
            "errors": {"points": errs},
            "drift": {"points": mean_points(self.drift)},
        }


class Truth:
    """Accumulates, line by line in file order, what logdive must report."""

    def __init__(self, views, max_line=MAX_LINE):
        self.views = views
        self.max_line = max_line
        self.records = dict(total=0, invalid_json=0, invalid_utf8=0, too_long=0,
                            no_time=0, naive_time=0, bad_type=0)
        self.earliest = None
        self.latest = None
        self.last_t = None
        self.slow_canary = 0

    def new_file(self):
        self.last_t = None

    def invalid(self, kind):
        self.records["total"] += 1
        self.records[kind] += 1
        for v in self.views:
            v.add_invalid(self.last_t)

    def record(self, r):
        rec = self.records
        rec["total"] += 1
        if r.variant == "canary" and r.latency is not None and r.latency >= 500:
            self.slow_canary += 1
        if r.bad:
            rec["bad_type"] += 1
        if r.t is None:
            rec["no_time"] += 1
            for v in self.views:
                v.add_invalid(self.last_t)
            return
        if r.naive:
            rec["naive_time"] += 1
        t = r.t
        self.last_t = t
        if self.earliest is None or t < self.earliest:
            self.earliest = t
        if self.latest is None or t > self.latest:
            self.latest = t
        for v in self.views:
            v.add(r)

    def line(self, raw):
        """Classify one line (bytes, no newline) the way logdive must."""
        if not raw:
            return
        if len(raw) > self.max_line:
            self.invalid("too_long")
            return
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid("invalid_utf8")
            return
        try:
            obj = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            self.invalid("invalid_json")
            return
        if not isinstance(obj, dict):
            self.invalid("invalid_json")
            return
        self.record(roles_of(obj))

    def result(self, extra=None):
        out = {"records": self.records}
        if extra:
            out.update(extra)
        out["range"] = None if self.earliest is None else {
            "start": iso_ns(self.earliest), "end_inclusive_last_time": iso_ns(self.latest)}
        out["views"] = {v.name: v.result(self.earliest, self.latest) for v in self.views}
        out["requests"] = {SLOW_CANARY_QUERY: self.slow_canary}
        return out


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def make_views(inc_start, inc_minutes):
    inc_end = inc_start + inc_minutes * 60 * NS
    rng = "%s..%s" % (iso_ns(inc_start, frac=False), iso_ns(inc_end, frac=False))
    return [
        View("all_variant", 3600, VARIANT, argv=["-b", "1h"]),
        View("all_version", 3600, VERSION, argv=["-b", "1h", "-g", VERSION]),
        View("incident_variant", 60, VARIANT, (inc_start, inc_end),
             argv=["-b", "1m", "-t", rng]),
    ]


# --------------------------------------------------------- generator -----

class Gen:
    def __init__(self, a, out, truth):
        self.a = a
        self.out = out
        self.truth = truth
        self.rng = random.Random(a.seed)
        self.start_ms = a.start // MS
        self.end_ms = self.start_ms + int(a.hours * 3600 * 1000)
        self.inc_start = a.incident_at // MS
        self.inc_end = self.inc_start + a.incident_minutes * 60 * 1000
        self.heap = []
        self.seq = 0
        self.kinds = {}
        self.pending = []
        self.pending_bytes = 0
        self.naive_n = 0
        self.nreq = 0
        self.traces = {}
        self.pick_want = {"canary_error": 1, "canary_slow": 2, "normal": 2}
        self.enc = json.JSONEncoder(separators=(",", ":")).encode
        self.text = None  # a TextFormats (--text-formats), fed every record

    def uid(self, prefix):
        h = "%032x" % self.rng.getrandbits(128)
        return "%s%s-%s-4%s-%x%s-%s" % (prefix, h[:8], h[8:12], h[13:16],
                                        8 | (int(h[16], 16) & 3), h[17:20], h[20:])

    # lines are (t_ms, seq, kind, text, obj-or-None); obj feeds the truth
    def emit(self, t, kind, text, obj):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, text, obj))

    def flush(self, upto):
        heap = self.heap
        truth = self.truth
        pending = self.pending
        kinds = self.kinds
        text_w = self.text
        while heap and heap[0][0] <= upto:
            t, _, kind, text, obj = heapq.heappop(heap)
            pending.append(text)
            self.pending_bytes += len(text) + 1
            kinds[kind] = kinds.get(kind, 0) + 1
            if text_w is not None and obj is not None:
                text_w.record(t, kind, text, obj)
            if truth is not None:
                if obj is None:
                    truth.line(text.encode())
                else:
                    truth.record(roles_of(obj))
            if self.pending_bytes > 1 << 20:
                self.drain()

    def drain(self):
        if self.pending:
            self.pending.append("")
            self.out.write("\n".join(self.pending))
            self.pending.clear()
            self.pending_bytes = 0

    def in_incident(self, t):
        return self.inc_start <= t < self.inc_end

    def arrivals(self):
        """n request start times (ms), sorted, on a daily traffic curve
        (busiest at 20:00 UTC, quietest at 08:00), by rejection sampling."""
        r = self.rng
        n = self.a.requests
        t0 = self.start_ms
        span = self.end_ms - self.start_ms
        out = []
        day = 86400000.0
        while len(out) < n:
            t = t0 + int(r.random() * span)
            rate = 1.0 + 0.45 * math.cos(2 * math.pi * ((t % 86400000) - 72000000) / day)
            if r.random() * 1.45 < rate:
                out.append(t)
        out.sort()
        return out

    def request(self, t0):
        self.nreq += 1
        r = self.rng
        rnd = r.random

        def ri(lo, hi):  # uniform integer in [lo, hi], one draw (randint is slow)
            return lo + int(rnd() * (hi - lo + 1))
        a = self.a
        enc = self.enc
        inc = self.in_incident(t0)
        u = r.random()
        for variant, version, trained, acc in VARIANTS:
            if u < acc:
                break
        bad = inc and variant == "canary"
        cid = self.uid("corr-")
        rid = self.uid("req-")
        user = "user_%08x" % r.getrandbits(32)
        session = "sess_%012x" % r.getrandbits(48)
        trace = []
        clean = True

        def plain(t, service, event, level, fields):
            o = {"timestamp": iso_ms(t), "correlation_id": cid, "service": service,
                 "environment": "production", "log_level": level, "event_type": event}
            o.update(fields)
            trace.append((t, service, event))
            self.emit(t, event, enc(o), o)

        t = t0
        plain(t, "api-gateway", "request_received", "info",
              {"http": {"method": "POST", "path": "/v2/recommendations",
                        "client_ip": "10.%d.%d.%d" % (ri(0, 255), ri(0, 255), ri(1, 254))},
               "user_id": user, "session_id": session})
        hit = r.random() < (0.55 if inc else 0.942)
        fs_lat = max(1, int(r.lognormvariate(math.log(3.5 if hit else 42.0), 0.33)))
        t += 1 + ri(0, 2) + fs_lat
        plain(t, "feature-store", "feature_lookup", "INFO",
              {"request_id": rid, "input_features": {
                  "feature_count": 128, "cache_hit": hit,
                  "feature_store_latency_ms": fs_lat}})

        lat = r.lognormvariate(math.log(76.0), 0.6)
        if bad:
            lat *= 3.0 * r.uniform(0.9, 1.1)
        lat = round(max(2.0, lat), 1)
        t += int(math.ceil(lat))
        errored = (bad and r.random() < 0.08) or r.random() < 0.0015
        if errored:
            o = {"timestamp": iso_ms(t), "request_id": rid, "correlation_id": cid,
                 "service": "recommendation-model-prod", "environment": "production",
                 "log_level": "ERROR", "event_type": "inference_error",
                 "model_metadata": {"model_name": MODEL, "model_version": version,
                                    "serving_variant": variant},
                 "error": ({"type": "torch.cuda.OutOfMemoryError",
                            "message": "CUDA out of memory. Tried to allocate 1.50 GiB "
                                       "(GPU 0; 15.77 GiB total capacity; "
                                       "14.21 GiB already allocated)"}
                           if bad else
                           {"type": "ValueError",
                            "message": "feature vector shape mismatch: expected 128, got 127"}),
                 "inference_metrics": {"latency_ms": lat,
                                       "gpu_memory_mb": 16148 if bad else ri(300, 360)}}
            trace.append((t, o["service"], "inference_error"))
            self.emit(t, "inference_error", enc(o), o)
        else:
            if bad:
                scores = sorted((round(min(1.0, max(0.0, r.gauss(0.05, 0.03))), 3)
                                 for _ in range(5)), reverse=True)
            else:
                top = min(0.99, max(0.35, r.gauss(0.88, 0.06)))
                scores = [round(max(0.0, top - 0.07 * i - r.random() * 0.04), 3)
                          for i in range(5)]
            drift = round(min(1.0, max(0.0, r.gauss(0.62 if bad else 0.12,
                                                    0.05 if bad else 0.035))), 3)
            proc = round(lat * 0.88, 1)
            o = {"timestamp": iso_ms(t), "request_id": rid, "correlation_id": cid,
                 "service": "recommendation-model-prod", "environment": "production",
                 "log_level": "INFO", "event_type": "inference_complete",
                 "model_metadata": {"model_name": MODEL, "model_version": version,
                                    "training_date": trained, "serving_variant": variant},
                 "request_context": {"user_id": user, "session_id": session,
                                     "timestamp_ms": t,
                                     "batch_size": (8, 16, 32, 32, 64)[ri(0, 4)]},
                 "input_features": {"feature_vector_hash": "sha256_%016x" % r.getrandbits(64),
                                    "feature_count": 128,
                                    "feature_store_latency_ms": fs_lat,
                                    "cache_hit": hit,
                                    "feature_engineering_duration_ms": ri(4, 21)},
                 "inference_metrics": {"latency_ms": lat,
                                       "gpu_memory_mb": ri(300, 360),
                                       "batch_processing_time_ms": proc,
                                       "post_processing_time_ms": round(lat - proc, 1)},
                 "output": {"prediction": [ri(1, 49) for _ in range(5)],
                            "confidence_scores": scores,
                            "confidence_threshold_applied": 0.5,
                            "items_above_threshold": sum(s >= 0.5 for s in scores)},
                 "quality_metrics": {"input_tokens": ri(180, 320),
                                     "output_tokens": ri(8, 16),
                                     "perplexity": round(r.uniform(1.7, 3.0), 2)},
                 "anomaly_signals": {"latency_anomalous": lat > 500,
                                     "confidence_anomalous": scores[0] < 0.5,
                                     "drift_score": drift}}
            kind = "inference_complete"
            d = r.random()
            if d < a.dirty:
                clean = False
                which = int(d / a.dirty * 4)
                if which == 0:
                    # no zone: "…T03:12:45", "…T03:12:45.123", "… 03:12:45"
                    ts = o["timestamp"]
                    self.naive_n += 1
                    form = self.naive_n % 3
                    o["timestamp"] = (ts[:19] if form == 0 else ts[:23] if form == 1
                                      else ts[:10] + " " + ts[11:19])
                    kind = "naive_timestamp"
                elif which == 1:
                    o["inference_metrics"]["latency_ms"] = "%dms" % int(lat)
                    kind = "string_latency"
                elif which == 2:
                    del o["request_id"]
                    kind = "no_request_id"
                else:
                    kind = "malformed_json"
            text = enc(o)
            if kind == "malformed_json":
                text = text[: len(text) // 2]
                o = None
            trace.append((t, "recommendation-model-prod", "inference_complete"))
            self.emit(t, kind, text, o)
        t += 1 + ri(2, 9)
        plain(t, "ranking-service", "ranking_complete", "INFO",
              {"request_id": rid, "ranking": {"position": ri(1, 5),
                                              "candidates": ri(20, 60)}})
        t += 1
        plain(t, "api-gateway", "response_sent", "error" if errored else "info",
              {"request_id": rid, "http": {"status": 500 if errored else 200},
               "total_latency_ms": t - t0})
        self.maybe_pick(cid, trace, clean, bad, errored, inc)

    def maybe_pick(self, cid, trace, clean, bad, errored, inc):
        if not clean or self.truth is None:
            return
        if bad and errored:
            slot = "canary_error"
        elif bad:
            slot = "canary_slow"
        elif not inc and self.nreq >= self.a.requests * (0.2 if self.pick_want["normal"] == 2
                                                       else 0.6):
            slot = "normal"
        else:
            return
        if self.pick_want.get(slot, 0) <= 0:
            return
        self.pick_want[slot] -= 1
        self.traces[cid] = {"kind": slot, "records": [
            {"timestamp": iso_ms(t), "service": s, "event_type": e} for t, s, e in trace]}

    def long_line(self, t):
        o = {"timestamp": iso_ms(t), "correlation_id": self.uid("corr-"),
             "service": "api-gateway", "environment": "production", "log_level": "WARN",
             "event_type": "oversized_payload",
             "message": "request body logged in full (%d bytes)" % self.a.long_line,
             "payload": ("feature_vector=" + "0.0," * (self.a.long_line // 4 + 1))[
                 : self.a.long_line]}
        text = self.enc(o)
        self.emit(t, "oversized_payload", text,
                  o if len(text) <= self.truth_max_line() else None)

    def truth_max_line(self):
        return self.truth.max_line if self.truth else MAX_LINE

    def run(self):
        times = self.arrivals()
        long_at = times[len(times) // 3] if times and self.a.long_line > 0 else None
        for t0 in times:
            self.request(t0)
            if t0 == long_at:
                self.long_line(t0)
                long_at = None
            self.flush(t0 - 30000)
        self.flush(float("inf"))
        self.drain()


def open_out(path, gz):
    if path == "-":
        raw = sys.stdout.buffer
    else:
        raw = open(path, "wb")
    if gz:
        z = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0)
        return io.TextIOWrapper(z, encoding="ascii", newline="\n"), (z, raw)
    return io.TextIOWrapper(raw, encoding="ascii", newline="\n",
                            write_through=False), (raw,)


# ------------------------------------------------------- text formats ----
#
# --text-formats DIR: the same records, as the text logs of issue 7 (see the
# docstring).  Every text line is written from a record the JSON stream holds
# (or is noise made at a record's time); FORMAT.jsonl, its twin, holds one
# JSON object per record of FORMAT.log with exactly the fields the text line
# carries, typed as the text says, so that `logdive panels` on the two must
# print the same figures.

TEXT_FORMATS = ("torchserve-log", "torchserve-metrics", "torchserve-access",
                "python-logging", "python-iso", "python-latency-csv",
                "syslog-5424", "syslog-3164", "logfmt")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
INFERENCE = ("inference_complete", "inference_error")
TS_MODEL = "recommendation"          # TorchServe's model name
TS_HOST = "ts-1"
WORKERS = {"prod": (9000, 9001, 9002), "canary": (9003,), "prod-shadow-test": (9004,)}
# Per format: what it carries, which of the three views' panels it must
# reproduce with meaning (all panels are compared, text against twin), the
# records counters compared (naive_time: the zone-less formats count their
# records as naive, as a JSON record without a zone is).
FORMAT_DOC = {
    "torchserve-log": dict(
        carries="model_log.log: each inference record as the worker's stdout MODEL_LOG "
                "line (the JSON record verbatim as the message), a traceback after each "
                "inference_error (one MODEL_LOG line per traceback line, same ms, same "
                "thread: joined into the error record), and noise that parses but plays "
                "no role but time and level: WorkerThread, ACCESS_LOG, worker start-up "
                "and stderr [WARN ] lines",
        meaningful=["latency by variant and by version", "confidence", "cache_hit",
                    "errors", "drift"], naive="the noise lines (a JSON body's time has a Z)"),
    "torchserve-metrics": dict(
        carries="model_metrics.log + ts_metrics.log: per successful inference QueueTime, "
                "HandlerTime and PredictionTime lines (dimensions ModelName, ModelVersion, "
                "Level; requestID; every 7th request in the older .Milliseconds unit), "
                "per request Requests2XX/Requests5XX.Count, per minute CPUUtilization."
                "Percent and MemoryUsed.Megabytes; a failed inference writes no "
                "PredictionTime line.  Only PredictionTime is latency",
        meaningful=["latency (one null group by variant: no variant in a metric line; "
                    "by ModelVersion 3.2.1/3.3.0)", "errors (totals only: no level)"],
        naive=True),
    "torchserve-access": dict(
        carries="access_log.log: one line per inference request (status 200, 500 for a "
                "ValueError, 507 for CUDA out of memory; milliseconds = ceil of the "
                "inference latency) and a GET /ping every 30 s of data",
        meaningful=["latency (no group)", "errors (status >= 500 is ERROR)"], naive=True),
    "python-logging": dict(
        carries="the model service's logging file: each inference record as "
                "'asctime - recommendation - LEVEL - key=value ...' (Python True/False, "
                "confidence scores as a Python list [0.91, 0.85, ...]), "
                "logger.exception tracebacks after inference_error as unprefixed "
                "continuation lines, and a health-check line per minute",
        meaningful=["latency by variant and by version", "confidence", "cache_hit",
                    "errors", "drift"], naive=True),
    "python-iso": dict(
        carries="the feature store's log: each feature_lookup as "
                "'YYYY-MM-DDThh:mm:ss.ffffff - key=value ...' (microseconds)",
        meaningful=["cache_hit"], naive=True),
    "python-latency-csv": dict(
        carries="'epoch_seconds, latency' of every inference record with a numeric "
                "latency (complete and error)",
        meaningful=["latency (no group)"], naive=False),
    "syslog-5424": dict(
        carries="each inference record as an RFC 5424 message: severity 6/3 (the level), "
                "MSGID the event type, one SD element infer@32473 whose PARAM-NAMEs are the "
                "JSON schema's dotted paths (values typed by looks; the confidence is one "
                "number, the mean)",
        meaningful=["latency by variant and by version", "confidence (the mean)",
                    "cache_hit", "errors", "drift"], naive=False),
    "syslog-3164": dict(
        carries="the API gateway's request_received/response_sent records as RFC 3164 "
                "lines (seconds, no year, no zone) with key=value messages; the file's "
                "mtime is set to the last line's time + 60 s (year inference)",
        meaningful=["errors"], naive=True),
    "logfmt": dict(
        carries="every record of every service in logfmt: ts (fraction without trailing "
                "zeros), level, msg, and every other field under its dotted path; logfmt "
                "has no arrays: output.confidence_scores is written as one number, the "
                "record's confidence (the mean of the array; repr round-trips, so the "
                "confidence panel equals the JSON file's), output.prediction is dropped",
        meaningful=["every panel (equal to the full JSON file's, but records.total)"],
        naive=False),
}
# the formats whose lines carry model_metadata.model_version (the other files
# have no such field: -g on it is a usage error there)
VERSIONED = ("torchserve-log", "torchserve-metrics", "python-logging", "syslog-5424", "logfmt")
# a drill-down query per format (`logdive requests -q`), valid on the text
# and on its twin
FORMAT_QUERY = {
    "torchserve-log": "serving_variant:canary and latency_ms >= 500",
    "torchserve-metrics": "PredictionTime >= 500",
    "torchserve-access": "http.status >= 500 or duration_ms >= 500",
    "python-logging": "serving_variant:canary and latency_ms >= 500",
    "python-iso": "cache_hit:false",
    "python-latency-csv": "latency_ms >= 500",
    "syslog-5424": "serving_variant:canary and latency_ms >= 500",
    "syslog-3164": "log_level:error",
    "logfmt": "serving_variant:canary and latency_ms >= 500",
}
# the version field where it is not model_metadata.model_version: a metric
# line's dimensions are fields by their names
VERSION_FIELD = {"torchserve-metrics": "ModelVersion"}
PANEL_KEYS = ("range", "bucket_seconds", "records", "latency", "confidence", "cache_hit",
              "errors", "drift", "versions")
TRACEBACKS = {
    "torch.cuda.OutOfMemoryError": (
        "Traceback (most recent call last):",
        '  File "/home/model-server/tmp/models/recommendation/handler.py", line 88, in handle',
        "    scores = self.model(batch)",
        '  File "/opt/conda/lib/python3.10/site-packages/torch/nn/modules/module.py", '
        'line 1501, in _call_impl',
        "    return forward_call(*args, **kwargs)"),
    "ValueError": (
        "Traceback (most recent call last):",
        '  File "/home/model-server/tmp/models/recommendation/handler.py", line 61, '
        'in preprocess',
        "    raise ValueError(msg)"),
}


_NEEDS_QUOTES = re.compile(r'[ ="\\\t\n]').search


def fmt_value(v):
    """A value as key=value / logfmt text (Python booleans are the caller's)."""
    ty = type(v)
    if ty is str:
        if v and not _NEEDS_QUOTES(v):
            return v
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if ty is float:
        return repr(v)
    if ty is bool:
        return "true" if v else "false"
    return str(v)


def kv_text(pairs, pybool=False):
    """key=value text; pybool: Python's spelling (True/False, a list as
    repr writes it: [0.91, 0.85]), else logfmt's (true/false; no lists)."""
    out = []
    for k, v in pairs:
        ty = type(v)
        if ty is str or ty is float or ty is int:
            out.append(k + "=" + fmt_value(v))
        elif ty is list:
            if pybool:
                out.append("%s=[%s]" % (k, ", ".join(fmt_value(x) for x in v)))
        elif ty is bool and pybool:
            out.append(k + ("=True" if v else "=False"))
        else:
            out.append(k + "=" + fmt_value(v))
    return " ".join(out)


def nest(pairs, into=None):
    """[(dotted key, value)] -> nested dict (the twin of a key=value text)."""
    o = {} if into is None else into
    for k, v in pairs:
        parts = k.split(".")
        d = o
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = v
    return o


def confidence_mean(scores):
    """A record's confidence exactly as roles_of computes it."""
    s = 0.0
    for x in scores:
        s += x
    return s / len(scores)


def flatten(obj, prefix, out):
    for k, v in obj.items():
        key = prefix + k
        if isinstance(v, dict):
            flatten(v, key + ".", out)
        elif isinstance(v, list):
            if key == CONFIDENCE and v and all(is_number(x) for x in v):
                out.append((key, confidence_mean(v)))
            # other arrays (output.prediction) have no logfmt spelling: dropped
        elif v is not None:
            out.append((key, v))
    return out


class TextFormats:
    """Writes DIR/FORMAT.log and DIR/FORMAT.jsonl for the chosen formats from
    the record stream (records arrive in time order)."""

    def __init__(self, a, d, formats, twins=True):
        self.a = a
        self.dir = d
        self.formats = formats
        self.twins = twins
        # one random stream per format, none of them the JSON's: a format's
        # lines do not depend on which other formats are written
        self.rng = {f: random.Random("text-formats-%d-%s" % (a.seed, f)) for f in TEXT_FORMATS}
        self.enc = json.JSONEncoder(separators=(",", ":")).encode
        self.out = {}
        self.twin = {}
        self.buf = {}
        self.tbuf = {}
        self.lines = {}
        self.records = {}
        self.last_ms = {}
        self.first_ms = None
        self.n_inf = 0
        self.worker_started = set()
        self.next_minute = None
        self.next_ping = None
        self.trace_id = None
        os.makedirs(d, exist_ok=True)
        for f in formats:
            self.out[f] = open(os.path.join(d, f + ".log"), "w", encoding="utf-8",
                               newline="\n")
            self.buf[f] = []
            self.tbuf[f] = []
            self.lines[f] = 0
            self.records[f] = 0
            if twins:
                self.twin[f] = open(os.path.join(d, f + ".jsonl"), "w", encoding="utf-8",
                                    newline="\n")
        self.want = set(formats)

    # ---- output
    def put(self, f, lines, twin):
        """Lines of FORMAT making one record; twin: its JSON object."""
        b = self.buf[f]
        b.extend(lines)
        self.lines[f] += len(lines)
        self.records[f] += 1
        if self.twins:
            self.tbuf[f].append(self.enc(twin))
        if len(b) > 4096:
            self.drain(f)

    def drain(self, f):
        if self.buf[f]:
            self.buf[f].append("")
            self.out[f].write("\n".join(self.buf[f]))
            self.buf[f].clear()
        if self.tbuf[f]:
            self.tbuf[f].append("")
            self.twin[f].write("\n".join(self.tbuf[f]))
            self.tbuf[f].clear()

    def close(self):
        for f in self.formats:
            self.drain(f)
            self.out[f].close()
            if self.twins:
                self.twin[f].close()
        if "syslog-3164" in self.out and self.last_ms.get("syslog-3164") is not None:
            m = self.last_ms["syslog-3164"] // 1000 + 60
            os.utime(os.path.join(self.dir, "syslog-3164.log"), (m, m))

    # ---- times
    @staticmethod
    def t_log4j(ms):
        s, m = divmod(ms, 1000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ",%03d" % m

    @staticmethod
    def t_asctime(ms):
        s, m = divmod(ms, 1000)
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s)) + ",%03d" % m

    @staticmethod
    def t_naive(ms):
        return iso_ms(ms)[:-1]

    # ---- the record stream
    def record(self, t, kind, text, obj):
        if kind == "oversized_payload":
            return
        if self.first_ms is None:
            self.first_ms = t
            self.next_minute = (t // 60000 + 1) * 60000
            self.next_ping = (t // 30000 + 1) * 30000
        while t >= self.next_ping:
            self.ping(self.next_ping)
            self.next_ping += 30000
        while t >= self.next_minute:
            self.minute(self.next_minute)
            self.next_minute += 60000
        ev = obj.get("event_type")
        want = self.want
        if ev in INFERENCE:
            self.n_inf += 1
            if "torchserve-log" in want:
                self.ts_log(t, text, obj)
            if "torchserve-metrics" in want:
                self.ts_metrics(t, obj)
            if "torchserve-access" in want:
                self.ts_access(t, obj)
            if "python-logging" in want:
                self.py_logging(t, obj)
            if "python-latency-csv" in want:
                self.py_csv(t, obj)
            if "syslog-5424" in want:
                self.syslog5424(t, obj)
            if self.trace_id is None and obj.get("request_id") and \
                    obj.get("model_metadata", {}).get("serving_variant") == "canary" and \
                    ev == "inference_complete" and \
                    self.a.incident_at // MS <= t and \
                    is_number(obj.get("inference_metrics", {}).get("latency_ms")):
                self.trace_id = obj["request_id"]
        elif ev == "feature_lookup":
            if "python-iso" in want:
                self.py_iso(t, obj)
        elif ev in ("request_received", "response_sent"):
            if "syslog-3164" in want:
                self.syslog3164(t, obj)
        if "logfmt" in want:
            self.logfmt(t, obj)

    # periodic noise
    def ping(self, t):
        if "torchserve-access" in self.want:
            line = '%s - /127.0.0.1:%d "GET /ping HTTP/1.1" 200 0' % (
                self.t_log4j(t), 40000 + int(self.rng["torchserve-access"].random() * 20000))
            self.put("torchserve-access", [line], {
                "timestamp": self.t_naive(t), "client": line.split(" ")[2][1:],
                "method": "GET", "path": "/ping", "protocol": "HTTP/1.1",
                "http": {"status": 200},
                "duration_ms": 0.0, "inference_metrics": {"latency_ms": 0.0},
                "log_level": "INFO"})

    def minute(self, t):
        r = self.rng["torchserve-metrics"]
        if "torchserve-metrics" in self.want:
            for name, unit, v in (("CPUUtilization", "Percent", round(r.uniform(5, 60), 1)),
                                  ("MemoryUsed", "Megabytes", round(r.uniform(9000, 9800), 1))):
                self.put("torchserve-metrics", [
                    "%s - %s.%s:%r|#Level:Host|#hostname:%s,timestamp:%d" % (
                        self.t_log4j(t), name, unit, v, TS_HOST, t // 1000)], {
                    "timestamp": self.t_naive(t), "metric": name, "unit": unit, name: v,
                    "Level": "Host", "hostname": TS_HOST, "metric_timestamp": float(t // 1000)})
        if "python-logging" in self.want:
            self.put("python-logging", ["%s - uvicorn.access - INFO - GET /health 200" %
                                        self.t_asctime(t)],
                     {"timestamp": self.t_naive(t), "logger": "uvicorn.access",
                      "log_level": "INFO", "message": "GET /health 200"})

    # ---- TorchServe
    def worker(self, obj):
        md = obj.get("model_metadata", {})
        ports = WORKERS.get(md.get("serving_variant"), (9005,))
        port = ports[int(self.rng["torchserve-log"].random() * len(ports))]
        return port, "W-%d-%s_%s" % (port, TS_MODEL, md.get("model_version", "1.0"))

    def ts_noise(self, t, level, thread, logger, msg):
        self.put("torchserve-log", ["%s [%-5s] %s %s - %s" % (
            self.t_log4j(t), level, thread, logger, msg)],
            {"timestamp": self.t_naive(t), "log_level": level, "thread": thread,
             "logger": logger, "message": msg})

    def ts_log(self, t, text, obj):
        port, w = self.worker(obj)
        if w not in self.worker_started:
            self.worker_started.add(w)
            self.ts_noise(t, "DEBUG", w, "org.pytorch.serve.wlm.WorkerThread",
                          "%s State change WORKER_MODEL_LOADED -> WORKER_STARTED" % w)
            self.ts_noise(t, "INFO", w + "-stdout", "MODEL_LOG", "Torch worker started.")
            self.ts_noise(t, "WARN", w + "-stderr", "MODEL_LOG",
                          "/opt/conda/lib/python3.10/site-packages/torch/cuda/__init__.py:"
                          "152: UserWarning: TF32 is enabled")
        ts = self.t_log4j(t)
        lines = ["%s [INFO ] %s-stdout MODEL_LOG - %s" % (ts, w, text)]
        err = obj.get("error")
        if isinstance(err, dict):
            tb = TRACEBACKS.get(err.get("type"), TRACEBACKS["ValueError"])
            for l in tb + ("%s: %s" % (err.get("type"), err.get("message")),):
                lines.append("%s [INFO ] %s-stdout MODEL_LOG - %s" % (ts, w, l))
        self.put("torchserve-log", lines, obj)
        lat = obj.get("inference_metrics", {}).get("latency_ms")
        if is_number(lat):
            self.ts_noise(t, "INFO", w, "org.pytorch.serve.wlm.WorkerThread",
                          "Backend response time: %d" % math.ceil(lat))
        if self.n_inf % 10 == 0:
            self.ts_noise(t, "INFO", "epollEventLoopGroup-3-%d" % (1 + self.n_inf % 4),
                          "ACCESS_LOG", '/10.0.%d.%d:%d "POST /predictions/%s HTTP/1.1" %d %d' % (
                              self.n_inf % 250, 1 + self.n_inf % 200, 50000 + self.n_inf % 9999,
                              TS_MODEL, 200 if err is None else 500,
                              math.ceil(lat) if is_number(lat) else 0))

    def ts_metrics(self, t, obj):
        s = self.rng["torchserve-metrics"]
        self.put("torchserve-metrics", ["%s - Requests%s.Count:1|#Level:Host|#hostname:%s,"
                                        "timestamp:%d" % (
                                            self.t_log4j(t),
                                            "2XX" if obj["event_type"] == "inference_complete"
                                            else "5XX", TS_HOST, t // 1000)],
                 {"timestamp": self.t_naive(t), "metric": "Requests2XX"
                  if obj["event_type"] == "inference_complete" else "Requests5XX",
                  "unit": "Count", "Requests2XX"
                  if obj["event_type"] == "inference_complete" else "Requests5XX": 1.0,
                  "Level": "Host", "hostname": TS_HOST, "metric_timestamp": float(t // 1000)})
        if obj["event_type"] != "inference_complete":
            return          # a failed inference writes no model metric
        lat = obj.get("inference_metrics", {}).get("latency_ms")
        if not is_number(lat):
            return
        md = obj.get("model_metadata", {})
        version = md.get("model_version")
        rid = obj.get("request_id")
        unit = "Milliseconds" if self.n_inf % 7 == 0 else "ms"
        queue = float(1 + int(s.random() * 4))
        handler = round(lat * 0.95, 1)
        ts = self.t_log4j(t)
        for name, v in (("QueueTime", queue), ("HandlerTime", handler),
                        ("PredictionTime", float(lat))):
            dims = "ModelName:%s,ModelVersion:%s,Level:Model" % (TS_MODEL, version)
            host = "hostname:%s,%stimestamp:%d" % (
                TS_HOST, "requestID:%s," % rid if rid else "", t // 1000)
            # the metric's value under its name, the dimensions by name
            # (and the version where the version role finds it: logdive's
            # format gives the role from ModelVersion)
            twin = {"timestamp": self.t_naive(t), "metric": name, "unit": unit, name: v,
                    "ModelName": TS_MODEL, "ModelVersion": version, "Level": "Model",
                    "hostname": TS_HOST, "metric_timestamp": float(t // 1000),
                    "model_metadata": {"model_version": version}}
            if rid:
                twin["requestID"] = twin["request_id"] = rid
            if name == "PredictionTime":
                twin["inference_metrics"] = {"latency_ms": v}
            self.put("torchserve-metrics", ["%s - %s.%s:%r|#%s|#%s" % (
                ts, name, unit, v, dims, host)], twin)

    def ts_access(self, t, obj):
        lat = obj.get("inference_metrics", {}).get("latency_ms")
        if isinstance(lat, str):
            lat = float(re.sub(r"[^0-9.]", "", lat) or 0)
        ms = int(math.ceil(lat)) if is_number(lat) else 0
        err = obj.get("error")
        status = 200 if err is None else (507 if "OutOfMemory" in str(err.get("type")) else 500)
        r = self.rng["torchserve-access"]
        client = "/10.%d.%d.%d:%d" % (int(r.random() * 256), int(r.random() * 256),
                                      1 + int(r.random() * 254), 32768 + int(r.random() * 28000))
        self.put("torchserve-access", ['%s - %s "POST /predictions/%s HTTP/1.1" %d %d' % (
            self.t_log4j(t), client, TS_MODEL, status, ms)], {
            "timestamp": self.t_naive(t), "client": client[1:], "method": "POST",
            "path": "/predictions/" + TS_MODEL, "protocol": "HTTP/1.1",
            "http": {"status": status},
            "duration_ms": float(ms), "inference_metrics": {"latency_ms": float(ms)},
            "log_level": "ERROR" if status >= 500 else "INFO"})

    # ---- Python logging
    @staticmethod
    def model_pairs(obj):
        md = obj.get("model_metadata", {})
        im = obj.get("inference_metrics", {})
        pairs = [("event_type", obj.get("event_type"))]
        for k in ("request_id", "correlation_id", "service"):
            if k in obj:
                pairs.append((k, obj[k]))
        for k, v in (("model_metadata.model_version", md.get("model_version")),
                     ("model_metadata.serving_variant", md.get("serving_variant")),
                     ("inference_metrics.latency_ms", im.get("latency_ms")),
                     ("input_features.cache_hit", obj.get("input_features", {}).get("cache_hit")),
                     ("anomaly_signals.drift_score",
                      obj.get("anomaly_signals", {}).get("drift_score"))):
            if v is not None:
                pairs.append((k, v))
        sc = obj.get("output", {}).get("confidence_scores")
        if isinstance(sc, list) and sc:
            pairs.append(("output.confidence_scores", sc))
        err = obj.get("error")
        if isinstance(err, dict):
            pairs.append(("error.type", err.get("type")))
            pairs.append(("error.message", err.get("message")))
        return pairs

    def py_logging(self, t, obj):
        err = obj.get("error")
        level = "ERROR" if isinstance(err, dict) else "INFO"
        pairs = self.model_pairs(obj)
        lines = ["%s - %s - %s - %s" % (self.t_asctime(t), TS_MODEL, level,
                                        kv_text(pairs, pybool=True))]
        if isinstance(err, dict):
            lines.extend(TRACEBACKS.get(err.get("type"), TRACEBACKS["ValueError"]))
            lines.append("%s: %s" % (err.get("type"), err.get("message")))
        twin = {"timestamp": self.t_naive(t), "logger": TS_MODEL, "log_level": level}
        self.put("python-logging", lines, nest(pairs, twin))

    def py_iso(self, t, obj):
        us = t * 1000 + int(self.rng["python-iso"].random() * 1000)
        s, frac = divmod(us, 1000000)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06d" % frac
        feat = obj.get("input_features", {})
        pairs = [("event_type", obj.get("event_type")), ("service", obj.get("service"))]
        for k in ("request_id", "correlation_id"):
            if k in obj:
                pairs.append((k, obj[k]))
        for k in ("cache_hit", "feature_store_latency_ms", "feature_count"):
            if k in feat:
                pairs.append(("input_features." + k, feat[k]))
        self.put("python-iso", ["%s - %s" % (stamp, kv_text(pairs, pybool=True))],
                 nest(pairs, {"timestamp": stamp}))

    def py_csv(self, t, obj):
        lat = obj.get("inference_metrics", {}).get("latency_ms")
        if not is_number(lat):
            return
        self.put("python-latency-csv", ["%d.%03d, %r" % (t // 1000, t % 1000, float(lat))],
                 {"timestamp": iso_ms(t), "inference_metrics": {"latency_ms": float(lat)}})

    # ---- syslog
    def syslog5424(self, t, obj):
        """One SD element, [infer@32473 ...] (32473: RFC 5424's example
        enterprise number) whose PARAM-NAMEs are the schema's dotted paths:
        logdive reads an SD param as the field of its name, typed by looks.
        The level is the PRI severity (6 info, 3 err; facility local0)."""
        err = obj.get("error")
        sev = 3 if isinstance(err, dict) else 6
        # an SD-PARAM holds one value: the confidence is the record's (the mean)
        pairs = [(k, confidence_mean(v) if isinstance(v, list) else v)
                 for k, v in self.model_pairs(obj)
                 if k not in ("event_type", "service", "error.message")]
        # PARAM-VALUE: '"', '\\' and ']' escaped with a backslash (RFC 5424 6.3.3)
        sd = " ".join('%s="%s"' % (k, fmt_value(v) if not isinstance(v, str) else
                                   v.replace("\\", "\\\\").replace('"', '\\"')
                                   .replace("]", "\\]"))
                      for k, v in pairs)
        msg = err.get("message") if isinstance(err, dict) else "inference complete"
        line = "<%d>1 %s %s %s 4242 %s [infer@32473 %s] %s" % (
            16 * 8 + sev, iso_ms(t), TS_HOST, obj.get("service", "-"),
            obj.get("event_type", "-"), sd, msg)
        twin = {"timestamp": iso_ms(t), "log_level": "ERROR" if sev == 3 else "INFO",
                "pri": 16 * 8 + sev, "hostname": TS_HOST, "app": obj.get("service"),
                "service": obj.get("service"), "procid": "4242",
                "msgid": obj.get("event_type"), "event_type": obj.get("event_type"),
                "message": msg}
        self.put("syslog-5424", [line], nest(pairs, twin))

    def syslog3164(self, t, obj):
        s = t // 1000
        g = time.gmtime(s)
        stamp = "%s %2d %02d:%02d:%02d" % (MONTHS[g.tm_mon - 1], g.tm_mday,
                                            g.tm_hour, g.tm_min, g.tm_sec)
        http = obj.get("http", {})
        pairs = [("event_type", obj.get("event_type")),
                 ("correlation_id", obj.get("correlation_id"))]
        if "request_id" in obj:
            pairs.append(("request_id", obj["request_id"]))
        pairs.append(("log_level", obj.get("log_level")))
        for k in ("method", "path", "status"):
            if k in http:
                pairs.append(("http." + k, http[k]))
        if "total_latency_ms" in obj:
            pairs.append(("total_latency_ms", obj["total_latency_ms"]))
        line = "%s gw-1 api-gateway[2211]: %s" % (stamp, kv_text(pairs))
        twin = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", g), "host": "gw-1",
                "service": "api-gateway", "pid": 2211}
        self.put("syslog-3164", [line], nest(pairs, twin))
        self.last_ms["syslog-3164"] = t

    # ---- logfmt
    def logfmt(self, t, obj):
        s, m = divmod(t, 1000)
        frac = ("%03d" % m).rstrip("0")
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + (
            "." + frac if frac else "") + "Z"
        ev = obj.get("event_type", "")
        err = obj.get("error")
        msg = ('inference failed: "%s"' % err.get("type") if isinstance(err, dict)
               else ev.replace("_", " "))
        level = obj.get("log_level", "info")
        parts = ["ts=" + ts, "level=" + fmt_value(level), "msg=" + fmt_value(msg)]
        add = parts.append
        for k, v in obj.items():
            ty = type(v)
            if ty is dict:
                for k2, v2 in v.items():
                    ty2 = type(v2)
                    if ty2 is str and v2 and not _NEEDS_QUOTES(v2):
                        add(k + "." + k2 + "=" + v2)
                    elif ty2 is dict or ty2 is list:
                        for k3, v3 in flatten({k2: v2}, k + ".", []):
                            add(k3 + "=" + fmt_value(v3))
                    elif v2 is not None:
                        add(k + "." + k2 + "=" + fmt_value(v2))
            elif ty is list:
                for k3, v3 in flatten({k: v}, "", []):
                    add(k3 + "=" + fmt_value(v3))
            elif k != "timestamp" and k != "log_level" and v is not None:
                add(k + "=" + (v if ty is str and v and not _NEEDS_QUOTES(v) else fmt_value(v)))
        line = " ".join(parts)
        twin = None
        if self.twins:
            # the record less what logfmt cannot say (a copy: nesting is one
            # level deep in this schema)
            twin = {"timestamp": iso_ms(t), "level": level, "msg": msg}
            for k, v in obj.items():
                if k != "timestamp" and k != "log_level":
                    twin[k] = dict(v) if type(v) is dict else v
            out = twin.get("output")
            if out is not None:
                out.pop("prediction", None)
                sc = out.get("confidence_scores")
                if isinstance(sc, list) and sc:
                    out["confidence_scores"] = confidence_mean(sc)
        self.put("logfmt", [line], twin)

    # ---- the manifest
    def manifest(self, extra):
        views = {v.name: v.argv for v in make_views(self.a.incident_at,
                                                    self.a.incident_minutes)}
        fm = {}
        for f in self.formats:
            doc = FORMAT_DOC[f]
            fviews = {}
            for name, argv in views.items():
                if name != "all_version":
                    fviews[name] = argv
                elif f in VERSIONED:
                    fviews[name] = [VERSION_FIELD.get(f, x) if x == VERSION else x
                                    for x in argv]
            fm[f] = {"text": f + ".log", "json": f + ".jsonl" if self.twins else None,
                     "lines": self.lines[f], "records": self.records[f],
                     "carries": doc["carries"], "meaningful": doc["meaningful"],
                     "compare": list(PANEL_KEYS), "views": fviews,
                     "query": FORMAT_QUERY[f],
                     "zone_less_times": doc["naive"]}
        out = {"formats": fm, "views": views,
               "trace": {"request_id": self.trace_id,
                         "note": "a canary inference_complete in the incident: its "
                                 "PredictionTime/HandlerTime/QueueTime lines in "
                                 "torchserve-metrics.log carry it as requestID, and the "
                                 "full JSON file has it as request_id"}}
        out.update(extra)
        return out


# ------------------------------------------------------------ analyze ----

def read_lines(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        rest = b""
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            chunk = rest + chunk
            lines = chunk.split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest:
            yield rest


def analyze(a):
    truth = Truth(make_views(a.incident_at, a.incident_minutes), a.max_line)
    for path in a.analyze:
        truth.new_file()
        for raw in read_lines(path):
            truth.line(raw)
    return truth.result({"sources": a.analyze,
                         "incident": incident_json(a)})


def incident_json(a):
    s = a.incident_at
    e = s + a.incident_minutes * 60 * NS
    return {"start": iso_ns(s, frac=False), "end": iso_ns(e, frac=False),
            "range": "%s..%s" % (iso_ns(s, frac=False), iso_ns(e, frac=False))}


# ---------------------------------------------------------- bad input ----

GOOD = ('{"timestamp":"2026-02-27T03:%02d:%02d.%03dZ","correlation_id":"corr-bad-%d",'
        '"service":"recommendation-model-prod","log_level":"INFO",'
        '"event_type":"inference_complete","model_metadata":{"model_version":"3.2.1",'
        '"serving_variant":"prod"},"input_features":{"cache_hit":true},'
        '"inference_metrics":{"latency_ms":%s},"output":{"confidence_scores":[0.9,0.8]},'
        '"anomaly_signals":{"drift_score":0.1}}')


def good(i, latency=None):
    return (GOOD % (i // 60 % 60, i % 60, i * 7 % 1000, i,
                    latency if latency is not None else 50 + i)).encode()


def bad_input(d):
    """Write the bad-input files and expect.json. Each entry: the records
    counters that must be exact, the latency count of the whole file, the
    confidence count, and the exit status of `logdive panels`."""
    os.makedirs(d, exist_ok=True)
    expect = {}
    zero = dict(total=0, invalid_json=0, invalid_utf8=0, too_long=0,
                no_time=0, naive_time=0, bad_type=0)

    def put(name, lines, counts, latency=None, confidence=None, status=0,
            newline_at_end=True, note=""):
        data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        c = dict(zero)
        c.update(counts)
        expect[name] = {"records": c, "latency_count": latency,
                        "confidence_count": confidence, "status": status, "note": note}

    put("empty.jsonl", [], {}, status=1, note="an empty file: no records")

    rnd = bytearray(random.Random(64).randbytes(65536))
    # no line made of whitespace alone (whether that is "empty" is not ours
    # to decide here)
    start = 0
    for i in range(len(rnd) + 1):
        if i == len(rnd) or rnd[i] == 0x0A:
            if i > start and not bytes(rnd[start:i]).strip():
                for j in range(start, i):
                    rnd[j] = 0xFF
            start = i + 1
    rnd = bytes(rnd)
    n = sum(1 for x in rnd.split(b"\n") if x)
    with open(os.path.join(d, "random.bin"), "wb") as f:
        f.write(rnd)
    expect["random.bin"] = {"records": dict(zero, total=n), "invalid_sum": n,
                            "latency_count": None, "confidence_count": None, "status": 1,
                            "note": "64 KiB of random bytes: every line invalid "
                                    "(invalid_json + invalid_utf8 = total)"}

    g = [good(i) for i in range(3)]
    put("truncated.jsonl", g + [good(3)[:70]],
        {"total": 4, "invalid_json": 1}, latency=3, confidence=3,
        newline_at_end=False, note="last line cut, no newline")
    put("no-final-newline.jsonl", g + [good(3)],
        {"total": 4}, latency=4, confidence=4, newline_at_end=False,
        note="complete last line without a newline is a record")

    put("utf8-key.jsonl", g[:2] + [
        b'{"timestamp":"2026-02-27T03:00:09Z","k\xffey":1,'
        b'"inference_metrics":{"latency_ms":5}}'],
        {"total": 3, "invalid_utf8": 1}, latency=2, confidence=2,
        note="0xFF in a key")
    put("utf8-value.jsonl", g[:2] + [
        b'{"timestamp":"2026-02-27T03:00:09Z","message":"caf\xe9",'
        b'"inference_metrics":{"latency_ms":5}}',
        b'{"timestamp":"2026-02-27T03:00:09Z","message":"\xc0\xaf overlong"}',
        b'{"timestamp":"2026-02-27T03:00:09Z","message":"\xed\xa0\x80 surrogate"}',
        b'{"timestamp":"2026-02-27T03:00:09Z","message":"cut \xe2\x82"}'],
        {"total": 6, "invalid_utf8": 4}, latency=2, confidence=2,
        note="Latin-1 byte, overlong, UTF-8 surrogate, cut sequence in values")

    big = b'{"timestamp":"2026-02-27T03:00:30Z","payload":"' + b"x" * (20 << 20) + b'"}'
    put("long-line.jsonl", [g[0], g[1], big, g[2]],
        {"total": 4, "too_long": 1}, latency=3, confidence=3,
        note="a 20 MiB line (bound 16 MiB), the line after it still read")

    deep = 100000
    put("deep.jsonl", [g[0],
                       b"[" * deep + b"]" * deep,
                       b'{"a":' + b"[" * deep + b"]" * deep + b"}",
                       b'{"a":' * deep + b"1" + b"}" * deep,
                       b"{" + b"[" * deep,
                       g[1]],
        {"total": 6, "invalid_json": 4}, latency=2, confidence=2,
        note="100,000 nested brackets, balanced and not")

    put("not-object.jsonl", g[:2] + [
        b"[1,2,3]", b"42", b'"a string"', b"null",
        b'{"timestamp":"2026-02-27T03:00:09Z"} trailing',
        b'{"a":1}{"b":2}',
        b'{"timestamp":"2026-02-27T03:00:09Z","x":NaN}',
        b'{"timestamp":"2026-02-27T03:00:09Z","x":"tab\tinside"}',
        b'{"timestamp":"2026-02-27T03:00:09Z","x":01}',
        b"{'single':'quotes'}"],
        {"total": 12, "invalid_json": 10}, latency=2, confidence=2,
        note="valid JSON that is not an object, trailing text, NaN, a raw tab "
             "in a string, a leading zero, single quotes")

    put("out-of-range.jsonl", g + [good(3, "1e400"), good(4, "-1e400"),
                                   good(5, "1" + "0" * 400)],
        {"total": 6, "bad_type": 3}, latency=3, confidence=6,
        note="latency 1e400, -1e400, a 401-digit integer: bad_type, other fields count")

    put("string-latency.jsonl", g + [good(3, '"87ms"'), good(4, '"87"')],
        {"total": 5, "bad_type": 2}, latency=3, confidence=5,
        note="latency \"87ms\" and \"87\": bad_type, confidence still counted")

    put("no-time.jsonl", g + [
        b'{"service":"api-gateway","inference_metrics":{"latency_ms":5}}',
        b'{"timestamp":"yesterday","inference_metrics":{"latency_ms":5}}',
        b'{"timestamp":"2026-02-27T27:00:00Z","inference_metrics":{"latency_ms":5}}'],
        {"total": 6, "no_time": 3}, latency=3, confidence=3,
        note="no timestamp, an unparseable one, hour 27")

    put("naive-time.jsonl", g + [
        good(3).replace(b"03:00:03.021Z", b"03:00:03"),
        good(4).replace(b"03:00:04.028Z", b"03:00:04.028"),
        good(5).replace(b"T03:00:05.035Z", b" 03:00:05")],
        {"total": 6, "naive_time": 3}, latency=6, confidence=6,
        note="timestamps without a zone: read as UTC, still counted")

    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)
        f.write("\n")


# --------------------------------------------------------------- main ----

def main():
    p = argparse.ArgumentParser(
        description="Generate ML-inference JSON-lines logs with a known incident "
                    "(and the figures logdive must compute from them).")
    p.add_argument("--requests", type=int, default=20000,
                   help="end-to-end requests (5 lines each; default 20000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", type=parse_utc_arg, default="2026-02-26T04:00:00Z",
                   help="first possible request time (ISO 8601)")
    p.add_argument("--hours", type=float, default=24.0)
    p.add_argument("--incident-at", type=parse_utc_arg, default="2026-02-27T03:00:00Z")
    p.add_argument("--incident-minutes", type=int, default=40)
    p.add_argument("--dirty", type=float, default=0.004,
                   help="share of inference_complete lines made dirty (default 0.004)")
    p.add_argument("--long-line", type=int, default=2_000_000,
                   help="bytes of the one over-long line's payload (0: none)")
    p.add_argument("--max-line", type=int, default=MAX_LINE,
                   help="logdive's line bound for the truth (default 16 MiB)")
    p.add_argument("--out", default=None,
                   help="output file (default: stdout; with --text-formats, DIR/incident.jsonl)")
    p.add_argument("--gzip", action="store_true",
                   help="write gzip, deterministic (mtime 0); implied by --out *.gz")
    p.add_argument("--truth", help="write the expected figures (JSON) here")
    p.add_argument("--analyze", nargs="+", metavar="FILE",
                   help="compute --truth from these files instead of generating")
    p.add_argument("--bad-input", metavar="DIR",
                   help="write the bad-input files and DIR/expect.json, then exit")
    p.add_argument("--text-formats", metavar="DIR",
                   help="also write the same records as text logs DIR/FORMAT.log, their "
                        "JSON twins DIR/FORMAT.jsonl and DIR/manifest.json")
    p.add_argument("--formats", default=",".join(TEXT_FORMATS),
                   help="with --text-formats: which formats (comma-separated; default all)")
    p.add_argument("--no-twins", action="store_true",
                   help="with --text-formats: no FORMAT.jsonl twins (the benchmark)")
    a = p.parse_args()
    if a.out is None:
        a.out = os.path.join(a.text_formats, "incident.jsonl") if a.text_formats else "-"
    if a.out.endswith(".gz"):
        a.gzip = True
    if a.bad_input:
        bad_input(a.bad_input)
        return
    if a.analyze:
        res = analyze(a)
        with open(a.truth or "/dev/stdout", "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        return
    if a.requests < 1 or a.hours <= 0 or not 0 <= a.dirty <= 1:
        p.error("--requests must be >= 1, --hours > 0, --dirty in [0, 1]")
    truth = Truth(make_views(a.incident_at, a.incident_minutes), a.max_line) \
        if a.truth else None
    formats = list(dict.fromkeys(f for f in a.formats.split(",") if f))
    unknown = [f for f in formats if f not in TEXT_FORMATS]
    if unknown:
        p.error("unknown format %s (known: %s)" % (", ".join(unknown), ", ".join(TEXT_FORMATS)))
    if a.text_formats:
        os.makedirs(a.text_formats, exist_ok=True)
    out, closers = open_out(a.out, a.gzip)
    g = Gen(a, out, truth)
    if a.text_formats:
        g.text = TextFormats(a, a.text_formats, formats, twins=not a.no_twins)
    g.run()
    if g.text is not None:
        g.text.close()
        with open(os.path.join(a.text_formats, "manifest.json"), "w") as f:
            json.dump(g.text.manifest({
                "generator": {"requests": a.requests, "seed": a.seed,
                              "start": iso_ns(a.start), "hours": a.hours,
                              "incident": incident_json(a), "dirty": a.dirty,
                              "long_line": a.long_line},
                "json": os.path.basename(a.out) if a.out != "-" else None}), f, indent=1)
            f.write("\n")
    out.flush()
    out.detach()
    for c in closers:
        if c is not sys.stdout.buffer:
            c.close()
        else:
            c.flush()
    if truth is not None:
        res = truth.result({
            "generator": {"requests": a.requests, "seed": a.seed,
                          "start": iso_ns(a.start), "hours": a.hours,
                          "dirty": a.dirty, "long_line": a.long_line,
                          "max_line": a.max_line},
            "incident": incident_json(a),
            "lines": {"total": sum(g.kinds.values()), "by_kind": dict(sorted(g.kinds.items()))},
        })
        res["traces"] = g.traces
        with open(a.truth, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # `gen-logs.py | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
