#!/usr/bin/env python3
"""Compare logdive's headless output with the figures tests/gen-logs.py
computed, printing TAP lines ("ok N - ..." / "not ok N - ... got X want Y").

  check-truth.py panels TRUTH VIEW OUT.json [--no-records] [--label L]
      `logdive panels -f json` (DESIGN §7 shape) against TRUTH's view VIEW
      (all_variant, all_version, incident_variant): range, bucket width,
      records counters, latency groups (count, p50/p95/p99 to 1e-9 relative,
      histogram), confidence series, cache hit rate, errors/invalid/total,
      drift, for every bucket of the range. OUT may also be another
      truth file (gen-logs.py --analyze), compared in the same way.
  check-truth.py trace TRUTH ID OUT.json [--label L]
      `logdive trace ID -f json`: {"id":…, "records":[…]} and the exact
      (timestamp, service, event_type) sequence of TRUTH's trace ID.
  check-truth.py requests OUT.jsonl DATA... [--truth TRUTH] [--label L]
      `logdive requests -f jsonl -q 'serving_variant:canary and
      latency_ms >= 500'`: exactly the source lines that match, found here
      by parsing DATA with Python's json module.
  check-truth.py badinput EXPECT.json NAME STATUS OUT.json
      a bad-input file's exit status and records counters.
  check-truth.py same TRUTH_A TRUTH_B
      two truth files agree (the generator's and --analyze's).
  check-truth.py equal A.json B.json [--keys K,K] [--records-ignore K,K]
      two `logdive panels -f json` outputs agree (tests/textlogs.sh: a text
      log against its JSON twin): one TAP line per top-level key (default
      range, bucket_seconds, records, latency, confidence, cache_hit, errors,
      drift, versions; "source" never), numbers to 1e-9 relative, latency groups and
      confidence series matched by key; in "records" a counter missing on
      one side is 0 and --records-ignore names counters left out.

Common option: --tap-start N (first test number). Exit status 0 when every
line is "ok", 1 otherwise. Python 3 standard library only.
"""
import argparse
import calendar
import gzip
import json
import math
import re
import sys

NS = 1_000_000_000
MS = 1_000_000
REL = 1e-9


class Tap:
    def __init__(self, start, label):
        self.n = start - 1
        self.failed = 0
        self.label = label + ": " if label else ""

    def check(self, ok, desc, detail=None, diag=()):
        self.n += 1
        if ok:
            print("ok %d - %s%s" % (self.n, self.label, desc))
        else:
            self.failed += 1
            print("not ok %d - %s%s%s" % (self.n, self.label, desc,
                                          " " + detail if detail else ""))
            for d in list(diag)[:12]:
                print("#   " + d)
        return ok

    def skip(self, desc, why):
        self.n += 1
        print("ok %d - %s%s # SKIP %s" % (self.n, self.label, desc, why))


_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d\d(?::?\d\d)?)?)?\Z")


def ns_of(s):
    """ISO 8601 -> ns (no zone: UTC), or None."""
    if not isinstance(s, str):
        return None
    m = _ISO.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    ns = calendar.timegm((int(y), int(mo), int(d), int(hh or 0), int(mi or 0),
                          int(ss or 0), 0, 0, 0)) * NS
    if frac:
        ns += int((frac + "000000000")[:9])
    if zone and zone not in "Zz":
        digits = zone[1:].replace(":", "")
        off = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0)
        ns -= (1 if zone[0] == "+" else -1) * off * NS
    return ns


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if not isinstance(a, (int, float)) or isinstance(a, bool):
        return False
    if a == b:
        return True
    return abs(a - b) <= REL * max(abs(a), abs(b))


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8")), None
    except (OSError, ValueError) as e:
        return None, str(e)[:200]


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


# ------------------------------------------------------------- equal -----

EQUAL_KEYS = ("range", "bucket_seconds", "records", "latency", "confidence", "cache_hit",
              "errors", "drift", "versions")


