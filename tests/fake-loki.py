#!/usr/bin/env python3
"""A fake Grafana Loki server for logdive's tests (Python 3 standard library
only). It loads JSON-lines files as log streams and answers from the data:
every stream, sample and error is computed by a real LogQL lexer, parser and
evaluator, nothing is canned. Listens on 127.0.0.1 on a free port written to
--port-file; exits when the process that started it goes away.

  fake-loki.py --port-file F --stream 'LABELS=FILE' [--stream ...]
               [--version 2.9.8|3.x.y] [--max-entries 5000]
               [--max-query-length 721h] [--max-query-series 500]
               [--max-query-range 0] [--split-queries-by-interval D]
               [--require-org-id] [--require-basic USER:PASS]
               [--require-bearer TOKEN] [--no-service-name]
               [--latency-ms N] [--fault JSON ...] [--port N] [--verbose]
               [--bind ADDR] [--tls-cert PEM --tls-key PEM] [--log-headers FILE]
               (the last four and the network faults: tests/lib/fakehttp.py)

  --stream '{job="ml-inference",service="recommendation-model-prod"}=a.jsonl'
      one stream per option (plain or gzip file). An entry's timestamp is
      the line's own time (top-level "timestamp", else "@timestamp": ISO
      8601, naive = UTC, or an epoch number read by magnitude s/ms/us/ns),
      else the time of the previous line of that file (the way logdive's
      file backend attributes invalid lines), else 0. Lines are kept
      byte-exact (without the newline; empty lines are skipped; an entry
      identical to the previous one of its stream, same time and line, is
      dropped as Loki's ingester does).
  --version  2.9.8 (default) or 3.x.y (3 or 3.x = 3.4.0): buildinfo, the
      LogQL dialect of the release line (2.9, 3.0, 3.1-3.2, 3.3-3.4, 3.5+:
      `|= "a" or "b"` and |> !> from 3.0, `| x > -3` from 3.1, approx_topk
      from 3.3, variants from 3.5; keywords case-insensitive in 3.x; so
      `| x > -3` and `|= "a" or "b"` are syntax errors in 2.9), message
      variants (max_entries_limit until 3.3, max_entries_limit_per_query
      from 3.4; the long series-limit text from 3.6; the 504 text), the
      query size limit (5120 bytes in 2.x, 128 KiB in 3.x), 3.2+ rejects
      log queries on the instant endpoint, 3.x adds service_name to
      streams that lack it (from service, app, ..., job; else
      unknown_service; --no-service-name turns it off) and honours
      X-Loki-Response-Encoding-Flags: categorize-labels (3-tuples,
      encodingFlags; stream = the stream's own labels, the rest "parsed").
  Limits (Loki's defaults): --max-entries 5000, --max-query-length 721h,
      --max-query-series 500, --max-query-range 0 (off); 0 turns one off.
  --split-queries-by-interval (default 30m in 2.x, 1h in 3.x, like Loki):
      when not 0, metric query_range requests get what Loki's query
      frontend does to them: start is rounded down and end up to a
      multiple of step (since the epoch), so the points are at k*step; 0
      evaluates at exactly start, start+step, ... <= end.
  --require-org-id  401 "no org id" without X-Scope-OrgID (the ids seen
      are counted in /_fake/stats); --require-basic / --require-bearer: a
      gateway in front: 401 (nginx page, WWW-Authenticate) unless one of
      the configured credentials is sent.

Endpoints (GET, and POST form-encoded where Loki accepts it; the body's
values win over the URL's, as in Go's r.Form):
  /ready, /loki/api/v1/status/buildinfo, /loki/api/v1/labels (and /label),
  /loki/api/v1/label/<name>/values, /loki/api/v1/series (match[] or match),
  /loki/api/v1/query_range, /loki/api/v1/query. Anything else: 404
  "404 page not found".
  Parameters are read with Loki's rules (RFC3339Nano, float seconds,
  <= 10 digits = seconds else ns; step and interval as float seconds or a
  Prometheus duration; since), with Loki's defaults (limit 100, backward,
  start = end - 1h, step = max((end-start)/250, 1s), the step kept in ms
  by the frontend) and error texts, checked in Loki's order (parameters,
  LogQL, max entries, query length, then evaluation). Errors are plain
  text (Content-Type: text/plain; charset=utf-8, X-Content-Type-Options:
  nosniff, a trailing newline like Go's http.Error). Responses: streams
  (ns string timestamps, lines with <, > and & escaped as Loki's encoder
  does, one stream per label set after the pipeline), matrix and vector
  (times in seconds with ms precision, values as Go formats them: "NaN",
  "+Inf", shortest round-trip), scalar for number literals, and a "stats"
  object with Loki's 2.9 or 3.x key set. In 2.x an empty label list is
  `null`, as some Loki versions send it.

LogQL: the fake's own lexer and recursive-descent parser; the grammar
follows loki.md §4 (written out above class Parser) and the error shape
§6: a syntax error is `parse error at line L, col C: syntax error:
unexpected X[, expecting Y or Z]` at the offending token. Evaluated (with
Loki's semantics):
  * selectors = != =~ !~ (regexps fully anchored), the empty-compatible
    matcher rule, input size limit;
  * line filters |= != |~ !~ (3.x: `or` alternatives; `!= "a" or "b"`
    drops both);
  * `| json` (loki.md §4.3): every string, number and boolean of the
    line's object becomes a label: nested keys joined with _, key
    characters outside [A-Za-z0-9_] made _ (ends trimmed, a leading digit
    at the top gets a _), arrays and null skipped, numbers as their JSON
    text, booleans true/false, strings decoded ("" when a string has a
    bad escape or invalid UTF-8), _extracted on a clash with a stream
    label, the text after the top-level object ignored. A line that is
    not a JSON object (cut short, not starting with {, ...) gets
    __error__="JSONParserErr" and __error_details__ (Loki's texts, e.g.
    "Value looks like object, but can't find closing '}' symbol") and
    keeps the labels read before the defect. Metric queries make the
    parsers produce only what they need (class Needs: only the labels
    the query uses; no parsing when it keeps no label; reading stops once
    all are found; __preserve_error__ when it filters on __error__);
  * `| json a="x.y", b="k[\\"odd\\"]", c="arr[0]"`: a missing path gives
    "", null "", an array its JSON text with the escapes decoded, an
    object its JSON text (verbatim from 3.3, escapes decoded before); the
    first place in the line a path leads to wins; a line not starting
    with { [ or " is a JSONParserErr (no details), but a line cut short
    after the paths it reads is NOT an error (a cut inside a value a path
    selects, or right after its key, is); 2.x reads a string taken by a
    path's only, final array index once more as JSON, as Loki 2.9 does
    (["7"] gives 7, ["abc"] a JSONParserErr 'Unknown value type');
  * label filters: = != =~ !~ (a missing label compares as ""), numbers
    == = != > >= < <=, durations and bytes (a value that does not convert
    -> __error__="LabelFilterErr", line kept; numeric filters let lines
    that already carry an error through), combined with and, or, ",",
    juxtaposition and parentheses with Loki's precedence; __error__ filters;
  * `| label_format a=b, c="tmpl"`, `| line_format "tmpl"` (templates:
    literal text, {{.NAME}}, {{ .NAME }}, {{__line__}}; anything else is a
    400 stage error), `| keep`, `| drop`;
  * `| unwrap L`, duration(L), duration_seconds(L), bytes(L), post-unwrap
    filters; "" values skipped, non-numbers -> SampleExtractionErr; the
    unwrapped label leaves the series labels;
  * count_over_time, rate, bytes_over_time, bytes_rate, sum/avg/min/max/
    stddev/stdvar/first/last/quantile_over_time (Loki's formulas:
    quantile = linear interpolation between the closest ranks, like
    numpy's default; avg as Loki's running mean), [range] offset D, by/
    without where Loki allows them ("grouping not allowed for ..."); each
    point T covers (T - offset - range, T - offset];
  * sum/avg/min/max/count/stddev/stdvar with by/without before or after,
    including Loki's push-down of sum's grouping into the range
    aggregation; + - * / % ^ between vectors (one-to-one on identical
    label sets) and with number literals (folded like Loki);
  * the pipeline error ("pipeline error: '<err>' for series: '{...}'" +
    Loki's hints) for the first step whose series still carries
    __error__, and the series limit, checked step by step like the engine.

Test control (never needs auth, never counted):
  POST /_fake/faults  {"status": 503, "times": 2, "retry_after": 1,
                       "delay_ms": 100, "truncate": true, "html": true,
                       "reset": true, "path": "query_range", "body": "text"}
      adds a fault (or a list of them): the next `times` (default 1; < 0 =
      forever) requests whose path contains `path` (default: every path)
      get it. Effects combine: delay_ms sleeps first; reset closes the
      connection with RST and no answer; status answers that status with
      Loki's typical plain-text body for it (400 a syntax error, 401 "no
      org id", 429 "too many outstanding requests", 499 "the request was
      cancelled by the client", 500 a storage error, 502 "too many
      unhealthy instances in the ring", 503 "empty ring", 504 the
      version's "request timed out, ..." text) or `body`, and Retry-After
      if retry_after is set; html answers a gateway's (nginx) HTML error
      page (status `status`, default 502); truncate sends the real
      Content-Length but only half of the body (of the real answer or of
      the fault's) and closes the connection.
  GET /_fake/faults    the pending faults; DELETE /_fake/faults clears them
  GET /_fake/stats     {"requests", "by_path", "bytes_in", "bytes_out",
                        "queries": [the LogQL `query` texts received on
                        /query and /query_range, in order],
                        "max_concurrent": most requests in flight at once,
                        "org_ids": {X-Scope-OrgID: requests}}
  POST /_fake/reset    clears the counters and the faults
  --latency-ms N adds N ms to every request except /_fake/*.

Differences from real Loki (deliberate, documented):
  * One process answers like a single-binary Loki behind its query
    frontend. Splitting and sharding are not visible except for the
    frontend's step alignment (see --split-queries-by-interval); results
    are what the split and merged query gives. There are no chunks or
    index: labels, label values and series list the streams whose [first
    entry, last entry] overlaps [start, end] (Loki works on chunk and
    index granularity); the query length limit applies to them too.
  * Regular expressions run on Python's `re` after translating RE2
    syntax: (?flags) in the middle of a pattern (scoped to the rest of the
    group, across |), \\z, \\Q..\\E, [[:class:]], (?<name>..), $ = end of
    text, and RE2's ASCII-only \\d \\w \\s are handled; \\p{..} Unicode
    classes, (?U), negated POSIX or Perl classes inside [] are refused
    (400 "fake-loki: ... is not supported"); lookarounds and
    backreferences are refused like RE2 does. Python's (?i) case folding
    can differ from RE2's for a few non-ASCII characters. Regexp error
    texts are RE2-like, not always identical.
  * Syntax error texts name the unexpected token at its exact position;
    the 'expecting' list is the fake's own (given only when it is short).
    Lexical errors (an unterminated string, a bad escape, a bad range or
    number, invalid UTF-8) are `parse error at line L, col C: <message>`
    at the token. Only `#` comments are read (not // or /* */). Nesting
    deeper than about 200 parentheses is refused (400 "fake-loki: ...
    not supported").
  * Semantic errors Loki raises while parsing (an invalid matcher regexp,
    a bad float) are raised when the parser reads the construct; the
    checks Loki makes after parsing and while building the pipeline
    (stage errors, "parse error : stage '...' : ...") come in Loki's
    order, but the stage texts are close to Loki's, not identical.
    Constructs the fake does not evaluate are refused after parsing
    (the first one met, after the validation): logfmt, regexp,
    pattern, unpack, decolorize, ip(), pattern line filters (|> !>),
    absent_over_time, rate_counter, topk, bottomk, sort, sort_desc,
    approx_topk, label_replace, vector(), comparison and set operators,
    on/ignoring/group_left/group_right, bool, 3.5's variants.
  * The JSON readers are the fake's own: Python's json module for valid
    JSON, a small tolerant reader for the rest. They are meant to agree
    with Loki on valid lines and on lines cut short (checked on generated
    lines cut at every byte). On lines broken in the middle
    (a byte changed, inserted or lost), `| json a="path"` can find fewer
    or more paths than Loki, or report a defect where Loki reports none
    or the other way round: the fake stops reading at the first place it
    cannot read (a value a path selects there is an error), Loki's key
    scanner goes on past it; bare `| json` agrees there too. An index
    step into a string finds nothing (Loki indexes into a string whose
    text looks like an array: "[1]" then [0] gives 1). A \\uD800-
    \\uDBFF escape not followed by a low-surrogate escape is a bad escape
    (the value is ""); Loki pairs it with any \\u escape that follows.
    Loki caches some `| json` key decisions across streams; the fake
    decides per stream. Loki may also drop a line early when a label
    filter right after the parser fails on the first label it needs; the
    fake does not (that only changes results on broken lines).
  * Empty-valued labels are dropped from log stream label sets (Loki's
    ParseLabels); metric series keep them, as Loki's engine does.
  * Equal timestamps across streams are ordered by label set (reversed
    for backward); within a stream by file order (reversed for backward).
    Identical entries (same time and line) of different streams that end
    up in one result stream or series are not deduplicated (Loki's merge
    iterators drop such duplicates).
  * 3.x: discover_log_levels (detected_level structured metadata) and
    structured metadata in general are not emulated; the instant log
    query of 2.x looks back 30s as the 2.9 engine does.
  * max_query_range: the engine's "[interval] value exceeds limit:
    [2h] > [1h]" is a 500 in Loki (ErrIntervalLimit is not in
    ClientHTTPStatusAndError's 400 list), and so it is here.
  * stats numbers come from the fake's own work (lines and bytes scanned,
    entries returned, measured time), with Loki's keys.
"""

import argparse
import base64
import bisect
import calendar
import codecs
import decimal
import gzip
import heapq
import json
import math
import os
import re
import socket
import sys
import time
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "lib"))
sys.dont_write_bytecode = True    # no __pycache__ in the source tree
import fakehttp  # noqa: E402  (tests/lib/fakehttp.py)

NS = 1000000000
MS = 1000000
MAX_INT64 = (1 << 63) - 1


class LokiError(Exception):
    """An error answered as Loki's plain text."""

    def __init__(self, status, text):
        Exception.__init__(self, text)
        self.status = status
        self.text = text


def bad(text):
    return LokiError(400, text)


class ParseError(LokiError):
    """Loki's LogQL parse error: 'parse error at line L, col C: msg' or
    'parse error : msg' when there is no position."""

    def __init__(self, msg, line=0, col=0):
        if line == 0 and col == 0:
            text = "parse error : %s" % msg
        else:
            text = "parse error at line %d, col %d: %s" % (line, col, msg)
        LokiError.__init__(self, 400, text)
        self.msg = msg


def unsupported(what):
    return LokiError(400, "fake-loki: %s is not supported by this fake" % what)


# ---------------------------------------------------------------- Go bits
# Behaviour of Go's standard library (and two small Go packages Loki uses)
# that shows in Loki's texts and in how it reads numbers and durations,
# written here from what those functions are documented and seen to do.

def _go_bad_bytes(exc):
    """codecs error handler: one U+FFFD per invalid byte, like Go."""
    if isinstance(exc, UnicodeDecodeError):
        return ("\ufffd" * (exc.end - exc.start), exc.end)
    raise exc


codecs.register_error("gofffd", _go_bad_bytes)


def go_str(b):
    """bytes -> str the way Go's range over a string sees it."""
    return b.decode("utf-8", "gofffd")


def go_quote(s):
    """s quoted as Go's strconv.Quote does (close enough for messages)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\v":
            out.append("\\v")
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        elif 0xdc80 <= o <= 0xdcff:          # surrogateescape'd byte
            out.append("\\x%02x" % (o - 0xdc00))
        elif o > 0x7f and not ch.isprintable():
            out.append("\\u%04x" % o if o <= 0xffff else "\\U%08x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_fmt_float(v):
    """v as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it (shortest
    round-trip, no exponent); NaN/+Inf/-Inf as Prometheus writes them."""
    if v != v:
        return "NaN"
    if v == math.inf:
        return "+Inf"
    if v == -math.inf:
        return "-Inf"
    r = repr(float(v))
    if "e" in r or "E" in r:
        r = format(decimal.Decimal(r), "f")
    if r.endswith(".0"):
        r = r[:-2]
    return r


_DEC_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)"
                        r"[pP][+-]?[0-9]+\Z")


class GoNumError(ValueError):
    pass


def go_parse_float(s):
    """s read as Go's strconv.ParseFloat(s, 64) reads it (decimal or hex
    floats, inf/nan words); GoNumError carries Go's message."""
    low = s.lower()
    if low in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low in ("nan", "+nan", "-nan"):
        return math.nan
    if _DEC_FLOAT.match(s):
        f = float(s)
    elif _HEX_FLOAT.match(s):
        try:
            f = float.fromhex(s.replace("_", ""))
        except (ValueError, OverflowError):
            raise GoNumError('strconv.ParseFloat: parsing %s: value out of range'
                             % go_quote(s))
    else:
        raise GoNumError("strconv.ParseFloat: parsing %s: invalid syntax" % go_quote(s))
    if math.isinf(f):
        raise GoNumError("strconv.ParseFloat: parsing %s: value out of range" % go_quote(s))
    return f


def go_atoi(s):
    if not re.match(r"[+-]?[0-9]+\Z", s):
        raise GoNumError("strconv.Atoi: parsing %s: invalid syntax" % go_quote(s))
    v = int(s)
    if not -(1 << 63) <= v <= MAX_INT64:
        raise GoNumError("strconv.Atoi: parsing %s: value out of range" % go_quote(s))
    return v


