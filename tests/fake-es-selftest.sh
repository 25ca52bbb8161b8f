#!/bin/sh
# Self-test of tests/fake-es.py (TAP): the fake Elasticsearch answers from
# the data it loaded, so its figures must equal those computed here, in
# Python, straight from the JSON lines; and every injected fault shows.
# Environment (set by tests/run.sh): srcdir, builddir, PYTHON3.
: "${srcdir:=.}" "${builddir:=.}" "${PYTHON3:=python3}"

. "$srcdir/tests/lib/selftest.sh"
selftest_setup fake-es
selftest_logs --requests 2600 --seed 4 --long-line 0
# two indices: odd lines and even lines
selftest_start fake-es.py --index ml-odd="$tmp/a.jsonl" --index ml-even="$tmp/b.jsonl"

cat >"$tmp/check.py" <<'PYEOF'
import json, math, os, sys
from selftest import get, http, num, plan, reset_and_delay, start, tap

port, tmp, fake = sys.argv[1], sys.argv[2], sys.argv[3]
BASE = "http://127.0.0.1:%s" % port


def req(path, body=None, method=None, headers=None, base=BASE, raw=False):
    """-> (status, headers, parsed JSON or raw bytes or an exception)"""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    st, hd, data = http(base + path, body, h,
                        method or ("POST" if body is not None else "GET"))
    if raw or isinstance(data, Exception):
        return st, hd, data
    try:
        return st, hd, json.loads(data)
    except ValueError as e:
        return st, hd, e


# ---- the truth, from the JSON lines (independently of the fake)
docs = []
for fn in ("a.jsonl", "b.jsonl"):
    with open(os.path.join(tmp, fn), encoding="utf-8") as fh:
        for line in fh:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if isinstance(o, dict):
                docs.append(o)


def pct(vals, p):
    """numpy.percentile(vals, p) (method 'linear')"""
    v = sorted(vals)
    r = p / 100.0 * (len(v) - 1)
    lo = int(math.floor(r))
    hi = min(lo + 1, len(v) - 1)
    f = r - lo
    if f == 0:
        return float(v[lo])
    if f >= 0.5:
        return float(v[hi] - (v[hi] - v[lo]) * (1 - f))
    return float(v[lo] + (v[hi] - v[lo]) * f)


# ---- GET / and _mapping
st, hd, r = req("/")
tap(st == 200 and r["version"]["number"].startswith("8.") and
    r["tagline"] == "You Know, for Search" and "cluster_name" in r and
    hd.get("X-Elastic-Product") == "Elasticsearch", "GET / has the ES shape", r)
st, hd, r = req("/ml-*/_mapping")
ok = st == 200 and sorted(r) == ["ml-even", "ml-odd"]
if ok:
    pr = r["ml-odd"]["mappings"]["properties"]
    lat = pr["inference_metrics"]["properties"]["latency_ms"]
    sv = pr["model_metadata"]["properties"]["serving_variant"]
    ok = (lat["type"] in ("long", "float") and sv["type"] == "text" and
          sv["fields"]["keyword"]["type"] == "keyword" and
          pr["timestamp"]["type"] == "date")
tap(ok, "_mapping: latency numeric, serving_variant text+keyword, timestamp date",
    r if not ok else None)

# ---- terms + percentiles equal the truth
groups = {}
for o in docs:
    v = get(o, "model_metadata.serving_variant")
    if isinstance(v, str):
        groups.setdefault(v, []).append(get(o, "inference_metrics.latency_ms"))
st, hd, r = req("/ml-*/_search", {
    "size": 0, "track_total_hits": True,
    "aggs": {"by_variant": {
        "terms": {"field": "model_metadata.serving_variant.keyword", "size": 20},
        "aggs": {"lat": {"percentiles": {"field": "inference_metrics.latency_ms",
                                          "percents": [50, 95, 99]}}}}}})
want = {}
for k, lats in groups.items():
    nums = [x for x in lats if num(x)]
    want[k] = (len(lats), {"50.0": pct(nums, 50), "95.0": pct(nums, 95),
                           "99.0": pct(nums, 99)})
got = {}
if st == 200:
    for b in r["aggregations"]["by_variant"]["buckets"]:
        got[b["key"]] = (b["doc_count"], b["lat"]["values"])
tap(st == 200 and got == want and len(want) >= 2,
    "terms(serving_variant)+percentiles(latency) equal count/p50/p95/p99 (%d groups)"
    % len(want), "got %s\nwant %s" % (got, want))
