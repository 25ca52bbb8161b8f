#!/usr/bin/env python3
"""A fake Elasticsearch/OpenSearch server for logdive's tests (Python 3
standard library only). It loads JSON-lines files into indices and answers
from the data: every hit list, count and aggregation is computed, nothing is
canned. Listens on 127.0.0.1 on a free port written to --port-file.

  fake-es.py --port-file F --index NAME=FILE [--index NAME=FILE ...]
             [--flavour elasticsearch|opensearch] [--version 8.13.4]
             [--require-api-key KEY] [--require-basic USER:PASS]
             [--latency-ms N] [--fault JSON ...] [--no-scripts]
             [--bind ADDR] [--tls-cert PEM --tls-key PEM] [--log-headers FILE]
             (the last four and the network faults: tests/lib/fakehttp.py)

Endpoints: GET|HEAD /, GET /<target>/_mapping, GET /_cat/indices[/<target>],
GET|POST [/<target>]/_search, [/<target>]/_count, [/<target>]/_msearch,
POST /<target>/_pit?keep_alive=1m + DELETE /_pit (ES 8 shape),
POST /<target>/_search/point_in_time + DELETE /_search/point_in_time
(OpenSearch shape). <target> = comma list of names and wildcards; a
concrete missing name -> 404 index_not_found_exception, a wildcard that
matches nothing -> no index (200, zero hits), as in ES.

Test control (never needs auth, never counted):
  POST /_fake/faults  {"status": 503, "times": 2, "retry_after": 1,
                       "delay_ms": 100, "truncate": true, "not_json": true,
                       "shard_failures": 1, "reset": true, "path": "_msearch"}
      adds a fault: the next `times` (default 1; < 0 = forever) requests
      whose path contains `path` (default: every path) get it. Effects
      combine: delay_ms sleeps first; reset closes the connection with RST
      and no answer; status answers that status with the ES envelope
      (429 es_rejected_execution_exception, 503 no_shard_available...,
      others a generic one) and Retry-After if retry_after is set; not_json
      answers an HTML page (status `status`, default 200); truncate sends
      the real Content-Length but only half the body then closes;
      shard_failures N turns a real 200 answer into a partial one
      (_shards.failed = N, with failures[]; the hits are still complete).
  GET /_fake/faults    the pending faults; DELETE /_fake/faults clears them
  GET /_fake/stats     {"requests", "by_path", "bytes_in", "bytes_out"}
  POST /_fake/reset    clears the counters and the faults

Differences from real Elasticsearch (deliberate, documented):
  * percentiles are EXACT: linear interpolation between the closest ranks,
    i.e. numpy.percentile's default (rank = p/100 * (n-1)). Real ES uses a
    TDigest (approximate); the fake is exact so that equivalence tests
    can compare logdive's ES backend with its file backend exactly.
  * cardinality is exact (ES: HyperLogLog++); terms counts are exact and
    doc_count_error_upper_bound is always 0 (one shard per index).
  * scoring: every hit scores 1.0 (no BM25); without a sort, hits come in
    index order. _score/max_score are null when a sort is given.
  * _doc and _shard_doc sort values are one global ordinal, unique across
    indices (so `_doc` is a valid search_after tiebreaker here).
  * a missing sort value is returned as null in "sort" (ES returns
    Long.MAX_VALUE-like sentinels); null in search_after means "missing".
  * dynamic mapping: the first value seen for a path fixes its type;
    strings -> text + .keyword (ignore_above 256), except ISO-8601-looking
    strings of the top-level time key (timestamp, @timestamp) -> date (ES
    would also detect dates elsewhere); ints -> long, floats -> float;
    a value that does not fit its field's type is dropped from the index
    (the index behaves as with index.mapping.ignore_malformed: true) but is
    kept in _source; numeric strings are coerced like ES; a float in a long
    field is truncated.
  * date math: now, now-1h, now/d, anchored "...||+1d" are supported;
    time_zone of date_histogram accepts only fixed offsets (Z, +02:00).
  * scripts: only logdive's per-record mean script (MEAN_SCRIPT below) in
    avg/sum/min/max/stats; any other script is a script_exception
    "compile error". --no-scripts refuses it as script.allowed_types: none.
  * float fields keep the source's double values (ES keeps 32-bit floats
    in doc values, so its means differ in about the 8th digit).
  * not supported: query_string, simple_query_string, nested, runtime
    fields, scroll, highlight, `fields`.
"""

import argparse
import base64
import calendar
import fnmatch
import hashlib
import json
import math
import os
import re
import socket
import sys
import time
from functools import cmp_to_key
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "lib"))
sys.dont_write_bytecode = True    # no __pycache__ in the source tree
import fakehttp  # noqa: E402  (tests/lib/fakehttp.py)

TIME_KEYS = ("timestamp", "@timestamp")
MAX_RESULT_WINDOW = 10000
IGNORE_ABOVE = 256


class EsError(Exception):
    """An error answered with the ES envelope."""

    def __init__(self, status, etype, reason, extra=None, outer=None,
                 caused_by=None):
        Exception.__init__(self, reason)
        self.status = status
        self.etype = etype
        self.reason = reason
        self.extra = extra or {}
        self.outer = outer          # (type, reason, extra) of the outer error
        self.caused_by = caused_by

    def body(self):
        root = {"type": self.etype, "reason": self.reason}
        root.update(self.extra)
        if self.outer:
            err = {"root_cause": [root], "type": self.outer[0],
                   "reason": self.outer[1]}
            err.update(self.outer[2])
        else:
            err = {"root_cause": [root]}
            err.update(root)
        if self.caused_by:
            err["caused_by"] = self.caused_by
        return {"error": err, "status": self.status}


def bad_request(reason, etype="illegal_argument_exception", **extra):
    return EsError(400, etype, reason, extra)


def parsing_error(reason):
    return EsError(400, "parsing_exception", reason, {"line": 1, "col": 1})


def index_not_found(name):
    extra = {"resource.type": "index_or_alias", "resource.id": name,
             "index_uuid": "_na_", "index": name}
    return EsError(404, "index_not_found_exception",
                   "no such index [%s]" % name, extra)


