#!/usr/bin/env python3
"""A fault-injecting HTTP server for tests/unit/t_http.c (standard library
only). Listens on 127.0.0.1, plain HTTP and TLS (a self-signed test
certificate for IP 127.0.0.1, embedded below), each on a free port, and
prints one line "HTTP_PORT TLS_PORT CA_FILE PID" on stdout (also written to
the file named by the first argument, if any). CA_FILE is the certificate,
written to a temporary directory removed at exit.

Paths (any request may carry key=K; /hits?key=K tells how many requests
carried it):
  /status/NNN?retry_after=V&body=B   status NNN, optional Retry-After: V
  /flaky?fail=N&code=C&key=K&retry_after=V
                                     C (default 503) for the first N
                                     requests with key K, then 200
  /slow?ms=N                         answers after N ms
  /trickle?n=N                       N bytes (default 10), one per second
  /truncated                         Content-Length 100, 10 bytes, close
  /reset                             Content-Length 1000, 10 bytes, RST
  /big?mb=N&nolength=1               a body of N MiB (may be fractional),
                                     without Content-Length if nolength
  /echo                              the request as JSON: method, path,
                                     headers, body
  /redirect?to=URL                   302 to URL
  /hits?key=K                        {"hits": N}

The server exits when its parent process goes away, or after 120 s."""

import json
import os
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Test-only key and certificate (CN "logdive test", SAN IP:127.0.0.1,
# valid to 2126). Never use them for anything else.
CERT = """-----BEGIN CERTIFICATE-----
MIIBlzCCATygAwIBAgIUQjkQWiCJTrSXRx0C+bk2YJVhH2IwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMbG9nZGl2ZSB0ZXN0MCAXDTI2MTEyMjAxMTg1NFoYDzIxMjYx
MDI5MDExODU0WjAXMRUwEwYDVQQDDAxsb2dkaXZlIHRlc3QwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARStP7YHI5B7uxeCwVfIypVCC9iHc6HDiXRh3sRRBic65d1
nnL5w2O+fWVrBWyxDZC+lRRmIYM/QnhIaFKtC2Zwo2QwYjAdBgNVHQ4EFgQUNQ2R
khv3g9XZNR7NCURMYWSAmEwwHwYDVR0jBBgwFoAUNQ2Rkhv3g9XZNR7NCURMYWSA
mEwwDwYDVR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMC
A0kAMEYCIQC+J6PobbQPVPU15nKuNEHcJ9wA8luHzEfSHovYcuPhEQIhANZyR/vj
2gPOPFEw6k1nIb7V7p66aP+TQcYT22T1eKz2
-----END CERTIFICATE-----
"""
KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQga59F0RAXPTnnKcB2
iDWEpCboDmhYkI3iHkBrEm0c1rihRANCAARStP7YHI5B7uxeCwVfIypVCC9iHc6H
DiXRh3sRRBic65d1nnL5w2O+fWVrBWyxDZC+lRRmIYM/QnhIaFKtC2Zw
-----END PRIVATE KEY-----
"""

counts = {}
hits = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, ctype="application/json", extra=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        key = q.get("key")
        if key is not None and u.path != "/hits":
            with lock:
                hits[key] = hits.get(key, 0) + 1
        p = u.path
        if p.startswith("/status/"):
            code = int(p[len("/status/"):])
            extra = {}
            if "retry_after" in q:
                extra["Retry-After"] = q["retry_after"]
            b = q.get("body", json.dumps({"error": "injected", "status": code}))
            self.reply(code, b, extra=extra)
        elif p == "/flaky":
            k = q.get("key", "")
            with lock:
                counts[k] = counts.get(k, 0) + 1
                seen = counts[k]
            if seen <= int(q.get("fail", "2")):
                extra = {}
                if "retry_after" in q:
                    extra["Retry-After"] = q["retry_after"]
                self.reply(int(q.get("code", "503")),
                           json.dumps({"error": "flaky", "attempt": seen}),
                           extra=extra)
            else:
                self.reply(200, json.dumps({"ok": True, "attempt": seen}))
        elif p == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
            self.reply(200, json.dumps({"slept_ms": int(q.get("ms", "1000"))}))
        elif p == "/trickle":
            n = int(q.get("n", "10"))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            try:
                for _ in range(n):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            self.close_connection = True
        elif p == "/truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"hits": [')
            self.wfile.flush()
            self.close_connection = True
        elif p == "/reset":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"hits": [')
            self.wfile.flush()
            time.sleep(0.05)
            # SO_LINGER 0: close sends RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
            self.close_connection = True
        elif p == "/big":
            size = int(float(q.get("mb", "1")) * 1048576)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if "nolength" in q:
                # the body ends when the connection closes
                self.close_connection = True
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"y" * 65536
            try:
                while size > 0:
                    self.wfile.write(chunk[:size])
                    size -= len(chunk)
            except OSError:
                self.close_connection = True
        elif p == "/echo":
            self.reply(200, json.dumps({
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
            }))
        elif p == "/redirect":
            self.reply(302, "", ctype="text/plain",
                       extra={"Location": q.get("to", "/")})
        elif p == "/hits":
            with lock:
                self.reply(200, json.dumps({"hits": hits.get(key, 0)}))
        else:
            self.reply(404, json.dumps({"error": "no such path " + p}))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        pass  # clients hang up on purpose (cancel, body cap, bad TLS)


def main():
    tmp = tempfile.mkdtemp(prefix="fake-http.")
    ca = os.path.join(tmp, "ca.pem")
    keyf = os.path.join(tmp, "key.pem")
    with open(ca, "w") as f:
        f.write(CERT)
    with open(keyf, "w") as f:
        f.write(KEY)
    plain = Server(("127.0.0.1", 0), Handler)
    tls = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ca, keyf)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    for s in (plain, tls):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    line = "%d %d %s %d\n" % (plain.server_address[1], tls.server_address[1],
                              ca, os.getpid())
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(line)
    sys.stdout.write(line)
    sys.stdout.flush()
    parent = os.getppid()
    deadline = time.monotonic() + 120
    try:
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    main()