tap(st == 200 and r["hits"]["total"] == {"value": len(docs), "relation": "eq"},
    "track_total_hits: true counts every document (%d)" % len(docs),
    r.get("hits") if isinstance(r, dict) else r)

# ---- date_histogram 1h with extended_bounds: every bucket of the range
H = 3600000
ms = []
for o in docs:
    t = o.get("timestamp")
    if isinstance(t, str) and "T" in t:
        from datetime import datetime, timezone
        d = datetime.fromisoformat(t.replace("Z", "+00:00"))
        if d.tzinfo is None:
            d = d.replace(tzinfo=timezone.utc)
        ms.append(int(round(d.timestamp() * 1000)))
lo = min(ms) // H * H - 3 * H
hi = max(ms) // H * H + 2 * H
counts = {}
for t in ms:
    counts[t // H * H] = counts.get(t // H * H, 0) + 1
want = [(k, counts.get(k, 0)) for k in range(lo, hi + 1, H)]
st, hd, r = req("/ml-*/_search", {"size": 0, "aggs": {"h": {"date_histogram": {
    "field": "timestamp", "fixed_interval": "1h", "min_doc_count": 0,
    "extended_bounds": {"min": lo, "max": hi + H - 1}}}}})
got = [(b["key"], b["doc_count"]) for b in r["aggregations"]["h"]["buckets"]] \
    if st == 200 else r
ks = r["aggregations"]["h"]["buckets"][0]["key_as_string"] if st == 200 else ""
tap(got == want and ks.endswith(":00:00.000Z"),
    "date_histogram 1h + extended_bounds lists all %d buckets" % len(want),
    "got %s\nwant %s" % (str(got)[:600], str(want)[:600]))

# ---- search_after paging over > 10,000 hits
seen, pages, after, last, order_ok = [], 0, None, None, True
while pages < 40:
    body = {"size": 1000, "sort": [{"timestamp": {"order": "asc"}}, "_doc"],
            "track_total_hits": False}
    if after is not None:
        body["search_after"] = after
    st, hd, r = req("/ml-*/_search", body)
    if st != 200:
        break
    hits = r["hits"]["hits"]
    pages += 1
    for h in hits:
        k = h["sort"]
        if last is not None and k[0] is not None and last[0] is not None and \
                (k[0], k[1]) <= (last[0], last[1]):
            order_ok = False
        last = k
        seen.append((h["_index"], h["_id"]))
    if len(hits) < 1000:
        break
    after = hits[-1]["sort"]
tap(st == 200 and len(seen) == len(docs) > 10000 and len(set(seen)) == len(seen)
    and order_ok, "search_after walks all %d hits in %d pages, no loss or duplicate"
    % (len(docs), pages), "status %s, %d seen, %d distinct, order %s"
    % (st, len(seen), len(set(seen)), order_ok))
st, hd, r = req("/ml-*/_search", {"from": 9995, "size": 10})
tap(st == 400 and r["error"]["root_cause"][0]["type"] == "illegal_argument_exception"
    and "Result window is too large" in r["error"]["root_cause"][0]["reason"],
    "from+size > 10000 -> 400 illegal_argument_exception", r)

# ---- _msearch
nd = "".join(json.dumps(x) + "\n" for x in [
    {"index": "ml-*"}, {"size": 0, "track_total_hits": True},
    {}, {"size": 2, "query": {"term": {"event_type.keyword": "inference_complete"}}},
    {"index": "nope"}, {"size": 0}])
st, hd, r = req("/ml-*/_msearch", nd, headers={"Content-Type": "application/x-ndjson"})
ok = st == 200 and "took" in r and len(r["responses"]) == 3 and \
    [x["status"] for x in r["responses"]] == [200, 200, 404] and \
    r["responses"][0]["hits"]["total"]["value"] == len(docs) and \
    r["responses"][2]["error"]["type"] == "index_not_found_exception"
tap(ok, "_msearch with 3 searches -> 3 responses with status (200, 200, 404)", r)
st, hd, r = req("/_msearch", nd.rstrip("\n"))
tap(st == 400, "_msearch without the final newline -> 400", r)

# ---- a bool query counts like Python
q = {"bool": {"filter": [
        {"term": {"service.keyword": "recommendation-model-prod"}},
        {"range": {"inference_metrics.latency_ms": {"gte": 100, "lt": 400}}}],
      "must_not": [{"term": {"model_metadata.serving_variant.keyword": "canary"}}]}}
want = sum(1 for o in docs if o.get("service") == "recommendation-model-prod"
           and num(get(o, "inference_metrics.latency_ms"))
           and 100 <= get(o, "inference_metrics.latency_ms") < 400
           and get(o, "model_metadata.serving_variant") != "canary")
st, hd, r = req("/ml-*/_search", {"size": 0, "track_total_hits": True, "query": q})
tap(st == 200 and r["hits"]["total"]["value"] == want and want > 0,
    "bool/term/range/must_not count equals Python's (%d)" % want, r)
st, hd, r = req("/ml-*/_search", {"query": {"matchh": {}}})
tap(st == 400 and r["error"]["root_cause"][0]["type"] == "parsing_exception"
    and r["error"]["reason"] == "unknown query [matchh]", "unknown query -> 400", r)
# ---- faults
def fault(f):
    st, hd, r = req("/_fake/faults", f)
    return st == 200

s1 = {"size": 0, "track_total_hits": True}
fault({"status": 503, "times": 1, "retry_after": 1, "path": "_search"})
st, hd, r = req("/ml-*/_search", s1)
st2, hd2, r2 = req("/ml-*/_search", s1)
tap(st == 503 and hd.get("Retry-After") == "1" and r.get("status") == 503 and
    r["error"]["type"] == "search_phase_execution_exception" and st2 == 200 and
    r2["hits"]["total"]["value"] == len(docs),
    "fault 503 + Retry-After once, then success", (st, dict(hd), r, st2))
fault({"truncate": True, "path": "_search"})
st, hd, r = req("/ml-*/_search", {"size": 50})
st2, hd2, r2 = req("/ml-*/_search", {"size": 50})
tap(isinstance(r, Exception) and not isinstance(r, ValueError) and st2 == 200
    and len(r2["hits"]["hits"]) == 50,
    "fault truncate: body shorter than Content-Length, then whole", (st, r))
fault({"shard_failures": 1, "path": "_msearch"})
st, hd, r = req("/_msearch", '{"index":"ml-*"}\n{"size":0,"track_total_hits":true}\n')
sh = r["responses"][0]["_shards"] if st == 200 else {}
tap(st == 200 and sh.get("failed") == 1 and len(sh.get("failures", [])) == 1
    and sh["successful"] == sh["total"] - 1
    and sh["failures"][0]["reason"]["type"] == "query_shard_exception",
    "fault shard_failures: a 200 with _shards.failed 1 and failures[]", r)
fault({"not_json": True})
st, hd, r = req("/ml-*/_search", s1)
st2, hd2, r2 = req("/ml-*/_search", s1)
tap(st == 200 and isinstance(r, ValueError) and "html" in hd.get("Content-Type", "")
    and st2 == 200 and isinstance(r2, dict), "fault not_json: an HTML body, then JSON",
    (st, r))
fault({"status": 429, "times": 2})
codes = [req("/ml-*/_count", {})[0] for i in range(3)]
tap(codes == [429, 429, 200], "fault times 2 counts down (429, 429, 200)", codes)
reset_and_delay(fault, lambda: req("/")[0])

# ---- auth: a second server that wants an API key
srv, b2 = start(fake, tmp, ["--require-api-key", "S2VZOnNlY3JldA==", "--index",
                           "ml-odd=" + os.path.join(tmp, "a.jsonl")])
try:
    st, hd, r = req("/ml-*/_search", s1, base=b2)
    tap(st == 401 and "ApiKey" in (hd.get_all("WWW-Authenticate") or []) and
        r["error"]["root_cause"][0]["type"] == "security_exception" and
        "missing authentication credentials" in r["error"]["reason"],
        "401 security_exception + WWW-Authenticate without credentials", (st, r))
    st, hd, r = req("/ml-*/_search", s1, base=b2,
                    headers={"Authorization": "ApiKey wrong"})
    tap(st == 401, "401 with a wrong API key", r)
    st, hd, r = req("/ml-*/_search", s1, base=b2,
                    headers={"Authorization": "ApiKey S2VZOnNlY3JldA=="})
    tap(st == 200 and r["hits"]["total"]["value"] > 6000,
        "200 with Authorization: ApiKey KEY", r)
finally:
    srv.kill()
    srv.wait()

# ---- stats
req("/_fake/reset", {})
req("/")
req("/ml-*/_search", s1)
req("/ml-*/_search", s1)
st, hd, r = req("/_fake/stats")
tap(st == 200 and r["requests"] == 3 and r["by_path"] == {"/": 1, "/ml-*/_search": 2}
    and r["bytes_in"] == 2 * len(json.dumps(s1)) and r["bytes_out"] > 0,
    "stats count requests, paths and bytes", r)
plan()
PYEOF

selftest_check fake-es.py