def go_duration_string(ns):
    """ns as Go prints a time.Duration ("1h2m3.5s", "1.5ms", "0s")."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < NS:
        if u < 1000:
            s = "%dns" % u
        elif u < MS:
            s = _frac(u, 1000) + "µs"
        else:
            s = _frac(u, MS) + "ms"
    else:
        secs, rem = divmod(u, NS)
        h, secs = divmod(secs, 3600)
        m, secs = divmod(secs, 60)
        sec = _frac(secs * NS + rem, NS) + "s"
        if h:
            s = "%dh%dm%s" % (h, m, sec)
        elif m:
            s = "%dm%s" % (m, sec)
        else:
            s = sec
    return "-" + s if neg else s


def _frac(v, unit):
    w, f = divmod(v, unit)
    if not f:
        return str(w)
    digits = len(str(unit)) - 1
    return ("%d.%0*d" % (w, digits, f)).rstrip("0")


# Prometheus durations (the [range] and step texts): units y w d h m s ms
_PROM_UNIT_NS = (("y", 31536000 * NS), ("w", 604800 * NS), ("d", 86400 * NS),
                 ("h", 3600 * NS), ("m", 60 * NS), ("s", NS), ("ms", MS))
_PROM_RANK = {u: (rank, size) for rank, (u, size) in enumerate(_PROM_UNIT_NS)}
_PROM_TERM = re.compile(r"([0-9]+)([^0-9]*)")


def prom_duration_string(ns):
    """A duration as Prometheus prints one: whole milliseconds, largest
    units first, years and weeks only when they divide what is left
    exactly (so 90d stays 90d), "0s" for zero."""
    left = ns // MS * MS
    if left == 0:
        return "0s"
    text = ""
    for unit, size in _PROM_UNIT_NS:
        if unit in ("y", "w") and left % size:
            continue
        n = left // size
        if n > 0:
            text += "%d%s" % (n, unit)
            left -= n * size
    return text


def parse_prom_duration(s):
    """A Prometheus duration ("1h30m", "90s", "0") -> ns, or ValueError
    with Prometheus's text: terms of digits and a unit, units strictly
    from larger to smaller, at most 2^63-1 ns."""
    if s == "0":
        return 0
    if s == "":
        raise ValueError("empty duration string")
    invalid = ValueError("not a valid duration string: %s" % go_quote(s))
    total = 0
    prev = -1
    pos = 0
    while pos < len(s):
        m = _PROM_TERM.match(s, pos)
        if m is None or int(m.group(1)) >= 1 << 64 or not m.group(2):
            raise invalid
        unit = m.group(2)
        if unit not in _PROM_RANK:
            raise ValueError("unknown unit %s in duration %s" % (go_quote(unit), go_quote(s)))
        rank, size = _PROM_RANK[unit]
        if rank <= prev:
            raise invalid
        prev = rank
        n = int(m.group(1))
        if n > (1 << 63) // size or total + n * size > MAX_INT64:
            raise ValueError("duration out of range")
        total += n * size
        pos = m.end()
    return total


_GO_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": MS, "s": NS,
             "m": 60 * NS, "h": 3600 * NS}


def parse_go_duration(orig):
    """A Go duration ("1h30m", "1.5s", "-2ms", units ns us µs ms s m h) ->
    ns, ValueError with Go's message."""
    s = orig
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise ValueError("time: invalid duration " + go_quote(orig))
    total = 0
    while s:
        m = re.match(r"([0-9]*)(?:\.([0-9]*))?", s)
        whole, frac = m.group(1), m.group(2)
        if whole == "" and not frac:
            raise ValueError("time: invalid duration " + go_quote(orig))
        s = s[m.end():]
        u = re.match(r"[^0-9.]*", s).group(0)
        if u == "":
            raise ValueError("time: missing unit in duration " + go_quote(orig))
        if u not in _GO_UNITS:
            raise ValueError("time: unknown unit %s in duration %s" % (go_quote(u), go_quote(orig)))
        mult = _GO_UNITS[u]
        total += int(whole or "0") * mult
        if frac:
            total += int(decimal.Decimal("0." + frac) * mult)
        s = s[len(u):]
        if total > MAX_INT64:
            raise ValueError("time: invalid duration " + go_quote(orig))
    return -total if neg else total


# size suffixes as go-humanize reads them: k = 1000, ki/kib = 1024, ...
_BYTE_UNITS = {"": 1, "b": 1}
for _n, _p in enumerate("kmgtpe", 1):
    _BYTE_UNITS[_p] = _BYTE_UNITS[_p + "b"] = 1000 ** _n
    _BYTE_UNITS[_p + "i"] = _BYTE_UNITS[_p + "ib"] = 1 << (10 * _n)
_BYTES_NUMBER = re.compile(r"[\d.,]*")


def parse_bytes(s):
    """A size ("5 MiB", "1,024kb", "20MB") -> bytes, or ValueError with
    go-humanize's texts: the leading digits, dots and commas (commas
    dropped) read as a float, then the rest, trimmed and lowercased, must
    be a known suffix; at most 2^64 bytes."""
    m = _BYTES_NUMBER.match(s)
    f = go_parse_float(m.group(0).replace(",", ""))
    unit = s[m.end():].strip().lower()
    if unit not in _BYTE_UNITS:
        raise ValueError("unhandled size name: %s" % unit)
    f *= _BYTE_UNITS[unit]
    if f >= 2.0 ** 64:
        raise ValueError("too large: %s" % s)
    return int(f)


# ---------------------------------------------------------------- time

_ISO_LINE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d\d(?::?\d\d)?)?)?\Z")


def iso_to_ns(s):
    """ISO 8601 (as logdive reads a line's time; no zone = UTC) -> ns."""
    m = _ISO_LINE.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    try:
        if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(hh or 0) <= 23
                and int(mi or 0) <= 59 and int(ss or 0) <= 60):
            return None
        secs = calendar.timegm((int(y), int(mo), int(d), int(hh or 0),
                                int(mi or 0), int(ss or 0), 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    ns = secs * NS
    if frac:
        ns += int((frac + "000000000")[:9])
    if zone and zone not in "Zz":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        off = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0)
        ns -= sign * off * NS
    return ns


def epoch_to_ns(v):
    """An epoch number -> ns by magnitude (s, ms, us, ns)."""
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
    if not -2 ** 63 < ns < 2 ** 63:
        return None
    return int(ns)


def line_time(raw):
    """The time of a JSON line, or None."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    for k in ("timestamp", "@timestamp"):
        if k in obj:
            v = obj[k]
            if isinstance(v, str):
                return iso_to_ns(v)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return epoch_to_ns(float(v))
            return None
    return None


_RFC3339NANO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
                          r"(Z|[+-]\d\d:\d\d)\Z")


def parse_rfc3339nano(s):
    m = _RFC3339NANO.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(hh) <= 23
            and int(mi) <= 59 and int(ss) <= 59):
        return None
    try:
        if int(d) > calendar.monthrange(int(y), int(mo))[1]:
            return None
    except ValueError:
        return None
    ns = calendar.timegm((int(y), int(mo), int(d), int(hh), int(mi), int(ss), 0, 0, 0)) * NS
    if frac:
        ns += int((frac + "000000000")[:9])
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        ns -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * NS
    return ns


def parse_timestamp(value, default):
    """A start/end/time parameter -> ns, as Loki reads one: with a "." a
    float of seconds (rounded to ms), else an integer (<= 10 characters:
    seconds, more: ns), else RFC3339Nano; ValueError with Loki's text."""
    if value == "":
        return default
    if "." in value:
        try:
            t = go_parse_float(value)
        except GoNumError:
            t = None
        if t is not None and math.isfinite(t):
            s = math.trunc(t)
            frac = t - s
            frac = math.floor(frac * 1000 + 0.5) / 1000 if frac >= 0 else \
                -math.floor(-frac * 1000 + 0.5) / 1000
            return int(s) * NS + int(frac * NS)
    if re.match(r"[+-]?[0-9]+\Z", value) and -(1 << 63) <= int(value) <= MAX_INT64:
        n = int(value)
        if len(value) <= 10:
            return n * NS
        return n
    ts = parse_rfc3339nano(value)
    if ts is not None:
        return ts
    if re.match(r"[+-]?[0-9]+\Z", value):
        raise ValueError("strconv.ParseInt: parsing %s: value out of range" % go_quote(value))
    raise ValueError("strconv.ParseInt: parsing %s: invalid syntax" % go_quote(value))


def parse_seconds_or_duration(value):
    """A step/interval parameter -> ns: float seconds, else a Prometheus
    duration; ValueError with Loki's text."""
    try:
        d = go_parse_float(value)
    except GoNumError:
        d = None
    if d is not None:
        ts = d * NS
        if ts != ts or ts > MAX_INT64 or ts < -MAX_INT64 - 1:
            raise ValueError("cannot parse %s to a valid duration. It overflows int64"
                             % go_quote(value))
        return int(ts)
    try:
        return parse_prom_duration(value)
    except ValueError:
        raise ValueError("cannot parse %s to a valid duration" % go_quote(value))


def now_ns():
    return time.time_ns()


# ---------------------------------------------------------------- RE2

class Re2Error(ValueError):
    pass


_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f",
          "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9",
          "graph": "!-~", "lower": "a-z", "print": " -~",
          "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ",
          "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}
_PERL_IN = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_PERL_OUT = {"d": "[0-9]", "D": "[^0-9]", "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]",
             "s": "[\\t\\n\\f\\r ]", "S": "[^\\t\\n\\f\\r ]"}


def re2_translate(pat):
    """RE2 syntax -> an equivalent Python `re` pattern (see the module doc)."""
    out = []
    i, n = 0, len(pat)
    # one frame per open group: list of flag strings opened inside it
    frames = [[]]
    multiline = "(?m" in pat or re.search(r"\(\?[a-zA-Z-]*m", pat) is not None

    def unsupported_perl(at):
        raise Re2Error("invalid or unsupported Perl syntax: `%s`" % pat[at:at + 3])

    while i < n:
        c = pat[i]
        if c == "\\":
            if i + 1 >= n:
                raise Re2Error("trailing backslash at end of expression: ``")
            e = pat[i + 1]
            if e == "Q":
                j = pat.find("\\E", i + 2)
                lit = pat[i + 2:] if j < 0 else pat[i + 2:j]
                out.append(re.escape(lit))
                i = n if j < 0 else j + 2
                continue
            if e == "z":
                out.append("\\Z")
            elif e in _PERL_OUT:
                out.append(_PERL_OUT[e])
            elif e in "pP":
                raise unsupported("\\p{..} Unicode classes in regexps")
            elif e in "123456789":
                raise Re2Error("invalid escape sequence: `\\%s`" % e)
            elif e == "Z" or e == "C":
                raise Re2Error("invalid escape sequence: `\\%s`" % e)
            elif e == "x" and i + 2 < n and pat[i + 2] == "{":
                j = pat.find("}", i + 3)
                if j < 0:
                    raise Re2Error("invalid escape sequence: `%s`" % pat[i:])
                out.append("\\x{%s}" % pat[i + 3:j] if False else
                           "\\U%08x" % int(pat[i + 3:j] or "0", 16))
                i = j + 1
                continue
            else:
                out.append(c + e)
            i += 2
            continue
        if c == "[":
            j = i + 1
            cls = ["["]
            if j < n and pat[j] == "^":
                cls.append("^")
                j += 1
            first = True
            while j < n and (pat[j] != "]" or first):
                first = False
                if pat.startswith("[:", j):
                    k = pat.find(":]", j + 2)
                    if k < 0:
                        cls.append("\\[")
                        j += 1
                        continue
                    name = pat[j + 2:k]
                    if name.startswith("^") or name not in _POSIX:
                        if name.startswith("^"):
                            raise unsupported("negated POSIX classes in regexps")
                        raise Re2Error("invalid character class range: `[:%s:]`" % name)
                    cls.append(_POSIX[name])
                    j = k + 2
                    continue
                ch = pat[j]
                if ch == "\\" and j + 1 < n:
                    e = pat[j + 1]
                    if e in _PERL_IN:
                        cls.append(_PERL_IN[e])
                    elif e in "DWS":
                        raise unsupported("negated Perl classes inside [] in regexps")
                    elif e in "pP":
                        raise unsupported("\\p{..} Unicode classes in regexps")
                    else:
                        cls.append(ch + e)
                    j += 2
                    continue
                if ch == "[":
                    cls.append("\\[")
                else:
                    cls.append(ch)
                j += 1
            if j >= n:
                raise Re2Error("missing closing ]: `%s`" % pat[i:])
            cls.append("]")
            out.append("".join(cls))
            i = j + 1
            continue
        if c == "(":
            if pat.startswith("(?", i):
                if pat.startswith("(?P<", i):
                    frames.append([])
                    out.append("(?P<")
                    i += 4
                    continue
                if pat.startswith("(?<", i) and not pat.startswith("(?<=", i) \
                        and not pat.startswith("(?<!", i):
                    frames.append([])
                    out.append("(?P<")
                    i += 3
                    continue
                m = re.match(r"\(\?([imsU]*)(?:-([imsU]*))?([:)])", pat[i:])
                if not m or (m.group(2) is not None and m.group(2) == "" and True):
                    if not m:
                        unsupported_perl(i)
                on, off, end = m.group(1), m.group(2) or "", m.group(3)
                if "U" in on + off:
                    raise unsupported("the (?U) flag in regexps")
                flags = on + ("-" + off if off else "")
                if end == ":":
                    frames.append([])
                    out.append("(?%s:" % flags if flags else "(?:")
                else:
                    if flags:
                        out.append("(?%s:" % flags)
                        frames[-1].append(flags)
                i += m.end()
                continue
            frames.append([])
            out.append("(")
            i += 1
            continue
        if c == ")":
            if len(frames) == 1:
                raise Re2Error("unexpected ): `%s`" % pat)
            out.append(")" * len(frames[-1]))
            frames.pop()
            out.append(")")
            i += 1
            continue
        if c == "|":
            opened = frames[-1]
            out.append(")" * len(opened))
            out.append("|")
            for f in opened:
                out.append("(?%s:" % f)
            i += 1
            continue
        if c == "$" and not multiline:
            out.append("(?!\\n)\\Z" if False else "\\Z")
            i += 1
            continue
        if c == "{":
            m = re.match(r"\{([0-9]+)(,([0-9]*))?\}", pat[i:])
            if m:
                lo = int(m.group(1))
                hi = int(m.group(3)) if m.group(3) else lo
                if lo > 1000 or hi > 1000 or (m.group(3) and hi < lo):
                    raise Re2Error("invalid repeat count: `%s`" % m.group(0))
                out.append(m.group(0))
                i += m.end()
                continue
            out.append("\\{")
            i += 1
            continue
        out.append(c)
        i += 1
    if len(frames) > 1:
        raise Re2Error("missing closing ): `%s`" % pat)
    out.append(")" * len(frames[0]))
    return "".join(out)


_re_cache = {}


def re2_compile(pat):
    """Compile an RE2 pattern with Python's re (cached); Re2Error on error."""
    rx = _re_cache.get(pat)
    if rx is not None:
        return rx
    py = re2_translate(pat)
    try:
        rx = re.compile(py)
    except re.error as e:
        msg = str(e)
        if "nothing to repeat" in msg:
            raise Re2Error("missing argument to repetition operator: `%s`" % pat)
        if "multiple repeat" in msg:
            raise Re2Error("invalid nested repetition operator: `%s`" % pat)
        if "bad escape" in msg:
            raise Re2Error("invalid escape sequence: `%s`" % pat)
        if "unterminated character set" in msg:
            raise Re2Error("missing closing ]: `%s`" % pat)
        if "missing )" in msg:
            raise Re2Error("missing closing ): `%s`" % pat)
        if "unbalanced parenthesis" in msg:
            raise Re2Error("unexpected ): `%s`" % pat)
        if "bad character range" in msg:
            raise Re2Error("invalid character class range: `%s`" % pat)
        raise Re2Error("%s: `%s`" % (msg, pat))
    if len(_re_cache) > 2000:
        _re_cache.clear()
    _re_cache[pat] = rx
    return rx


class Matcher:
    """A Prometheus labels.Matcher (= != =~ !~); regexps fully anchored."""
    __slots__ = ("name", "op", "value", "rx")

    def __init__(self, op, name, value, v3=False):
        self.name, self.op, self.value, self.rx = name, op, value, None
        if op in ("=~", "!~"):
            try:
                self.rx = re2_compile(value)
            except Re2Error as e:
                quoted = value if v3 else "^(?:%s)$" % value
                msg = str(e)
                msg = re.sub(r"`[^`]*`$", "`%s`" % quoted, msg) if "`" in msg else msg
                raise ParseError("error parsing regexp: " + msg)

    def matches(self, v):
        op = self.op
        if op == "=":
            return v == self.value
        if op == "!=":
            return v != self.value
        if op == "=~":
            return self.rx.fullmatch(v) is not None
        return self.rx.fullmatch(v) is None

    def __str__(self):
        return "%s%s%s" % (self.name, self.op, go_quote(self.value))


# ---------------------------------------------------------------- JSON lines
# How the two `| json` stages read a log line (loki.md §4.3), written for
# this fake. A line that is plain valid JSON is read with Python's json
# module. Any other line goes through JsonText, a small tolerant reader of
# our own: it goes through the text from the left, gives what it met before
# the first defect and says what the defect was. That is what Loki's answers
# show for a broken line: the labels found before the defect stay, and
# __error_details__ names the kind of defect (the texts below are the ones
# Loki answers with).

JERR_OBJECT = "Value looks like object, but can't find closing '}' symbol"
JERR_ARRAY = "Value is array, but can't find closing ']' symbol"
JERR_STRING = "Value is string, but can't find closing '\"' symbol"
JERR_SCALAR = "Unknown value type"
JERR_SYNTAX = "Malformed JSON error"
JERR_ESCAPE = "Encountered an invalid escape sequence in a string"

_J_SPACE = re.compile(rb"[ \t\n\r]*")
_J_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.S)   # after an opening quote
_J_BARE = re.compile(rb"[^ \t\n\r,}\]]*")                  # number, true, null, ...
_J_MARKS = {0x7b: re.compile(rb'["{}]'), 0x5b: re.compile(rb'["\[\]]')}
_J_ESCAPES = {0x22: '"', 0x5c: "\\", 0x2f: "/", 0x62: "\b", 0x66: "\f", 0x6e: "\n",
              0x72: "\r", 0x74: "\t"}
_J_ESCAPE_AT = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|(.)|\Z)", re.S)
_J_SURROGATE_ESC = re.compile(rb"\\u[dD][89a-fA-F]")

S_STR, S_NUM, S_BOOL, S_NULL, S_OBJ, S_ARR = "str", "num", "bool", "null", "obj", "arr"


def json_unescape(raw):
    """The text of a JSON string's body (bytes between the quotes), with
    invalid UTF-8 bytes as U+FFFD; None when an escape is not valid JSON
    (a surrogate escape counts only as the first half of a proper pair)."""
    if b"\\" not in raw:
        return go_str(raw)
    out = []
    pos = 0
    pending = None              # a high surrogate waiting for its partner
    for m in _J_ESCAPE_AT.finditer(raw):
        if m.start() != pos:
            if pending is not None:
                return None
            out.append(go_str(raw[pos:m.start()]))
        pos = m.end()
        hexa, other = m.group(1), m.group(2)
        if hexa is not None:
            cp = int(hexa, 16)
            if pending is not None:
                if not 0xdc00 <= cp <= 0xdfff:
                    return None
                out.append(chr(0x10000 + ((pending - 0xd800) << 10) + (cp - 0xdc00)))
                pending = None
            elif 0xd800 <= cp <= 0xdbff:
                pending = cp
            elif 0xdc00 <= cp <= 0xdfff:
                return None
            else:
                out.append(chr(cp))
            continue
        if pending is not None or other is None:
            return None
        ch = _J_ESCAPES.get(other[0])
        if ch is None:
            return None
        out.append(ch)
    if pending is not None:
        return None
    out.append(go_str(raw[pos:]))
    return "".join(out)


