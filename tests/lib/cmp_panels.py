#!/usr/bin/env python3
"""Compares logdive's panels JSON (panels -f json) through a remote backend
with the file backend's, for tests/es.sh and tests/loki.sh (TAP).

  cmp_panels.py es|loki FILE.json REMOTE.json N
  cmp_panels.py ragged FILE.json ES.json ES-NO-SCRIPTS.json N

Numbers its TAP lines from N + 1 and ends with "#done LAST" (see py_checks
in tests/lib/common.sh). `ragged`: tests/es.sh's records whose confidence
arrays differ in length, through a fake that runs scripts and one that
refuses them."""

import json
import sys


class Tap:
    def __init__(self, n, width):
        self.n = n
        self.width = width      # of a diagnostic

    def __call__(self, cond, name, diag=""):
        self.n += 1
        print(("ok" if cond else "not ok"), self.n, "-", name)
        if not cond and diag:
            print("#   " + str(diag)[:self.width])


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def diffs(xs, ys):
    """The first two pairs that differ."""
    return [(a, b) for a, b in zip(xs, ys) if a != b][:2]


def panels(check, f, e, loki):
    """The remote panels e equal the file backend's f."""
    check(e["range"] == f["range"] and e["bucket_seconds"] == f["bucket_seconds"],
          "same range and buckets", (e["range"], f["range"]))
    if loki:
        check(e["latency"]["exact"] is True, "percentiles exact (quantile_over_time)")
        check(e["records"]["invalid_json"] == f["records"]["invalid_json"],
              "lines that are not JSON", (e["records"], f["records"]))
    else:
        check(e["latency"]["exact"] is False,
              "percentiles marked approximate (TDigest on a real server)")
        fr = f["records"]
        check(e["records"]["total"] == fr["total"] - fr["invalid_json"] - fr["invalid_utf8"]
              - fr["too_long"] - fr["no_time"], "records: every valid record",
              (e["records"], fr))
    fg = {g["key"]: g for g in f["latency"]["groups"]}
    eg = {g["key"]: g for g in e["latency"]["groups"]}
    check(list(fg) == list(eg), "same groups in the same order", (list(fg), list(eg)))
    for k in fg:
        a, b = fg[k], eg.get(k, {})
        check(a["count"] == b.get("count") and
              all(close(a[p], b.get(p)) for p in ("p50", "p95", "p99")),
              "latency %s: count, p50, p95, p99" % k, (a, b))
        check(a["histogram"] == b.get("histogram"), "latency %s: histogram" % k,
              (a["histogram"], b.get("histogram")) if loki else "")
    fc = {s["key"]: s["points"] for s in f["confidence"]["series"]}
    ec = {s["key"]: s["points"] for s in e["confidence"]["series"]}
    if loki:
        check(list(fc) == list(ec), "confidence series keys", (list(fc), list(ec)))
    for k in fc:
        ok = k in ec and len(fc[k]) == len(ec[k]) and all(
            a["t"] == b["t"] and a["count"] == b["count"] and close(a["mean"], b["mean"])
            for a, b in zip(fc[k], ec.get(k, [])))
        check(ok, "confidence series %s" % k, diffs(fc[k], ec.get(k, [])) if loki else "")
    (loki_rest if loki else es_rest)(check, f, e)


def es_rest(check, f, e):
    check(all(a["t"] == b["t"] and a["hits"] == b["hits"] and a["total"] == b["total"]
              for a, b in zip(f["cache_hit"]["points"], e["cache_hit"]["points"])),
          "cache hit points")
    check(all(a["t"] == b["t"] and a["errors"] == b["errors"]
              for a, b in zip(f["errors"]["points"], e["errors"]["points"])),
          "errors per bucket")
    check(all(a["t"] == b["t"] and close(a["mean"], b["mean"])
              for a, b in zip(f["drift"]["points"], e["drift"]["points"])),
          "drift per bucket")
    check(f["versions"]["shares"] == e["versions"]["shares"], "model-version share")


def loki_rest(check, f, e):
    fm, em = f["confidence"], e["confidence"]
    check(close(fm["mean"], em["mean"]) and close(fm["previous_mean"], em["previous_mean"]),
          "confidence over the range and before it",
          (fm["mean"], em["mean"], fm["previous_mean"], em["previous_mean"]))
    check(em["method"] == "lines", "confidence computed from the lines, said")
    fp, ep = f["cache_hit"]["points"], e["cache_hit"]["points"]
    check(fp == ep, "cache hit points", diffs(fp, ep))
    fp, ep = f["errors"]["points"], e["errors"]["points"]
    check(fp == ep, "errors, invalid and totals per bucket", diffs(fp, ep))
    fp, ep = f["drift"]["points"], e["drift"]["points"]
    check(all(a["t"] == b["t"] and a["count"] == b["count"] and close(a["mean"], b["mean"])
              for a, b in zip(fp, ep)), "drift per bucket", diffs(fp, ep))
    check(f["versions"]["shares"] == e["versions"]["shares"], "model-version share",
          (f["versions"], e["versions"]))


def ragged(check, f, e, v):
    """Each record's mean (file, ES by a script); scripts refused: the mean
    of all scores. The data: tests/es.sh's ragged.jsonl."""
    means = [0.9, 0.5, 0.3, 0.5, 0.7, 0.3, 0.5]
    want = sum(means) / 7

    def pts(d):
        return [(p["mean"], p["count"]) for p in d["confidence"]["series"][0]["points"]]
    check(abs(f["confidence"]["mean"] - want) < 1e-12 and
          f["confidence"]["method"] == "record",
          "file: the mean of each record's mean (%.6f)" % want, f["confidence"])
    check(e["confidence"]["method"] == "script" and
          abs(e["confidence"]["mean"] - want) < 1e-12 and
          all(abs(a[0] - b[0]) < 1e-12 and a[1] == b[1] for a, b in zip(pts(f), pts(e))),
          "Elasticsearch: the same means, by a script", (e["confidence"], pts(f)))
    allv = [0.9, 0.2, 0.4, 0.6, 0.8, 0.5, 0.1, 1.0, 0.0, 0.5, 0.7, 0.3, 0.25, 0.75]
    check(v["confidence"]["method"] == "values" and
          abs(v["confidence"]["mean"] - sum(allv) / len(allv)) < 1e-12,
          "scripts refused: the mean of all scores, method values", v["confidence"])


def main():
    mode, files, n = sys.argv[1], sys.argv[2:-1], int(sys.argv[-1])
    docs = []
    for p in files:
        with open(p) as fh:
            docs.append(json.load(fh))
    check = Tap(n, 600 if mode == "loki" else 400)
    if mode == "ragged":
        ragged(check, *docs)
    else:
        panels(check, docs[0], docs[1], mode == "loki")
    print("#done", check.n)


if __name__ == "__main__":
    main()
