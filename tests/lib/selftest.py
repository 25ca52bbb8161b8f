"""Helpers of the fakes' check scripts (tests/fake-*-selftest.sh): TAP
lines, HTTP requests that return errors rather than raise them, a second
fake, and reading the generated JSON lines."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

n = 0   # TAP lines so far


def tap(cond, what, detail=None):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond and detail is not None:
        for line in str(detail)[:1500].splitlines():
            print("#   " + line)
    sys.stdout.flush()


def plan():
    print("1..%d" % n)


def http(url, data=None, headers=None, method=None):
    """-> (status, headers, body bytes or the exception reading it raised)"""
    r = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        f = urllib.request.urlopen(r, timeout=20)
        st, hd = f.status, f.headers
    except urllib.error.HTTPError as e:
        f, st, hd = e, e.code, e.headers
    try:
        return st, hd, f.read()
    except Exception as e:   # e.g. IncompleteRead on a truncated body
        return st, hd, e


def reset_and_delay(fault, status):
    """Checks the faults tests/lib/fakehttp.py applies itself, reset and
    delay_ms; fault(f) injects f, status() makes a request -> its status."""
    fault({"reset": True})
    try:
        status()
        reset_ok = False
    except Exception:   # connection reset / remote closed
        reset_ok = True
    tap(reset_ok and status() == 200, "fault reset: the connection drops, then answers")
    fault({"delay_ms": 300})
    t0 = time.time()
    st = status()
    tap(st == 200 and time.time() - t0 >= 0.3, "fault delay_ms 300 delays the answer")


def start(fake, tmp, args):
    """Another fake, FAKE --port-file (in tmp) ARGS -> (process, base URL)."""
    pf = os.path.join(tmp, "port%d" % len(os.listdir(tmp)))
    p = subprocess.Popen([sys.executable, fake, "--port-file", pf] + args,
                         stderr=subprocess.DEVNULL)
    for i in range(150):
        if os.path.exists(pf) and open(pf).read().strip():
            break
        time.sleep(0.1)
    return p, "http://127.0.0.1:%s" % open(pf).read().strip()


def get(o, path):
    """o's value at a dotted path, or None."""
    for k in path.split("."):
        if not isinstance(o, dict) or k not in o:
            return None
        o = o[k]
    return o


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)