def json_label_value(raw):
    """A JSON string body as a label value: "" when it has a bad escape or
    is not valid UTF-8 (any U+FFFD, as Loki drops such values)."""
    s = json_unescape(raw)
    if s is None or "\ufffd" in s:
        return ""
    return s


class JsonText:
    """Tolerant reading of JSON text in b[0:end]: every method takes a byte
    position and answers positions, never raising on bad input."""
    __slots__ = ("b", "end", "closes")

    def __init__(self, b, end=None):
        self.b = b
        self.end = len(b) if end is None else end
        self.closes = {}        # position of a { or [ -> just past its match

    def space(self, i):
        return _J_SPACE.match(self.b, i, self.end).end()

    def string_end(self, i):
        """i just past an opening quote -> just past the closing one, or -1."""
        m = _J_STRING_REST.match(self.b, i, self.end)
        return -1 if m is None else m.end()

    def block_end(self, i):
        """The { or [ at i -> just past the bracket that closes it (counting
        only that kind of bracket, skipping strings), or -1. One scan notes
        the inner brackets it closes too, so deep nesting stays linear."""
        r = self.closes.get(i)
        if r is not None:
            return r
        b = self.b
        opener = b[i]
        marks = _J_MARKS[opener]
        opened = []
        j = i
        while True:
            m = marks.search(b, j, self.end)
            if m is None:
                return -1
            j = m.start()
            c = b[j]
            if c == 0x22:
                j = self.string_end(j + 1)
                if j < 0:
                    return -1
                continue
            if c == opener:
                opened.append(j)
            else:                                   # its closer
                start = opened.pop()
                self.closes[start] = j + 1
                if not opened:
                    return j + 1
            j += 1

    def value(self, i):
        """The value starting at i (not a space) -> (kind, start, stop,
        defect): b[start:stop] is its text (a string's with the quotes),
        defect None or one of the JERR_ texts. A bare word is a number when
        it starts like one; true, false and null must be exact."""
        b = self.b
        c = b[i]
        if c == 0x22:
            e = self.string_end(i + 1)
            if e < 0:
                return S_STR, i, i, JERR_STRING
            return S_STR, i, e, None
        if c == 0x7b:
            e = self.block_end(i)
            return (S_OBJ, i, e, None) if e >= 0 else (S_OBJ, i, i, JERR_OBJECT)
        if c == 0x5b:
            e = self.block_end(i)
            return (S_ARR, i, e, None) if e >= 0 else (S_ARR, i, i, JERR_ARRAY)
        e = _J_BARE.match(b, i, self.end).end()
        word = b[i:e]
        if word == b"true" or word == b"false":
            return S_BOOL, i, e, None
        if word == b"null":
            return S_NULL, i, e, None
        if c == 0x2d or 0x30 <= c <= 0x39:
            return S_NUM, i, e, None
        return None, i, e, JERR_SCALAR

    def members(self, i, visit):
        """Reads the object whose { is at i-1 up to its closing }, calling
        visit(key text, kind, start, stop) for each member (visit returns
        True to stop there). -> the defect that ended it, or None. A }
        where a key is expected ends the object too (so {"a":1,} is
        fine); nothing is read after the object."""
        b = self.b
        end = self.end
        i = self.space(i)
        if i >= end:
            return JERR_SYNTAX
        while True:
            c = b[i]
            if c == 0x7d:
                return None
            if c != 0x22:
                return JERR_OBJECT
            e = self.string_end(i + 1)
            if e < 0:
                return JERR_SYNTAX
            key = json_unescape(b[i + 1:e - 1])
            if key is None:
                return JERR_ESCAPE
            i = self.space(e)
            if i >= end or b[i] != 0x3a:
                return JERR_SYNTAX
            i = self.space(i + 1)
            if i >= end:
                return JERR_SYNTAX
            kind, vs, ve, defect = self.value(i)
            if defect:
                return defect
            if visit(key, kind, vs, ve):
                return None
            i = self.space(ve)
            if i >= end:
                return JERR_ARRAY           # (Loki's text for this case)
            if b[i] == 0x2c:
                i = self.space(i + 1)
                if i >= end:
                    return JERR_ARRAY
            elif b[i] != 0x7d:
                return JERR_OBJECT


# ---- `| json`: every scalar as a label

_LABEL_CHAR = re.compile(r"[^A-Za-z0-9_]")
# the characters trimmed from a key's ends (Unicode White_Space)
_KEY_TRIM = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_label_names = {}


def json_label_name(prefix, key):
    """The label `| json` names key with, inside the objects that make
    prefix ("" at the top): the key trimmed, every character outside
    [A-Za-z0-9_] made "_", joined to prefix with "_"; at the top a key
    starting with a digit gets a leading "_". An empty key names nothing at
    the top ("") and prefix + "_" below it."""
    if prefix:
        if len(prefix) > 200:
            return prefix + "_" + _label_part(key)
        r = _label_names.get((prefix, key))
    else:
        r = _label_names.get(("", key))
    if r is None:
        k = _label_part(key)
        if prefix:
            r = prefix + "_" + k
        elif k[:1].isdigit():
            r = "_" + k
        else:
            r = k
        if len(_label_names) > 100000:
            _label_names.clear()
        _label_names[(prefix, key)] = r
    return r


def _label_part(key):
    return _LABEL_CHAR.sub("_", key.strip(_KEY_TRIM))


def json_label_prefix(keys):
    """json_label_name folded over the keys of nested objects, in one go."""
    p = ""
    for n, k in enumerate(keys):
        if p:
            return "_".join([p] + [_label_part(x) for x in keys[n:]])
        p = json_label_name("", k)
    return p


class _JNum(str):
    """A JSON number, as its text."""


class _JObj(list):
    """A JSON object: its (key, value) members in order, repeats kept."""


def _no_constants(name):
    raise ValueError(name)


def json_strict(line):
    """The line read by Python's json module (objects as _JObj, numbers as
    _JNum), or None when the line is not plain valid JSON, or has a
    surrogate escape (those are left to JsonText's rules)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\\u" in text and _J_SURROGATE_ESC.search(line):
        return None
    try:
        return json.loads(text, object_pairs_hook=_JObj, parse_float=_JNum, parse_int=_JNum,
                          parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None


def json_fields(line):
    """What bare `| json` reads in a line: a list of (prefix, label, value)
    in the line's order, prefix being the label prefix of the innermost
    object holding the member ("" at the top). A defect is an item with the
    label None and the defect's text as value: the one that ends the line's
    reading comes last; one found inside a nested object (whose brackets
    balance) is followed by the members after that object."""
    tree = json_strict(line)
    if isinstance(tree, _JObj):
        out = []
        try:
            _tree_fields(tree, "", out)
            return out
        except RecursionError:
            pass
    return _text_fields(line)


def _tree_fields(obj, prefix, out):
    for key, v in obj:
        if isinstance(v, _JObj):
            _tree_fields(v, json_label_name(prefix, key), out)
        elif isinstance(v, str):
            if type(v) is _JNum:
                out.append((prefix, json_label_name(prefix, key), str(v)))
            else:
                out.append((prefix, json_label_name(prefix, key),
                            "" if "\ufffd" in v else v))
        elif v is True or v is False:
            out.append((prefix, json_label_name(prefix, key), "true" if v else "false"))


def _text_fields(line):
    t = JsonText(line)
    b = line
    out = []
    i = t.space(0)
    if i >= t.end or b[i] != 0x7b:
        return [("", None, JERR_OBJECT)]
    # the keys of the objects being read, outermost first, and their label
    # prefixes, worked out only when a member needs one (a deep nest of
    # objects holding a single value costs no more than its length)
    keys = []
    prefixes = [""]
    nested = []         # set by visit: the nested object met, read next

    def prefix():
        d = len(keys)
        if prefixes[d] is None:
            prefixes[d] = json_label_name(prefixes[d - 1], keys[-1]) \
                if prefixes[d - 1] is not None else json_label_prefix(keys)
        return prefixes[d]

    def visit(key, kind, vs, ve):
        if kind == S_OBJ:
            nested.append((key, vs, ve))
            return True
        if kind == S_STR:
            value = json_label_value(b[vs + 1:ve - 1])
        elif kind == S_NUM:
            value = go_str(b[vs:ve])
        elif kind == S_BOOL:
            value = "true" if b[vs] == 0x74 else "false"
        else:
            return False
        p = prefix()
        out.append((p, json_label_name(p, key), value))
        return False

    # A nested object is read within its own brackets (its defects stay in
    # it), then the enclosing object goes on after it: `outer` holds, for
    # each object being read, (its text's end, where the value that holds
    # the nested one ends). Iterative, so depth costs no stack.
    outer = []
    pos = i + 1
    while True:
        defect = t.members(pos, visit)
        if nested:
            key, vs, ve = nested.pop()
            outer.append((t.end, ve))
            keys.append(key)
            prefixes.append(None)
            t.end = ve
            pos = vs + 1
            continue
        if defect:
            out.append((prefix(), None, defect))
        while True:             # this object is done: back to the enclosing one
            if not outer:
                return out
            keys.pop()
            prefixes.pop()
            t.end, after = outer.pop()
            nxt = _next_member(t, after)
            if isinstance(nxt, int):
                pos = nxt
                break
            if nxt:
                out.append((prefix(), None, nxt))


def _next_member(t, i):
    """Once a member's value ends at i: the position of the next key (an
    int), "" when the object ends there, or a defect text."""
    b = t.b
    i = t.space(i)
    if i >= t.end:
        return JERR_ARRAY
    if b[i] == 0x7d:
        return ""
    if b[i] != 0x2c:
        return JERR_OBJECT
    i = t.space(i + 1)
    if i >= t.end:
        return JERR_ARRAY
    return i


# ---- `| json a="path", ...`: the values at some paths

def json_path_values(line, paths, v3, raw_objects):
    """What `| json id="path", ...` reads: [(path index, value, defect)] for
    the paths found, in the line's order (a path not found is not listed).
    The first place in the line's order where a path leads wins. Values: a
    string decoded ("" if its escapes or UTF-8 are bad), a number's text,
    true/false, null "", an array its text with the escapes decoded, an
    object its text verbatim in 3.3+ and decoded like an array before.
    2.x only: a string taken by an index that is the path's last and only
    index step is read once more as if its escaped content were JSON (so
    "7" gives 7 but "abc" the defect 'Unknown value type')."""
    tree = json_strict(line)
    if tree is not None:
        try:
            r = _tree_path_values(tree, paths, v3)
        except RecursionError:
            r = None
        if r is not None:
            return r
    return PathReader(line, paths, v3, raw_objects).run()


def _reread_string(path, v3):
    """Whether a string found at path is read again (2.x, see above)."""
    if v3 or not path or not isinstance(path[-1], int):
        return False
    return sum(1 for step in path if isinstance(step, int)) == 1


_MISSING = object()


def _tree_path_values(tree, paths, v3):
    """The same over the json module's reading (in the paths' order, which
    does not show); None when a value found needs the line's own text (an
    object or array, a 2.x re-read string)."""
    out = []
    for pi, path in enumerate(paths):
        v = _tree_find(tree, path, 0)
        if v is _MISSING:
            continue
        if isinstance(v, list):                 # object or array
            return None
        if v is None:
            val = ""
        elif v is True or v is False:
            val = "true" if v else "false"
        elif type(v) is _JNum:
            val = str(v)
        else:
            if _reread_string(path, v3):
                return None
            val = "" if "\ufffd" in v else v
        out.append((pi, val, None))
    return out


def _tree_find(node, path, level):
    """The first value in the line's order at path[level:] below node (a
    repeated key is looked into in turn), or _MISSING."""
    if level == len(path):
        return node
    step = path[level]
    if type(step) is int:
        if type(node) is list and step < len(node):
            return _tree_find(node[step], path, level + 1)
        return _MISSING
    if type(node) is _JObj:
        for k, v in node:
            if k == step:
                r = _tree_find(v, path, level + 1)
                if r is not _MISSING:
                    return r
    return _MISSING


class PathReader:
    """The paths' values read from the line's text, leniently: objects and
    arrays are entered only where a path goes on; separators are optional;
    reading stops quietly where the text ends or cannot be read (so a cut
    line gives what lies before the cut, with no error), except that a
    defect in a value a path selects is that path's defect."""

    def __init__(self, line, paths, v3, raw_objects):
        self.t = JsonText(line)
        self.b = line
        self.paths = paths
        self.v3 = v3
        self.raw_objects = raw_objects
        self.found = {}
        self.out = []

    def run(self):
        """Text after the first value is read as more values at the top."""
        t = self.t
        b = self.b
        i = t.space(0)
        everything = range(len(self.paths))
        while i < t.end:
            j = self.value(i, 0, everything)
            if j <= i:
                break
            k = t.space(j)
            if k < t.end and b[k] == 0x3a:
                # a key at the top ("a":...): not JSON
                if b[i] == 0x22:
                    self.out.append((-1, None, JERR_SYNTAX))
                break
            i = k
        return self.out

    def take(self, pi, kind, vs, ve, defect):
        self.found[pi] = True
        if defect:
            self.out.append((pi, None, defect))
            return
        b = self.b
        if kind == S_STR and _reread_string(self.paths[pi], self.v3):
            inner = JsonText(b[vs + 1:ve - 1])
            k = inner.space(0)
            if k >= inner.end:
                self.out.append((pi, None, JERR_SYNTAX))
                return
            kind, vs, ve, defect = inner.value(k)
            if defect:
                self.out.append((pi, None, defect))
                return
            b = inner.b
        if kind == S_STR:
            val = json_label_value(b[vs + 1:ve - 1])
        elif kind == S_NUM:
            val = go_str(b[vs:ve])
        elif kind == S_BOOL:
            val = "true" if b[vs] == 0x74 else "false"
        elif kind == S_NULL:
            val = ""
        elif kind == S_OBJ and self.raw_objects:
            val = go_str(b[vs:ve])
        else:
            val = json_label_value(b[vs:ve])
        self.out.append((pi, val, None))

    def value(self, i, level, cands):
        """Reads the value at i (not a space), at depth level, that the
        paths cands lead to. -> where reading goes on after it, or -1 to
        stop (the text ends or cannot be read, or every path is found)."""
        paths = self.paths
        found = self.found
        here = []
        deeper = []
        for pi in cands:
            if pi not in found:
                (here if len(paths[pi]) == level else deeper).append(pi)
        t = self.t
        if here:
            kind, vs, ve, defect = t.value(i)
            if defect and isinstance(paths[here[0]][-1], int):
                return -1           # an array element that cannot be read
            for pi in here:
                self.take(pi, kind, vs, ve, defect)
            if len(found) == len(paths):
                return -1
        c = self.b[i]
        if deeper and c == 0x7b:
            return self.members(i + 1, level, deeper)
        if deeper and c == 0x5b:
            return self.elements(i + 1, level, deeper)
        if not here:
            kind, vs, ve, defect = t.value(i)
        if defect:
            return ve if kind is None else -1
        return ve

    def members(self, i, level, cands):
        t = self.t
        b = self.b
        paths = self.paths
        while True:
            i = t.space(i)
            if i >= t.end:
                return -1
            if b[i] == 0x7d:
                return i + 1
            if b[i] == 0x2c:
                i += 1
                continue
            if b[i] != 0x22:
                return -1
            e = t.string_end(i + 1)
            if e < 0:
                return -1
            key = json_unescape(b[i + 1:e - 1])
            if key is None:
                return -1
            i = t.space(e)
            if i >= t.end or b[i] != 0x3a:
                return -1
            i = t.space(i + 1)
            sub = [pi for pi in cands if pi not in self.found and paths[pi][level] == key]
            if i >= t.end:          # cut after the colon: a selected value is missing
                for pi in sub:
                    if len(paths[pi]) == level + 1:
                        self.found[pi] = True
                        self.out.append((pi, None, JERR_SYNTAX))
                return -1
            i = self.value(i, level + 1, sub)
            if i < 0:
                return -1

    def elements(self, i, level, cands):
        t = self.t
        b = self.b
        paths = self.paths
        n = 0
        while True:
            i = t.space(i)
            if i >= t.end:
                return -1
            if b[i] == 0x5d:
                return i + 1
            sub = [pi for pi in cands if pi not in self.found and paths[pi][level] == n]
            j = self.value(i, level + 1, sub)
            if j <= i:
                return -1
            i = j
            n += 1
            i = t.space(i)
            if i < t.end and b[i] == 0x2c:
                i += 1


# ---------------------------------------------------------------- LogQL lexer
# The fake's own lexer and recursive-descent parser (below, after the AST).
# The grammar is written from loki.md §4 (LogQL) and §6 (errors); the
# differences between Loki release lines are the flags of a Dialect.


class Dialect:
    """What the emulated release line's LogQL accepts: 2.9, 3.0, 3.1-3.2,
    3.3-3.4 or 3.5+."""

    RANGE_FUNCS = frozenset((
        "count_over_time", "rate", "rate_counter", "bytes_over_time", "bytes_rate",
        "avg_over_time", "sum_over_time", "min_over_time", "max_over_time",
        "stdvar_over_time", "stddev_over_time", "quantile_over_time", "first_over_time",
        "last_over_time", "absent_over_time"))
    VECTOR_FUNCS = frozenset((
        "sum", "avg", "count", "max", "min", "stddev", "stdvar", "bottomk", "topk", "sort",
        "sort_desc"))
    # words that are functions only when a '(' (or by/without and a '(')
    # follows; elsewhere they are plain identifiers (a label may be `count`)
    OTHER_FUNCS = frozenset(("vector", "label_replace", "bytes", "duration", "duration_seconds",
                             "ip"))
    # reserved words: never an identifier
    KEYWORDS = frozenset((
        "by", "without", "bool", "offset", "on", "ignoring", "group_left", "group_right",
        "or", "and", "unless", "unwrap", "json", "logfmt", "regexp", "pattern", "unpack",
        "line_format", "label_format", "decolorize", "drop", "keep"))

    def __init__(self, major, minor):
        v = (major, minor)
        self.v3 = major >= 3
        self.fold_case = self.v3            # 3.x: SUM(...), | JSON, BY (...)
        self.or_filters = v >= (3, 0)       # |= "a" or "b"
        self.signed_numbers = v >= (3, 1)   # | x > -3 (and +3)
        self.raw_objects = v >= (3, 3)      # | json a="obj": the object's JSON text
        self.variants = v >= (3, 5)         # variants(...) of (...)
        self.max_input = 131072 if self.v3 else 5120
        self.filter_ops = frozenset(("|=", "!=", "|~", "!~") +
                                    (("|>", "!>") if self.v3 else ()))
        self.vector_funcs = self.VECTOR_FUNCS | (
            frozenset(("approx_topk",)) if v >= (3, 3) else frozenset())
        self.functions = self.RANGE_FUNCS | self.vector_funcs | self.OTHER_FUNCS
        self.keywords = self.KEYWORDS | (frozenset(("variants", "of")) if self.variants
                                         else frozenset())


