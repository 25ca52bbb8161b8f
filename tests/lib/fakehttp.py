"""What tests/fake-es.py and tests/fake-loki.py share (Python 3 standard
library only): a threaded server with request counters and injected faults,
the test-control endpoints /_fake/..., and start-up (the port file, exit
when the parent goes away).

Faults (POST /_fake/faults, or --fault): a JSON object, or a list of them;
the next `times` (default 1; < 0 = forever) requests whose path contains
`path` (default: every path) get it. Handler.injected_fault applies
--latency-ms, delay_ms and reset; the fakes answer the other keys
themselves, except these network faults (tests/network.sh), which
injected_fault answers itself on every fake:
  "reset_after": N     a 200 with Content-Length 100000 and the first N
                       bytes of a JSON body, then RST
  "trickle_ms": MS     a 200 with Content-Length 1000, then one byte of
                       the body every MS ms until the client hangs up
  "huge": BYTES        a 200 whose body is one JSON string of BYTES bytes,
                       sent as fast as the client reads; "length": true
                       announces it in Content-Length (else chunked);
                       "gzip": true sends it gzip-encoded (a small body
                       that inflates to BYTES)
  "redirect": URL      status "status" (default 302) with Location: URL
  "echo_auth": true    status "status" (default 500), a JSON error whose
                       reason quotes the request's Authorization header
Options every fake takes (add_net_args): --bind ADDR (default 127.0.0.1),
--tls-cert PEM --tls-key PEM (serve HTTPS), --log-headers FILE (one JSON
line per request, control requests included: method, path, headers)."""

import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# what Handler.injected_fault returns when a fault reset the connection
RESET = object()


def retry_after(fault):
    """The Retry-After header a fault asks for, as a list of headers."""
    if fault and fault.get("retry_after") is not None:
        return [("Retry-After", str(fault["retry_after"]))]
    return []


class Server(ThreadingHTTPServer):
    """Set up with setup_common; its counters and faults are guarded by
    self.lock."""
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128   # socketserver's 5 drops connections made at once

    def handle_error(self, request, client_address):
        pass   # resets and truncations make clients hang up: not our problem

    tls_ctx = None
    header_log = None

    def setup_common(self, args):
        """From the parsed options latency_ms, verbose and fault (and those
        of add_net_args, if the fake has them)."""
        if getattr(args, "tls_cert", None):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key or None)
            self.tls_ctx = ctx
        if getattr(args, "log_headers", None):
            self.header_log = open(args.log_headers, "a", buffering=1)
        self.latency_ms = args.latency_ms
        self.verbose = args.verbose
        self.lock = threading.Lock()
        self.reset_counters()
        self.faults = []
        for f in args.fault:
            self.add_fault(json.loads(f))

    def get_request(self):
        sock, addr = ThreadingHTTPServer.get_request(self)
        if self.tls_ctx is not None:
            # the handshake happens in the handler's thread, at its first read
            sock = self.tls_ctx.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
        return sock, addr

    def log_headers(self, method, path, headers):
        if self.header_log is None:
            return
        line = json.dumps({"method": method, "path": path,
                           "headers": [[k, v] for k, v in headers.items()]})
        with self.lock:
            self.header_log.write(line + "\n")

    # counters: reset_counters and stats want self.lock held (but at set-up)
    def reset_counters(self):
        self.requests = self.bytes_in = self.bytes_out = 0
        self.by_path = {}

    def stats(self):
        return {"requests": self.requests, "by_path": dict(self.by_path),
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}

    def count_request(self, path, body):
        with self.lock:
            self.requests += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.bytes_in += len(body)
            self.count_more()

    def count_more(self):
        """More counters of a request: count_request calls it, the lock held."""

    # faults
    def add_fault(self, f):
        f = dict(f)
        f["times"] = int(f.get("times", 1))
        with self.lock:
            self.faults.append(f)

    def faults_view(self):
        with self.lock:
            return [dict(f) for f in self.faults]

    def take_fault(self, path):
        with self.lock:
            for f in self.faults:
                if f.get("path") and f["path"] not in path:
                    continue
                if f["times"] > 0:
                    f["times"] -= 1
                    if f["times"] == 0:
                        self.faults.remove(f)
                return dict(f)
        return None


