#!/bin/sh
# Self-test of tests/fake-loki.py (TAP): the fake Loki answers from the data
# it loaded, so its streams and samples must equal those computed here, in
# Python, straight from the JSON lines (independently of the fake's own
# parser and evaluator); its error texts must be Loki's (syntax errors in
# Loki's shape at the exact line and column); every injected fault must
# show.
# Environment (set by tests/run.sh): srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"

. "$srcdir/tests/lib/selftest.sh"
selftest_setup fake-loki
# 300 requests = 1500 lines; --dirty 0.05 makes a few invalid (cut) lines
selftest_logs --requests 300 --seed 5 --dirty 0.05 --long-line 0
# two streams: odd lines and even lines
selftest_start fake-loki.py \
	--stream '{job="ml-inference",service="recommendation-model-prod"}='"$tmp/a.jsonl" \
	--stream '{job="ml-inference",service="shadow"}='"$tmp/b.jsonl"

cat >"$tmp/check.py" <<'PYEOF'
import base64, json, math, os, re, sys, threading
import urllib.parse
from datetime import datetime, timezone
from selftest import get, http, num, plan, reset_and_delay, start, tap

port, tmp, fake = sys.argv[1], sys.argv[2], sys.argv[3]
BASE = "http://127.0.0.1:%s" % port
NS = 10 ** 9


def req(path, params=None, data=None, headers=None, base=BASE, method=None):
    """-> (status, headers, body bytes or an exception)"""
    url = base + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
        headers = dict(headers or {}, **{"Content-Type": "application/x-www-form-urlencoded"})
    elif isinstance(data, str):
        data = data.encode()
    return http(url, data, headers, method)


def jreq(path, params=None, **kw):
    st, hd, body = req(path, params, **kw)
    try:
        return st, hd, json.loads(body)
    except Exception:
        return st, hd, body


def fault(f):
    return req("/_fake/faults", data=json.dumps(f))[0] == 200


# ---- the truth, from the JSON lines (independently of the fake)
def iso_ns(s):
    d = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    frac = re.search(r"[.,](\d+)", s[19:] if len(s) > 19 else "")
    base = int(d.replace(microsecond=0).timestamp()) * NS
    return base + (int((frac.group(1) + "000000000")[:9]) if frac else 0)


entries = []          # (ts, stream, line bytes, parsed object or None)
for fn, svc in (("a.jsonl", "recommendation-model-prod"), ("b.jsonl", "shadow")):
    last = 0
    with open(os.path.join(tmp, fn), "rb") as fh:
        for raw in fh.read().split(b"\n"):
            if not raw:
                continue
            try:
                o = json.loads(raw)
            except ValueError:
                o = None
            t = None
            if isinstance(o, dict) and isinstance(o.get("timestamp"), str):
                try:
                    t = iso_ns(o["timestamp"])
                except ValueError:
                    t = None
            if t is None:
                t = last
            last = t
            entries.append((t, svc, raw, o if isinstance(o, dict) else None))