class Tok:
    """kind: IDENT STRING NUMBER DURATION BYTES RANGE FLAG FUNC EOF, ERROR
    (a lexical error, val = its message), ILLEGAL (an unknown character),
    a keyword (its lower-case text) or an operator (its text)."""
    __slots__ = ("kind", "val", "line", "col")

    def __init__(self, kind, val, line, col):
        self.kind, self.val, self.line, self.col = kind, val, line, col


_TOKEN_NAMES = {"IDENT": "IDENTIFIER", "FLAG": "PARSER_FLAG", "EOF": "$end"}
_FUNC_NAMES = {"bytes": "BYTES_CONV", "duration": "DURATION_CONV",
               "duration_seconds": "DURATION_SECONDS_CONV", "ip": "ip",
               "label_replace": "label_replace"}


def token_name(t):
    """How a syntax error names a token: the class of a value token
    (IDENTIFIER, STRING, NUMBER, DURATION, BYTES, RANGE, $end), a function
    in capitals, anything else as written."""
    if t.kind == "FUNC":
        return _FUNC_NAMES.get(t.val, t.val.upper())
    if t.kind == "ILLEGAL":
        return "character %s" % go_quote(t.val)
    return _TOKEN_NAMES.get(t.kind, t.kind)


_OPS2 = frozenset(("|=", "|~", "!=", "!~", "=~", "==", ">=", "<="))
_OPS2_V3 = frozenset(("|>", "!>"))
_OPS1 = frozenset("{}(),.]=|+-*/%^<>")
_DURATION_CHARS = frozenset("0123456789.nuµmshdwy")
_BYTES_CHARS = frozenset("0123456789.BikKMGTP")
_FLAGS = ("--strict", "--keep-empty")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?"
                     r"|0[oObB][0-9_]+"
                     r"|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?")
_WORD = re.compile(r"[^\W\d]\w*")
_WORD_CHARS = re.compile(r"[\w.µ]+")
_BAD_OCTAL = re.compile(r"0[0-7_]*([89])[0-9_]*\Z")
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
_SPACE = " \t\r\n"
_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}
_HEX = frozenset("0123456789abcdefABCDEF")


def _bad_char_message(c):
    return "invalid character NUL" if c == "\x00" else "invalid UTF-8 encoding"


def read_string_literal(src, i):
    """The string literal at src[i] ("..." with Go's escapes or `raw`, loki.md
    §4.8) -> (value, end, error message or None). Invalid bytes arrive as
    surrogate escapes and are an error; \\xNN and \\NNN escapes may make
    bytes that are not UTF-8, kept as surrogate escapes."""
    n = len(src)
    if src[i] == "`":
        k = src.find("`", i + 1)
        body = src[i + 1:] if k < 0 else src[i + 1:k]
        bad = _BAD_CHAR.search(body)
        if bad:
            return None, n if k < 0 else k + 1, _bad_char_message(bad.group())
        if k < 0:
            return None, n, "literal not terminated"
        return body, k + 1, None
    out = bytearray()
    lex_err = None          # a malformed literal
    val_err = None          # a well-formed escape with an impossible value
    j = i + 1
    while True:
        if j >= n or src[j] == "\n":
            return None, j, lex_err or "literal not terminated"
        c = src[j]
        if c == '"':
            j += 1
            break
        if c != "\\":
            if c == "\x00" or "\ud800" <= c <= "\udfff":
                lex_err = lex_err or _bad_char_message(c)
            else:
                out += c.encode("utf-8")
            j += 1
            continue
        e = src[j + 1] if j + 1 < n else ""
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            j += 2
        elif e in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = src[j + 2:j + 2 + width]
            if len(digits) < width or not all(d in _HEX for d in digits):
                lex_err = lex_err or "invalid char escape"
                j += 2
                continue
            v = int(digits, 16)
            if e == "x":
                out.append(v)
            elif v > 0x10ffff or 0xd800 <= v <= 0xdfff:
                val_err = val_err or "invalid syntax"
            else:
                out += chr(v).encode("utf-8")
            j += 2 + width
        elif e and e in "01234567":
            digits = src[j + 1:j + 4]
            if len(digits) < 3 or not all(d in "01234567" for d in digits):
                lex_err = lex_err or "invalid char escape"
                j += 2
                continue
            v = int(digits, 8)
            if v > 255:
                val_err = val_err or "invalid syntax"
            else:
                out.append(v)
            j += 4
        else:
            bad = e == "\x00" or "\ud800" <= e <= "\udfff"
            lex_err = lex_err or (_bad_char_message(e) if bad else "invalid char escape")
            j += 1
    if lex_err or val_err:
        return None, j, lex_err or val_err
    return bytes(out).decode("utf-8", "surrogateescape"), j, None


def _lex_duration(s):
    """A duration written in a query: Prometheus' form (5m, 1h30m, 2d) or
    Go's (1.5s, 250ms, -5m) -> ns."""
    try:
        return parse_prom_duration(s)
    except ValueError:
        return parse_go_duration(s)


class Lexer:
    """Turns a query into Toks, one at a time (a lexical error becomes an
    ERROR token, reported when the parser reaches it)."""

    def __init__(self, src, dialect):
        self.src = src
        self.d = dialect
        self.i = 1 if src.startswith("\ufeff") else 0
        self.newlines = [m.start() for m in re.finditer("\n", src)]
        self.failed = False

    def tok(self, kind, val, at):
        line = bisect.bisect_left(self.newlines, at)
        col = at - (self.newlines[line - 1] + 1 if line else 0) + 1
        return Tok(kind, val, line + 1, col)

    def error(self, msg, at):
        self.failed = True
        self.i = len(self.src)
        return self.tok("ERROR", msg, at)

    def next(self):
        src, n, d = self.src, len(self.src), self.d
        i = self.i
        while i < n and not self.failed:
            c = src[i]
            if c in _SPACE:
                i += 1
            elif c == "#":                     # a comment, to the end of the line
                k = src.find("\n", i)
                k = n if k < 0 else k
                bad = _BAD_CHAR.search(src, i, k)
                if bad:
                    return self.error(_bad_char_message(bad.group()), bad.start())
                i = k
            else:
                break
        if i >= n or self.failed:
            self.i = n
            return self.tok("EOF", None, n)
        c = src[i]
        if c == '"' or c == "`":
            val, end, err = read_string_literal(src, i)
            if err:
                return self.error(err, i)
            self.i = end
            return self.tok("STRING", val, i)
        if "0" <= c <= "9" or (c == "." and i + 1 < n and "0" <= src[i + 1] <= "9"):
            return self.number(i)
        if c == "_" or c.isalpha():
            return self.word(i)
        if c == "[":                           # [5m]: a range
            k = src.find("]", i + 1)
            if k < 0:
                return self.error("missing closing ']' in duration", i)
            try:
                ns = parse_prom_duration(src[i + 1:k])
            except ValueError as e:
                return self.error(str(e), i)
            self.i = k + 1
            return self.tok("RANGE", ns, i)
        if c == "-":
            k = i + 1
            while k < n and (src[k] == "-" or src[k].isalpha()):
                k += 1
            if src[i:k] in _FLAGS:
                self.i = k
                return self.tok("FLAG", src[i:k], i)
            k = i + 1
            while k < n and src[k] in _DURATION_CHARS:
                k += 1
            if k > i + 1:                      # -5m: a negative duration
                try:
                    ns = _lex_duration(src[i:k])
                except ValueError:
                    pass
                else:
                    self.i = k
                    return self.tok("DURATION", ns, i)
        two = src[i:i + 2]
        if two in _OPS2 or (d.v3 and two in _OPS2_V3):
            self.i = i + 2
            return self.tok(two, None, i)
        if c in _OPS1:
            self.i = i + 1
            return self.tok(c, None, i)
        if c == "\x00" or "\ud800" <= c <= "\udfff":
            return self.error(_bad_char_message(c), i)
        self.i = i + 1
        return self.tok("ILLEGAL", c, i)

    def number(self, i):
        """A number, or a duration (5m, 1h30m, 1.5s) or a size (20MB, 1KiB)
        when the unit follows without a space."""
        src, n = self.src, len(self.src)
        m = _NUMBER.match(src, i)
        j = m.end()
        bad = _BAD_OCTAL.match(m.group())
        if bad:                                # 09: a leading 0 means octal
            return self.error("invalid digit '%s' in octal literal" % bad.group(1), i)
        for chars, parse, kind in ((_DURATION_CHARS, _lex_duration, "DURATION"),
                                   (_BYTES_CHARS, parse_bytes, "BYTES")):
            k = j
            while k < n and src[k] in chars:
                k += 1
            if k > j:
                try:
                    v = parse(src[i:k])
                except ValueError:
                    continue
                self.i = k
                return self.tok(kind, v, i)
        if j < n and (src[j] == "_" or src[j].isalnum()):     # 5e, 0.5x, 1h30
            word = _WORD_CHARS.match(src, i).group()
            return self.error("bad number or unit %s" % go_quote(word), i)
        self.i = j
        return self.tok("NUMBER", m.group(), i)

    def word(self, i):
        src, d = self.src, self.d
        m = _WORD.match(src, i)
        text = m.group()
        self.i = m.end()
        key = text.lower() if d.fold_case else text
        if key in d.functions and self.call_follows(m.end()):
            return self.tok("FUNC", key, i)
        if key in d.keywords:
            return self.tok(key, None, i)
        return self.tok("IDENT", text, i)

    def call_follows(self, j):
        """Whether a '(' follows, or `by (` / `without (` (sum by (x) (...))."""
        src, n = self.src, len(self.src)
        while j < n and src[j].isspace():
            j += 1
        if j < n and src[j] == "(":
            return True
        for w in ("by", "without"):
            head = src[j:j + len(w)]
            if (head.lower() if self.d.fold_case else head) == w:
                k = j + len(w)
                while k < n and src[k].isspace():
                    k += 1
                return k < n and src[k] == "("
        return False


# ---------------------------------------------------------------- AST

ERR_LABEL = "__error__"
ERR_DETAILS = "__error_details__"
PRESERVE = "__preserve_error__"


class Needs:
    """What a query needs from its parsers (Loki works the same way, and
    it shows in the results). Log queries, and range aggregations grouped
    `without (...)` or not grouped, need every label. One grouped `by
    (...)` needs only the labels its stages read, its grouping labels and
    its unwrapped label: the parsers set only those (so an erroring series
    carries just them), `| json` skips nested objects whose labels cannot
    be among them, and once all of them are set the rest of the line is
    not read (a defect after that point is not an error). One grouped by
    nothing (`by ()`, or a sum(...) around it) that reads no label does not
    run its parsers at all (its lines cannot fail). When the query reads
    __error__, entries that get an error are marked __preserve_error__ and
    their series do not fail the query."""
    __slots__ = ("names", "none", "keep_errors", "_prefixes")

    def __init__(self, names=None, none=False, keep_errors=False):
        self.names = None if names is None else frozenset(names)
        self.none = none
        self.keep_errors = keep_errors
        self._prefixes = {}

    def nothing_left(self, lb):
        """Whether the parsers have nothing to do for this entry."""
        return self.none or (bool(self.names) and self.names <= lb.extracted)

    def may_hold(self, prefix):
        """Whether labels under an object named prefix can be needed."""
        r = self._prefixes.get(prefix)
        if r is None:
            r = self._prefixes[prefix] = any(n.startswith(prefix) for n in self.names)
        return r


ALL_LABELS = Needs()


def query_needs(read, groups, without, no_labels, unwrapped):
    """The Needs of a range aggregation's pipeline: read = the labels its
    stages read; groups/without/no_labels its effective grouping."""
    names = []
    for l in list(read) + list(groups) + ([unwrapped] if unwrapped else []):
        # a `by (x_extracted)` is met by a parsed x that clashed
        for n in (l, l[:-len("_extracted")] if l.endswith("_extracted") else ""):
            if n and n not in names:
                names.append(n)
    if no_labels:
        if names:
            return Needs(names, keep_errors=ERR_LABEL in names)
        return Needs(none=True)
    if without or not groups:
        return ALL_LABELS
    return Needs(names, keep_errors=ERR_LABEL in names)


class LB:
    """The labels of one entry while the pipeline runs."""
    __slots__ = ("base", "cur", "added", "extracted", "err", "errd", "needs", "src",
                 "memos", "index")

    def __init__(self, base, needs, stream=None, index=0):
        self.base = base
        self.cur = dict(base)
        self.added = set()
        self.extracted = set()      # every label set so far (deleted or not)
        self.err = ""
        self.errd = ""
        self.needs = needs
        # the entry (for memo): its stream's memos and its index there
        self.memos = stream.memos if stream is not None else None
        self.index = index
        self.src = stream.lines[index] if stream is not None else None

    def memo(self, key, line, compute):
        """compute(line), kept with the entry while line is the entry's own
        (a dashboard's queries read the same lines many times)."""
        memos = self.memos
        if memos is None or line is not self.src:
            return compute(line)
        m = memos.get(self.index)
        if m is None:
            m = memos[self.index] = {}
        r = m.get(key)
        if r is None:
            r = compute(line)
            if len(m) >= 16:
                m.clear()
            m[key] = r
        return r

    def get(self, k):
        return self.cur.get(k)

    def set(self, k, v):
        if k not in self.added:
            self.added.add(k)
            self.extracted.add(k)
        self.cur[k] = v

    def delete(self, k):
        self.cur.pop(k, None)
        self.added.discard(k)

    def add_err(self, msg, details):
        """A parser's error (marks the entry when the query keeps errors)."""
        self.err = msg
        if details:
            self.errd = details
        if self.needs.keep_errors:
            self.set(PRESERVE, "true")

    def set_err(self, msg, details):
        self.err = msg
        if details:
            self.errd = details

    def labels(self):
        d = dict(self.cur)
        if self.err:
            d[ERR_LABEL] = self.err
        if self.errd:
            d[ERR_DETAILS] = self.errd
        return d


def labels_string(d):
    """A label dict as Prometheus prints a label set: {a="x", b="y"}."""
    return "{" + ", ".join("%s=%s" % (k, go_quote(d[k])) for k in sorted(d)) + "}"


def labels_key(d):
    return tuple(sorted(d.items()))


# ---- JSON stages

class JsonStage:
    """`| json` without arguments (loki.md §4.3; reading: json_fields)."""
    required = ()

    def process(self, ts, line, lb):
        needs = lb.needs
        if needs.nothing_left(lb):
            return line, True
        fields = lb.memo("json", line, json_fields)
        base = lb.base
        names = needs.names
        for prefix, label, value in fields:
            if names is not None and prefix and not needs.may_hold(prefix):
                continue
            if label is None:
                lb.add_err("JSONParserErr", value)
                return line, True
            if label in base:
                label += "_extracted"
            if label and (names is None or label in names):
                lb.set(label, value)
            if names and names <= lb.extracted:
                break       # all it needs: the rest of the line is not read
        return line, True


_PATH_WORD = re.compile(r"[^ \t\n.\]]*")
_PATH_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_json_path(expr):
    """A `| json` path (`a.b`, `a["b c"]`, `a[0]`, `[0].b`) -> its steps:
    str keys and int indexes; ValueError with Loki's text. A quoted key
    runs to the next quote or ']' (no escapes)."""
    toks = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c in " \t\n":
            i += 1
        elif "0" <= c <= "9":
            word = _PATH_WORD.match(expr, i).group(0)
            for ch in word:
                if not "0" <= ch <= "9":
                    raise ValueError("non-integer value: %s" % ch)
            i += len(word)
            if i < n and expr[i] == ".":
                raise ValueError("cannot use float as array index")
            toks.append(("INDEX", int(word)))
        elif c in "[].":
            toks.append(({"[": "LSB", "]": "RSB", ".": "DOT"}[c], None))
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and expr[j] not in '"]':
                j += 1
            toks.append(("STRING", expr[i + 1:j]))
            i = j + 1
        else:
            m = _PATH_NAME.match(expr, i)
            if m is None:
                raise ValueError("unexpected char %s" % c)
            toks.append(("FIELD", m.group(0)))
            i = m.end()
    # a field first, then .field, [key] or [index] steps
    kinds = [k for k, _ in toks]
    steps = []
    k = 0
    while k < len(toks):
        if kinds[k] == "FIELD" and k == 0:
            steps.append(toks[k][1])
            k += 1
        elif kinds[k] == "DOT" and k > 0 and kinds[k + 1:k + 2] == ["FIELD"]:
            steps.append(toks[k + 1][1])
            k += 2
        elif kinds[k] == "LSB" and kinds[k + 2:k + 3] == ["RSB"] and \
                kinds[k + 1] in ("STRING", "INDEX"):
            steps.append(toks[k + 1][1])
            k += 3
        else:
            raise ValueError("syntax error: unexpected %s" % kinds[k])
    if not steps:
        raise ValueError("syntax error: unexpected $end")
    return tuple(steps)


class JsonExprStage:
    """`| json a="x.y", b="k[\\"odd\\"]"` (reading: json_path_values)."""
    required = ()

    def __init__(self, exprs, dialect):
        self.ids = []
        paths = []
        for ident, e in exprs:
            try:
                paths.append(parse_json_path(e))
            except ValueError as err:
                raise ParseError("cannot parse expression [%s]: %s" % (e, err))
            self.ids.append(ident)
        self.paths = tuple(paths)
        self.v3 = dialect.v3
        self.raw_objects = dialect.raw_objects
        self.memo_key = ("paths", self.paths, self.v3, self.raw_objects)

    def read(self, line):
        return json_path_values(line, self.paths, self.v3, self.raw_objects)

    def process(self, ts, line, lb):
        if not line or lb.needs.nothing_left(lb):
            return line, True
        if line[0] not in b'"{[':
            lb.add_err("JSONParserErr", None)
            return line, True
        ids = self.ids
        base = lb.base
        matches = 0
        for pi, val, defect in lb.memo(self.memo_key, line, self.read):
            if defect:
                lb.add_err("JSONParserErr", defect)
                continue
            ident = ids[pi]
            lb.set(ident + "_extracted" if ident in base else ident, val)
            matches += 1
        if matches < len(ids):
            cur = lb.cur
            for ident in ids:
                if ident not in cur:
                    lb.set(ident, "")
        return line, True


