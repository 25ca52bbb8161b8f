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
        while heap and heap[0][0] <= upto:
            t, _, kind, text, obj = heapq.heappop(heap)
            pending.append(text)
            self.pending_bytes += len(text) + 1
            kinds[kind] = kinds.get(kind, 0) + 1
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
    p.add_argument("--out", default="-", help="output file (default: stdout)")
    p.add_argument("--gzip", action="store_true",
                   help="write gzip, deterministic (mtime 0); implied by --out *.gz")
    p.add_argument("--truth", help="write the expected figures (JSON) here")
    p.add_argument("--analyze", nargs="+", metavar="FILE",
                   help="compute --truth from these files instead of generating")
    p.add_argument("--bad-input", metavar="DIR",
                   help="write the bad-input files and DIR/expect.json, then exit")
    a = p.parse_args()
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
    out, closers = open_out(a.out, a.gzip)
    g = Gen(a, out, truth)
    g.run()
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