first = min(e[0] for e in entries)
lastt = max(e[0] for e in entries)
H = 3600 * NS
S = first // H * H                      # an hour boundary before the data
E = (lastt // H + 1) * H                # an hour boundary after it
W = E - S


def pct(vals, q):
    """numpy.percentile(vals, 100*q) (method 'linear')"""
    v = sorted(vals)
    r = q * (len(v) - 1)
    lo = int(math.floor(r))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (r - lo)


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def streams_entries(r):
    """(ts, line) of a streams answer, in answer order, merged per stream."""
    out = []
    for s in r["data"]["result"]:
        for v in s["values"]:
            out.append((int(v[0]), v[1].encode()))
    return out


QR = "/loki/api/v1/query_range"
Q = "/loki/api/v1/query"
SEL = '{job="ml-inference"}'

# ---- status endpoints
st, hd, body = req("/ready")
tap(st == 200 and body == b"ready\n", "GET /ready -> 200 ready", (st, body))
st, hd, r = jreq("/loki/api/v1/status/buildinfo")
tap(st == 200 and r.get("version") == "2.9.8" and "goVersion" in r and "revision" in r,
    "buildinfo is unwrapped and says 2.9.8", r)
rng = {"start": str(S), "end": str(E)}
st, hd, r = jreq("/loki/api/v1/labels", rng)
st2, hd2, r2 = jreq("/loki/api/v1/label/service/values", rng)
tap(st == 200 and r == {"status": "success", "data": ["job", "service"]} and
    r2["data"] == ["recommendation-model-prod", "shadow"],
    "labels and label/<name>/values list the streams' labels", (r, r2))
st, hd, r = jreq("/loki/api/v1/series", [("match[]", '{service="shadow"}'), ("start", S),
                                          ("end", E)])
tap(st == 200 and r["data"] == [{"job": "ml-inference", "service": "shadow"}],
    "series with match[] returns the matching label set", r)

# ---- log queries equal the file
want = sorted((t, raw) for t, svc, raw, o in entries if S <= t < E and b"canary" in raw)
st, hd, r = jreq(QR, {"query": SEL + ' |= "canary"', "start": S, "end": E,
                      "limit": 5000, "direction": "forward"})
got = streams_entries(r) if st == 200 else r
tap(st == 200 and r["status"] == "success" and r["data"]["resultType"] == "streams" and
    isinstance(r["data"]["stats"], dict) and "summary" in r["data"]["stats"] and
    all(isinstance(v[0], str) and isinstance(v[1], str) for s in r["data"]["result"]
        for v in s["values"]) and
    sorted(s["stream"]["service"] for s in r["data"]["result"]) ==
    ["recommendation-model-prod", "shadow"],
    "streams envelope: ns string timestamps, lines, stats, one stream per label set",
    str(r)[:800])
tap(sorted(got) == want and len(want) > 20,
    '|= "canary" over [start, end) returns exactly the %d matching lines' % len(want),
    "got %d want %d" % (len(got), len(want)))
ok_order = all([int(v[0]) for v in s["values"]] == sorted(int(v[0]) for v in s["values"])
               for s in r["data"]["result"]) if st == 200 else False
tap(ok_order, "forward: entries ascending within each stream")
st, hd, r = jreq(QR, {"query": SEL, "start": S, "end": E, "limit": 7,
                      "direction": "backward"})
got = streams_entries(r)
allts = sorted((t for t, _, _, _ in entries if S <= t < E), reverse=True)
desc = all([int(v[0]) for v in s["values"]] == sorted((int(v[0]) for v in s["values"]),
                                                      reverse=True)
           for s in r["data"]["result"])
tap(st == 200 and len(got) == 7 and sorted((t for t, _ in got), reverse=True) == allts[:7]
    and desc, "backward limit 7: the 7 newest entries, descending within streams",
    (got[:3], allts[:7]))
st, hd, r = jreq(QR, {"query": SEL, "start": S, "end": E, "limit": 5,
                      "direction": "FORWARD"})
got = streams_entries(r)
allts = sorted(t for t, _, _, _ in entries if S <= t < E)
tap(st == 200 and sorted(t for t, _ in got) == allts[:5],
    "forward (case-insensitive) limit 5: the 5 oldest entries", got)

# [start, end): an entry exactly on each boundary
T0 = sorted(t for t, _, _, _ in entries)[len(entries) // 2]
on = sum(1 for t, _, _, _ in entries if t == T0)
st, hd, r1 = jreq(QR, {"query": SEL, "start": T0, "end": T0 + 1, "limit": 100})
st2, hd2, r2 = jreq(QR, {"query": SEL, "start": T0 - NS, "end": T0, "limit": 100})
in_r2 = [t for t, _ in streams_entries(r2)]
tap(len(streams_entries(r1)) == on and T0 not in in_r2 and
    len(in_r2) == sum(1 for t, _, _, _ in entries if T0 - NS <= t < T0),
    "log query: start is inclusive, end exclusive (entry at %d)" % T0,
    (streams_entries(r1), on))
iso = datetime.fromtimestamp(S // NS, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
a = jreq(QR, {"query": SEL + ' |= "canary"', "start": iso, "end": str(E // NS),
              "limit": 5000})[2]
b = jreq(QR, {"query": SEL + ' |= "canary"', "start": "%d.000" % (S // NS), "end": E,
              "limit": 5000})[2]
tap(sorted(streams_entries(a)) == sorted(streams_entries(b)) == want,
    "start/end as RFC3339, float seconds, int seconds and int ns agree")
st, hd, r = jreq(QR, data={"query": SEL + ' |= "canary"', "start": S, "end": E,
                           "limit": 5000})
tap(st == 200 and sorted(streams_entries(r)) == want,
    "POST form-encoded query_range answers like GET")

# label_format copies the line; a fully anchored case-insensitive regexp on it
needle = "cuda out of memory"
want_n = sum(1 for t, _, raw, _ in entries if S <= t < E and needle in raw.decode().lower())
st, hd, r = jreq(QR, {"query": SEL + ' | label_format ldline="{{__line__}}" | '
                      'ldline=~"(?s).*(?i:CUDA out of memory).*"', "start": S, "end": E,
                      "limit": 5000})
got = streams_entries(r) if st == 200 else []
tap(st == 200 and len(got) == want_n > 0 and
    all("ldline" in s["stream"] for s in r["data"]["result"]),
    "label_format ldline={{__line__}} + anchored (?i) regexp: %d lines" % want_n, str(r)[:500])

# json C=array, line_format {{.C}}, keep G: lines shrink to the array text
st, hd, r = jreq(QR, {"query": SEL + ' | json C="output.confidence_scores", '
                      'G="model_metadata.serving_variant" | G=~".+" | __error__="" | '
                      'line_format "{{.C}}" | keep G', "start": S, "end": E, "limit": 5000})
# A missing path gives "". Loki's `| json a="x"` (jsonparser's EachKey) does
# not notice that a cut line is invalid when the paths it finds lie before
# the cut: such lines keep their variant and get C="" (no JSONParserErr).
want_g = {}
for t, _, raw, o in entries:
    if not S <= t < E:
        continue
    if o is None:
        m = re.search(rb'"serving_variant":"([^"]*)"', raw)
        if m and m.group(1):
            want_g.setdefault(m.group(1).decode(), []).append("")
    elif isinstance(get(o, "model_metadata.serving_variant"), str) and \
            get(o, "model_metadata.serving_variant"):
        c = get(o, "output.confidence_scores")
        want_g.setdefault(o["model_metadata"]["serving_variant"], []).append(
            "" if c is None else json.dumps(c, separators=(",", ":")))
got_g = {}
for s in r["data"]["result"] if st == 200 else []:
    got_g.setdefault(s["stream"].get("G"), []).extend(v[1] for v in s["values"])
tap(st == 200 and all(set(s["stream"]) == {"G"} for s in r["data"]["result"]) and
    {k: sorted(v) for k, v in got_g.items()} == {k: sorted(v) for k, v in want_g.items()},
    "json C=array | line_format {{.C}} | keep G: one stream per G, lines = raw arrays",
    str(r)[:600])

# ---- parameter errors: exact texts, plain text
def err(params, path=QR):
    st, hd, body = req(path, params)
    return st, body.decode(errors="replace"), hd


st, body, hd = err({"query": SEL, "limit": "0", "start": S, "end": E})
tap(st == 400 and body == "limit must be a positive value\n" and
    hd.get("Content-Type") == "text/plain; charset=utf-8" and
    hd.get("X-Content-Type-Options") == "nosniff",
    "limit=0 -> 400 plain text 'limit must be a positive value'", (st, body, dict(hd)))
st, body, _ = err({"query": SEL, "limit": "5001", "start": S, "end": E})
tap(st == 400 and body == "max entries limit per query exceeded, limit > max_entries_limit "
    "(5001 > 5000)\n", "limit 5001 -> 400 max entries text (2.9 wording)", body)
st, body, _ = err({"query": SEL, "direction": "sideways", "start": S, "end": E})
tap(st == 400 and body == "invalid direction 'sideways'\n", "direction -> 400", body)
st, body, _ = err({"query": SEL, "start": E, "end": S})
tap(st == 400 and body == "end timestamp must not be before or equal to start time\n",
    "end before start -> 400", body)
st, body, _ = err({"query": "sum(count_over_time(%s[1m]))" % SEL, "start": S, "end": E,
                   "step": "0"})
tap(st == 400 and body.startswith("zero or negative query resolution step widths are not "
                                  "accepted"), "step=0 -> 400", body)
st, body, _ = err({"query": "sum(count_over_time(%s[1m]))" % SEL, "start": S,
                   "end": S + 11001 * NS, "step": "1"})
tap(st == 400 and body == "exceeded maximum resolution of 11,000 points per time series. "
    "Try increasing the value of the step parameter\n", "11,001 points -> 400", body)
st, body, _ = err({"query": SEL, "start": S - 744 * H, "end": S})
tap(st == 400 and body == "the query time range exceeds the limit (query length: 744h0m0s, "
    "limit: 30d1h)\n", "744h range -> 400 max_query_length text", body)
st, body, _ = err({"query": SEL, "start": "yesterday", "end": E})
tap(st == 400 and body == "could not parse 'start' parameter: strconv.ParseInt: parsing "
    "\"yesterday\": invalid syntax\n", "bad start -> 400 with Go's text", body)

# ---- LogQL errors
st, body, _ = err({"query": SEL + " |= foo", "start": S, "end": E})
tap(st == 400 and body == "parse error at line 1, col 25: syntax error: unexpected "
    "IDENTIFIER, expecting STRING or ip\n", "syntax error at the offending token "
    "(col 25) with the expected tokens", body)
st, body, _ = err({"query": 'sum(rate({job="x"}[1m])) by (', "start": S, "end": E})
tap(st == 400 and body == "parse error at line 1, col 30: syntax error: unexpected $end, "
    "expecting IDENTIFIER or )\n", "unexpected $end at the end of the text (col 30)", body)
st, body, _ = err({"query": 'min({ foo = "bar" }[5m])', "start": S, "end": E})
tap(st == 400 and body == "parse error at line 1, col 20: syntax error: unexpected RANGE\n",
    "a range outside a range aggregation: unexpected RANGE at its '[' (col 20)", body)
st, body, _ = err({"query": '{job="x"}\n  | json\n  | lat > "5"', "start": S, "end": E})
tap(st == 400 and body == "parse error at line 3, col 11: syntax error: unexpected STRING, "
    "expecting NUMBER or DURATION or BYTES\n", "line and column on a later line", body)
st, body, _ = err({"query": SEL + ' |= "a" or "b"', "start": S, "end": E})
tap(st == 400 and body == "parse error at line 1, col 32: syntax error: unexpected STRING\n",
    "2.9: no `or` between line filter strings (a binary `or`, then a string)", body)
st, body, _ = err({"query": '{job=~".*"}', "start": S, "end": E})
tap(st == 400 and body.startswith("parse error : queries require at least one regexp or "
                                  "equality matcher that does not have an empty-compatible "
                                  "value."), "empty-compatible selector -> 400", body)
st, body, _ = err({"query": 'sum_over_time(%s | json | unwrap x [1m]) by (job)' % SEL,
                   "start": S, "end": E})
tap(st == 400 and body == "parse error : grouping not allowed for sum_over_time "
    "aggregation\n", "grouping inside sum_over_time -> 400", body)

# ---- metric queries equal the file
lat = {}
for t, _, raw, o in entries:
    if E - W < t <= E and o is not None:
        v = get(o, "model_metadata.serving_variant")
        x = get(o, "inference_metrics.latency_ms")
        if isinstance(v, str) and num(x):
            lat.setdefault(v, []).append(float(x))
for q in (0.5, 0.95, 0.99):
    st, hd, r = jreq(Q, {"query": 'quantile_over_time(%s, %s | json lat="inference_metrics.'
                         'latency_ms", v="model_metadata.serving_variant" | __error__="" | '
                         'unwrap lat | __error__="" [%ds]) by (v)' % (q, SEL, W // NS),
                         "time": E})
    got = {s["metric"].get("v"): float(s["value"][1]) for s in r["data"]["result"]} \
        if st == 200 else r
    want = {k: pct(v, q) for k, v in lat.items()}
    tap(st == 200 and r["data"]["resultType"] == "vector" and set(got) == set(want) and
        len(want) >= 3 and all(close(got[k], want[k]) for k in want) and
        all(s["value"][0] == E / NS and isinstance(s["value"][1], str)
            for s in r["data"]["result"]),
        "instant quantile_over_time(%s) by variant = numpy percentile of the file" % q,
        "got %s\nwant %s" % (got, want))

# count_over_time buckets, range = step. Loki's query frontend (split by
# interval, on by default) step-aligns start (down) and end (up), so the
# points are at multiples of the step and each covers (T - step, T].
def buckets_of(ents, lo, hi, w, closed_right):
    """count per evaluation time T in [lo, hi] step w of (T-w, T] or [T-w, T)"""
    out = []
    for T in range(lo, hi + 1, w):
        c = sum(1 for t in ents if (T - w < t <= T if closed_right else T - w <= t < T))
        if c:
            out.append((T, c))
    return out


def points(r):
    if not (isinstance(r, dict) and r.get("data", {}).get("result")):
        return []
    return [(p[0], int(p[1])) for p in r["data"]["result"][0]["values"]]


ts_all = [t for t, _, _, _ in entries]
st, hd, r = jreq(QR, {"query": "sum(count_over_time(%s[3600s]))" % SEL,
                      "start": S + H - 1, "end": E - 1, "step": "3600s"})
want = [(T // 10 ** 6 / 1000.0, c) for T, c in buckets_of(ts_all, S, E, H, True)]
got = points(r)
tap(st == 200 and r["data"]["resultType"] == "matrix" and got == want,
    "count_over_time [1h]: start/end step-aligned by the frontend, points at whole "
    "hours cover (T-1h, T] (%d buckets)" % len(want), "got %s\nwant %s" % (got[:4], want[:4]))
tap(sum(c for _, c in got) == len(entries),
    "the buckets sum to the total (%d entries)" % len(entries), sum(c for _, c in got))
st, hd, r = jreq(QR, {"query": "sum(count_over_time(%s[3600s] offset 1ns))" % SEL,
                      "start": S + H, "end": E, "step": "3600s"})
want = [(T // 10 ** 6 / 1000.0 - 0.001, c) for T, c in buckets_of(ts_all, S + H, E, H, False)]
got = points(r)
tap(st == 200 and got == want and sum(c for _, c in got) == len(entries),
    "offset 1ns turns each point into [T-1h, T) (times T - 1ms)",
    "got %s\nwant %s" % (got[:4], want[:4]))

# (T - range, T]: an entry exactly on T is in, exactly on T - range is out
def inst_count(t, rng="1s"):
    st, hd, r = jreq(Q, {"query": "sum(count_over_time(%s[%s]))" % (SEL, rng), "time": t})
    res = r["data"]["result"] if st == 200 else None
    return int(float(res[0]["value"][1])) if res else 0


c_on = inst_count(T0)
c_after = inst_count(T0 + NS)
c_before = inst_count(T0 - 1)
tap(c_on == sum(1 for t, _, _, _ in entries if T0 - NS < t <= T0) and
    c_after == sum(1 for t, _, _, _ in entries if T0 < t <= T0 + NS) and
    c_before == sum(1 for t, _, _, _ in entries if T0 - NS - 1 < t <= T0 - 1),
    "range window is (T-range, T] (entry at T in, at T-range out)", (c_on, c_after, c_before))

# JSONParserErr count = the invalid lines
bad_lines = sum(1 for t, _, raw, o in entries if E - W < t <= E and o is None)
st, hd, r = jreq(Q, {"query": 'sum(count_over_time(%s | json | __error__="JSONParserErr" '
                     '[%ds]))' % (SEL, W // NS), "time": E})
got = int(float(r["data"]["result"][0]["value"][1])) if st == 200 and r["data"]["result"] \
    else r
tap(got == bad_lines > 0, "| json | __error__=\"JSONParserErr\" counts the %d invalid lines"
    % bad_lines, got)

# ratio of two sums (one-to-one /)
errs = sum(1 for t, _, raw, o in entries if E - W < t <= E and o is not None and
           str(o.get("log_level", "")).lower() == "error")
st, hd, r = jreq(Q, {"query": 'sum(count_over_time(%s | json lvl="log_level" | lvl=~"(?i)error"'
                     ' | __error__="" [%ds])) / sum(count_over_time(%s [%ds]))'
                     % (SEL, W // NS, SEL, W // NS), "time": E})
got = float(r["data"]["result"][0]["value"][1]) if st == 200 and r["data"]["result"] else r
tap(st == 200 and close(got, errs / len(entries)),
    "sum(count errors) / sum(count all) = %d/%d" % (errs, len(entries)), got)

# pipeline errors and the series limit
st, body, _ = err({"query": 'quantile_over_time(0.5, %s | json lat="inference_metrics.'
                   'latency_ms" | unwrap lat [%ds])' % (SEL, W // NS), "time": E}, Q)
tap(st == 400 and body.startswith("pipeline error: 'SampleExtractionErr' for series: '{") and
    '__error_details__="strconv.ParseFloat: parsing' in body and
    "(e.g | __error__!=\"SampleExtractionErr\")" in body,
    "unwrap of \"87ms\" without __error__=\"\" -> 400 pipeline error", body[:300])
st, body, _ = err({"query": 'sum by (job) (count_over_time(%s | json [%ds]))'
                   % (SEL, W // NS), "time": E}, Q)
tap(st == 400 and body.startswith("pipeline error: 'JSONParserErr' for series: '{"),
    "| json errors not filtered in a metric query -> 400 pipeline error", body[:200])
st, body, _ = err({"query": 'count_over_time(%s | json t="timestamp" | __error__="" [%ds])'
                   % (SEL, W // NS), "time": E}, Q)
tap(st == 400 and body == "maximum of series (500) reached for a single query\n",
    "more than 500 series -> 400", body[:200])

# ---- faults
p1 = {"query": SEL, "start": S, "end": E, "limit": 3}
fault({"status": 503, "times": 1, "retry_after": 1, "path": "query_range"})
st, hd, body = req(QR, p1)
st2, hd2, body2 = req(QR, p1)
tap(st == 503 and hd.get("Retry-After") == "1" and body == b"empty ring\n" and
    hd.get("Content-Type") == "text/plain; charset=utf-8" and st2 == 200,
    "fault 503 + Retry-After once (Loki's 'empty ring'), then success", (st, body, st2))
fault({"status": 429, "times": 2})
codes = [req(QR, p1)[0] for i in range(3)]
tap(codes == [429, 429, 200], "fault times 2 counts down (429, 429, 200)", codes)
fault({"status": 504, "body": "custom words"})
st, hd, body = req(QR, p1)
tap(st == 504 and body == b"custom words\n", "fault body overrides the text", body)
fault({"status": 500, "path": "/loki/api/v1/labels"})
st_other = req(QR, p1)[0]
st_lab = req("/loki/api/v1/labels", rng)[0]
tap(st_other == 200 and st_lab == 500, "fault path only hits matching paths",
    (st_other, st_lab))
fault({"html": True})
st, hd, body = req(QR, p1)
tap(st == 502 and hd.get("Content-Type", "").startswith("text/html") and b"<html>" in body,
    "fault html: a gateway's HTML 502", (st, body[:80]))
fault({"truncate": True, "path": "query_range"})
st, hd, body = req(QR, {"query": SEL, "start": S, "end": E, "limit": 50})
st2, hd2, body2 = req(QR, {"query": SEL, "start": S, "end": E, "limit": 50})
tap(isinstance(body, Exception) and st2 == 200 and json.loads(body2)["status"] == "success",
    "fault truncate: body shorter than Content-Length, then whole", (st, repr(body)[:100]))
reset_and_delay(fault, lambda: req("/ready")[0])

# ---- stats
req("/_fake/reset", data="{}")
fault({"delay_ms": 400, "times": 4, "path": "labels"})
ths = [threading.Thread(target=req, args=("/loki/api/v1/labels", rng)) for _ in range(4)]
for th in ths:
    th.start()
for th in ths:
    th.join()
req(QR, {"query": "count_over_time(%s[1m])" % SEL, "start": S, "end": S + H})
req(Q, data={"query": SEL, "time": E})
st, hd, r = jreq("/_fake/stats")
tap(st == 200 and r["requests"] == 6 and r["by_path"] == {"/loki/api/v1/labels": 4, QR: 1,
                                                          Q: 1} and
    r["queries"] == ["count_over_time(%s[1m])" % SEL, SEL] and r["max_concurrent"] >= 2 and
    r["bytes_in"] > 0 and r["bytes_out"] > 0,
    "stats: requests, by_path, queries in order, max_concurrent, bytes", r)

# ---- a 3.x Loki with tenancy, and a gateway with auth
srv3, b3 = start(fake, tmp, ["--version", "3.4.0", "--require-org-id",
                             "--split-queries-by-interval", "0", "--max-query-range", "1h",
                             "--stream", '{job="ml-inference"}=' + os.path.join(tmp, "a.jsonl")])
srv4, b4 = start(fake, tmp, ["--require-basic", "u:p", "--require-bearer", "tok", "--stream",
                             '{job="ml-inference"}=' + os.path.join(tmp, "a.jsonl")])
try:
    org = {"X-Scope-OrgID": "tenant-a"}
    st, hd, body = req("/loki/api/v1/labels", rng, base=b3)
    tap(st == 401 and body == b"no org id\n", "3.x --require-org-id: 401 'no org id'",
        (st, body))
    st, hd, r = jreq("/loki/api/v1/status/buildinfo", base=b3, headers=org)
    st2, hd2, r2 = jreq("/loki/api/v1/series", [("match[]", SEL), ("start", S), ("end", E)],
                        base=b3, headers=org)
    tap(st == 200 and r["version"] == "3.4.0" and
        r2["data"] == [{"job": "ml-inference", "service_name": "ml-inference"}],
        "3.x buildinfo, service_name added from job", (r, r2))
    st, hd, body = req(Q, {"query": SEL, "time": E}, base=b3, headers=org)
    tap(st == 400 and body == b"log queries are not supported as an instant query type, "
        b"please change your query to a range query type\n",
        "3.2+: log query on instant /query -> 400", body)
    st, hd, body = req(QR, {"query": SEL, "start": S, "end": E, "limit": 6000}, base=b3,
                       headers=org)
    tap(st == 400 and body == b"max entries limit per query exceeded, limit > "
        b"max_entries_limit_per_query (6000 > 5000)\n", "3.4 max entries wording", body)
    st, hd, r = jreq(QR, {"query": SEL + ' | json v="model_metadata.serving_variant"',
                          "start": S, "end": E, "limit": 3},
                     base=b3, headers=dict(org, **{"X-Loki-Response-Encoding-Flags":
                                                   "categorize-labels"}))
    vals = [v for s in r["data"]["result"] for v in s["values"]] if st == 200 else []
    tap(st == 200 and r["data"].get("encodingFlags") == ["categorize-labels"] and
        len(vals) == 3 and all(len(v) == 3 and isinstance(v[2], dict) for v in vals) and
        all("v" not in s["stream"] for s in r["data"]["result"]),
        "3.x categorize-labels: 3-tuples, parsed labels out of the stream", str(r)[:400])
    st, hd, r = jreq(QR, {"query": "sum(count_over_time(%s[3600s]))" % SEL,
                          "start": S + H - 1, "end": E - 1, "step": "3600s"},
                     base=b3, headers=org)
    ts_a = [t for t, svc, _, _ in entries if svc == "recommendation-model-prod"]
    want = [((T - 1) // 10 ** 6 / 1000.0, c)
            for T, c in buckets_of(ts_a, S + H, E, H, False)]
    got = points(r)
    tap(st == 200 and got == want and sum(c for _, c in got) == len(ts_a),
        "without splitting: points at start + k*step, start = bucket end - 1ns gives "
        "[b, b+1h)", "got %s\nwant %s" % (got[:4], want[:4]))
    st, hd, body = req(QR, {"query": "sum(count_over_time(%s[2h]))" % SEL, "start": S,
                            "end": E, "step": "3600s"}, base=b3, headers=org)
    tap(st == 500 and body == b"[interval] value exceeds limit: [2h] > [1h]\n",
        "--max-query-range 1h: [2h] -> Loki's engine error (a 500)", (st, body))
    st, hd, r = jreq("/_fake/stats", base=b3)
    tap(r.get("org_ids", {}).get("tenant-a", 0) >= 4, "stats record the org ids seen",
        r.get("org_ids"))
    codes = [req("/ready", base=b4)[0],
             req("/ready", base=b4, headers={"Authorization": "Bearer nope"})[0],
             req("/ready", base=b4, headers={"Authorization": "Basic " +
                                             base64.b64encode(b"u:x").decode()})[0],
             req("/ready", base=b4, headers={"Authorization": "Basic " +
                                             base64.b64encode(b"u:p").decode()})[0],
             req("/ready", base=b4, headers={"Authorization": "Bearer tok"})[0]]
    tap(codes == [401, 401, 401, 200, 200],
        "gateway auth: 401 without/with wrong credentials, 200 with basic or bearer", codes)
finally:
    for p in (srv3, srv4):
        p.kill()
        p.wait()
plan()
PYEOF

selftest_check fake-loki.py