class Handler(BaseHTTPRequestHandler):
    """Every method goes to handle_any(method). A fake defines handle_any
    and the answers of control: control_bad_fault(), control_unknown(method,
    path) and control_answer(obj)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write(self.server_version + ": " + (fmt % args) + "\n")

    def do_GET(self):
        self.server.log_headers("GET", self.path, self.headers)
        self.handle_any("GET")

    def do_POST(self):
        self.server.log_headers("POST", self.path, self.headers)
        self.handle_any("POST")

    def do_PUT(self):
        self.server.log_headers("PUT", self.path, self.headers)
        self.handle_any("PUT")

    def do_DELETE(self):
        self.server.log_headers("DELETE", self.path, self.headers)
        self.handle_any("DELETE")

    def do_HEAD(self):
        self.server.log_headers("HEAD", self.path, self.headers)
        self.handle_any("HEAD")

    def injected_fault(self, path):
        """Sleeps --latency-ms, takes the next fault for path and sleeps its
        delay_ms. The fault, None, or RESET when it dropped the connection
        (RST, no answer)."""
        srv = self.server
        if srv.latency_ms:
            time.sleep(srv.latency_ms / 1000.0)
        fault = srv.take_fault(path)
        if fault and fault.get("delay_ms"):
            time.sleep(float(fault["delay_ms"]) / 1000.0)
        if fault and fault.get("reset"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return RESET
        if fault and any(k in fault for k in NET_FAULTS):
            try:
                self.net_fault(fault)
            except OSError:
                pass
            self.close_connection = True
            return RESET
        return fault

    def raw_head(self, status, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

    def rst(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()

    def net_fault(self, fault):
        """The faults of NET_FAULTS: the whole answer (the connection is
        closed after it)."""
        body = b'{"took":1,"timed_out":false,"hits":{"total":{"value":3},"hits":[' + \
            b'{"_source":{"message":"' + b"x" * 200000 + b'"}}]}}'
        if "reset_after" in fault:
            n = int(fault["reset_after"])
            self.raw_head(200, [("Content-Type", "application/json"),
                                ("Content-Length", "100000")])
            self.wfile.write(body[:n])
            self.wfile.flush()
            time.sleep(0.05)
            self.rst()
        elif "trickle_ms" in fault:
            self.raw_head(200, [("Content-Type", "application/json"),
                                ("Content-Length", "1000")])
            for i in range(1000):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(float(fault["trickle_ms"]) / 1000.0)
        elif "huge" in fault:
            self.send_huge(int(fault["huge"]), bool(fault.get("length")),
                           bool(fault.get("gzip")))
        elif "redirect" in fault:
            msg = b"moved\n"
            self.raw_head(int(fault.get("status") or 302),
                          [("Location", fault["redirect"]),
                           ("Content-Type", "text/plain"),
                           ("Content-Length", str(len(msg)))])
            self.wfile.write(msg)
        elif "echo_auth" in fault:
            got = self.headers.get("Authorization") or "(none)"
            msg = json.dumps({"error": {"type": "exception", "reason":
                              "cannot handle request with Authorization: " + got},
                              "status": 500}).encode()
            self.raw_head(int(fault.get("status") or 500),
                          [("Content-Type", "application/json"),
                           ("Content-Length", str(len(msg)))])
            self.wfile.write(msg)
        self.wfile.flush()

    def send_huge(self, size, length, gz):
        """A 200 whose body is {"s":"aaa...a"} of size bytes in all."""
        head, tail = b'{"s":"', b'"}'
        chunk = b"a" * (1 << 20)
        hdrs = [("Content-Type", "application/json")]
        comp = zlib.compressobj(6, zlib.DEFLATED, 31) if gz else None
        if gz:
            hdrs.append(("Content-Encoding", "gzip"))
        plain = length and not gz
        hdrs.append(("Content-Length", str(size)) if plain
                    else ("Transfer-Encoding", "chunked"))
        self.raw_head(200, hdrs)

        def put(data, last=False):
            if comp:
                data = comp.compress(data) + (comp.flush() if last else b"")
            if plain:
                self.wfile.write(data)
            elif data:
                self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

        put(head)
        left = size - len(head) - len(tail)
        while left > 0:
            n = min(left, len(chunk))
            put(chunk if n == len(chunk) else chunk[:n])
            left -= n
        put(tail, True)
        if not plain:
            self.wfile.write(b"0\r\n\r\n")

    # ---- test control: /_fake/...
    def control(self, method, path, body):
        """POST|GET|DELETE /_fake/faults, GET /_fake/stats, POST /_fake/reset
        (clears the counters and the faults)."""
        srv = self.server
        try:
            arg = json.loads(body.decode() or "{}") if body.strip() else {}
        except ValueError:
            arg = None
        if path == "/_fake/faults" and method == "POST":
            if not isinstance(arg, (dict, list)):
                return self.control_bad_fault()
            for f in (arg if isinstance(arg, list) else [arg]):
                srv.add_fault(f)
            obj = {"acknowledged": True, "faults": srv.faults_view()}
        elif path == "/_fake/faults" and method == "DELETE":
            with srv.lock:
                srv.faults = []
            obj = {"acknowledged": True}
        elif path == "/_fake/faults":
            obj = {"faults": srv.faults_view()}
        elif path == "/_fake/stats":
            with srv.lock:
                obj = srv.stats()
        elif path == "/_fake/reset" and method == "POST":
            with srv.lock:
                srv.reset_counters()
                srv.faults = []
            obj = {"acknowledged": True}
        else:
            return self.control_unknown(method, path)
        self.control_answer(obj)


NET_FAULTS = ("reset_after", "trickle_ms", "huge", "redirect", "echo_auth")


def add_net_args(ap):
    """--bind, --tls-cert, --tls-key, --log-headers (see the top)."""
    ap.add_argument("--bind", default="127.0.0.1", metavar="ADDR",
                    help="the address to listen on (default 127.0.0.1)")
    ap.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate")
    ap.add_argument("--tls-key", metavar="PEM", help="its key (default: in --tls-cert)")
    ap.add_argument("--log-headers", metavar="FILE",
                    help="append each request's method, path and headers as JSON")


def serve(srv, port_file, banner):
    """Writes the port to port_file (if any; whole or not at all), says
    "BANNER listening on 127.0.0.1:PORT" on stderr and serves until the
    process that started us is gone."""
    port = srv.server_address[1]
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.rename(tmp, port_file)
    sys.stderr.write("%s listening on %s:%d%s\n" % (banner, srv.server_address[0], port,
                                                  " (TLS)" if srv.tls_ctx else ""))
    parent = os.getppid()

    def watchdog():     # exit when the test that started us is gone
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watchdog, daemon=True).start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
