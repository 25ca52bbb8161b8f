#!/usr/bin/env python3
"""A small forwarding HTTP proxy for tests/network.sh (Python 3 standard
library only). Listens on 127.0.0.1 on a free port written to --port-file
and appends one JSON line per request to --log:
{"method", "target", "proxy_auth": true|false, "authorization": true|false,
 "status"}. Exits when the process that started it goes away.

  fakeproxy.py --port-file F --log FILE [--require-auth USER:PASS]

  * absolute-URI requests (GET http://host:port/path HTTP/1.1, RFC 9112
    §3.2.2) are forwarded to host:port with the path alone, Proxy-* and
    hop-by-hop headers dropped, "Connection: close"; the answer is relayed
    as it comes, and the client connection is closed after it;
  * CONNECT host:port (RFC 9110 §9.3.6) answers 200 and relays bytes both
    ways until either side closes (https through the proxy);
  * --require-auth: a request without Proxy-Authorization: Basic
    base64(USER:PASS) gets 407 with Proxy-Authenticate (its body is an
    HTML page), CONNECT included."""

import argparse
import base64
import json
import os
import select
import socket
import socketserver
import sys
import threading
import time

HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection",
       "proxy-authenticate", "te", "trailer", "upgrade"}


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        pass


class Handler(socketserver.StreamRequestHandler):
    def log(self, method, target, headers, status):
        srv = self.server
        line = json.dumps({"method": method, "target": target,
                           "proxy_auth": "proxy-authorization" in headers,
                           "authorization": "authorization" in headers,
                           "status": status})
        with srv.lock:
            with open(srv.log_file, "a") as fh:
                fh.write(line + "\n")

    def reply(self, status, reason, extra=()):
        body = ("<html><head><title>%d %s</title></head><body><h1>%d %s</h1>"
                "</body></html>\n" % (status, reason, status, reason)).encode()
        head = "HTTP/1.1 %d %s\r\n" % (status, reason)
        for k, v in extra:
            head += "%s: %s\r\n" % (k, v)
        head += ("Content-Type: text/html\r\nContent-Length: %d\r\n"
                 "Connection: close\r\n\r\n" % len(body))
        self.wfile.write(head.encode() + body)
        self.wfile.flush()

    def handle(self):
        line = self.rfile.readline(65537)
        if not line:
            return
        try:
            method, target, version = line.decode("latin-1").split()
        except ValueError:
            return self.reply(400, "Bad Request")
        headers, raw = {}, []
        while True:
            h = self.rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
            raw.append((k.strip(), v.strip()))
        srv = self.server
        if srv.auth:
            want = "Basic " + base64.b64encode(srv.auth.encode()).decode()
            if headers.get("proxy-authorization") != want:
                self.log(method, target, headers, 407)
                return self.reply(407, "Proxy Authentication Required",
                                  [("Proxy-Authenticate", 'Basic realm="fakeproxy"')])
        if method == "CONNECT":
            return self.tunnel(target, headers)
        if not target.startswith("http://"):
            self.log(method, target, headers, 400)
            return self.reply(400, "Bad Request")
        hostport, _, path = target[len("http://"):].partition("/")
        host, _, port = hostport.rpartition(":")
        if not host:
            host, port = hostport, "80"
        n = int(headers.get("content-length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        except (OSError, ValueError):
            self.log(method, target, headers, 502)
            return self.reply(502, "Bad Gateway")
        self.log(method, target, headers, 0)
        req = "%s /%s %s\r\n" % (method, path, version)
        for k, v in raw:
            if k.lower() not in HOP:
                req += "%s: %s\r\n" % (k, v)
        req += "Connection: close\r\n\r\n"
        up.sendall(req.encode("latin-1") + body)
        try:
            while True:
                data = up.recv(65536)
                if not data:
                    break
                self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass
        up.close()

    def tunnel(self, target, headers):
        host, _, port = target.rpartition(":")
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        except (OSError, ValueError):
            self.log("CONNECT", target, headers, 502)
            return self.reply(502, "Bad Gateway")
        self.log("CONNECT", target, headers, 200)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        # the client sends nothing more before the 200 (RFC 9110 §9.3.6)
        a, b = self.connection, up
        a.setblocking(True)
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 60)
                if not r:
                    break
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            pass
        finally:
            up.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--require-auth", metavar="USER:PASS")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.lock = threading.Lock()
    srv.log_file = a.log
    srv.auth = a.require_auth
    open(a.log, "a").close()
    port = srv.server_address[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    sys.stderr.write("fakeproxy listening on 127.0.0.1:%d\n" % port)
    parent = os.getppid()

    def watchdog():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watchdog, daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