# ---- line filters

class LineFilterStage:
    required = ()

    def __init__(self, filters):
        self.filters = filters      # [(op, [values], [compiled regexps])]

    def process(self, ts, line, lb):
        for op, values, rxs in self.filters:
            if op in ("|=", "!="):
                hit = any(v in line for v in values)
            else:
                s = go_str(line)
                hit = any(rx.search(s) is not None for rx in rxs)
            if op in ("|=", "|~"):
                if not hit:
                    return line, False
            elif hit:
                return line, False
        return line, True


# ---- label filters

class LFAnd:
    def __init__(self, l, r):
        self.l, self.r = l, r
        self.required = _uniq(list(l.required) + list(r.required))

    def test(self, lb):
        a = self.l.test(lb)
        b = self.r.test(lb)
        return a and b


class LFOr:
    def __init__(self, l, r):
        self.l, self.r = l, r
        self.required = _uniq(list(l.required) + list(r.required))

    def test(self, lb):
        if self.l.test(lb):
            return True
        return self.r.test(lb)


class LFString:
    def __init__(self, m):
        self.m = m
        # Loki turns `=~".*"` into a filter that keeps everything
        self.noop = m.op == "=~" and m.value == ".*"
        self.required = () if self.noop else (m.name,)

    def test(self, lb):
        if self.noop:
            return True
        if self.m.name == ERR_LABEL:
            v = lb.err
        else:
            v = lb.get(self.m.name)
            if v is None:
                v = ""
        return self.m.matches(v)


_CMP = {"==": lambda a, b: a == b, "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


class LFConv:
    """numeric, duration and bytes label filters."""

    def __init__(self, kind, name, op, value):
        self.kind, self.name, self.op, self.value = kind, name, op, value
        self.cmp = _CMP[op]
        self.required = (name,)

    def test(self, lb):
        if lb.err:
            return True
        v = lb.get(self.name)
        if v is None:
            return False
        try:
            if self.kind == "num":
                x = go_parse_float(v)
            elif self.kind == "dur":
                x = parse_go_duration(v)
            else:
                x = parse_bytes(v)
        except (ValueError, GoNumError) as e:
            lb.set_err("LabelFilterErr", str(e))
            return True
        return self.cmp(x, self.value)


class LabelFilterStage:
    def __init__(self, f):
        self.f = f
        self.required = f.required

    def process(self, ts, line, lb):
        return line, self.f.test(lb)


def _uniq(xs):
    out = []
    for x in xs:
        if x and x not in out:
            out.append(x)
    return out


# ---- formatting

_TMPL_PART = re.compile(r"\{\{-?\s*(?:\.([A-Za-z_][A-Za-z0-9_]*)|(__line__))\s*-?\}\}")


class Template:
    """The template forms the fake understands: text, {{.NAME}}, {{__line__}}."""

    def __init__(self, text):
        self.parts = []
        self.fields = []
        pos = 0
        for m in _TMPL_PART.finditer(text):
            lit = text[pos:m.start()]
            if "{{" in lit or "}}" in lit:
                break
            if m.group(0).startswith("{{-") or m.group(0).endswith("-}}"):
                break
            if lit:
                self.parts.append(("lit", lit))
            if m.group(1):
                self.parts.append(("field", m.group(1)))
                self.fields.append(m.group(1))
            else:
                self.parts.append(("line", None))
            pos = m.end()
        else:
            rest = text[pos:]
            if "{{" not in rest and "}}" not in rest:
                if rest:
                    self.parts.append(("lit", rest))
                return
        raise ParseError("fake-loki: only {{.NAME}} and {{__line__}} templates are "
                         "supported: %s" % go_quote(text))

    def render(self, data, line):
        out = []
        for kind, v in self.parts:
            if kind == "lit":
                out.append(v)
            elif kind == "field":
                out.append(data.get(v, ""))
            else:
                out.append(go_str(line))
        return "".join(out)


class LineFormatStage:
    def __init__(self, tmpl):
        self.t = Template(tmpl)
        self.required = tuple(self.t.fields)

    def process(self, ts, line, lb):
        return self.t.render(lb.labels(), line).encode("utf-8", "surrogateescape"), True


class LabelFormatStage:
    def __init__(self, fmts):
        seen = set()
        self.fmts = []
        req = []
        for name, kind, v in fmts:
            if name == ERR_LABEL:
                raise ParseError("%s cannot be formatted" % name)
            if name in seen:
                raise ParseError("multiple label name '%s' not allowed in a single format "
                                 "operation" % name)
            seen.add(name)
            if kind == "rename":
                self.fmts.append((name, kind, v))
                req.append(v)
            else:
                t = Template(v)
                self.fmts.append((name, kind, t))
                req.extend(t.fields)
        self.required = tuple(_uniq(req))

    def process(self, ts, line, lb):
        data = None
        for name, kind, v in self.fmts:
            if kind == "rename":
                x = lb.get(v)
                if x is not None:
                    lb.set(name, x)
                    lb.delete(v)
                continue
            if data is None:
                data = lb.labels()
            lb.set(name, v.render(data, line))
        return line, True


class KeepStage:
    required = ()

    def __init__(self, items):
        self.items = items          # [(name, Matcher or None)]

    def process(self, ts, line, lb):
        for name in list(lb.cur):
            if name in (ERR_LABEL, ERR_DETAILS, PRESERVE):
                continue
            v = lb.cur[name]
            keep = False
            for n, m in self.items:
                if m is not None and m.name == name and m.matches(v):
                    keep = True
                    break
                if n == name:
                    keep = True
                    break
            if not keep:
                lb.delete(name)
        return line, True


class DropStage:
    required = ()

    def __init__(self, items):
        self.items = items

    def process(self, ts, line, lb):
        for n, m in self.items:
            if m is not None:
                if m.name == ERR_LABEL:
                    if m.matches(lb.err):
                        lb.err = ""
                    continue
                if m.name == ERR_DETAILS:
                    if m.matches(lb.errd):
                        lb.errd = ""
                    continue
                v = lb.get(m.name)
                if v is not None and m.matches(v):
                    lb.delete(m.name)
                continue
            if n == ERR_LABEL:
                lb.err = ""
            elif n == ERR_DETAILS:
                lb.errd = ""
            else:
                lb.delete(n)
        return line, True


class NoopStage:
    required = ()

    def process(self, ts, line, lb):
        return line, True


def run_stages(stages, ts, line, lb):
    for st in stages:
        line, ok = st.process(ts, line, lb)
        if not ok:
            return line, False
    return line, True


def stages_required(stages):
    out = []
    for st in stages:
        out.extend(st.required)
    return _uniq(out)


# ---- expressions

class LogExpr:
    def __init__(self, matchers, stages):
        self.matchers = matchers
        self.stages = stages
        self.gotype = "*syntax.PipelineExpr" if stages else "*syntax.MatchersExpr"


class Unwrap:
    def __init__(self, name, conv):
        self.name, self.conv, self.post = name, conv, []


class LogRange:
    def __init__(self, matchers, stages, rng, unwrap, offset):
        self.matchers, self.stages = matchers, stages
        self.range, self.unwrap, self.offset = rng, unwrap, offset or 0


class Grouping:
    def __init__(self, without, groups):
        self.without, self.groups = without, groups


class RangeAgg:
    GROUPABLE = ("avg_over_time", "stddev_over_time", "stdvar_over_time", "quantile_over_time",
                 "max_over_time", "min_over_time", "first_over_time", "last_over_time")
    UNWRAPPED = ("avg_over_time", "sum_over_time", "max_over_time", "min_over_time",
                 "stddev_over_time", "stdvar_over_time", "quantile_over_time", "rate",
                 "rate_counter", "absent_over_time", "first_over_time", "last_over_time")
    PLAIN = ("bytes_over_time", "bytes_rate", "count_over_time", "rate", "absent_over_time")

    def __init__(self, op, lr, param, grouping):
        self.op, self.lr, self.grouping = op, lr, grouping
        self.param = None
        self.err = None
        if param is not None:
            if op != "quantile_over_time":
                self.err = ParseError("parameter %s not supported for operation %s" % (param, op))
                return
            try:
                self.param = go_parse_float(param)
            except GoNumError as e:
                self.err = ParseError("invalid parameter for operation %s: %s" % (op, e))
                return
        elif op == "quantile_over_time":
            self.err = ParseError("parameter required for operation %s" % op)
            return
        if grouping is not None and op not in self.GROUPABLE:
            self.err = ParseError("grouping not allowed for %s aggregation" % op)
        elif lr.unwrap is not None:
            if op not in self.UNWRAPPED:
                self.err = ParseError("invalid aggregation %s with unwrap" % op)
        elif op not in self.PLAIN:
            self.err = ParseError("invalid aggregation %s without unwrap" % op)


class VecAgg:
    def __init__(self, op, grouping, param, inner):
        self.op, self.inner, self.err = op, inner, None
        self.param = None
        if op in ("topk", "bottomk", "approx_topk"):
            if param is None:
                self.err = ParseError("parameter required for operation %s" % op)
            else:
                try:
                    self.param = go_atoi(param)
                except GoNumError:
                    self.err = ParseError("invalid parameter %s(%s," % (op, param))
                else:
                    if self.param <= 0:
                        self.err = ParseError("invalid parameter (must be greater than 0) %s(%s"
                                              % (op, param))
                    elif op == "approx_topk" and grouping is not None:
                        self.err = ParseError("grouping not allowed for %s aggregation" % op)
        elif param is not None:
            self.err = ParseError("unsupported parameter for operation %s(%s," % (op, param))
        self.grouping = grouping if grouping is not None else Grouping(False, None)


class Literal:
    def __init__(self, text, neg):
        self.err = None
        try:
            v = go_parse_float(text)
        except GoNumError as e:
            v = 0.0
            self.err = ParseError("unable to parse literal as a float: %s" % e)
        self.value = -v if neg else v


class BinOp:
    def __init__(self, op, opts, lhs, rhs):
        self.op, self.opts, self.lhs, self.rhs, self.err = op, opts, lhs, rhs, None


_ARITH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: _fdiv(a, b),
    "%": lambda a, b: math.fmod(a, b) if b != 0 else math.nan,
    "^": lambda a, b: _fpow(a, b),
}


def _fdiv(a, b):
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _fpow(a, b):
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        if a < 0 and b != int(b):
            return math.nan
        return math.inf


def new_binop(op, opts, lhs, rhs):
    """The node of `lhs op rhs`: log queries as legs and literals as legs
    of and/or/unless are errors (kept on the node, raised by
    validate_sample); arithmetic between two literals is folded."""
    if isinstance(lhs, LogExpr):
        b = BinOp(op, opts, None, None)
        b.err = ParseError("unexpected type for left leg of binary operation (%s): %s"
                           % (op, lhs.gotype))
        return b
    if isinstance(rhs, LogExpr):
        b = BinOp(op, opts, None, None)
        b.err = ParseError("unexpected type for right leg of binary operation (%s): %s"
                           % (op, rhs.gotype))
        return b
    lok, rok = isinstance(lhs, Literal), isinstance(rhs, Literal)
    if lok and lhs.err:
        b = BinOp(op, opts, None, None)
        b.err = lhs.err
        return b
    if rok and rhs.err:
        b = BinOp(op, opts, None, None)
        b.err = rhs.err
        return b
    if op in ("or", "and", "unless"):
        if lok or rok:
            b = BinOp(op, opts, None, None)
            b.err = ParseError("unexpected literal for %s leg of logical/set binary operation "
                               "(%s): %.6f" % ("left" if lok else "right", op,
                                                (lhs if lok else rhs).value))
            return b
    if lok and rok and op in _ARITH:
        lit = Literal("0", False)
        lit.value = _ARITH[op](lhs.value, rhs.value)
        return lit
    return BinOp(op, opts, lhs, rhs)


# ---------------------------------------------------------------- LogQL parser
# Recursive descent over the Lexer's tokens, building the AST above. The
# grammar (loki.md §4; [x] optional, x* repeated, x | y alternatives):
#
#   query      = expr $end
#   expr       = operand (binop modifiers operand)*  with PromQL's precedence:
#                or < and unless < == != > >= < <= < + - < * / % < ^ (right);
#                modifiers = [bool] [(on | ignoring) labels
#                            [(group_left | group_right) [labels]]]
#   operand    = "(" expr ")" | selector pipeline | ["+" | "-"] NUMBER
#              | rangefn "(" [NUMBER ","] logrange ")" [grouping]
#              | vecfn [grouping] "(" [NUMBER ","] expr ")" [grouping]  (one grouping)
#              | vector "(" NUMBER ")" | label_replace "(" expr ("," STRING){4} ")"
#              | variants "(" expr ("," expr)* ")" of "(" logrange ")"      (3.5+)
#                (the expr of vecfn, label_replace and variants is not a log query;
#                in a logrange the pipeline ends before `| unwrap`)
#   selector   = "{" [matcher ("," matcher)*] "}"
#   matcher    = IDENT ("=" | "!=" | "=~" | "!~") STRING
#   pipeline   = (linefilter+ | "|" stage)*
#   linefilter = ("|=" | "!=" | "|~" | "!~" | "|>" | "!>") fvalue ("or" fvalue)*
#                (`or` and the pattern filters |> !> from 3.0)
#   fvalue     = STRING | ip "(" STRING ")"
#   stage      = json [extract ("," extract)*] | logfmt FLAG* [extract ("," extract)*]
#              | regexp STRING | pattern STRING | unpack | decolorize
#              | line_format STRING | label_format fmt ("," fmt)*
#              | (drop | keep) named ("," named)* | lfilter
#   extract    = IDENT ["=" STRING];   fmt = IDENT "=" (IDENT | STRING)
#   named      = IDENT | matcher
#   lfilter    = lfilter or lfilter | lfilter and lfilter | lfilter "," lfilter
#              | lfilter lfilter | "(" lfilter ")" | matcher
#              | IDENT ("=" | "!=") ip "(" STRING ")"
#              | IDENT ("==" | "=" | "!=" | ">" | ">=" | "<" | "<=")
#                (NUMBER | DURATION | BYTES)   (+NUMBER and -NUMBER from 3.1)
#                `and` binds tighter than `or` (both left-associative); ","
#                and juxtaposition join the filter before them with all
#                that follows: a and b, c or d == a and (b and (c or d))
#   logrange   = selector [pipeline] [unwrap] RANGE [offset]
#              | selector RANGE [offset] [pipeline] [unwrap]
#              | "(" selector [pipeline] [unwrap] ")" RANGE [offset]
#              | "(" selector ")" RANGE [offset] [unwrap]
#              | "(" logrange ")"
#   unwrap     = "|" unwrap (IDENT | (bytes | duration | duration_seconds)
#                "(" IDENT ")") ("|" lfilter)*
#   offset     = offset DURATION
#   grouping   = (by | without) "(" [IDENT ("," IDENT)*] ")"
#
# Keywords are reserved (a label cannot be called `json` or `offset`);
# function names are functions only before "(" (or by/without and "(").
# 3.x reads keywords and function names case-insensitively.

