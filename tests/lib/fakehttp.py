"""What tests/fake-es.py and tests/fake-loki.py share (Python 3 standard
library only): a threaded server with request counters and injected faults,
the test-control endpoints /_fake/..., and start-up (the port file, exit
when the parent goes away).

Faults (POST /_fake/faults, or --fault): a JSON object, or a list of them;
the next `times` (default 1; < 0 = forever) requests whose path contains
`path` (default: every path) get it. Handler.injected_fault applies
--latency-ms, delay_ms and reset; the fakes answer the other keys
themselves."""

import json
import os
import socket
import struct
import sys
import threading
import time
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

    def setup_common(self, args):
        """From the parsed options latency_ms, verbose and fault."""
        self.latency_ms = args.latency_ms
        self.verbose = args.verbose
        self.lock = threading.Lock()
        self.reset_counters()
        self.faults = []
        for f in args.fault:
            self.add_fault(json.loads(f))

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
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_HEAD(self):
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
        return fault

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
    sys.stderr.write("%s listening on 127.0.0.1:%d\n" % (banner, port))
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