def diff_json(a, b, path, out):
    """Differences between two JSON values (numbers to REL), as text lines."""
    if len(out) > 20:
        return
    if num(a) and num(b):
        if not close(a, b):
            out.append("%s: %r != %r" % (path, a, b))
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append("%s.%s: %s" % (path, k, "only in B" if k not in a else "only in A"))
            else:
                diff_json(a[k], b[k], "%s.%s" % (path, k), out)
        return
    if isinstance(a, list) and isinstance(b, list):
        keyed = lambda l: all(isinstance(x, dict) and "key" in x for x in l)
        if a and b and keyed(a) and keyed(b):
            da = {json.dumps(x["key"]): x for x in a}
            db = {json.dumps(x["key"]): x for x in b}
            diff_json(da, db, path, out)
            return
        if len(a) != len(b):
            out.append("%s: %d items != %d" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff_json(x, y, "%s[%d]" % (path, i), out)
        return
    if a != b:
        out.append("%s: %s != %s" % (path, json.dumps(a)[:80], json.dumps(b)[:80]))


def check_equal(tap, a, b, keys, records_ignore):
    for k in keys:
        x, y = a.get(k), b.get(k)
        if k == "records" and isinstance(x, dict) and isinstance(y, dict):
            names = (set(x) | set(y)) - set(records_ignore)
            x = {n: x.get(n, 0) for n in names}
            y = {n: y.get(n, 0) for n in names}
        diffs = []
        if k not in a or k not in b:
            diffs.append("%s missing in %s" % (k, "A" if k not in a else "B"))
        else:
            diff_json(x, y, k, diffs)
        tap.check(not diffs, "%s equal" % k, diffs[0] if diffs else None, diffs[1:])


# ------------------------------------------------------------ panels -----

def compare_points(tap, name, got, want, fields):
    """got/want: lists of points; fields: (key, kind) with kind 'int' or
    'float' (null when there is no data)."""
    if not isinstance(got, list):
        return tap.check(False, name, "got %r want a list of %d points"
                         % (type(got).__name__, len(want)))
    diag = []
    if len(got) != len(want):
        diag.append("got %d points want %d (first %s last %s)" % (
            len(got), len(want), want[0]["t"] if want else "-",
            want[-1]["t"] if want else "-"))
    for i, (g, w) in enumerate(zip(got, want)):
        if not isinstance(g, dict):
            diag.append("point %d is not an object: %r" % (i, g))
            continue
        if ns_of(g.get("t")) != ns_of(w["t"]):
            diag.append("point %d: t got %r want %r" % (i, g.get("t"), w["t"]))
            continue
        for key, kind in fields:
            gv = g.get(key, "<absent>")
            wv = w[key]
            ok = (gv == wv and not isinstance(gv, bool)) if kind == "int" else close(gv, wv)
            if not ok:
                diag.append("%s %s: got %r want %r" % (w["t"], key, gv, wv))
    ok = not diag
    return tap.check(ok, name, None if ok else diag[0], diag)


def check_panels(tap, truth, view, out, no_records):
    v = truth["views"][view]
    w_range = v["range"]
    # range
    rng = get(out, "range")
    gs, ge = ns_of(get(rng, "start")), ns_of(get(rng, "end"))
    if "end" in w_range:
        ws, we = ns_of(w_range["start"]), ns_of(w_range["end"])
        tap.check(gs == ws and ge == we, "range",
                  "got %r want %s..%s" % (rng, w_range["start"], w_range["end"]))
    else:
        ws, last = ns_of(w_range["start"]), ns_of(w_range["end_inclusive_last_time"])
        # logdive's extent is whole seconds: [floor(earliest), floor(latest) + 1s)
        SEC = 1000000000
        ok = (gs is not None and ge is not None and gs == ws // SEC * SEC
              and ge == last // SEC * SEC + SEC)
        tap.check(ok, "range is the data's extent in whole seconds",
                  "got %r want start floor(%s), end floor(%s) + 1s" % (
                      rng, w_range["start"], w_range["end_inclusive_last_time"]))
    tap.check(get(out, "bucket_seconds") == v["bucket_seconds"], "bucket_seconds",
              "got %r want %r" % (get(out, "bucket_seconds"), v["bucket_seconds"]))
    # records
    if not no_records:
        rec = get(out, "records") or {}
        diag = []
        for k, want in truth["records"].items():
            got = rec.get(k, 0 if want == 0 else "<absent>")
            if got != want:
                diag.append("%s got %r want %r" % (k, got, want))
        tap.check(not diag, "records counters", diag[0] if diag else None, diag)
    # latency
    lat = get(out, "latency") or {}
    wl = v["latency"]
    tap.check(lat.get("field") == wl["field"] and lat.get("group_by") == wl["group_by"]
              and lat.get("exact") is True, "latency field, group_by, exact",
              "got %r %r %r want %r %r true" % (lat.get("field"), lat.get("group_by"),
                                                 lat.get("exact"), wl["field"],
                                                 wl["group_by"]))
    groups = lat.get("groups") if isinstance(lat.get("groups"), list) else []
    byk = {g.get("key"): g for g in groups if isinstance(g, dict)}
    for wg in wl["groups"]:
        k = wg["key"]
        g = byk.get(k)
        if g is None:
            tap.check(False, "latency %s" % k, "group missing (got keys %r)" % list(byk))
            tap.check(False, "latency %s histogram" % k, "group missing")
            continue
        diag = []
        if g.get("count") != wg["count"]:
            diag.append("count got %r want %r" % (g.get("count"), wg["count"]))
        for p in ("p50", "p95", "p99"):
            if not close(g.get(p), wg[p]):
                diag.append("%s got %r want %r" % (p, g.get(p), wg[p]))
        tap.check(not diag, "latency %s count=%d p50/p95/p99" % (k, wg["count"]),
                  diag[0] if diag else None, diag)
        # histogram: cumulative counts at the truth's bounds; a non-numeric
        # or infinite le is the +Inf bin (= count)
        wh = {b["le"]: b["count"] for b in wg["histogram"] if b["le"] is not None}
        hist = g.get("histogram")
        diag = []
        if not isinstance(hist, list) or not hist:
            diag.append("no histogram: %r" % (hist,))
        else:
            for b in hist:
                le, c = get(b, "le"), get(b, "count")
                if num(le) and math.isfinite(le):
                    if le not in wh:
                        diag.append("le %r: no truth for this bound" % le)
                    elif c != wh[le]:
                        diag.append("le %r got %r want %r" % (le, c, wh[le]))
                elif c != wg["count"]:
                    diag.append("le %r (+Inf) got %r want %r" % (le, c, wg["count"]))
        tap.check(not diag, "latency %s histogram" % k, diag[0] if diag else None, diag)
    wkeys = {wg["key"] for wg in wl["groups"]}
    extra = [g for k, g in byk.items() if k not in wkeys and g.get("count")]
    tap.check(not extra, "latency has no other group with records",
              "got %r" % [(g.get("key"), g.get("count")) for g in extra])
    order = [(g.get("key"), g.get("count")) for g in groups if isinstance(g, dict)]
    srt = sorted(order, key=lambda x: (-(x[1] or 0), str(x[0])))
    tap.check(order == srt, "latency groups sorted by count", "got %r" % order)
    # confidence
    series = get(out, "confidence", "series")
    series = series if isinstance(series, list) else []
    bys = {s.get("key"): s for s in series if isinstance(s, dict)}
    tap.check(series[:1] and series[0].get("key") == "*", "confidence series[0] is \"*\"",
              "got keys %r" % [s.get("key") for s in series if isinstance(s, dict)])
    for ws in v["confidence"]["series"]:
        s = bys.get(ws["key"])
        name = "confidence %s per bucket" % ws["key"]
        if s is None:
            tap.check(False, name, "series missing (got keys %r)" % list(bys))
            continue
        compare_points(tap, name, s.get("points"), ws["points"],
                       (("count", "int"), ("mean", "float")))
    wkeys = {ws["key"] for ws in v["confidence"]["series"]}
    extra = [k for k, s in bys.items() if k not in wkeys and any(
        get(p, "count") for p in (s.get("points") or []))]
    tap.check(not extra, "confidence has no other series with data", "got %r" % extra)
    # cache hit, errors, drift
    compare_points(tap, "cache_hit per bucket", get(out, "cache_hit", "points"),
                   v["cache_hit"]["points"],
                   (("hits", "int"), ("total", "int"), ("rate", "float")))
    ep = get(out, "errors", "points")
    compare_points(tap, "errors (level ERROR) per bucket", ep, v["errors"]["points"],
                   (("errors", "int"),))
    compare_points(tap, "invalid lines/records per bucket", ep, v["errors"]["points"],
                   (("invalid", "int"),))
    compare_points(tap, "records per bucket (errors.total)", ep, v["errors"]["points"],
                   (("total", "int"),))
    dp = get(out, "drift", "points")
    fields = [("mean", "float")]
    if isinstance(dp, list) and dp and isinstance(dp[0], dict) and "count" in dp[0]:
        fields.append(("count", "int"))
    compare_points(tap, "drift per bucket", dp, v["drift"]["points"], fields)


def truth_as_output(t, view):
    """Another truth file's view in the shape of `logdive panels -f json`
    (to check gen-logs.py --analyze against a hand-made truth)."""
    v = dict(t["views"][view])
    v["records"] = t["records"]
    v["latency"] = dict(v["latency"], exact=True)
    r = dict(v["range"])
    if "end_inclusive_last_time" in r:
        # logdive's extent in whole seconds: [floor(earliest), floor(latest) + 1s)
        last = ns_of(r.pop("end_inclusive_last_time"))
        start = ns_of(r["start"]) // NS
        end = last // NS + 1
        fmt = "%04d-%02d-%02dT%02d:%02d:%02dZ"
        r["start"] = fmt % __import__("time").gmtime(start)[:6]
        r["end"] = fmt % __import__("time").gmtime(end)[:6]
    v["range"] = r
    return v


# ------------------------------------------------------------- trace -----

def check_trace(tap, truth, tid, out):
    want = truth["traces"][tid]["records"]
    recs = get(out, "records")
    tap.check(isinstance(out, dict) and out.get("id") == tid and isinstance(recs, list),
              "trace output is {\"id\":…, \"records\":[…]}",
              "got keys %r id %r" % (list(out) if isinstance(out, dict) else type(out).__name__,
                                     get(out, "id")))
    got = []
    for r in recs if isinstance(recs, list) else []:
        if isinstance(r, dict) and "timestamp" not in r and isinstance(r.get("record"), dict):
            r = r["record"]
        r = r if isinstance(r, dict) else {}
        got.append((r.get("timestamp"), r.get("service"), r.get("event_type")))
    diag = []
    if len(got) != len(want):
        diag.append("got %d records want %d" % (len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if ns_of(g[0]) != ns_of(w["timestamp"]) or g[1] != w["service"] or \
                g[2] != w["event_type"]:
            diag.append("#%d got %r want %r" % (
                i, g, (w["timestamp"], w["service"], w["event_type"])))
    tap.check(not diag, "trace %s: %d records, time-ordered (timestamp, service, event)"
              % (tid, len(want)), diag[0] if diag else None, diag)


# ---------------------------------------------------------- requests -----

def data_lines(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        for line in f:
            yield line.rstrip(b"\n")


def slow_canary(line):
    """serving_variant:canary and latency_ms >= 500, in Python."""
    try:
        o = json.loads(line.decode("utf-8"), parse_constant=_nope)
    except (ValueError, RecursionError):
        return False
    if not isinstance(o, dict):
        return False
    mm = o.get("model_metadata")
    im = o.get("inference_metrics")
    if not isinstance(mm, dict) or not isinstance(im, dict):
        return False
    lat = im.get("latency_ms")
    return mm.get("serving_variant") == "canary" and num(lat) and lat >= 500


def _nope(name):
    raise ValueError(name)


def check_requests(tap, out_path, data, truth):
    want = []
    for p in data:
        want.extend(l for l in data_lines(p) if len(l) <= 16 << 20 and slow_canary(l))
    try:
        with open(out_path, "rb") as f:
            got = [l.rstrip(b"\n") for l in f if l.strip()]
    except OSError as e:
        got = []
        tap.check(False, "requests output readable", str(e))
    if truth is not None:
        n = truth["requests"]["serving_variant:canary and latency_ms >= 500"]
        tap.check(len(want) == n, "requests: truth count agrees with the data",
                  "data %d truth %d" % (len(want), n))
    tap.check(len(got) == len(want), "requests: %d matching records" % len(want),
              "got %d want %d" % (len(got), len(want)))
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    same = sorted(got) == sorted(want)
    diag = ["missing: " + l[:160].decode("utf-8", "replace") for l in missing[:3]] + \
           ["unexpected: " + l[:160].decode("utf-8", "replace") for l in extra[:3]]
    tap.check(same, "requests: the very source lines, byte for byte",
              "%d missing, %d unexpected" % (len(missing), len(extra)), diag)


# ---------------------------------------------------------- badinput -----

def check_badinput(tap, expect, name, status, out):
    e = expect[name]
    tap.check(status < 128, "%s: no crash" % name, "exit status %d (signal %d)"
              % (status, status - 128))
    tap.check(status == e["status"], "%s: exit status %d" % (name, e["status"]),
              "got %d" % status)
    if out is None:
        if status == 1 and e["status"] == 1:
            tap.skip("%s: records counters" % name, "no JSON printed with exit status 1")
        else:
            tap.check(False, "%s: records counters" % name, "no JSON output")
        return
    rec = get(out, "records") or {}
    diag = []
    for k, want in e["records"].items():
        got = rec.get(k, 0 if want == 0 else "<absent>")
        if "invalid_sum" in e and k in ("invalid_json", "invalid_utf8"):
            continue
        if got != want:
            diag.append("%s got %r want %r" % (k, got, want))
    if "invalid_sum" in e:
        s = (rec.get("invalid_json") or 0) + (rec.get("invalid_utf8") or 0)
        if s != e["invalid_sum"]:
            diag.append("invalid_json + invalid_utf8 got %r want %r" % (s, e["invalid_sum"]))
    tap.check(not diag, "%s: records counters (%s)" % (name, e["note"]),
              diag[0] if diag else None, diag)
    if e.get("latency_count") is not None:
        groups = get(out, "latency", "groups") or []
        n = sum(g.get("count") or 0 for g in groups if isinstance(g, dict))
        tap.check(n == e["latency_count"], "%s: latency count %d" % (name, e["latency_count"]),
                  "got %r" % n)
    if e.get("confidence_count") is not None:
        series = get(out, "confidence", "series") or []
        star = [s for s in series if isinstance(s, dict) and s.get("key") == "*"]
        n = sum(get(p, "count") or 0 for p in (star[0].get("points") or [])) if star else None
        tap.check(n == e["confidence_count"],
                  "%s: confidence count %d" % (name, e["confidence_count"]), "got %r" % n)


# -------------------------------------------------------------- main -----

def main():
    p = argparse.ArgumentParser(description="Compare logdive output with the truth (TAP).")
    p.add_argument("--tap-start", type=int, default=1)
    p.add_argument("--label", default="")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("panels")
    s.add_argument("truth")
    s.add_argument("view")
    s.add_argument("out")
    s.add_argument("--no-records", action="store_true")
    s = sub.add_parser("trace")
    s.add_argument("truth")
    s.add_argument("id")
    s.add_argument("out")
    s = sub.add_parser("requests")
    s.add_argument("out")
    s.add_argument("data", nargs="+")
    s.add_argument("--truth")
    s = sub.add_parser("badinput")
    s.add_argument("expect")
    s.add_argument("name")
    s.add_argument("status", type=int)
    s.add_argument("out")
    s = sub.add_parser("same")
    s.add_argument("a")
    s.add_argument("b")
    s = sub.add_parser("equal")
    s.add_argument("a")
    s.add_argument("b")
    s.add_argument("--keys", default=",".join(EQUAL_KEYS))
    s.add_argument("--records-ignore", default="")
    a = p.parse_args()
    tap = Tap(a.tap_start, a.label)

    if a.cmd in ("panels", "trace"):
        truth, err = load_json(a.truth)
        if truth is None:
            tap.check(False, "truth file readable", err)
            return 1
        out, err = load_json(a.out)
        if not tap.check(isinstance(out, dict), "%s output is one JSON object" % a.cmd,
                         err or "got %s" % type(out).__name__):
            return 1
        if a.cmd == "panels":
            if "views" in out:
                out = truth_as_output(out, a.view)
            check_panels(tap, truth, a.view, out, a.no_records)
        else:
            check_trace(tap, truth, a.id, out)
    elif a.cmd == "requests":
        truth = load_json(a.truth)[0] if a.truth else None
        check_requests(tap, a.out, a.data, truth)
    elif a.cmd == "badinput":
        expect, err = load_json(a.expect)
        out, err = load_json(a.out)
        check_badinput(tap, expect, a.name, a.status, out if isinstance(out, dict) else None)
    elif a.cmd == "equal":
        da, ea = load_json(a.a)
        db, eb = load_json(a.b)
        if not (tap.check(isinstance(da, dict), "A is one JSON object", ea) and
                tap.check(isinstance(db, dict), "B is one JSON object", eb)):
            return 1
        check_equal(tap, da, db, [k for k in a.keys.split(",") if k],
                    [k for k in a.records_ignore.split(",") if k])
    elif a.cmd == "same":
        ta, tb = load_json(a.a)[0], load_json(a.b)[0]
        for k in ("records", "range", "views", "requests"):
            tap.check(ta is not None and tb is not None and ta.get(k) == tb.get(k),
                      "generator and analyzer agree on %s" % k)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a bug here, or output of an unexpected shape
        import traceback
        print("not ok - check-truth.py: internal error %s: %s" % (type(e).__name__, e))
        for line in traceback.format_exc().splitlines()[-6:]:
            print("#   " + line)
        sys.exit(2)