_BINOP_PREC = {"or": 1, "and": 2, "unless": 2, "==": 3, "!=": 3, ">": 3, ">=": 3, "<": 3,
               "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "^": 6}
_MATCH_OPS = ("=", "!=", "=~", "!~")
_CMP_OPS = ("==", "=", "!=", ">", ">=", "<", "<=")
_CONV_FUNCS = ("bytes", "duration", "duration_seconds")
_EVALUATED_VECTOR_OPS = ("sum", "avg", "min", "max", "count", "stddev", "stdvar")


class _Hole:
    """The place of `p , <the rest>` in a label filter until the rest is read."""
    required = ()

    def __init__(self, p):
        self.p = p


def _lf_fill(root, hole, node):
    """Puts node where the hole is (the right-most leaf of root) and
    recomputes the required labels up the right spine."""
    if root is hole:
        return node
    spine = [root]
    while spine[-1].r is not hole:
        spine.append(spine[-1].r)
    spine[-1].r = node
    for f in reversed(spine):
        f.required = _uniq(list(f.l.required) + list(f.r.required))
    return root


class Parser:
    def __init__(self, src, dialect):
        self.lx = Lexer(src, dialect)
        self.d = dialect
        self.ahead = []
        self.unsupported = None
        self.stage_err = None

    # ---- tokens
    def peek(self, k=0):
        while len(self.ahead) <= k:
            self.ahead.append(self.lx.next())
        return self.ahead[k]

    def at(self, *kinds):
        return self.peek().kind in kinds

    def take(self):
        t = self.peek()
        del self.ahead[0]
        return t

    def fail(self, t, expecting=()):
        """parse error at line L, col C: syntax error: unexpected X[,
        expecting Y or Z] (Loki's shape; the list only when short)."""
        if t.kind == "ERROR":
            raise ParseError(t.val, t.line, t.col)
        msg = "syntax error: unexpected " + token_name(t)
        if expecting and len(expecting) <= 4:
            msg += ", expecting " + " or ".join(expecting)
        raise ParseError(msg, t.line, t.col)

    def expect(self, *kinds):
        t = self.peek()
        if t.kind in kinds:
            return self.take()
        self.fail(t, [_TOKEN_NAMES.get(k, k) for k in kinds])

    # ---- deferred errors
    def stage(self, desc, make):
        """A stage whose construction can fail: Loki builds stages after
        parsing, so the error ('parse error : stage '<expr>' : <msg>') waits
        until the query has parsed and validated."""
        try:
            return make()
        except ParseError as e:
            if self.stage_err is None:
                self.stage_err = ParseError("stage '%s' : %s" % (desc, e.msg))
            return NoopStage()

    def unsupp(self, what):
        """Remembers the first construct the fake does not evaluate (refused
        once the query is otherwise valid)."""
        if self.unsupported is None:
            self.unsupported = what

    # ---- expressions
    def query(self):
        node, _ = self.expr(0)
        t = self.peek()
        if t.kind != "EOF":
            self.fail(t)
        return node

    def expr(self, min_prec):
        """-> (node, "log" | "metric")"""
        lhs, kind = self.operand()
        while True:
            op = self.peek().kind
            prec = _BINOP_PREC.get(op)
            if prec is None or prec < min_prec:
                return lhs, kind
            self.take()
            opts = self.bin_modifiers()
            rhs, _ = self.expr(prec if op == "^" else prec + 1)
            if op not in _ARITH:
                self.unsupp("the %s operator" % op)
            if opts.get("unsupported"):
                self.unsupp(opts["unsupported"])
            lhs, kind = new_binop(op, opts, lhs, rhs), "metric"

    def bin_modifiers(self):
        opts = {"bool": False}
        if self.at("bool"):
            self.take()
            opts = {"bool": True, "unsupported": "bool"}
        if self.at("on", "ignoring"):
            self.take()
            self.label_list()
            opts = {"unsupported": "on()/ignoring()"}
            if self.at("group_left", "group_right"):
                self.take()
                if self.at("("):
                    self.label_list()
                opts = {"unsupported": "group_left/group_right"}
        return opts

    def metric_expr(self):
        node, kind = self.expr(0)
        if kind == "log":
            self.fail(self.peek())
        return node

    def operand(self):
        t = self.peek()
        k = t.kind
        if k == "(":
            self.take()
            node, kind = self.expr(0)
            self.expect(")")
            return node, kind
        if k == "{":
            matchers = self.selector()
            return LogExpr(matchers, self.pipeline(False)), "log"
        if k == "NUMBER":
            self.take()
            return Literal(t.val, False), "metric"
        if k in ("+", "-"):
            self.take()
            return Literal(self.expect("NUMBER").val, k == "-"), "metric"
        if k == "FUNC":
            if t.val in Dialect.RANGE_FUNCS:
                return self.range_agg(), "metric"
            if t.val in self.d.vector_funcs:
                return self.vector_agg(), "metric"
            if t.val == "vector":
                self.take()
                self.expect("(")
                self.expect("NUMBER")
                self.expect(")")
                self.unsupp("vector()")
                return None, "metric"
            if t.val == "label_replace":
                self.take()
                self.expect("(")
                self.metric_expr()
                for _ in range(4):
                    self.expect(",")
                    self.expect("STRING")
                self.expect(")")
                self.unsupp("label_replace")
                return None, "metric"
        if k == "variants":
            self.take()
            self.expect("(")
            self.metric_expr()
            while self.at(","):
                self.take()
                self.metric_expr()
            self.expect(")")
            self.expect("of")
            self.expect("(")
            self.log_range()
            self.expect(")")
            self.unsupp("variants")
            return None, "metric"
        self.fail(t)

    def range_agg(self):
        op = self.take().val
        if op in ("absent_over_time", "rate_counter"):
            self.unsupp(op)
        self.expect("(")
        param = None
        if self.at("NUMBER"):
            param = self.take().val
            self.expect(",")
        lr = self.log_range()
        self.expect(")")
        grouping = self.grouping() if self.at("by", "without") else None
        return RangeAgg(op, lr, param, grouping)

    def vector_agg(self):
        op = self.take().val
        if op not in _EVALUATED_VECTOR_OPS:
            self.unsupp(op)
        grouping = self.grouping() if self.at("by", "without") else None
        self.expect("(")
        param = None
        if self.at("NUMBER") and self.peek(1).kind == ",":
            param = self.take().val
            self.take()
        inner = self.metric_expr()
        self.expect(")")
        if grouping is None and self.at("by", "without"):
            grouping = self.grouping()
        return VecAgg(op, grouping, param, inner)

    def label_list(self):
        """"(" [IDENT ("," IDENT)*] ")" -> the names, or None for ()"""
        self.expect("(")
        if self.at(")"):
            self.take()
            return None
        names = [self.expect("IDENT", ")").val]
        while self.at(","):
            self.take()
            names.append(self.expect("IDENT").val)
        self.expect(",", ")")
        return names

    def grouping(self):
        without = self.take().kind == "without"
        return Grouping(without, self.label_list())

    # ---- log queries
    def selector(self):
        self.expect("{")
        if self.at("}"):
            self.take()
            return []
        if not self.at("IDENT"):
            self.fail(self.peek(), ("IDENTIFIER", "}"))
        matchers = [self.matcher()]
        while self.at(","):
            self.take()
            matchers.append(self.matcher())
        self.expect(",", "}")
        return matchers

    def matcher(self):
        name = self.expect("IDENT").val
        op = self.expect(*_MATCH_OPS).kind
        return Matcher(op, name, self.expect("STRING").val, self.d.v3)

    def pipeline(self, in_range):
        """Stages up to (in a range aggregation) `| unwrap`."""
        stages = []
        while True:
            k = self.peek().kind
            if k in self.d.filter_ops:
                stages.append(self.line_filters())
            elif k == "|" and not (in_range and self.peek(1).kind == "unwrap"):
                self.take()
                stages.append(self.pipe_stage())
            else:
                return stages

    def line_filters(self):
        """Consecutive line filters make one stage."""
        fl = []
        while self.peek().kind in self.d.filter_ops:
            op = self.take().kind
            values = [self.filter_value()]
            while self.d.or_filters and self.at("or"):
                self.take()
                values.append(self.filter_value())
            fl.append((op, None if None in values else values))
        desc = " ".join("%s %s" % (op, " or ".join(go_quote(x) for x in (values or [""])))
                        for op, values in fl)
        return self.stage(desc, lambda: self._line_filter_stage(fl))

    def filter_value(self):
        t = self.peek()
        if t.kind == "STRING":
            return self.take().val
        if t.kind == "FUNC" and t.val == "ip":
            self.take()
            self.expect("(")
            self.expect("STRING")
            self.expect(")")
            self.unsupp("ip() line filters")
            return None
        self.fail(t, ("STRING", "ip"))

    def _line_filter_stage(self, fl):
        out = []
        for op, values in fl:
            if op in ("|>", "!>"):
                self.unsupp("pattern line filters")
                continue
            if values is None:
                continue
            rxs = []
            if op in ("|~", "!~"):
                for val in values:
                    try:
                        rxs.append(re2_compile(val))
                    except Re2Error as e:
                        raise ParseError("error parsing regexp: %s" % e)
                out.append((op, values, rxs))
            else:
                out.append((op, [val.encode("utf-8", "surrogateescape") for val in values], rxs))
        return LineFilterStage(out)

    def pipe_stage(self):
        """The stage after a '|'."""
        t = self.peek()
        k = t.kind
        if k == "json":
            self.take()
            if not self.at("IDENT"):
                return JsonStage()
            exprs = self.extractions()
            desc = "| json " + ",".join("%s=%s" % (i, go_quote(x)) for i, x in exprs)
            return self.stage(desc, lambda: JsonExprStage(exprs, self.d))
        if k == "logfmt":
            self.take()
            while self.at("FLAG"):
                self.take()
            if self.at("IDENT"):
                self.extractions()
            self.unsupp("logfmt")
            return NoopStage()
        if k in ("regexp", "pattern", "unpack", "decolorize"):
            self.take()
            if k in ("regexp", "pattern"):
                self.expect("STRING")
            self.unsupp(k)
            return NoopStage()
        if k == "line_format":
            self.take()
            tmpl = self.expect("STRING").val
            return self.stage("| line_format %s" % go_quote(tmpl), lambda: LineFormatStage(tmpl))
        if k == "label_format":
            self.take()
            fmts = [self.label_fmt()]
            while self.at(","):
                self.take()
                fmts.append(self.label_fmt())
            desc = "| label_format " + ",".join(
                "%s=%s" % (n, x if kind == "rename" else go_quote(x)) for n, kind, x in fmts)
            return self.stage(desc, lambda: LabelFormatStage(fmts))
        if k in ("drop", "keep"):
            self.take()
            items = [self.named_matcher()]
            while self.at(","):
                self.take()
                items.append(self.named_matcher())
            return DropStage(items) if k == "drop" else KeepStage(items)
        if k in ("IDENT", "("):
            return LabelFilterStage(self.label_filter())
        self.fail(t)

    def extractions(self):
        """IDENT ["=" STRING] ("," ...)* -> [(label, path)]"""
        out = []
        while True:
            name = self.expect("IDENT").val
            path = name
            if self.at("="):
                self.take()
                path = self.expect("STRING").val
            out.append((name, path))
            if not self.at(","):
                return out
            self.take()

    def label_fmt(self):
        name = self.expect("IDENT").val
        self.expect("=")
        v = self.expect("IDENT", "STRING")
        if v.kind == "IDENT":
            return (name, "rename", v.val)
        return (name, "tmpl", v.val)

    def named_matcher(self):
        """IDENT or a matcher -> (name, Matcher or None)"""
        name = self.expect("IDENT").val
        if not self.at(*_MATCH_OPS):
            return (name, None)
        op = self.take().kind
        return (name, Matcher(op, name, self.expect("STRING").val, self.d.v3))

    # ---- label filters
    def label_filter(self):
        segments = []
        while True:
            root, hole = self._lf_segment()
            segments.append((root, hole))
            if hole is None:
                break
        node = segments[-1][0]
        for root, hole in reversed(segments[:-1]):
            node = _lf_fill(root, hole, LFAnd(hole.p, node))
        return node

    def _lf_segment(self):
        """One and/or expression; ends early at a filter followed by ","
        or by another filter: that filter becomes a _Hole, to be joined with
        the next segment. -> (root, the hole or None)"""
        holes = []

        def operand():
            p = self._lf_primary()
            k = self.peek().kind
            if k in (",", "IDENT", "("):
                if k == ",":
                    self.take()
                holes.append(_Hole(p))
                return holes[-1]
            return p

        def climb(min_prec):
            lhs = operand()
            while not holes:
                k = self.peek().kind
                prec = 1 if k == "or" else 2 if k == "and" else 0
                if prec == 0 or prec < min_prec:
                    break
                self.take()
                rhs = climb(prec + 1)
                lhs = LFOr(lhs, rhs) if k == "or" else LFAnd(lhs, rhs)
            return lhs

        root = climb(0)
        return root, (holes[0] if holes else None)

    def _lf_primary(self):
        t = self.peek()
        if t.kind == "(":
            self.take()
            f = self.label_filter()
            self.expect(")")
            return f
        name = self.expect("IDENT", "(").val
        op = self.peek()
        if op.kind not in _MATCH_OPS and op.kind not in _CMP_OPS:
            self.fail(op)
        self.take()
        o = op.kind
        v = self.peek()
        if v.kind == "STRING" and o in _MATCH_OPS:
            self.take()
            return LFString(Matcher(o, name, v.val, self.d.v3))
        if o in _CMP_OPS:
            if v.kind == "DURATION":
                self.take()
                return LFConv("dur", name, o, v.val)
            if v.kind == "BYTES":
                self.take()
                return LFConv("bytes", name, o, v.val)
            if v.kind == "NUMBER" or (self.d.signed_numbers and v.kind in ("+", "-")):
                return LFConv("num", name, o, self.filter_number())
        if o in ("=", "!=") and v.kind == "FUNC" and v.val == "ip":
            self.take()
            self.expect("(")
            self.expect("STRING")
            self.expect(")")
            self.unsupp("ip() label filters")
            return LFString(Matcher("=~", name, ".*"))
        if o in ("=~", "!~"):
            self.fail(v, ("STRING",))
        if o in ("==", ">", ">=", "<", "<=") and not self.d.signed_numbers:
            self.fail(v, ("NUMBER", "DURATION", "BYTES"))
        self.fail(v)

    def filter_number(self):
        """The number of `| x > 5`: 3.1+ reads it as a literal (a sign
        allowed, an unreadable number is 0), older versions as a float."""
        if self.d.signed_numbers:
            neg = False
            if self.at("+", "-"):
                neg = self.take().kind == "-"
            return Literal(self.expect("NUMBER").val, neg).value
        text = self.take().val
        try:
            return go_parse_float(text)
        except GoNumError as e:
            raise ParseError("unable to parse float: %s" % e)

    # ---- range aggregations
    def log_range(self):
        if self.at("("):
            self.take()
            if self.at("("):
                lr = self.log_range()
                self.expect(")")
                return lr
            matchers = self.selector()
            stages = self.pipeline(True)
            unwrap = self.unwrap() if self.at("|") else None
            if self.at(")"):
                self.take()
                rng = self.expect("RANGE").val
                offset = self.offset()
                if not stages and unwrap is None and self.at("|"):
                    unwrap = self.unwrap()
                return LogRange(matchers, stages, rng, unwrap, offset)
            if not self.at("RANGE"):
                self.fail(self.peek())
            lr = self.range_tail(matchers, stages, unwrap)
            self.expect(")")
            return lr
        matchers = self.selector()
        stages = self.pipeline(True)
        unwrap = self.unwrap() if self.at("|") else None
        return self.range_tail(matchers, stages, unwrap)

    def range_tail(self, matchers, stages, unwrap):
        """RANGE [offset], then the pipeline and unwrap if none came before."""
        rng = self.expect("RANGE").val
        offset = self.offset()
        if not stages and unwrap is None:
            stages = self.pipeline(True)
            if self.at("|"):
                unwrap = self.unwrap()
        return LogRange(matchers, stages, rng, unwrap, offset)

    def offset(self):
        if not self.at("offset"):
            return None
        self.take()
        return self.expect("DURATION").val

    def unwrap(self):
        self.expect("|")
        self.expect("unwrap")
        t = self.peek()
        if t.kind == "FUNC" and t.val in _CONV_FUNCS:
            self.take()
            self.expect("(")
            u = Unwrap(self.expect("IDENT").val, t.val)
            self.expect(")")
        elif t.kind == "IDENT":
            u = Unwrap(self.take().val, "")
        else:
            self.fail(t, ("IDENTIFIER", "BYTES_CONV", "DURATION_CONV", "DURATION_SECONDS_CONV"))
        while self.at("|"):
            self.take()
            u.post.append(self.label_filter())
        return u


def validate_matchers(matchers):
    if not any(not m.matches("") for m in matchers):
        raise ParseError('queries require at least one regexp or equality matcher that does '
                         'not have an empty-compatible value. For instance, app=~".*" does not '
                         'meet this requirement, but app=~".+" will')


def validate_sample(e):
    """The checks after parsing, in Loki's order (errors kept on the nodes
    while parsing are raised here)."""
    if isinstance(e, BinOp):
        if e.err:
            raise e.err
        validate_sample(e.lhs)
        validate_sample(e.rhs)
    elif isinstance(e, Literal):
        if e.err:
            raise e.err
    elif isinstance(e, VecAgg):
        if e.err:
            raise e.err
        if e.op in ("sort", "sort_desc") and e.grouping.groups:
            raise ParseError("sort and sort_desc doesn't allow grouping by ")
        validate_sample(e.inner)
    elif isinstance(e, RangeAgg):
        if e.err:
            raise e.err
        validate_matchers(e.lr.matchers)
    elif isinstance(e, LogExpr):
        validate_matchers(e.matchers)


def parse_logql(text, dialect):
    """The query -> its AST: the size limit, the syntax (errors at the
    offending token), the validation; then stage errors, then the fake's
    own 'not supported'."""
    size = len(text.encode("utf-8", "surrogateescape"))
    if size >= dialect.max_input:
        raise ParseError("input size too long (%d > %d)" % (size, dialect.max_input))
    p = Parser(text, dialect)
    try:
        expr = p.query()
        validate_sample(expr)
    except RecursionError:
        raise unsupported("a query nested this deeply")
    if p.stage_err:
        raise p.stage_err
    if p.unsupported:
        raise unsupported(p.unsupported)
    return expr


# ---------------------------------------------------------------- data

SERVICE_NAME_FROM = ("service", "app", "application", "app_name", "name",
                     "app_kubernetes_io_name", "container", "container_name",
                     "k8s_container_name", "component", "workload", "job", "k8s_job_name")
_LABEL_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(,|$)')


def parse_label_set(text):
    """'{a="b", c="d"}' -> dict (stream labels given on the command line)."""
    t = text.strip()
    if not (t.startswith("{") and t.endswith("}")):
        raise ValueError("labels must look like {name=\"value\", ...}: %s" % text)
    body = t[1:-1].strip()
    out = {}
    pos = 0
    while pos < len(body):
        m = _LABEL_PAIR.match(body, pos)
        if not m:
            raise ValueError("bad label set: %s" % text)
        value, end, err = read_string_literal(m.group(2), 0)
        if err or end != len(m.group(2)):
            raise ValueError("bad label value %s: %s" % (m.group(2), err or "invalid syntax"))
        out[m.group(1)] = value
        pos = m.end()
    if not out:
        raise ValueError("a stream needs at least one label: %s" % text)
    return out


class Stream:
    __slots__ = ("labels", "key", "ts", "lines", "nbytes", "memos")

    def __init__(self, labels):
        self.labels = labels
        self.key = labels_string(labels)
        self.ts = []
        self.lines = []
        self.nbytes = 0
        self.memos = {}         # entry index -> {what: what the parsers read}


class Store:
    def __init__(self):
        self.streams = []

    def load(self, labels, path):
        with open(path, "rb") as fh:
            data = fh.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        last = 0
        entries = []
        for raw in data.split(b"\n"):
            if not raw:
                continue
            t = line_time(raw)
            if t is None:
                t = last
            else:
                last = t
            entries.append((t, raw))
        entries.sort(key=lambda e: e[0])          # stable: file order on ties
        s = None
        for st in self.streams:
            if st.labels == labels:
                s = st
        if s is None:
            s = Stream(labels)
            self.streams.append(s)
        merged = sorted(list(zip(s.ts, s.lines)) + entries, key=lambda e: e[0])
        s.ts, s.lines, s.nbytes, s.memos = [], [], 0, {}
        for t, raw in merged:
            # the ingester drops an entry identical to the previous one
            if s.ts and s.ts[-1] == t and s.lines[-1] == raw:
                continue
            s.ts.append(t)
            s.lines.append(raw)
            s.nbytes += len(raw)
        return s

    def select(self, matchers):
        return [s for s in self.streams
                if all(m.matches(s.labels.get(m.name, "")) for m in matchers)]

    def overlapping(self, start, end):
        return [s for s in self.streams if s.ts and s.ts[0] <= end and s.ts[-1] >= start]


# ---------------------------------------------------------------- engine

class Desc:
    __slots__ = ("s",)

    def __init__(self, s):
        self.s = s

    def __lt__(self, o):
        return self.s > o.s

    def __eq__(self, o):
        return self.s == o.s


class Stats:
    def __init__(self):
        self.lines = 0
        self.bytes = 0
        self.post_lines = 0
        self.returned = 0
        self.t0 = time.time()


def eval_logs(store, expr, start, end, limit, forward, interval, stats):
    """Log query: entries start <= ts < end through the pipeline, the first
    `limit` in direction order across streams."""
    def gen(s, lo, hi):
        rng = range(lo, hi) if forward else range(hi - 1, lo - 1, -1)
        stages = expr.stages
        base = s.labels
        for i in rng:
            line = s.lines[i]
            stats.lines += 1
            stats.bytes += len(line)
            lb = LB(base, ALL_LABELS, s, i)
            out, ok = run_stages(stages, s.ts[i], line, lb)
            if not ok:
                continue
            stats.post_lines += 1
            lbls = lb.labels()
            ls = labels_string(lbls)
            t = s.ts[i]
            yield ((t, ls) if forward else (-t, Desc(ls))), t, ls, lbls, out, base
    gens = []
    for s in store.select(expr.matchers):
        lo = bisect.bisect_left(s.ts, start)
        hi = bisect.bisect_left(s.ts, end)
        if lo < hi:
            gens.append(gen(s, lo, hi))
    out = []
    last = None
    for item in heapq.merge(*gens, key=lambda x: x[0]):
        if len(out) >= limit:
            break
        t = item[1]
        if interval and last is not None:
            if forward and t < last + interval:
                continue
            if not forward and t > last - interval:
                continue
        out.append(item)
        last = t
    return out


def group_streams(entries, categorize):
    """-> [(stream labels, [(ts, line, parsed labels or None)])] sorted."""
    streams = {}
    for _, t, ls, lbls, line, base in entries:
        if categorize:
            st = {k: v for k, v in lbls.items() if k in base and v == base[k]}
            parsed = {k: v for k, v in lbls.items() if k not in st}
            key = labels_string(st)
            streams.setdefault(key, (st, []))[1].append((t, line, parsed))
        else:
            streams.setdefault(ls, (lbls, []))[1].append((t, line, None))
    return [streams[k] for k in sorted(streams)]


class PipelineErr(Exception):
    def __init__(self, lbls):
        Exception.__init__(self)
        e = lbls.get(ERR_LABEL, "")
        self.text = ("pipeline error: '%s' for series: '%s'.\n"
                     "Use a label filter to intentionally skip this error. (e.g | __error__!=\"%s\").\n"
                     "To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n"
                     "The label filter can also be specified after unwrap. (e.g | unwrap latency | "
                     "__error__=\"\" )\n") % (e, labels_string(lbls), e)


class NodeResult:
    """A node's vectors for each evaluation step, and the first error."""

    def __init__(self, vecs, ts, err=None, err_step=None):
        self.vecs = vecs              # [ {labels key: (labels, value)} ]
        self.ts = ts                  # output time of each step, ms
        self.err = err
        self.err_step = err_step


def _first_err(*results):
    best = None
    for r in results:
        if r.err is not None and (best is None or r.err_step < best.err_step):
            best = r
    return best


def grouped_labels(lb, groups, without, no_labels):
    if lb.err:
        return lb.labels()
    if no_labels:
        return {}
    if not groups:
        return lb.labels()
    if without:
        return {k: v for k, v in lb.cur.items() if k not in groups}
    cur = lb.cur
    return {g: cur[g] for g in groups if g in cur}


def _conv_duration(s):
    return parse_go_duration(s) / 1e9


def make_extractor(node, override):
    """The sample extractor of a range aggregation (override: a grouping
    pushed down from a sum around it)."""
    lr = node.lr
    groups, without, no_labels = [], False, False
    if node.grouping is not None:
        groups = list(node.grouping.groups or [])
        without = node.grouping.without
        no_labels = not groups
    if override is not None:
        groups = list(override.groups or [])
        without = override.without
        no_labels = not groups
    groups.sort()
    stages = lr.stages
    if lr.unwrap is not None:
        uw = lr.unwrap
        if not groups or without:
            without = True
            groups = sorted(groups + [uw.name])
        post = None
        for f in uw.post:
            post = f if post is None else LFAnd(post, f)
        required = stages_required(stages) + (list(post.required) if post else [])
        needs = query_needs(required, groups, without, no_labels, uw.name)
        conv = {"": go_parse_float, "bytes": parse_bytes, "duration": _conv_duration,
                "duration_seconds": _conv_duration}[uw.conv]
        name = uw.name

        def ex(s, i, stats):
            line = s.lines[i]
            lb = LB(s.labels, needs, s, i)
            line, ok = run_stages(stages, s.ts[i], line, lb)
            if not ok:
                return None
            sv = lb.get(name)
            if not sv:
                return None
            try:
                v = float(conv(sv))
            except (ValueError, GoNumError) as e:
                lb.set_err("SampleExtractionErr", str(e))
                v = 0.0
            if post is not None and not post.test(lb):
                return None
            stats.post_lines += 1
            return v, grouped_labels(lb, groups, without, no_labels)
        return ex
    needs = query_needs(stages_required(stages), groups, without, no_labels, "")
    use_bytes = node.op in ("bytes_over_time", "bytes_rate")

    def ex(s, i, stats):
        lb = LB(s.labels, needs, s, i)
        line, ok = run_stages(stages, s.ts[i], s.lines[i], lb)
        if not ok:
            return None
        stats.post_lines += 1
        return (float(len(line)) if use_bytes else 1.0), grouped_labels(lb, groups, without,
                                                                         no_labels)
    return ex


def _avg(vals):
    mean = 0.0
    count = 0.0
    for v in vals:
        count += 1
        if math.isinf(mean):
            if math.isinf(v) and (mean > 0) == (v > 0):
                continue
            if not math.isinf(v) and not math.isnan(v):
                continue
        mean += v / count - mean / count
    return mean


def _minmax(vals, is_max):
    r = vals[0]
    for v in vals:
        if (v > r if is_max else v < r) or math.isnan(r):
            r = v
    return r


def _stdvar(vals):
    aux = count = mean = 0.0
    for v in vals:
        count += 1
        delta = v - mean
        mean += delta / count
        aux += delta * (v - mean)
    return aux / count


def _quantile(q, vals):
    if not vals:
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    vs = sorted(vals, key=lambda x: (not math.isnan(x), x))
    n = float(len(vs))
    rank = q * (n - 1)
    lo = max(0.0, math.floor(rank))
    hi = min(n - 1, lo + 1)
    w = rank - math.floor(rank)
    return vs[int(lo)] * (1 - w) + vs[int(hi)] * w


def range_fn(node):
    op = node.op
    secs = node.lr.range / 1e9
    if op == "count_over_time":
        return lambda v: float(len(v))
    if op == "rate":
        if node.lr.unwrap is not None:
            return lambda v: _sum(v) / secs
        return lambda v: float(len(v)) / secs
    if op == "bytes_rate":
        return lambda v: _sum(v) / secs
    if op in ("bytes_over_time", "sum_over_time"):
        return _sum
    if op == "avg_over_time":
        return _avg
    if op == "max_over_time":
        return lambda v: _minmax(v, True)
    if op == "min_over_time":
        return lambda v: _minmax(v, False)
    if op == "stdvar_over_time":
        return _stdvar
    if op == "stddev_over_time":
        return lambda v: math.sqrt(_stdvar(v))
    if op == "quantile_over_time":
        q = node.param
        return lambda v: _quantile(q, v)
    if op == "first_over_time":
        return lambda v: v[0]
    if op == "last_over_time":
        return lambda v: v[-1]
    raise unsupported(op)


def _sum(vals):
    s = 0.0
    for v in vals:
        s += v
    return s


class Evaluator:
    def __init__(self, store, steps, stats, max_range):
        self.store = store
        self.steps = steps
        self.stats = stats
        self.max_range = max_range

    def check_ranges(self, e):
        if isinstance(e, RangeAgg):
            if self.max_range and e.lr.range > self.max_range:
                raise LokiError(500, "[interval] value exceeds limit: [%s] > [%s]"
                                % (prom_duration_string(e.lr.range),
                                   prom_duration_string(self.max_range)))
        elif isinstance(e, VecAgg):
            self.check_ranges(e.inner)
        elif isinstance(e, BinOp):
            self.check_ranges(e.lhs)
            self.check_ranges(e.rhs)

    def eval(self, e, override=None):
        if isinstance(e, RangeAgg):
            return self.range_agg(e, override)
        if isinstance(e, VecAgg):
            inner = e.inner
            if e.op == "sum" and isinstance(inner, RangeAgg) and inner.grouping is None and \
                    inner.op in ("bytes_over_time", "bytes_rate", "sum_over_time", "rate",
                                 "count_over_time"):
                r = self.range_agg(inner, e.grouping)
            else:
                r = self.eval(inner)
            return NodeResult([self.vec_agg(e, v) for v in r.vecs], r.ts, r.err, r.err_step)
        if isinstance(e, BinOp):
            return self.binop(e)
        if isinstance(e, Literal):
            return NodeResult([{(): ({}, e.value)} for _ in self.steps],
                              [ms_of(t) for t in self.steps])
        raise unsupported(type(e).__name__)

    def range_agg(self, node, override):
        lr = node.lr
        off = lr.offset
        steps = [t - off for t in self.steps]   # windows (T - offset - range, T - offset]
        rng = lr.range
        lo_ts = steps[0] - rng
        hi_ts = steps[-1]
        out_ts = [ms_of(t) + ms_of(off) for t in steps]
        ex = make_extractor(node, override)
        stats = self.stats
        series = {}
        for s in self.store.select(lr.matchers):
            i0 = bisect.bisect_right(s.ts, lo_ts)
            i1 = bisect.bisect_right(s.ts, hi_ts)
            for i in range(i0, i1):
                stats.lines += 1
                stats.bytes += len(s.lines[i])
                r = ex(s, i, stats)
                if r is None:
                    continue
                v, lbls = r
                k = labels_key(lbls)
                ent = series.get(k)
                if ent is None:
                    ent = series[k] = (lbls, [], [])
                ent[1].append(s.ts[i])
                ent[2].append(v)
        for k, (lbls, tss, vals) in series.items():
            if any(tss[j] > tss[j + 1] for j in range(len(tss) - 1)):
                order = sorted(range(len(tss)), key=lambda j: tss[j])
                tss[:] = [tss[j] for j in order]
                vals[:] = [vals[j] for j in order]
        fn = range_fn(node)
        vecs = []
        keys = sorted(series)
        for idx, t in enumerate(steps):
            vec = {}
            for k in keys:
                lbls, tss, vals = series[k]
                a = bisect.bisect_right(tss, t - rng)
                b = bisect.bisect_right(tss, t)
                if a == b:
                    continue
                vec[k] = (lbls, fn(vals[a:b]))
            for k in keys:
                if k in vec:
                    lbls = vec[k][0]
                    if ERR_LABEL in lbls and lbls.get(PRESERVE) != "true":
                        vecs.append(vec)
                        return NodeResult(vecs, out_ts, PipelineErr(lbls), idx)
            vecs.append(vec)
        return NodeResult(vecs, out_ts)

    def vec_agg(self, e, vec):
        groups = e.grouping.groups or []
        without = e.grouping.without
        out = {}
        acc = {}
        for k in sorted(vec):
            lbls, v = vec[k]
            if without:
                m = {a: b for a, b in lbls.items() if a not in groups and a != "__name__"}
            else:
                m = {g: lbls[g] for g in sorted(groups) if g in lbls}
            gk = labels_key(m)
            g = acc.get(gk)
            if g is None:
                acc[gk] = [m, 0.0 if e.op in ("stddev", "stdvar") else v, v, 1]
                continue
            if e.op == "sum":
                g[1] += v
            elif e.op == "avg":
                g[3] += 1
                g[2] += (v - g[2]) / g[3]
            elif e.op == "max":
                if g[1] < v or math.isnan(g[1]):
                    g[1] = v
            elif e.op == "min":
                if g[1] > v or math.isnan(g[1]):
                    g[1] = v
            elif e.op == "count":
                g[3] += 1
            elif e.op in ("stddev", "stdvar"):
                g[3] += 1
                delta = v - g[2]
                g[2] += delta / g[3]
                g[1] += delta * (v - g[2])
        for gk, (m, value, mean, cnt) in acc.items():
            if e.op == "avg":
                value = mean
            elif e.op == "count":
                value = float(cnt)
            elif e.op == "stdvar":
                value = value / cnt
            elif e.op == "stddev":
                value = math.sqrt(value / cnt)
            out[gk] = (m, value)
        return out

    def binop(self, e):
        fn = _ARITH[e.op]
        if isinstance(e.lhs, Literal) or isinstance(e.rhs, Literal):
            lit_left = isinstance(e.lhs, Literal)
            lit = (e.lhs if lit_left else e.rhs).value
            r = self.eval(e.rhs if lit_left else e.lhs)
            vecs = []
            for vec in r.vecs:
                out = {}
                for k, (lbls, v) in vec.items():
                    out[k] = (lbls, fn(lit, v) if lit_left else fn(v, lit))
                vecs.append(out)
            return NodeResult(vecs, r.ts, r.err, r.err_step)
        left = self.eval(e.lhs)
        right = self.eval(e.rhs)
        vecs = []
        for lv, rv in zip(left.vecs, right.vecs):
            out = {}
            for k, (lbls, v) in lv.items():
                if k in rv:
                    out[k] = (lbls, fn(v, rv[k][1]))
            vecs.append(out)
        first = _first_err(left, right)
        if first is None:
            return NodeResult(vecs, left.ts)
        return NodeResult(vecs, left.ts, first.err, first.err_step)


def eval_metric(store, expr, steps, stats, max_series, max_range, series_msg, instant):
    """-> (list of (labels, [(step index, value)]) sorted by labels, output
    times in ms of each step)."""
    ev = Evaluator(store, steps, stats, max_range)
    ev.check_ranges(expr)
    r = ev.eval(expr)
    seen = {}
    for idx in range(len(steps)):
        if r.err is not None and r.err_step == idx:
            raise LokiError(400, r.err.text)
        if idx >= len(r.vecs):
            break
        vec = r.vecs[idx]
        for k, (lbls, v) in vec.items():
            ent = seen.get(k)
            if ent is None:
                ent = seen[k] = (lbls, [])
            ent[1].append((idx, v))
        if len(seen) > max_series:
            raise LokiError(400, series_msg % max_series)
    return [seen[k] for k in sorted(seen)], r.ts


def ms_of(t_ns):
    q = abs(t_ns) // MS
    return q if t_ns >= 0 else -q


# ---------------------------------------------------------------- encoding

_LINE_ESC = {i: "\\u%04x" % i for i in range(0x20)}
_LINE_ESC.update({0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t",
                  0x3c: "\\u003c", 0x3e: "\\u003e", 0x26: "\\u0026",
                  0x2028: "\\u2028", 0x2029: "\\u2029"})


def enc_line(b):
    """A log line as a JSON string the way Loki's encoder writes it (<, >
    and & as \\u escapes, invalid UTF-8 as U+FFFD)."""
    return '"' + go_str(b).translate(_LINE_ESC) + '"'


def enc_json(o):
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


def enc_time(ms):
    return go_fmt_float(ms / 1000.0)


def stats_json(v3, st, entries):
    ex = max(time.time() - st.t0, 1e-6)
    summary = {"bytesProcessedPerSecond": int(st.bytes / ex),
               "linesProcessedPerSecond": int(st.lines / ex),
               "totalBytesProcessed": st.bytes, "totalLinesProcessed": st.lines,
               "execTime": round(ex, 6), "queueTime": 0.000011, "subqueries": 0,
               "totalEntriesReturned": entries, "splits": 1, "shards": 1,
               "totalPostFilterLines": st.post_lines,
               "totalStructuredMetadataBytesProcessed": 0}
    chunk = {"headChunkBytes": 0, "headChunkLines": 0, "decompressedBytes": st.bytes,
             "decompressedLines": st.lines, "compressedBytes": st.bytes // 5,
             "totalDuplicates": 0, "postFilterLines": st.post_lines,
             "headChunkStructuredMetadataBytes": 0,
             "decompressedStructuredMetadataBytes": 0}
    store = {"totalChunksRef": 1, "totalChunksDownloaded": 1, "chunksDownloadTime": 0,
             "chunk": chunk}
    cache = {"entriesFound": 0, "entriesRequested": 0, "entriesStored": 0,
             "bytesReceived": 0, "bytesSent": 0, "requests": 0, "downloadTime": 0}
    out = {"summary": summary, "querier": {"store": store},
           "ingester": {"totalReached": 0, "totalChunksMatched": 0, "totalBatches": 0,
                        "totalLinesSent": 0, "store": dict(store, chunk=dict(chunk))},
           "cache": {"chunk": dict(cache), "index": dict(cache), "result": dict(cache),
                     "statsResult": dict(cache), "volumeResult": dict(cache)}}
    if v3:
        out["index"] = {"totalChunks": 1, "postFilterChunks": 1, "shardsDuration": 0}
        for k in ("seriesResult", "labelResult", "instantMetricResult"):
            out["cache"][k] = dict(cache, queryLengthServed=0)
    return out


def envelope(result_type, result_json, stats, flags=None):
    data = '{"resultType":%s,' % enc_json(result_type)
    if flags:
        data += '"encodingFlags":%s,' % enc_json(flags)
    data += '"result":%s,"stats":%s}' % (result_json, enc_json(stats))
    return ('{"status":"success","data":%s}\n' % data).encode("utf-8", "replace")


def enc_streams(streams, categorize):
    out = []
    for lbls, values in streams:
        shown = {k: lbls[k] for k in sorted(lbls) if lbls[k] != ""}
        vals = []
        for t, line, parsed in values:
            if categorize:
                extra = {}
                p = {k: parsed[k] for k in sorted(parsed) if parsed[k] != ""}
                if p:
                    extra["parsed"] = p
                vals.append('["%d",%s,%s]' % (t, enc_line(line), enc_json(extra)))
            else:
                vals.append('["%d",%s]' % (t, enc_line(line)))
        out.append('{"stream":%s,"values":[%s]}' % (enc_json(shown), ",".join(vals)))
    return "[" + ",".join(out) + "]"


# ---------------------------------------------------------------- HTTP

FAULT_BODIES = {
    400: "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER",
    401: "no org id",
    403: "forbidden",
    404: "404 page not found",
    429: "too many outstanding requests",
    499: "the request was cancelled by the client",
    500: "rpc error: code = Internal desc = failed to get object from store: "
         "context deadline exceeded",
    502: "too many unhealthy instances in the ring",
    503: "empty ring",
}
TIMEOUT_2X = ("Request timed out, decrease the duration of the request or add more label "
              "matchers (prefer exact match over regex match) to reduce the amount of data "
              "processed.")
TIMEOUT_3X = ("request timed out, decrease the duration of the request or add more label "
              "matchers (prefer exact match over regex match) to reduce the amount of data "
              "processed")
STATUS_TEXT = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 429: "Too Many Requests", 499: "Client Closed Request",
               500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
               504: "Gateway Time-out"}
