#!/usr/bin/env python3
"""Test data for tests/terminal.sh: log records carrying every form of
terminal escape injection, and records with non-ASCII text.

terminal_data.py evil FILE      one trace (correlation ID with an OSC title
                                in it) whose values, key names, service and
                                serving variant hold CSI, OSC 0/2/8/52, DCS,
                                C1 controls (escaped and as raw UTF-8),
                                bidi controls, BEL, BS, CR, TAB
terminal_data.py nonascii FILE  two records, one with accented, CJK and
                                emoji text (raw UTF-8) in its variant and
                                message

What each value must look like on the screen is written in terminal.sh.
"""
import json
import sys

E = "\x1b"
CORR = "cid" + E + "]0;PWNED\x07"          # OSC 0 title, BEL-terminated


def rec(t, **kw):
    r = {"timestamp": "2026-02-27T03:00:%06.3fZ" % t, "correlation_id": CORR,
         "request_id": "req-evil", "log_level": "INFO"}
    r.update(kw)
    return r


def evil(path):
    recs = [
        # CSI: clear screen, home, colour, cursor up
        rec(0.0, service="api-gateway", event_type="request_received",
            message="csi " + E + "[2J" + E + "[H " + E + "[31mRED" + E +
            "[0m " + E + "[5A end"),
        # a CSI colour in the service; OSC 2 title, ST-terminated
        rec(0.010, service="svc" + E + "[31m", event_type="feature_lookup",
            message="osc2 " + E + "]2;PWNED" + E + "\\ end"),
        # OSC 52 clipboard in the group; DCS in the model version; OSC 8
        # hyperlink under a key whose name has a CSI; C1 (escaped in the
        # JSON), bidi, BEL, BS, CR, TAB in the message
        rec(0.020, service="recommendation-model-prod",
            event_type="inference_complete",
            model_metadata={"serving_variant": "var" + E +
                            "]52;c;cHduZWQ=\x07",
                            "model_version": "v" + E + "P+q544e" + E + "\\"},
            inference_metrics={"latency_ms": 900},
            **{"k" + E + "[2Jey": "osc8 " + E + "]8;;http://evil.example/" +
               E + "\\click" + E + "]8;;" + E + "\\ end"},
            message="c1 \u009b2J \u009d0;PWNED\u009c bidi \u202eevil\u202c "
            "\u2066a\u2069 \u2067b\u2068 \u200e\u200f bel\x07 bs ab\b\bXY "
            "cr one\rtwo tab a\tb"),
        # DCS and a tmux passthrough; C1 and bidi as raw UTF-8 bytes
        rec(0.030, service="recommendation-model-prod",
            event_type="inference_complete",
            model_metadata={"serving_variant": "prod",
                            "model_version": "3.2.1"},
            inference_metrics={"latency_ms": 50},
            message="dcs " + E + "P+q544e" + E + "\\ tmux " + E + "Ptmux;" +
            E + E + "]0;PWNED\x07" + E + "\\ raw \u009b2J \u202eX end"),
    ]
    with open(path, "wb") as out:
        for i, r in enumerate(recs):
            # the last one as raw UTF-8 (C1 and U+202E unescaped in the file)
            out.write(json.dumps(r, ensure_ascii=(i < 3)).encode() + b"\n")


def nonascii(path):
    with open(path, "w", encoding="utf-8") as out:
        for t, var, msg, lat in ((0.0, "café", "naïve résumé — 日本 🙂 end", 100),
                                 (0.5, "prod", "plain", 50)):
            out.write(json.dumps({
                "timestamp": "2026-02-27T03:00:%06.3fZ" % t,
                "correlation_id": "corr-ü", "request_id": "req-%d" % (t * 10),
                "service": "recommendation-model-prod", "log_level": "INFO",
                "event_type": "inference_complete",
                "model_metadata": {"serving_variant": var,
                                   "model_version": "3.2.1"},
                "inference_metrics": {"latency_ms": lat},
                "message": msg}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("evil", "nonascii"):
        sys.exit(__doc__)
    {"evil": evil, "nonascii": nonascii}[sys.argv[1]](sys.argv[2])