# ---------------------------------------------------------------- dates

ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_iso(s):
    """ISO-8601 string -> epoch ms (UTC when no zone), or None."""
    m = ISO_RE.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    try:
        secs = calendar.timegm((int(y), int(mo), int(d), int(hh or 0),
                                int(mi or 0), int(ss or 0), 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(hh or 0) < 24
            and int(mi or 0) < 60 and int(ss or 0) < 61):
        return None
    ms = secs * 1000 + (int((frac or "0")[:3].ljust(3, "0")))
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        z = zone[1:].replace(":", "")
        off = int(z[:2]) * 60 + (int(z[2:4]) if len(z) > 2 else 0)
        ms -= sign * off * 60000
    return ms


def fmt_ms(ms, offset_ms=0):
    """epoch ms -> "2024-05-01T10:00:00.000Z" (or with a +hh:mm offset)."""
    t = ms + offset_ms
    secs, milli = divmod(int(t), 1000)
    tm = time.gmtime(secs)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", tm) + ".%03d" % milli
    if offset_ms == 0:
        return s + "Z"
    sign = "+" if offset_ms > 0 else "-"
    m = abs(offset_ms) // 60000
    return s + "%s%02d:%02d" % (sign, m // 60, m % 60)


UNIT_MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "H": 3600000,
           "d": 86400000, "w": 7 * 86400000}


def round_ms(ms, unit, up):
    """Round epoch ms down (or up to the unit's last ms) to a unit."""
    if unit in ("M", "y"):
        tm = time.gmtime(ms // 1000)
        if unit == "y":
            start = calendar.timegm((tm.tm_year, 1, 1, 0, 0, 0)) * 1000
            nxt = calendar.timegm((tm.tm_year + 1, 1, 1, 0, 0, 0)) * 1000
        else:
            start = calendar.timegm((tm.tm_year, tm.tm_mon, 1, 0, 0, 0)) * 1000
            y, mo = (tm.tm_year + 1, 1) if tm.tm_mon == 12 else \
                (tm.tm_year, tm.tm_mon + 1)
            nxt = calendar.timegm((y, mo, 1, 0, 0, 0)) * 1000
    else:
        size = UNIT_MS[unit]
        base = 4 * 86400000 if unit == "w" else 0   # weeks start on Monday
        start = (ms - base) // size * size + base
        nxt = start + size
    return nxt - 1 if up else start


def add_units(ms, n, unit):
    if unit in ("M", "y"):
        tm = time.gmtime(ms // 1000)
        months = tm.tm_year * 12 + tm.tm_mon - 1 + (n * 12 if unit == "y" else n)
        y, mo = divmod(months, 12)
        day = min(tm.tm_mday, calendar.monthrange(y, mo + 1)[1])
        return (calendar.timegm((y, mo + 1, day, tm.tm_hour, tm.tm_min,
                                 tm.tm_sec)) * 1000 + ms % 1000)
    return ms + n * UNIT_MS[unit]


MATH_RE = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")


def parse_date(v, up=False):
    """A date in a query (epoch ms number, digits, ISO, date math) -> ms."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v)
    if not isinstance(v, str):
        return None
    s = v.strip()
    if s.startswith("now"):
        base, rest = int(time.time() * 1000), s[3:]
    elif "||" in s:
        a, rest = s.split("||", 1)
        base = parse_date(a)
    else:
        if re.match(r"^-?\d+$", s) and len(s) != 4:
            return int(s)
        return parse_iso(s)
    if base is None:
        return None
    pos = 0
    while pos < len(rest):
        m = MATH_RE.match(rest, pos)
        if not m:
            return None
        if m.group(4):
            base = round_ms(base, m.group(4), up)
        else:
            n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
            base = add_units(base, n, m.group(3))
        pos = m.end()
    return base


def parse_interval(s):
    """"30s", "5m", "1h", "1d", "250ms" -> ms."""
    m = re.match(r"^(\d+)(ms|s|m|h|d)$", str(s).strip())
    if not m or int(m.group(1)) == 0:
        raise bad_request("failed to parse setting [date_histogram.fixed_interval]"
                          " with value [%s] as a time value" % s)
    return int(m.group(1)) * UNIT_MS[m.group(2)]


# ---------------------------------------------------------------- text

TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(s):
    """Standard-analyzer-like: lowercase, split on non-alphanumerics."""
    return TOKEN_RE.findall(s.lower())


def json_str(v):
    """How ES shows a non-string value indexed into a text/keyword field."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v) if not isinstance(v, str) else v


# ---------------------------------------------------------------- data

def flatten(obj, prefix, out):
    """Object -> [(dotted path, scalar)], arrays flattened (ES semantics)."""
    for k, v in obj.items():
        path = prefix + k
        if isinstance(v, dict):
            flatten(v, path + ".", out)
        elif isinstance(v, list):
            flatten_list(v, path, out)
        elif v is not None:
            out.append((path, v))


def flatten_list(lst, path, out):
    for e in lst:
        if isinstance(e, dict):
            flatten(e, path + ".", out)
        elif isinstance(e, list):
            flatten_list(e, path, out)
        elif e is not None:
            out.append((path, e))


def detect_type(path, v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        if path in TIME_KEYS and ISO_RE.match(v):
            return "date"
        return "text"
    return None


def num_of(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            try:
                f = float(v.strip())
                return f if math.isfinite(f) else None
            except ValueError:
                return None
    return None


def convert(ftype, v):
    """A source value -> its indexed value for the field type, or None."""
    if ftype == "text" or ftype == "keyword":
        return v if isinstance(v, str) else json_str(v)
    if ftype == "date":
        if isinstance(v, str):
            return parse_iso(v.strip())
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return int(v)
        return None
    if ftype == "long":
        n = num_of(v)
        return None if n is None else int(n)
    if ftype == "float":
        n = num_of(v)
        return None if n is None else float(n)
    if ftype == "boolean":
        if isinstance(v, bool):
            return v
        if v in ("true", "false"):
            return v == "true"
        return None
    return None


class Doc:
    __slots__ = ("idx", "ord", "id", "src", "f", "tok")

    def __init__(self, idx, ordinal, did, src):
        self.idx, self.ord, self.id, self.src = idx, ordinal, did, src
        self.f = {}
        self.tok = None


class Index:
    def __init__(self, name):
        self.name = name
        self.docs = []
        self.types = {}          # dotted path -> date|long|float|boolean|text
        self.skipped = 0
        self.uuid = base64.urlsafe_b64encode(
            hashlib.sha1(name.encode()).digest()[:16]).decode()[:22]

    def ftype(self, path):
        t = self.types.get(path)
        if t is None and path.endswith(".keyword") and \
                self.types.get(path[:-8]) == "text":
            return "keyword"
        if t is None and path in ("_index", "_id"):
            return "keyword"
        return t

    def add(self, src, lineno, ordinal):
        did = base64.urlsafe_b64encode(hashlib.sha1(
            ("%s\0%d" % (self.name, lineno)).encode()).digest()[:15]).decode()
        d = Doc(self, ordinal, did, src)
        flat = []
        flatten(src, "", flat)
        f = d.f
        for path, v in flat:
            t = self.types.get(path)
            if t is None:
                t = detect_type(path, v)
                if t is None:
                    continue
                self.types[path] = t
            cv = convert(t, v)
            if cv is None:
                continue
            f.setdefault(path, []).append(cv)
            if t == "text" and len(cv) <= IGNORE_ABOVE:
                f.setdefault(path + ".keyword", []).append(cv)
        self.docs.append(d)

    def mapping(self):
        props = {}
        for path in sorted(self.types):
            parts = path.split(".")
            node = props
            ok = True
            for p in parts[:-1]:
                ent = node.setdefault(p, {"properties": {}})
                if "properties" not in ent:
                    ok = False
                    break
                node = ent["properties"]
            if not ok or parts[-1] in node:
                continue
            t = self.types[path]
            if t == "text":
                node[parts[-1]] = {"type": "text", "fields": {"keyword": {
                    "type": "keyword", "ignore_above": IGNORE_ABOVE}}}
            else:
                node[parts[-1]] = {"type": t}
        return {"mappings": {"properties": props}}


def values(doc, path):
    """The indexed values of a field of a document ([] if none)."""
    if path == "_index":
        return [doc.idx.name]
    if path == "_id":
        return [doc.id]
    return doc.f.get(path, ())


def doc_tokens(doc, path):
    """Token lists (one per value) of a text field, cached on the doc."""
    if doc.tok is None:
        doc.tok = {}
    t = doc.tok.get(path)
    if t is None:
        t = [tokens(v) for v in doc.f.get(path, ())]
        doc.tok[path] = t
    return t


class Store:
    def __init__(self):
        self.indices = {}        # name -> Index (insertion order)
        self.ordinal = 0

    def load(self, name, filename):
        idx = self.indices.get(name)
        if idx is None:
            idx = self.indices[name] = Index(name)
        with open(filename, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    src = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    idx.skipped += 1
                    continue
                if not isinstance(src, dict):
                    idx.skipped += 1
                    continue
                idx.add(src, lineno, self.ordinal)
                self.ordinal += 1
        return idx

    def resolve(self, target, missing_ok=False):
        """"a,ml-*,-x" -> [Index]; a missing concrete name -> 404."""
        names = list(self.indices)
        if target is None or target.strip() in ("", "_all", "*"):
            return [self.indices[n] for n in names]
        chosen = []
        for part in target.split(","):
            part = part.strip()
            if not part:
                continue
            if part.startswith("-") and chosen:
                pat = part[1:]
                chosen = [n for n in chosen if not fnmatch.fnmatchcase(n, pat)]
            elif "*" in part or "?" in part:
                chosen += [n for n in names if fnmatch.fnmatchcase(n, part)
                           and n not in chosen]
            elif part in self.indices:
                if part not in chosen:
                    chosen.append(part)
            elif part == "_all":
                chosen += [n for n in names if n not in chosen]
            elif not missing_ok:
                raise index_not_found(part)
        return [self.indices[n] for n in chosen]


# ---------------------------------------------------------------- queries

def unknown_query(name):
    return EsError(400, "parsing_exception", "unknown query [%s]" % name,
                   {"line": 1, "col": 1},
                   caused_by={"type": "named_object_not_found_exception",
                              "reason": "[1:1] unknown field [%s]" % name})


def shard_error(reason, idx_name="_na_", etype="query_shard_exception"):
    root = {"index_uuid": "_na_", "index": idx_name}
    return EsError(400, etype, reason, root,
                   outer=("search_phase_execution_exception", "all shards failed",
                          {"phase": "query", "grouped": True,
                           "failed_shards": [{"shard": 0, "index": idx_name,
                                              "node": "fake-node-0",
                                              "reason": dict(root, type=etype,
                                                             reason=reason)}]}))


def field_params(qname, body, main_key):
    """{"f": v} or {"f": {main_key: v, ...}} -> (field, params)."""
    if not isinstance(body, dict):
        raise parsing_error("[%s] query malformed, no start_object after query name"
                            % qname)
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        raise parsing_error("[%s] query doesn't support multiple fields, found [%s]"
                            % (qname, ", ".join(fields)) if fields else
                            "[%s] query malformed, no field" % qname)
    f = fields[0]
    p = body[f]
    if isinstance(p, dict):
        if main_key not in p and not (qname == "range"):
            raise parsing_error("[%s] query does not support [%s]" % (qname, f))
        return f, p
    return f, {main_key: p}


def field_pred(field, build):
    """A doc predicate for a field query; build(ftype) -> fn(doc) or None,
    called once per index (the mapping is per index)."""
    cache = {}

    def pred(doc):
        idx = doc.idx
        fn = cache.get(idx, cache)
        if fn is cache:
            fn = cache[idx] = build(idx.ftype(field), idx)
        return fn is not None and fn(doc)
    return pred


def any_value(field, test):
    return lambda doc: any(test(v) for v in values(doc, field))


def any_token(field, test):
    return lambda doc: any(test(t) for toks in doc_tokens(doc, field) for t in toks)


def typed_value(ftype, v, idx, field, up=False):
    """A query value -> the field type's indexed form (400 if impossible)."""
    if ftype in ("long", "float"):
        n = num_of(v)
        if n is None:
            raise shard_error('failed to create query: For input string: "%s"' % v,
                              idx.name)
        return n
    if ftype == "date":
        ms = parse_date(v, up)
        if ms is None:
            raise shard_error("failed to parse date field [%s] with format "
                              "[strict_date_optional_time||epoch_millis]" % v,
                              idx.name)
        return ms
    if ftype == "boolean":
        if v in (True, "true"):
            return True
        if v in (False, "false"):
            return False
        raise shard_error("Can't parse boolean value [%s], expected [true] or [false]"
                          % v, idx.name)
    return json_str(v)


def q_term(body):
    field, p = field_params("term", body, "value")
    value, ci = p.get("value"), bool(p.get("case_insensitive", False))

    def build(ftype, idx):
        if ftype is None:
            return None
        tv = typed_value(ftype, value, idx, field)
        if ftype in ("text", "keyword"):
            want = tv.lower() if ci else tv
            norm = (lambda s: s.lower()) if ci else (lambda s: s)
            if ftype == "text":
                return any_token(field, lambda t: norm(t) == want)
            return any_value(field, lambda s: norm(s) == want)
        return any_value(field, lambda x: x == tv)
    return field_pred(field, build)


def q_terms(body):
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1 or not isinstance(body[fields[0]], list):
        raise parsing_error("[terms] query requires one field with an array of values")
    field, vals = fields[0], body[fields[0]]

    def build(ftype, idx):
        if ftype is None:
            return None
        want = set(typed_value(ftype, v, idx, field) for v in vals)
        if ftype == "text":
            return any_token(field, lambda t: t in want)
        return any_value(field, lambda x: x in want)
    return field_pred(field, build)


def q_range(body):
    field, p = field_params("range", body, "gte")
    bounds = []
    for k in ("gt", "gte", "lt", "lte", "from", "to"):
        if p.get(k) is None:
            continue
        if k == "from":
            bounds.append(("gte" if p.get("include_lower", True) else "gt", p[k]))
        elif k == "to":
            bounds.append(("lte" if p.get("include_upper", True) else "lt", p[k]))
        else:
            bounds.append((k, p[k]))
    epoch_s = "epoch_second" in str(p.get("format", ""))

    def build(ftype, idx):
        if ftype is None:
            return None
        tests = []
        for op, v in bounds:
            if ftype == "date" and epoch_s and num_of(v) is not None:
                v = int(num_of(v) * 1000)
            tv = typed_value(ftype, v, idx, field, up=op in ("lte", "gt"))
            tests.append((op, tv))

        def ok(x):
            for op, b in tests:
                if (op == "gt" and not x > b) or (op == "gte" and not x >= b) or \
                        (op == "lt" and not x < b) or (op == "lte" and not x <= b):
                    return False
            return True
        if ftype == "text":
            return any_token(field, ok)
        return any_value(field, ok)
    return field_pred(field, build)


def q_exists(body):
    if not isinstance(body, dict) or "field" not in body:
        raise parsing_error("[exists] must be provided with a [field]")
    field = body["field"]
    prefix = field + "."

    def build(ftype, idx):
        if ftype is not None:
            return lambda doc: bool(values(doc, field))
        # an object: any sub-field
        return lambda doc: any(k.startswith(prefix) for k in doc.f)
    return field_pred(field, build)


def q_match(body, phrase=False):
    qname = "match_phrase" if phrase else "match"
    field, p = field_params(qname, body, "query")
    query = p.get("query")
    operator = str(p.get("operator", "or")).lower()

    def build(ftype, idx):
        if ftype is None:
            return None
        if ftype != "text":
            tv = typed_value(ftype, query, idx, field)
            return any_value(field, lambda x: x == tv)
        qt = tokens(json_str(query))
        if not qt:
            return None
        if phrase:
            n = len(qt)

            def has_phrase(doc):
                for toks in doc_tokens(doc, field):
                    for i in range(len(toks) - n + 1):
                        if toks[i:i + n] == qt:
                            return True
                return False
            return has_phrase
        want = set(qt)

        def has_tokens(doc):
            seen = set()
            for toks in doc_tokens(doc, field):
                seen.update(t for t in toks if t in want)
            return seen == want if operator == "and" else bool(seen)
        return has_tokens
    return field_pred(field, build)


def wildcard_re(pat, ci):
    out, i = [], 0
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            out.append(re.escape(pat[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S | (re.I if ci else 0))


def lucene_re(pat, ci, flags):
    """Lucene regexp (anchored, whole value) -> compiled Python regex."""
    allops = str(flags or "ALL").upper() in ("ALL", "")
    out, i, n, in_class = [], 0, len(pat), False
    while i < n:
        c = pat[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pat[i + 1]))
            i += 2
            continue
        if in_class:
            out.append("\\[" if c == "[" else c)
            in_class = c != "]"
        elif c == "[":
            in_class = True
            out.append(c)
            if i + 1 < n and pat[i + 1] == "^":
                out.append("^")
                i += 1
        elif c == '"':
            j = pat.find('"', i + 1)
            if j < 0:
                raise bad_request("invalid regexp [%s]: unterminated string" % pat)
            out.append(re.escape(pat[i + 1:j]))
            i = j
        elif c in ".?+*|{}()":
            out.append(c)
        elif c == "@" and allops:
            out.append(".*")
        elif c == "#" and allops:
            out.append("(?!)")
        elif c in "&~<>" and allops:
            raise bad_request("fake-es: regexp operator [%s] is not supported" % c)
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out), re.S | (re.I if ci else 0))
    except re.error as e:
        raise bad_request("invalid regular expression [%s]: %s" % (pat, e))


def q_pattern(qname, body):
    field, p = field_params(qname, body, "value")
    value = p.get("value", p.get("wildcard"))
    if not isinstance(value, str):
        raise parsing_error("[%s] query requires a string value" % qname)
    ci = bool(p.get("case_insensitive", False))
    if qname == "wildcard":
        rx = wildcard_re(value, ci)
    elif qname == "regexp":
        rx = lucene_re(value, ci, p.get("flags"))
    else:  # prefix
        rx = re.compile(re.escape(value) + ".*", re.S | (re.I if ci else 0))

    def build(ftype, idx):
        if ftype is None:
            return None
        if ftype not in ("text", "keyword"):
            raise shard_error("Can only use %s queries on keyword and text fields - "
                              "not on [%s] which is of type [%s]"
                              % (qname, field, ftype), idx.name)
        if ftype == "text":
            return any_token(field, lambda t: rx.fullmatch(t) is not None)
        return any_value(field, lambda s: rx.fullmatch(s) is not None)
    return field_pred(field, build)


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def min_should(msm, nshould, default):
    if msm is None:
        return default
    s = str(msm).strip()
    try:
        if s.endswith("%"):
            pct = int(s[:-1])
            n = int(nshould * abs(pct) / 100)
            return n if pct >= 0 else nshould - n
        n = int(s)
    except ValueError:
        raise bad_request("cannot parse minimum_should_match [%s]" % msm)
    return n if n >= 0 else max(nshould + n, 0)


def q_bool(body):
    if not isinstance(body, dict):
        raise parsing_error("[bool] query malformed")
    for k in body:
        if k not in ("must", "filter", "should", "must_not",
                     "minimum_should_match", "boost", "_name",
                     "adjust_pure_negative"):
            raise parsing_error("[bool] query does not support [%s]" % k)
    must = [compile_query(q) for q in as_list(body.get("must"))]
    must += [compile_query(q) for q in as_list(body.get("filter"))]
    should = [compile_query(q) for q in as_list(body.get("should"))]
    must_not = [compile_query(q) for q in as_list(body.get("must_not"))]
    need = min_should(body.get("minimum_should_match"), len(should),
                      0 if must else (1 if should else 0))

    def pred(doc):
        for q in must:
            if not q(doc):
                return False
        for q in must_not:
            if q(doc):
                return False
        if need > 0:
            got = 0
            for q in should:
                if q(doc):
                    got += 1
                    if got >= need:
                        break
            if got < need:
                return False
        return True
    return pred


def q_ids(body):
    want = set(as_list(body.get("values") if isinstance(body, dict) else None))
    return lambda doc: doc.id in want


QUERIES = {
    "match_all": lambda b: (lambda doc: True),
    "match_none": lambda b: (lambda doc: False),
    "bool": q_bool,
    "term": q_term,
    "terms": q_terms,
    "range": q_range,
    "exists": q_exists,
    "match": q_match,
    "match_phrase": lambda b: q_match(b, phrase=True),
    "wildcard": lambda b: q_pattern("wildcard", b),
    "regexp": lambda b: q_pattern("regexp", b),
    "prefix": lambda b: q_pattern("prefix", b),
    "ids": q_ids,
    "constant_score": lambda b: compile_query(b.get("filter") if isinstance(b, dict)
                                              else None),
}


def compile_query(q):
    """Query DSL -> predicate(doc) -> bool."""
    if q is None:
        return lambda doc: True
    if not isinstance(q, dict) or len(q) != 1:
        raise parsing_error("[_na] query malformed, must start with start_object"
                            if not isinstance(q, dict) else
                            "[%s] malformed query, expected [END_OBJECT] but found "
                            "[FIELD_NAME]" % (list(q)[0] if q else "_na"))
    (name, body), = q.items()
    fn = QUERIES.get(name)
    if fn is None:
        raise unknown_query(name)
    return fn(body)


# ---------------------------------------------------------------- search

SEARCH_KEYS = {"query", "size", "from", "sort", "search_after", "pit",
               "track_total_hits", "_source", "aggs", "aggregations",
               "timeout", "fields", "docvalue_fields", "stored_fields",
               "version", "seq_no_primary_term", "explain", "track_scores",
               "highlight", "profile", "min_score", "terminate_after"}


def parse_sort(spec):
    """-> [(field, order, missing)]"""
    out = []
    for s in as_list(spec):
        if isinstance(s, str):
            out.append((s, "desc" if s == "_score" else "asc", "_last"))
        elif isinstance(s, dict) and len(s) == 1:
            (f, o), = s.items()
            if isinstance(o, str):
                o = {"order": o}
            if not isinstance(o, dict):
                raise parsing_error("[sort] malformed for field [%s]" % f)
            order = str(o.get("order", "desc" if f == "_score" else "asc")).lower()
            if order not in ("asc", "desc"):
                raise bad_request("Unknown SortOrder [%s]" % order)
            out.append((f, order, o.get("missing", "_last"), o.get("unmapped_type")))
            continue
        else:
            raise parsing_error("[sort] malformed: %s" % json.dumps(s))
        out[-1] = out[-1] + (None,)
    return out


def sort_value(doc, field, order):
    if field in ("_doc", "_shard_doc"):
        return doc.ord
    if field == "_score":
        return 1.0
    vals = values(doc, field)
    if not vals:
        return None
    v = min(vals) if order == "asc" else max(vals)
    return int(v) if isinstance(v, bool) else v


def check_sort_fields(sort, indices):
    for field, order, missing, unmapped in sort:
        if field in ("_doc", "_shard_doc", "_score"):
            continue
        types = set(i.ftype(field) for i in indices) - {None}
        if "text" in types:
            raise shard_error(
                "Text fields are not optimised for operations that require "
                "per-document field data like aggregations and sorting, so these "
                "operations are disabled by default. Please use a keyword field "
                "instead. Alternatively, set fielddata=true on [%s] in order to "
                "load field data by uninverting the inverted index. Note that this "
                "can use significant memory." % field, indices[0].name,
                "illegal_argument_exception")
        if not types and not unmapped and indices:
            raise shard_error("No mapping found for [%s] in order to sort on" % field,
                              indices[0].name)


def cmp_keys(a, b, sort):
    """Compare two sort-value lists; missing (None) per `missing`."""
    for (field, order, missing, _), x, y in zip(sort, a, b):
        if x == y:
            continue
        if x is None or y is None:
            first = missing == "_first"
            return (-1 if first else 1) * (1 if x is None else -1)
        try:
            c = -1 if x < y else 1
        except TypeError:
            c = -1 if str(x) < str(y) else 1
        return c if order == "asc" else -c
    return 0


def after_values(after, sort, indices):
    if not isinstance(after, list) or len(after) != len(sort):
        raise bad_request("search_after has %d value(s) but sort has %d."
                          % (len(after) if isinstance(after, list) else 0, len(sort)))
    out = []
    for (field, order, missing, unmapped), v in zip(sort, after):
        types = set(i.ftype(field) for i in indices) - {None}
        if v is None:
            out.append(None)
        elif "date" in types:
            out.append(parse_date(v))
        elif types & {"long", "float"} or field in ("_doc", "_shard_doc", "_score"):
            n = num_of(v)
            if n is None:
                raise bad_request("Failed to parse search_after value [%s]" % v)
            out.append(n)
        elif "boolean" in types:
            out.append(1 if v in (True, "true", 1) else 0)
        else:
            out.append(v)
    return out


def filter_source(obj, prefix, inc, exc):
    out = {}
    for k, v in obj.items():
        p = prefix + k
        if any(fnmatch.fnmatchcase(p, e) for e in exc):
            continue
        full = not inc or any(fnmatch.fnmatchcase(p, i) for i in inc)
        if isinstance(v, dict):
            if full:
                sub = filter_source(v, p + ".", [], exc) if exc else v
                out[k] = sub
            elif any(i.startswith(p + ".") or i.startswith("*") for i in inc):
                sub = filter_source(v, p + ".", inc, exc)
                if sub:
                    out[k] = sub
        elif full:
            out[k] = v
    return out


def source_spec(spec):
    """_source -> None (all), False (none) or (includes, excludes)."""
    if spec is None or spec is True:
        return None
    if spec is False:
        return False
    if isinstance(spec, str):
        return ([spec], [])
    if isinstance(spec, list):
        return (spec, [])
    if isinstance(spec, dict):
        return (as_list(spec.get("includes", spec.get("include"))),
                as_list(spec.get("excludes", spec.get("exclude"))))
    raise parsing_error("[_source] malformed")


def total_hits(n, tth):
    if tth is False:
        return None
    cap = MAX_RESULT_WINDOW if tth is None else (None if tth is True else int(tth))
    if cap is not None and n > cap:
        return {"value": cap, "relation": "gte"}
    return {"value": n, "relation": "eq"}


def window_error(n, idx_name):
    return shard_error(
        "Result window is too large, from + size must be less than or equal to: "
        "[%d] but was [%d]. See the scroll api for a more efficient way to request "
        "large data sets. This limit can be set by changing the "
        "[index.max_result_window] index level setting." % (MAX_RESULT_WINDOW, n),
        idx_name, "illegal_argument_exception")


def run_search(server, indices, body, pit_id=None):
    """One search request body against a list of indices -> response dict."""
    t0 = time.time()
    if not isinstance(body, dict):
        raise parsing_error("request body must be an object")
    for k in body:
        if k not in SEARCH_KEYS:
            raise parsing_error("Unknown key for a %s in [%s]."
                                % ("START_OBJECT" if isinstance(body[k], dict)
                                   else "VALUE_STRING", k))
    try:
        size = int(body.get("size", 10))
        frm = int(body.get("from", 0))
    except (TypeError, ValueError):
        raise parsing_error("[size] and [from] must be integers")
    if size < 0 or frm < 0:
        raise bad_request("[%s] parameter cannot be negative, found [%d]"
                          % (("size", size) if size < 0 else ("from", frm)))
    first = indices[0].name if indices else "_na_"
    if frm + size > MAX_RESULT_WINDOW:
        raise window_error(frm + size, first)
    pred = compile_query(body.get("query"))
    sort = parse_sort(body.get("sort")) if body.get("sort") is not None else None
    if pit_id is not None:
        if sort is None:
            sort = [("_score", "desc", "_last", None)]
        if not any(s[0] == "_shard_doc" for s in sort):
            sort.append(("_shard_doc", "asc", "_last", None))
    if sort:
        check_sort_fields(sort, indices)
    after = body.get("search_after")
    if after is not None:
        if frm > 0:
            raise bad_request("`from` parameter must be set to 0 when "
                              "`search_after` is used.")
        if not sort:
            raise bad_request("Sort must contain at least one field.")
        after = after_values(after, sort, indices)
    src = source_spec(body.get("_source"))
    matched = [d for idx in indices for d in idx.docs if pred(d)]
    total = len(matched)
    hits = []
    if size > 0 or after is not None:
        if sort:
            keyed = [([sort_value(d, f, o) for f, o, m, u in sort], d)
                     for d in matched]
            kf = cmp_to_key(lambda a, b: cmp_keys(a[0], b[0], sort))
            keyed.sort(key=kf)
            if after is not None:
                keyed = [kd for kd in keyed if cmp_keys(kd[0], after, sort) > 0]
        else:
            keyed = [(None, d) for d in matched]
        for key, d in keyed[frm:frm + size]:
            h = {"_index": d.idx.name}
            if server.major == 7:
                h["_type"] = "_doc"
            h["_id"] = d.id
            h["_score"] = None if sort else 1.0
            if src is None:
                h["_source"] = d.src
            elif src is not False:
                h["_source"] = filter_source(d.src, "", src[0], src[1])
            if sort:
                h["sort"] = key
            hits.append(h)
    resp = {}
    if pit_id is not None:
        resp["pit_id"] = pit_id
    resp.update({"took": 0, "timed_out": False,
                 "_shards": {"total": len(indices), "successful": len(indices),
                             "skipped": 0, "failed": 0}})
    h = {}
    tot = total_hits(total, body.get("track_total_hits"))
    if tot is not None:
        h["total"] = tot
    h["max_score"] = None if (sort or not hits) else 1.0
    h["hits"] = hits
    resp["hits"] = h
    aggs = body.get("aggs", body.get("aggregations"))
    if aggs is not None:
        resp["aggregations"] = run_aggs(aggs, matched, indices)
    resp["took"] = int((time.time() - t0) * 1000)
    return resp


# ---------------------------------------------------------------- aggregations

def jdouble(x):
    """Java Double.toString-like key text for typical values."""
    return repr(float(x))


def percentile(sorted_vals, p):
    """EXACT percentile, numpy.percentile's default 'linear' method:
    rank = p/100 * (n-1), interpolate between the two closest ranks."""
    n = len(sorted_vals)
    if n == 0:
        return None
    rank = p / 100.0 * (n - 1)
    lo = int(math.floor(rank))
    hi = min(lo + 1, n - 1)
    frac = rank - lo
    a, b = sorted_vals[lo], sorted_vals[hi]
    if not frac:
        return float(a)
    # numpy's _lerp: from the nearer end, so the result is monotonic
    if frac >= 0.5:
        return float(b - (b - a) * (1 - frac))
    return float(a + (b - a) * frac)


def agg_field_types(field, indices):
    return set(i.ftype(field) for i in indices) - {None}


def check_agg_field(atype, field, indices, numeric):
    if not isinstance(field, str):
        raise bad_request("Required one of fields [field, script], but none were "
                          "specified.")
    types = agg_field_types(field, indices)
    if "text" in types:
        raise shard_error(
            "Text fields are not optimised for operations that require per-document "
            "field data like aggregations and sorting, so these operations are "
            "disabled by default. Please use a keyword field instead. Alternatively, "
            "set fielddata=true on [%s] in order to load field data by uninverting "
            "the inverted index. Note that this can use significant memory." % field,
            indices[0].name if indices else "_na_", "illegal_argument_exception")
    if numeric and "keyword" in types:
        raise shard_error("Field [%s] of type [keyword] is not supported for "
                          "aggregation [%s]" % (field, atype),
                          indices[0].name if indices else "_na_",
                          "illegal_argument_exception")
    return types


def num_values(docs, field, missing=None):
    out = []
    for d in docs:
        vs = values(d, field)
        if vs:
            out.extend(int(v) if isinstance(v, bool) else v for v in vs)
        elif missing is not None:
            out.append(missing)
    return out


# The one script the fake runs: logdive's per-record mean (recognised by its
# source text, params.f = the field). Real ES runs any Painless; --no-scripts
# answers as a cluster with script.allowed_types: none.
MEAN_SCRIPT = ("if (!doc.containsKey(params.f) || doc[params.f].size() == 0) "
               "{ return null; } double s = 0; for (def v : doc[params.f]) { s += v; } "
               "return s / doc[params.f].size();")
SCRIPTS_ALLOWED = True


def script_values(atype, sc, docs, indices):
    """The values a metric aggregation's script gives, one per document."""
    if not isinstance(sc, dict) or not isinstance(sc.get("source"), str):
        raise parsing_error("[script] must be an object with a [source]")
    if not SCRIPTS_ALLOWED:
        raise shard_error("cannot execute [inline] scripts",
                          indices[0].name if indices else "_na_",
                          "illegal_argument_exception")
    if sc.get("lang", "painless") != "painless" or sc["source"] != MEAN_SCRIPT:
        raise shard_error("compile error", indices[0].name if indices else "_na_",
                          "script_exception")
    field = (sc.get("params") or {}).get("f")
    if not isinstance(field, str):
        raise shard_error("runtime error", indices[0].name if indices else "_na_",
                          "script_exception")
    check_agg_field(atype, field, indices, True)
    out = []
    for d in docs:
        vs = [int(v) if isinstance(v, bool) else v for v in values(d, field)]
        vs = [v for v in vs if isinstance(v, (int, float))]
        if vs:
            out.append(float(math.fsum(vs)) / len(vs))
    return out


def agg_metric(atype, p, docs, indices):
    field = p.get("field")
    if field is None and "script" in p and atype in ("avg", "sum", "min", "max", "stats"):
        vals = script_values(atype, p["script"], docs, indices)
        if atype == "avg":
            return {"value": float(math.fsum(vals)) / len(vals) if vals else None}
        if atype == "sum":
            return {"value": float(math.fsum(vals))}
        if atype in ("min", "max"):
            return {"value": float((min if atype == "min" else max)(vals))
                    if vals else None}
        if not vals:
            return {"count": 0, "min": None, "max": None, "avg": None, "sum": 0.0}
        t = float(math.fsum(vals))
        return {"count": len(vals), "min": float(min(vals)), "max": float(max(vals)),
                "avg": t / len(vals), "sum": t}
    numeric = atype not in ("value_count", "cardinality")
    types = check_agg_field(atype, field, indices, numeric)
    is_date = "date" in types
    missing = p.get("missing")
    if missing is not None and numeric:
        missing = parse_date(missing) if is_date else num_of(missing)
    vals = num_values(docs, field, missing)

    def with_str(res, key="value"):
        if is_date and res.get(key) is not None:
            res[key + "_as_string"] = fmt_ms(int(res[key]))
        return res
    if atype == "value_count":
        return {"value": len(vals)}
    if atype == "cardinality":
        return {"value": len(set(vals))}
    if atype == "sum":
        return {"value": float(math.fsum(vals))}
    if atype == "avg":
        return with_str({"value": float(math.fsum(vals)) / len(vals) if vals else None})
    if atype == "min":
        return with_str({"value": float(min(vals)) if vals else None})
    if atype == "max":
        return with_str({"value": float(max(vals)) if vals else None})
    if atype == "stats":
        if not vals:
            return {"count": 0, "min": None, "max": None, "avg": None, "sum": 0.0}
        s = float(math.fsum(vals))
        return {"count": len(vals), "min": float(min(vals)), "max": float(max(vals)),
                "avg": s / len(vals), "sum": s}
    # percentiles
    percents = p.get("percents", [1, 5, 25, 50, 75, 95, 99])
    if not isinstance(percents, list) or not all(
            num_of(x) is not None and 0 <= num_of(x) <= 100 for x in percents):
        raise bad_request("[percents] must be in the [0, 100] range")
    vals.sort()
    res = [(jdouble(x), percentile(vals, float(x))) for x in percents]
    if p.get("keyed", True):
        return {"values": dict(res)}
    return {"values": [{"key": float(k), "value": v} for k, v in res]}


def bucket_key(ftype, v):
    """Indexed value -> (key, key_as_string or None)."""
    if ftype == "boolean" or isinstance(v, bool):
        return (1 if v else 0), ("true" if v else "false")
    if ftype == "date":
        return v, fmt_ms(v)
    return v, None


def make_bucket(key, kas, docs, sub, indices, extra=None):
    b = {}
    if kas is not None:
        b["key_as_string"] = kas
    b["key"] = key
    if extra:
        b.update(extra)
    b["doc_count"] = len(docs)
    if sub:
        b.update(run_aggs(sub, docs, indices))
    return b


def order_of(p):
    order = p.get("order", {"_count": "desc"})
    out = []
    for o in as_list(order):
        if not isinstance(o, dict) or len(o) != 1:
            raise parsing_error("[order] malformed")
        (k, d), = o.items()
        out.append((k, str(d).lower()))
    return out


def sub_value(b, path):
    """Bucket ordering by a metric sub-aggregation: "avg_x", "lat.50", "s.max"."""
    name, _, prop = path.partition(".")
    r = b.get(name)
    if r is None and "[" in path:
        name, prop = path.split("[", 1)
        prop = prop.rstrip("]")
        r = b.get(name)
    if not isinstance(r, dict):
        raise bad_request("Invalid aggregation order path [%s]" % path)
    if "values" in r and isinstance(r["values"], dict):
        return r["values"].get(jdouble(prop) if prop else None)
    if prop and prop != "value":
        return r.get(prop)
    return r.get("value", r.get("doc_count"))


def sort_buckets(buckets, order):
    def cmp(a, b):
        for k, d in order + [("_key", "asc")]:
            if k == "_count":
                x, y = a["doc_count"], b["doc_count"]
            elif k in ("_key", "_term"):
                x, y = a["key"], b["key"]
            else:
                x, y = sub_value(a, k), sub_value(b, k)
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            c = -1 if x < y else 1
            return c if d == "asc" else -c
        return 0
    buckets.sort(key=cmp_to_key(cmp))


def agg_terms(p, docs, indices, sub):
    field = p.get("field")
    types = check_agg_field("terms", field, indices, False)
    ftype = "date" if "date" in types else ("boolean" if "boolean" in types else None)
    size = int(p.get("size", 10))
    min_doc = int(p.get("min_doc_count", 1))
    missing = p.get("missing")
    groups = {}
    for d in docs:
        vs = values(d, field)
        if not vs and missing is not None:
            vs = [missing]
        for v in set(vs):
            groups.setdefault(v, []).append(d)
    buckets = []
    for v, ds in groups.items():
        if len(ds) < min_doc:
            continue
        key, kas = bucket_key(ftype, v)
        buckets.append(make_bucket(key, kas, ds, sub, indices))
    sort_buckets(buckets, order_of(p))
    shown, rest = buckets[:size], buckets[size:]
    return {"doc_count_error_upper_bound": 0,
            "sum_other_doc_count": sum(b["doc_count"] for b in rest),
            "buckets": shown}


def interval_fns(p):
    """date_histogram interval -> (start(ms), next(start))."""
    cal = p.get("calendar_interval")
    fixed = p.get("fixed_interval", p.get("interval") if cal is None else None)
    units = {"minute": "m", "1m": "m", "hour": "h", "1h": "h", "day": "d",
             "1d": "d", "week": "w", "1w": "w", "month": "M", "1M": "M",
             "quarter": "q", "1q": "q", "year": "y", "1y": "y"}
    if cal is not None:
        u = units.get(str(cal))
        if u is None:
            raise bad_request("The supplied interval [%s] could not be parsed as a "
                              "calendar interval." % cal)
        if u == "q":
            def start(ms):
                tm = time.gmtime(ms // 1000)
                mo = (tm.tm_mon - 1) // 3 * 3 + 1
                return calendar.timegm((tm.tm_year, mo, 1, 0, 0, 0)) * 1000
            return start, lambda s: add_units(s, 3, "M")
        return (lambda ms: round_ms(ms, u, False)), (lambda s: add_units(s, 1, u))
    if fixed is None:
        raise bad_request("Invalid interval specified, must be non-null and non-empty")
    iv = parse_interval(fixed)
    return (lambda ms: ms // iv * iv), (lambda s: s + iv)


def zone_offset(tz):
    if tz in (None, "UTC", "Z", "utc", "Etc/UTC", "GMT"):
        return 0
    m = re.match(r"^([+-])(\d{2}):?(\d{2})$", str(tz))
    if not m:
        raise bad_request("fake-es: only fixed-offset time zones are supported, "
                          "not [%s]" % tz)
    off = (int(m.group(2)) * 60 + int(m.group(3))) * 60000
    return off if m.group(1) == "+" else -off


def agg_date_histogram(p, docs, indices, sub):
    field = p.get("field")
    check_agg_field("date_histogram", field, indices, True)
    start, nxt = interval_fns(p)
    off = zone_offset(p.get("time_zone"))
    shift = 0
    if p.get("offset"):
        m = re.match(r"^([+-]?)(\d+)(ms|s|m|h|d)$", str(p["offset"]))
        if not m:
            raise bad_request("failed to parse offset [%s]" % p["offset"])
        shift = int(m.group(2)) * UNIT_MS[m.group(3)] * (-1 if m.group(1) == "-" else 1)

    def key_of(ms):   # bucket start in UTC epoch ms
        return start(ms + off - shift) - off + shift
    groups = {}
    for d in docs:
        for k in set(key_of(int(v)) for v in values(d, field)):
            groups.setdefault(k, []).append(d)
    min_doc = int(p.get("min_doc_count", 0))
    keys = sorted(groups)
    eb = p.get("extended_bounds")
    lo = keys[0] if keys else None
    hi = keys[-1] if keys else None
    if isinstance(eb, dict) and min_doc == 0:
        if eb.get("min") is not None:
            m = key_of(parse_date(eb["min"]))
            lo = m if lo is None else min(lo, m)
        if eb.get("max") is not None:
            m = key_of(parse_date(eb["max"], True))
            hi = m if hi is None else max(hi, m)
    if min_doc == 0 and lo is not None:
        k, keys = lo, []
        while k <= hi:
            keys.append(k)
            if len(keys) > 65536:
                raise EsError(400, "too_many_buckets_exception",
                              "Trying to create too many buckets. Must be less than "
                              "or equal to: [65536] but this number of buckets was "
                              "exceeded. This limit can be set by changing the "
                              "[search.max_buckets] cluster level setting.",
                              {"max_buckets": 65536})
            k = key_of(nxt(start(k + off - shift)) - off + shift)
    buckets = [make_bucket(k, fmt_ms(k, off), groups.get(k, []), sub, indices)
               for k in keys if len(groups.get(k, [])) >= min_doc]
    if p.get("keyed"):
        return {"buckets": {b["key_as_string"]: b for b in buckets}}
    return {"buckets": buckets}


def agg_histogram(p, docs, indices, sub):
    field = p.get("field")
    types = check_agg_field("histogram", field, indices, True)
    iv = num_of(p.get("interval"))
    if iv is None or iv <= 0:
        raise bad_request("[interval] must be >0 for histogram aggregation [%s]"
                          % field)
    offset = num_of(p.get("offset", 0)) or 0
    groups = {}
    for d in docs:
        ks = set(math.floor((v - offset) / iv) * iv + offset
                 for v in num_values([d], field))
        for k in ks:
            groups.setdefault(float(k), []).append(d)
    min_doc = int(p.get("min_doc_count", 0))
    keys = sorted(groups)
    eb = p.get("extended_bounds")
    if min_doc == 0 and (keys or isinstance(eb, dict)):
        lo = keys[0] if keys else None
        hi = keys[-1] if keys else None
        if isinstance(eb, dict):
            for name in ("min", "max"):
                if eb.get(name) is not None:
                    k = float(math.floor((num_of(eb[name]) - offset) / iv) * iv + offset)
                    lo = k if lo is None or (name == "min" and k < lo) else lo
                    hi = k if hi is None or (name == "max" and k > hi) else hi
        n = int(round((hi - lo) / iv))
        if n > 65536:
            raise bad_request("Trying to create too many buckets.")
        keys = [float(lo + i * iv) for i in range(n + 1)]
    buckets = [make_bucket(k, None, groups.get(k, []), sub, indices)
               for k in keys if len(groups.get(k, [])) >= min_doc]
    if p.get("keyed"):
        return {"buckets": {jdouble(b["key"]): b for b in buckets}}
    return {"buckets": buckets}


def agg_range(p, docs, indices, sub):
    field = p.get("field")
    check_agg_field("range", field, indices, True)
    buckets = []
    for r in as_list(p.get("ranges")):
        frm, to = num_of(r.get("from")), num_of(r.get("to"))
        key = r.get("key") or "%s-%s" % ("*" if frm is None else jdouble(frm),
                                         "*" if to is None else jdouble(to))
        ds = [d for d in docs if any((frm is None or v >= frm) and (to is None or v < to)
                                     for v in num_values([d], field))]
        extra = {}
        if frm is not None:
            extra["from"] = float(frm)
        if to is not None:
            extra["to"] = float(to)
        buckets.append(make_bucket(key, None, ds, sub, indices, extra))
    if p.get("keyed"):
        out = {}
        for b in buckets:
            k = b.pop("key")
            out[k] = b
        return {"buckets": out}
    return {"buckets": buckets}


def agg_filters(p, docs, indices, sub):
    f = p.get("filters")
    other = p.get("other_bucket_key") or ("_other_" if p.get("other_bucket") else None)
    if isinstance(f, dict):
        out = {}
        hit = set()
        for name, q in f.items():
            pred = compile_query(q)
            ds = [d for d in docs if pred(d)]
            hit.update(id(d) for d in ds)
            b = {"doc_count": len(ds)}
            if sub:
                b.update(run_aggs(sub, ds, indices))
            out[name] = b
        if other:
            ds = [d for d in docs if id(d) not in hit]
            b = {"doc_count": len(ds)}
            if sub:
                b.update(run_aggs(sub, ds, indices))
            out[other] = b
        return {"buckets": out}
    if isinstance(f, list):
        out = []
        for q in f:
            pred = compile_query(q)
            ds = [d for d in docs if pred(d)]
            b = {"doc_count": len(ds)}
            if sub:
                b.update(run_aggs(sub, ds, indices))
            out.append(b)
        return {"buckets": out}
    raise parsing_error("[filters] must be an object or an array")


METRICS = ("avg", "sum", "min", "max", "value_count", "cardinality", "stats",
           "percentiles")
BUCKETS = {"terms": agg_terms, "date_histogram": agg_date_histogram,
           "histogram": agg_histogram, "range": agg_range, "filters": agg_filters}


def run_aggs(aggs, docs, indices):
    if not isinstance(aggs, dict):
        raise parsing_error("Expected [START_OBJECT] under [aggregations]")
    out = {}
    for name, spec in aggs.items():
        if not isinstance(spec, dict):
            raise parsing_error("Expected [START_OBJECT] under [%s]" % name)
        sub = spec.get("aggs", spec.get("aggregations"))
        kinds = [k for k in spec if k not in ("aggs", "aggregations", "meta")]
        if len(kinds) != 1:
            raise parsing_error("Expected exactly one aggregation type in [%s]" % name
                                if kinds else "Missing definition for aggregation [%s]"
                                % name)
        atype = kinds[0]
        p = spec[atype]
        if atype in METRICS:
            if sub:
                raise EsError(400, "aggregation_initialization_exception",
                              "Aggregator [%s] of type [%s] cannot accept "
                              "sub-aggregations" % (name, atype))
            res = agg_metric(atype, p, docs, indices)
        elif atype == "filter":
            pred = compile_query(p)
            ds = [d for d in docs if pred(d)]
            res = {"doc_count": len(ds)}
            if sub:
                res.update(run_aggs(sub, ds, indices))
        elif atype in BUCKETS:
            if not isinstance(p, dict):
                raise parsing_error("[%s] malformed" % atype)
            res = BUCKETS[atype](p, docs, indices, sub)
        else:
            raise EsError(400, "parsing_exception",
                          "Unknown aggregation type [%s]" % atype,
                          {"line": 1, "col": 1},
                          caused_by={"type": "named_object_not_found_exception",
                                     "reason": "[1:1] unknown field [%s]" % atype})
        if "meta" in spec:
            res = dict(res, meta=spec["meta"])
        out[name] = res
    return out


# ---------------------------------------------------------------- faults

def fault_error(status, path):
    """The ES envelope (or proxy page) an injected status answers with."""
    if status == 429:
        reason = ("rejected execution of fake-es search on "
                  "QueueResizingEsThreadPoolExecutor[name = fake-node-0/search, "
                  "queue capacity = 1000]")
        root = {"type": "es_rejected_execution_exception", "reason": reason}
        return {"error": {"root_cause": [root],
                          "type": "search_phase_execution_exception",
                          "reason": "all shards failed", "phase": "query",
                          "grouped": True, "failed_shards": [
                              {"shard": 0, "index": "_na_", "node": "fake-node-0",
                               "reason": root}],
                          "caused_by": root}, "status": 429}
    if status == 503:
        root = {"type": "no_shard_available_action_exception",
                "reason": "No shard available for [fake-es injected fault]"}
        return {"error": {"root_cause": [root],
                          "type": "search_phase_execution_exception",
                          "reason": "all shards failed", "phase": "query",
                          "grouped": True, "failed_shards": []}, "status": 503}
    if status in (401, 403):
        return EsError(status, "security_exception",
                       "fake-es injected %d for REST request [%s]" % (status, path)
                       ).body()
    if status == 404:
        return index_not_found("fake-injected").body()
    etype = "illegal_argument_exception" if status < 500 else "exception"
    return EsError(status, etype, "fake-es injected fault [%d]" % status).body()


def shard_failure_wrap(resp, n):
    """Make a 200 search response partial: n of n+2 shards failed."""
    if not isinstance(resp, dict) or "_shards" not in resp:
        return resp
    total = max(resp["_shards"]["total"], n + 1)
    fails = []
    for i in range(n):
        reason = {"type": "query_shard_exception",
                  "reason": "failed to create query: For input string: \"612ms\"",
                  "index_uuid": "_na_", "index": "fake-shard-%d" % i,
                  "caused_by": {"type": "number_format_exception",
                                "reason": "For input string: \"612ms\""}}
        fails.append({"shard": i, "index": "fake-shard-%d" % i,
                      "node": "fake-node-0", "reason": reason})
    resp["_shards"] = {"total": total, "successful": total - n, "skipped": 0,
                       "failed": n, "failures": fails}
    return resp


# ---------------------------------------------------------------- HTTP

def keep_alive_ms(v):
    if v is None:
        return 60000
    m = re.match(r"^(\d+)(ms|s|m|h|d)$", str(v))
    if not m:
        raise bad_request("failed to parse setting [keep_alive] with value [%s] as "
                          "a time value: unit is missing or unrecognized" % v)
    return int(m.group(1)) * UNIT_MS[m.group(2)]


class Handler(fakehttp.Handler):
    server_version = "fake-es"
    sys_version = ""

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, ctype="application/json; charset=UTF-8",
             headers=(), truncate=False):
        srv = self.server
        self.send_response(status)
        if srv.flavour == "elasticsearch":
            self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            if truncate:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            else:
                self.wfile.write(body)
        if self.counted:
            with srv.lock:
                srv.bytes_out += len(body)

    def handle_any(self, method):
        srv = self.server
        split = urlsplit(self.path)
        path = split.path
        params = {k: v[-1] for k, v in parse_qs(split.query).items()}
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        self.counted = not path.startswith("/_fake/")
        if not self.counted:
            return self.control(method, path, body)
        srv.count_request(path, body)
        fault = self.injected_fault(path)
        if fault is fakehttp.RESET:
            return
        denied = self.auth_failure(path)
        if denied:
            return denied()
        if fault and fault.get("not_json"):
            st = int(fault.get("status") or 200)
            page = ("<html><head><title>%d</title></head><body><h1>fake-es: not "
                    "JSON</h1></body></html>\n" % st).encode()
            return self.send(st, page, "text/html", truncate=bool(fault.get("truncate")))
        hdrs = fakehttp.retry_after(fault)
        if fault and fault.get("status"):
            st = int(fault["status"])
            if st in (502, 504):
                page = ("<html><body><h1>%d Bad Gateway</h1></body></html>\n"
                        % st).encode()
                return self.send(st, page, "text/html", hdrs)
            out = json.dumps(fault_error(st, path)).encode()
            return self.send(st, out, headers=hdrs,
                             truncate=bool(fault.get("truncate")))
        try:
            status, obj = self.route(method, path, params, body)
        except EsError as e:
            status, obj = e.status, e.body()
        except Exception as e:   # a bug in the fake: a 500 with the envelope
            status, obj = 500, EsError(500, "exception", "fake-es: %r" % e).body()
        if fault and fault.get("shard_failures") and status == 200:
            n = int(fault["shard_failures"])
            if "responses" in obj:
                for r in obj["responses"]:
                    shard_failure_wrap(r, n)
            else:
                shard_failure_wrap(obj, n)
        if params.get("pretty") in ("", "true"):
            out = json.dumps(obj, indent=2).encode()
        else:
            out = json.dumps(obj, separators=(",", ":")).encode()
        self.send(status, out, headers=hdrs,
                  truncate=bool(fault and fault.get("truncate")))

    def auth_failure(self, path):
        srv = self.server
        if not srv.api_key and not srv.basic:
            return None
        got = self.headers.get("Authorization") or ""
        scheme, _, cred = got.partition(" ")
        scheme = scheme.lower()
        cred = cred.strip()
        if srv.api_key and scheme == "apikey" and cred == srv.api_key:
            return None
        if srv.basic and scheme == "basic":
            try:
                if base64.b64decode(cred).decode() == srv.basic:
                    return None
            except (ValueError, UnicodeDecodeError):
                pass
        if not got:
            reason = "missing authentication credentials for REST request [%s]" % path
        elif scheme == "basic":
            try:
                user = base64.b64decode(cred).decode().split(":")[0]
            except (ValueError, UnicodeDecodeError):
                user = "?"
            reason = "unable to authenticate user [%s] for REST request [%s]" % (user, path)
        else:
            reason = ("unable to authenticate with provided credentials and anonymous "
                      "access is not allowed for this request")
        chall = ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"',
                 "ApiKey"]
        hdrs = [("WWW-Authenticate", c) for c in chall]

        def answer():
            if srv.flavour == "opensearch":
                return self.send(401, b"Unauthorized", "text/plain; charset=UTF-8", hdrs)
            err = EsError(401, "security_exception", reason,
                          {"header": {"WWW-Authenticate": chall}})
            self.send(401, json.dumps(err.body()).encode(), headers=hdrs)
        return answer

    # ---- answers of the test control (fakehttp.Handler.control)
    def control_bad_fault(self):
        self.send(400, b'{"error":"fault must be a JSON object","status":400}')

    def control_unknown(self, method, path):
        self.send(400, json.dumps({"error": "no handler found for uri [%s] "
                                   "and method [%s]" % (path, method),
                                   "status": 400}).encode())

    def control_answer(self, obj):
        self.send(200, json.dumps(obj).encode())

    # ---- the ES API
    def json_body(self, body, required=False):
        if not body.strip():
            if required:
                raise EsError(400, "parse_exception", "request body is required")
            return {}
        try:
            obj = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise EsError(400, "x_content_parse_exception",
                          "[1:1] Unexpected character or end of input: %s" % e,
                          caused_by={"type": "json_parse_exception",
                                     "reason": str(e)})
        if not isinstance(obj, dict):
            raise EsError(400, "x_content_parse_exception",
                          "[1:1] request body must be a JSON object")
        return obj

    def route(self, method, path, params, body):
        srv = self.server
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        target = None
        if parts and not parts[0].startswith("_"):
            target, parts = parts[0], parts[1:]
        ep = "/".join(parts)
        missing_ok = params.get("ignore_unavailable") == "true"
        if target is None and ep == "" and method in ("GET", "HEAD"):
            return 200, srv.root_info()
        if ep in ("_search", "_count") and method in ("GET", "POST"):
            b = self.json_body(body)
            pit_id = None
            if isinstance(b.get("pit"), dict):
                if target is not None:
                    raise bad_request("[indices] cannot be used with point in time. "
                                      "Do not specify any index with point in time.")
                pit_id = b.get("pit", {}).get("id")
                indices = srv.pit_indices(pit_id, b["pit"].get("keep_alive"))
                b = dict(b)
                del b["pit"]
            else:
                indices = srv.store.resolve(target, missing_ok)
            if ep == "_count":
                pred = compile_query(b.get("query"))
                n = sum(1 for i in indices for d in i.docs if pred(d))
                return 200, {"count": n, "_shards": {"total": len(indices),
                                                     "successful": len(indices),
                                                     "skipped": 0, "failed": 0}}
            resp = run_search(srv, indices, b, pit_id)
            if params.get("rest_total_hits_as_int") == "true" and \
                    "total" in resp["hits"]:
                resp["hits"]["total"] = resp["hits"]["total"]["value"]
            return 200, resp
        if ep == "_msearch" and method in ("GET", "POST"):
            return 200, self.msearch(target, body, params)
        if ep == "_mapping" and method == "GET":
            return 200, {i.name: i.mapping() for i in srv.store.resolve(target, missing_ok)}
        if ep == "_pit" and method == "POST" and target is not None:
            return 200, srv.open_pit(target, params.get("keep_alive"), False)
        if ep == "_search/point_in_time" and method == "POST" and target is not None:
            return 200, srv.open_pit(target, params.get("keep_alive"), True)
        if ep == "_pit" and method == "DELETE" and target is None:
            pid = self.json_body(body, True).get("id")
            n = srv.close_pits([pid])
            if not n:
                raise EsError(404, "search_context_missing_exception",
                              "No search context found for id [%s]" % pid)
            return 200, {"succeeded": True, "num_freed": n}
        if ep in ("_search/point_in_time", "_search/point_in_time/_all") and \
                method == "DELETE" and target is None:
            ids = list(srv.pits) if ep.endswith("_all") else \
                as_list(self.json_body(body, True).get("pit_id"))
            res = [{"pit_id": i, "successful": srv.close_pits([i]) == 1} for i in ids]
            return 200, {"pits": res}
        if (ep == "_cat/indices" or (ep.startswith("_cat/indices/") and target is None)) \
                and method == "GET":
            t = ep[len("_cat/indices/"):] if ep.startswith("_cat/indices/") else None
            rows = [{"health": "green", "status": "open", "index": i.name,
                     "uuid": i.uuid, "pri": "1", "rep": "0",
                     "docs.count": str(len(i.docs)), "docs.deleted": "0",
                     "store.size": str(sum(len(json.dumps(d.src)) for d in i.docs)),
                     "pri.store.size": "0"} for i in srv.store.resolve(t, True)]
            return 200, rows
        known = ep in ("_search", "_count", "_msearch", "_mapping", "_pit") or \
            (target is None and ep == "")
        if known:
            return 405, {"error": "Incorrect HTTP method for uri [%s] and method [%s]"
                         % (path, method), "status": 405}
        return 400, {"error": "no handler found for uri [%s] and method [%s]"
                     % (path, method), "status": 400}

    def msearch(self, target, body, params):
        text = body.decode("utf-8", "replace")
        if not text.endswith("\n"):
            raise bad_request("The msearch request must be terminated by a newline [\\n]")
        lines = [ln.rstrip("\r") for ln in text.split("\n")[:-1]]
        if len(lines) % 2:
            lines.append("")
        items = []
        for i in range(0, len(lines), 2):
            try:
                h = json.loads(lines[i]) if lines[i].strip() else {}
                b = json.loads(lines[i + 1]) if lines[i + 1].strip() else {}
            except ValueError as e:
                raise EsError(400, "x_content_parse_exception",
                              "[%d:1] Unexpected character: %s" % (i + 1, e))
            if not isinstance(h, dict) or not isinstance(b, dict):
                raise EsError(400, "x_content_parse_exception",
                              "[%d:1] msearch lines must be JSON objects" % (i + 1))
            items.append((h, b))
        t0 = time.time()
        out = []
        srv = self.server
        for h, b in items:
            try:
                idx = h.get("index", target)
                if isinstance(idx, list):
                    idx = ",".join(idx)
                pit_id = None
                if isinstance(b.get("pit"), dict):
                    pit_id = b["pit"].get("id")
                    indices = srv.pit_indices(pit_id, b["pit"].get("keep_alive"))
                    b = dict(b)
                    del b["pit"]
                else:
                    indices = srv.store.resolve(idx, h.get("ignore_unavailable") is True)
                r = run_search(srv, indices, b, pit_id)
                if params.get("rest_total_hits_as_int") == "true" and \
                        "total" in r["hits"]:
                    r["hits"]["total"] = r["hits"]["total"]["value"]
                r["status"] = 200
            except EsError as e:
                r = e.body()
            out.append(r)
        return {"took": int((time.time() - t0) * 1000), "responses": out}


class Server(fakehttp.Server):
    def root_info(self):
        if self.flavour == "opensearch":
            version = {"distribution": "opensearch", "number": self.version,
                       "build_type": "tar", "build_hash": "0" * 40,
                       "build_date": "2024-05-01T00:00:00.000000Z",
                       "build_snapshot": False, "lucene_version": "9.10.0",
                       "minimum_wire_compatibility_version": "7.10.0",
                       "minimum_index_compatibility_version": "7.0.0"}
            tagline = "The OpenSearch Project: https://opensearch.org/"
        else:
            version = {"number": self.version, "build_flavor": "default",
                       "build_type": "docker", "build_hash": "0" * 40,
                       "build_date": "2024-05-06T22:04:45.107454559Z",
                       "build_snapshot": False, "lucene_version": "9.10.0",
                       "minimum_wire_compatibility_version": "7.17.0",
                       "minimum_index_compatibility_version": "7.0.0"}
            tagline = "You Know, for Search"
        return {"name": "fake-node-0", "cluster_name": "fake-es",
                "cluster_uuid": "ZmFrZS1lcy1jbHVzdGVy", "version": version,
                "tagline": tagline}

    # point in time
    def open_pit(self, target, keep_alive, opensearch):
        indices = self.store.resolve(target)
        ka = keep_alive_ms(keep_alive)
        with self.lock:
            self.pit_seq += 1
            raw = ("fake-pit:%d:%s" % (self.pit_seq, ",".join(i.name for i in indices)))
            pid = base64.b64encode(raw.encode()).decode()
            self.pits[pid] = ([i.name for i in indices], time.time() + ka / 1000.0)
        shards = {"total": len(indices), "successful": len(indices), "skipped": 0,
                  "failed": 0}
        if opensearch:
            return {"pit_id": pid, "_shards": shards,
                    "creation_time": int(time.time() * 1000)}
        return {"id": pid, "_shards": shards}

    def pit_indices(self, pid, keep_alive):
        with self.lock:
            ent = self.pits.get(pid)
            if ent is None or ent[1] < time.time():
                self.pits.pop(pid, None)
                raise EsError(404, "search_context_missing_exception",
                              "No search context found for id [%s]" % pid)
            if keep_alive is not None:
                self.pits[pid] = (ent[0], time.time() + keep_alive_ms(keep_alive) / 1000.0)
        return [self.store.indices[n] for n in ent[0] if n in self.store.indices]

    def close_pits(self, ids):
        n = 0
        with self.lock:
            for i in ids:
                if self.pits.pop(i, None) is not None:
                    n += 1
        return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", action="append", default=[], metavar="NAME=FILE",
                    help="load a JSON-lines file into an index (repeatable)")
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--flavour", "--flavor", choices=("elasticsearch", "opensearch"),
                    default="elasticsearch")
    ap.add_argument("--version", dest="es_version", default=None,
                    help="version number (default 8.13.4, OpenSearch 2.13.0)")
    ap.add_argument("--require-api-key", metavar="KEY")
    ap.add_argument("--require-basic", metavar="USER:PASS")
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--fault", action="append", default=[], metavar="JSON",
                    help="a fault as for POST /_fake/faults (repeatable)")
    ap.add_argument("--no-scripts", action="store_true",
                    help="refuse scripts (script.allowed_types: none)")
    ap.add_argument("--verbose", action="store_true")
    fakehttp.add_net_args(ap)   # --bind, --tls-cert, --tls-key, --log-headers
    a = ap.parse_args()
    global SCRIPTS_ALLOWED
    SCRIPTS_ALLOWED = not a.no_scripts
    store = Store()
    for spec in a.index:
        name, sep, fn = spec.partition("=")
        if not sep or not name or name.startswith("_") or name != name.lower():
            ap.error("--index wants NAME=FILE with a lowercase name: %s" % spec)
        idx = store.load(name, fn)
        sys.stderr.write("fake-es: %s: %d documents, %d lines skipped\n"
                         % (name, len(idx.docs), idx.skipped))
    srv = Server((a.bind, a.port), Handler)
    srv.store = store
    srv.flavour = a.flavour
    srv.version = a.es_version or ("2.13.0" if a.flavour == "opensearch" else "8.13.4")
    srv.major = int(re.match(r"\d+", srv.version).group(0)) \
        if a.flavour == "elasticsearch" else 8
    srv.api_key = a.require_api_key
    srv.basic = a.require_basic
    srv.setup_common(a)
    srv.pits = {}
    srv.pit_seq = 0
    fakehttp.serve(srv, a.port_file, "fake-es:")

if __name__ == "__main__":
    main()