TEXT = "text/plain; charset=utf-8"
JSONCT = "application/json; charset=UTF-8"


class Flavour:
    def __init__(self, version):
        version = version.lstrip("v")
        if re.match(r"2(\.x)?\Z", version):
            version = "2.9.8"
        elif re.match(r"3(\.x)?\Z", version):
            version = "3.4.0"
        m = re.match(r"(\d+)\.(\d+)(?:\.\d+)?(?:[-+.][0-9A-Za-z.-]*)?\Z", version)
        if not m or int(m.group(1)) not in (2, 3):
            raise ValueError("--version wants 2.x.y or 3.x.y: %s" % version)
        self.version = version
        major = int(m.group(1))
        minor = int(m.group(2))
        self.v = (major, minor)
        self.v3 = major >= 3
        self.dialect = Dialect(major, minor)
        self.entries_msg = ("max entries limit per query exceeded, limit > "
                            "max_entries_limit_per_query (%d > %d)" if self.v >= (3, 4) else
                            "max entries limit per query exceeded, limit > max_entries_limit "
                            "(%d > %d)")
        self.series_msg = ("maximum number of series (%d) reached for a single query; consider "
                           "reducing query cardinality by adding more specific stream selectors, "
                           "reducing the time range, or aggregating results with functions like "
                           "sum(), count() or topk()" if self.v >= (3, 6) else
                           "maximum of series (%d) reached for a single query")
        self.instant_logs_rejected = self.v >= (3, 2)
        self.timeout_text = TIMEOUT_3X if self.v3 else TIMEOUT_2X

    def buildinfo(self):
        return {"version": self.version,
                "revision": "fa5e1e9b7" if not self.v3 else "935aee77ed",
                "branch": "HEAD", "buildUser": "root@6f1a4b2c9d0e",
                "buildDate": "2024-07-01T10:44:57Z",
                "goVersion": "go1.22.4" if self.v3 else "go1.21.9"}


class Form:
    """r.Form: body (form-encoded POST) values first, then the URL's."""

    def __init__(self, query, body, ctype):
        self.items = []
        if body and "application/x-www-form-urlencoded" in (ctype or "").lower():
            self.items += parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                                    encoding="utf-8", errors="surrogateescape")
        self.items += parse_qsl(query, keep_blank_values=True, encoding="utf-8",
                                errors="surrogateescape")

    def get(self, k):
        for a, b in self.items:
            if a == k:
                return b
        return ""

    def all(self, k):
        return [b for a, b in self.items if a == k]


def _int_param(form, name, default):
    v = form.get(name)
    if v == "":
        return default
    try:
        return go_atoi(v)
    except GoNumError as e:
        raise bad(str(e))


class Api:
    """The Loki HTTP API over a Store."""

    def __init__(self, store, flavour, opts):
        self.store = store
        self.fl = flavour
        self.max_entries = opts.max_entries
        self.max_length = opts.max_query_length
        self.max_series = opts.max_query_series
        self.max_range = opts.max_query_range
        self.split = opts.split_queries_by_interval
        if self.split is None:
            self.split = (3600 if flavour.v3 else 1800) * NS

    # ---- parameters (Loki's rules and defaults)
    def bounds(self, form):
        now = now_ns()
        since = 3600 * NS
        sv = form.get("since")
        if sv:
            try:
                since = parse_prom_duration(sv)
            except ValueError as e:
                raise bad("could not parse 'since' parameter: %s" % e)
        try:
            end = parse_timestamp(form.get("end"), now)
        except ValueError as e:
            raise bad("could not parse 'end' parameter: %s" % e)
        end_or_now = min(end, now)
        try:
            start = parse_timestamp(form.get("start"), end_or_now - since)
        except ValueError as e:
            raise bad("could not parse 'start' parameter: %s" % e)
        return start, end

    def limit(self, form):
        n = _int_param(form, "limit", 100)
        if n <= 0:
            raise bad("limit must be a positive value")
        if n > 0xffffffff:
            raise bad("limit value %d is out of range [0, %d]" % (n, 0xffffffff))
        return n

    def direction(self, form):
        d = form.get("direction")
        if d == "":
            return False
        if d.upper() == "FORWARD":
            return True
        if d.upper() == "BACKWARD":
            return False
        raise bad("invalid direction '%s'" % d)

    def parse(self, q):
        return parse_logql(q, self.fl.dialect)

    def check_length(self, start, end):
        if self.max_length > 0:
            qlen = ms_of(end) * MS - ms_of(start) * MS
            if qlen > self.max_length:
                raise bad("the query time range exceeds the limit (query length: %s, limit: %s)"
                          % (go_duration_string(qlen), prom_duration_string(self.max_length)))

    def check_entries(self, limit):
        if self.max_entries and limit > self.max_entries:
            raise bad(self.fl.entries_msg % (limit, self.max_entries))

    # ---- endpoints
    def query_range(self, form, headers):
        q = form.get("query")
        start, end = self.bounds(form)
        if end < start:
            raise bad("end timestamp must not be before or equal to start time")
        limit = self.limit(form)
        forward = self.direction(form)
        sv = form.get("step")
        if sv == "":
            step = max(math.floor((end - start) / NS / 250), 1) * NS
        else:
            try:
                step = parse_seconds_or_duration(sv)
            except ValueError as e:
                raise bad(str(e))
        if step <= 0:
            raise bad("zero or negative query resolution step widths are not accepted. "
                      "Try a positive integer")
        if (end - start) // step > 11000:
            raise bad("exceeded maximum resolution of 11,000 points per time series. "
                      "Try increasing the value of the step parameter")
        iv = form.get("interval")
        interval = 0
        if iv:
            try:
                interval = parse_seconds_or_duration(iv)
            except ValueError as e:
                raise bad(str(e))
            if interval < 0:
                raise bad("interval must be >= 0")
        expr = self.parse(q)
        st = Stats()
        if isinstance(expr, LogExpr):
            self.check_entries(limit)
            self.check_length(start, end)
            return self.logs_response(expr, start, end, limit, forward, interval, st, headers)
        self.check_length(start, end)
        step = (step // MS) * MS or MS      # the frontend keeps the step in ms
        if self.split > 0:
            # the frontend's split-by-interval step-aligns the query: start
            # rounded down, end rounded up to a multiple of step
            start -= start % step
            if end % step:
                end += step - end % step
        steps = []
        t = start
        while t <= end:
            steps.append(t)
            t += step
        if isinstance(expr, Literal):
            res = "[" + '{"metric":{},"values":[%s]}' % ",".join(
                "[%s,%s]" % (enc_time(ms_of(t)), enc_json(go_fmt_float(expr.value)))
                for t in steps) + "]"
            return 200, envelope("matrix", res, stats_json(self.fl.v3, st, 0)), JSONCT
        series, ts = eval_metric(self.store, expr, steps, st, self.max_series,
                                 self.max_range, self.fl.series_msg, False)
        out = []
        n = 0
        for lbls, pts in series:
            n += len(pts)
            out.append('{"metric":%s,"values":[%s]}' % (
                enc_json({k: lbls[k] for k in sorted(lbls)}),
                ",".join("[%s,%s]" % (enc_time(ts[i]), enc_json(go_fmt_float(v)))
                         for i, v in pts)))
        return 200, envelope("matrix", "[" + ",".join(out) + "]",
                             stats_json(self.fl.v3, st, n)), JSONCT

    def logs_response(self, expr, start, end, limit, forward, interval, st, headers):
        flags = [f.strip() for f in (headers.get("X-Loki-Response-Encoding-Flags") or "")
                 .split(",")]
        categorize = self.fl.v3 and "categorize-labels" in flags
        entries = eval_logs(self.store, expr, start, end, limit, forward, interval, st)
        streams = group_streams(entries, categorize)
        return 200, envelope("streams", enc_streams(streams, categorize),
                             stats_json(self.fl.v3, st, len(entries)),
                             ["categorize-labels"] if categorize else None), JSONCT

    def query(self, form, headers):
        q = form.get("query")
        limit = self.limit(form)
        try:
            t = parse_timestamp(form.get("time"), now_ns())
        except ValueError as e:
            raise bad(str(e))
        forward = self.direction(form)
        expr = self.parse(q)
        st = Stats()
        if isinstance(expr, LogExpr):
            if self.fl.instant_logs_rejected:
                raise bad("log queries are not supported as an instant query type, please "
                          "change your query to a range query type")
            self.check_entries(limit)
            return self.logs_response(expr, t - 30 * NS, t, limit, forward, 0, st, headers)
        if isinstance(expr, Literal):
            res = "[%s,%s]" % (enc_time(ms_of(t)), enc_json(go_fmt_float(expr.value)))
            return 200, envelope("scalar", res, stats_json(self.fl.v3, st, 0)), JSONCT
        series, ts = eval_metric(self.store, expr, [t], st, self.max_series, self.max_range,
                                 self.fl.series_msg, True)
        out = []
        for lbls, pts in series:
            for i, v in pts:
                out.append('{"metric":%s,"value":[%s,%s]}' % (
                    enc_json({k: lbls[k] for k in sorted(lbls)}), enc_time(ts[i]),
                    enc_json(go_fmt_float(v))))
        return 200, envelope("vector", "[" + ",".join(out) + "]",
                             stats_json(self.fl.v3, st, len(out))), JSONCT

    def _streams_for(self, form):
        start, end = self.bounds(form)
        self.check_length(start, end)
        streams = self.store.overlapping(start, end)
        q = form.get("query")
        if q:
            expr = self.parse(q)
            if not isinstance(expr, LogExpr):
                raise bad("only log selector is supported")
            streams = [s for s in streams if s in self.store.select(expr.matchers)]
        return streams

    def labels(self, form, headers):
        names = sorted({k for s in self._streams_for(form) for k in s.labels})
        return self._label_list(names)

    def label_values(self, name, form, headers):
        vals = sorted({s.labels[name] for s in self._streams_for(form) if name in s.labels})
        return self._label_list(vals)

    def _label_list(self, xs):
        data = xs if (xs or self.fl.v3) else None
        return 200, ('{"status":"success","data":%s}\n' % enc_json(data)).encode(), JSONCT

    def series(self, form, headers):
        start, end = self.bounds(form)
        groups = sorted(set(form.all("match") + form.all("match[]")))
        if len(groups) == 1 and groups[0].replace(" ", "") == "{}":
            groups = []
        sels = []
        for g in groups:
            expr = self.parse(g)
            if not isinstance(expr, LogExpr) or expr.stages:
                raise bad("only label matchers is supported")
            sels.append(expr.matchers)
        self.check_length(start, end)
        streams = self.store.overlapping(start, end)
        if sels:
            streams = [s for s in streams
                       if any(all(m.matches(s.labels.get(m.name, "")) for m in ms) for ms in sels)]
        data = [{k: s.labels[k] for k in sorted(s.labels)} for s in
                sorted(streams, key=lambda s: s.key)]
        return 200, ('{"status":"success","data":%s}\n' % enc_json(data)).encode(), JSONCT

    def route(self, method, path, form, headers):
        if path == "/ready":
            return 200, b"ready\n", TEXT
        if path == "/loki/api/v1/status/buildinfo":
            return 200, (enc_json(self.fl.buildinfo()) + "\n").encode(), JSONCT
        routes = {"/loki/api/v1/query_range": self.query_range,
                  "/loki/api/v1/query": self.query,
                  "/loki/api/v1/labels": self.labels,
                  "/loki/api/v1/label": self.labels,
                  "/loki/api/v1/series": self.series}
        fn = routes.get(path)
        m = re.match(r"/loki/api/v1/label/([^/]+)/values\Z", path)
        if fn is None and m is None:
            return 404, b"404 page not found\n", TEXT
        if method not in ("GET", "POST"):
            return 405, b"", TEXT
        if m is not None:
            return self.label_values(unquote(m.group(1)), form, headers)
        return fn(form, headers)


class Handler(fakehttp.Handler):
    server_version = "fake-loki"

    def send(self, status, body, ctype=TEXT, headers=(), truncate=False):
        self.send_response(status, STATUS_TEXT.get(status))
        self.send_header("Content-Type", ctype)
        if ctype.startswith("text/plain"):
            self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        out = body[:len(body) // 2] if truncate else body
        if self.command != "HEAD":
            try:
                self.wfile.write(out)
                self.wfile.flush()
            except OSError:
                pass
        with self.server.lock:
            self.server.bytes_out += len(out)
        if truncate:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_any(self, method):
        srv = self.server
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        u = urlsplit(self.path)
        path = u.path
        if path.startswith("/_fake/"):
            return self.control(method, path, body)
        srv.count_request(path, body)
        try:
            self.answer(method, path, u.query, body)
        finally:
            with srv.lock:
                srv.inflight -= 1

    def answer(self, method, path, query, body):
        srv = self.server
        form = Form(query, body, self.headers.get("Content-Type"))
        if path in ("/loki/api/v1/query_range", "/loki/api/v1/query"):
            with srv.lock:
                srv.queries.append(form.get("query"))
        org = self.headers.get("X-Scope-OrgID")
        if org:
            with srv.lock:
                srv.org_ids[org] = srv.org_ids.get(org, 0) + 1
        fault = self.injected_fault(path)
        if fault is fakehttp.RESET:
            return
        denied = self.auth_failure()
        if denied:
            return self.send(*denied)
        truncate = bool(fault and fault.get("truncate"))
        hdrs = fakehttp.retry_after(fault)
        if fault and fault.get("html"):
            st = int(fault.get("status") or 502)
            title = "%d %s" % (st, STATUS_TEXT.get(st, "Error"))
            page = ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s"
                    "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                    % (title, title)).encode()
            return self.send(st, page, "text/html", hdrs, truncate)
        if fault and fault.get("status"):
            st = int(fault["status"])
            text = fault.get("body")
            if text is None:
                text = srv.api.fl.timeout_text if st == 504 else \
                    FAULT_BODIES.get(st, STATUS_TEXT.get(st, "error").lower())
            return self.send(st, (text + "\n").encode(), TEXT, hdrs, truncate)
        try:
            status, out, ctype = srv.api.route(method, path, form, self.headers)
        except LokiError as e:
            status, out, ctype = e.status, (e.text + "\n").encode("utf-8", "replace"), TEXT
        except Exception as e:      # a bug in the fake: a 500 that says so
            import traceback
            traceback.print_exc()
            status, out, ctype = 500, ("fake-loki: internal error: %r\n" % e).encode(), TEXT
        self.send(status, out, ctype, hdrs, truncate)

    def auth_failure(self):
        srv = self.server
        if srv.basic or srv.bearer:
            got = self.headers.get("Authorization") or ""
            scheme, _, cred = got.partition(" ")
            scheme = scheme.lower()
            cred = cred.strip()
            ok = False
            if srv.bearer and scheme == "bearer" and cred == srv.bearer:
                ok = True
            if srv.basic and scheme == "basic":
                try:
                    ok = base64.b64decode(cred, validate=True).decode() == srv.basic
                except (ValueError, UnicodeDecodeError):
                    pass
            if not ok:
                chall = 'Basic realm="loki"' if srv.basic else 'Bearer realm="loki"'
                page = ("<html>\r\n<head><title>401 Authorization Required</title></head>\r\n"
                        "<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n"
                        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n").encode()
                return 401, page, "text/html", [("WWW-Authenticate", chall)]
        if srv.require_org and not self.headers.get("X-Scope-OrgID"):
            return 401, b"no org id\n", TEXT
        return None

    # ---- answers of the test control (fakehttp.Handler.control)
    def control_bad_fault(self):
        self.send(400, b"fault must be a JSON object\n")

    def control_unknown(self, method, path):
        self.send(404, b"404 page not found\n")

    def control_answer(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(fakehttp.Server):
    inflight = 0    # requests being answered

    def reset_counters(self):
        fakehttp.Server.reset_counters(self)
        self.queries = []
        self.max_concurrent = 0
        self.org_ids = {}

    def count_more(self):
        self.inflight += 1
        self.max_concurrent = max(self.max_concurrent, self.inflight)

    def stats(self):
        return dict(fakehttp.Server.stats(self), queries=list(self.queries),
                    max_concurrent=self.max_concurrent, org_ids=dict(self.org_ids))


def duration_arg(s):
    try:
        return parse_prom_duration(s)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stream", action="append", default=[], metavar="LABELS=FILE",
                    help="load a JSON-lines file as one stream, e.g. "
                         "'{job=\"ml\",service=\"x\"}=a.jsonl' (repeatable)")
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--version", dest="loki_version", default="2.9.8",
                    help="Loki version to emulate (default 2.9.8; e.g. 3.1.0)")
    ap.add_argument("--max-entries", type=int, default=5000,
                    help="max_entries_limit_per_query (default 5000)")
    ap.add_argument("--max-query-length", type=duration_arg, default=721 * 3600 * NS,
                    help="max_query_length (default 721h; 0 = off)")
    ap.add_argument("--max-query-series", type=int, default=500,
                    help="max_query_series (default 500)")
    ap.add_argument("--max-query-range", type=duration_arg, default=0,
                    help="max_query_range for [range] (default 0 = off)")
    ap.add_argument("--split-queries-by-interval", type=duration_arg, default=None,
                    help="split_queries_by_interval (default 30m in 2.x, 1h in 3.x); when "
                         "not 0 the frontend step-aligns metric query_range start/end")
    ap.add_argument("--require-org-id", action="store_true",
                    help="answer 401 'no org id' without X-Scope-OrgID")
    ap.add_argument("--require-basic", metavar="USER:PASS")
    ap.add_argument("--require-bearer", metavar="TOKEN")
    ap.add_argument("--no-service-name", action="store_true",
                    help="3.x: do not add service_name to streams that lack it")
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--fault", action="append", default=[], metavar="JSON",
                    help="a fault as for POST /_fake/faults (repeatable)")
    ap.add_argument("--verbose", action="store_true")
    fakehttp.add_net_args(ap)   # --bind, --tls-cert, --tls-key, --log-headers
    a = ap.parse_args()
    try:
        fl = Flavour(a.loki_version)
    except ValueError as e:
        ap.error(str(e))
    store = Store()
    for spec in a.stream:
        lbl, sep, fn = spec.rpartition("=")
        if not sep or not lbl.strip().endswith("}"):
            ap.error("--stream wants LABELS=FILE: %s" % spec)
        try:
            labels = parse_label_set(lbl)
        except ValueError as e:
            ap.error(str(e))
        if fl.v3 and not a.no_service_name and "service_name" not in labels:
            labels["service_name"] = next((labels[k] for k in SERVICE_NAME_FROM if k in labels),
                                          "unknown_service")
        s = store.load(labels, fn)
        sys.stderr.write("fake-loki: %s: %d entries\n" % (s.key, len(s.ts)))
    srv = Server((a.bind, a.port), Handler)
    srv.api = Api(store, fl, a)
    srv.basic = a.require_basic
    srv.bearer = a.require_bearer
    srv.require_org = a.require_org_id
    srv.setup_common(a)
    fakehttp.serve(srv, a.port_file, "fake-loki: Loki %s" % fl.version)

if __name__ == "__main__":
    main()
