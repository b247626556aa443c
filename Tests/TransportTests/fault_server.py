#!/usr/bin/env python3
"""A small HTTP/1.1 server that misbehaves on request, for the CurlTransport tests.

Usage: fault_server.py [--cert CERT.pem --key KEY.pem]
Listens on 127.0.0.1, port chosen by the system, and prints that port on its first stdout line.
Connections are kept alive so the tests can see whether the client reuses them.

Paths (query parameters in brackets):
  /echo                       JSON: method, path, headers, body (base64), client port, request number on
                              this connection
  /gzip                       a repetitive text body, gzip-encoded when Accept-Encoding allows it
  /retry-after [key,count,seconds]   503 with Retry-After: seconds, `count` times per key, then 200
  /retry-date  [key,count,seconds]   429 with an HTTP-date Retry-After `seconds` ahead, then 200
  /status [code]              an empty answer with that status
  /slow [seconds]             answers after sleeping
  /drop                       closes the connection without answering
  /truncate                   promises 1000 bytes, sends 10, closes
  /loop                       redirects to itself forever
  /redirect                   one redirect (with an X-Redirect-Hop header) to /echo
  /redirect-to [location]     redirects to any location
  /big [bytes, gzip]          a body of that many bytes, with Content-Length; gzip=1 sends it compressed
  /big-chunked [bytes]        the same without Content-Length (chunked)
"""
import base64
import email.utils
import gzip
import json
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

attempts = {}
attempts_lock = threading.Lock()


def count_attempt(key):
    with attempts_lock:
        attempts[key] = attempts.get(key, 0) + 1
        return attempts[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.requests_on_connection = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        self.requests_on_connection += 1
        url = urllib.parse.urlsplit(self.path)
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        route = ROUTES.get(url.path)
        if route is None:
            self.reply(404, b"no such path\n")
        else:
            route(self)

    def param(self, name, default):
        return type(default)(self.query.get(name, default))

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    # Routes

    def echo(self):
        body = self.read_body()
        document = {
            "method": self.command,
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body_base64": base64.b64encode(body).decode(),
            "client_port": self.client_address[1],
            "request_on_connection": self.requests_on_connection,
        }
        self.reply(200, json.dumps(document).encode(), [("Content-Type", "application/json")])

    def gzip_body(self):
        text = ("Briefing gzip test line.\n" * 400).encode()
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            self.reply(200, gzip.compress(text), [("Content-Encoding", "gzip")])
        else:
            self.reply(200, text)

    def retry_after(self):
        if count_attempt(self.param("key", "")) <= self.param("count", 1):
            self.reply(503, b"busy\n", [("Retry-After", str(self.param("seconds", 1)))])
        else:
            self.reply(200, b"ok after %d\n" % attempts[self.param("key", "")])

    def retry_date(self):
        if count_attempt(self.param("key", "")) <= self.param("count", 1):
            when = email.utils.formatdate(time.time() + self.param("seconds", 1), usegmt=True)
            self.reply(429, b"slow down\n", [("Retry-After", when)])
        else:
            self.reply(200, b"ok\n")

    def status(self):
        self.reply(self.param("code", 200))

    def slow(self):
        time.sleep(self.param("seconds", 5.0))
        try:
            self.reply(200, b"finally\n")
        except OSError:
            pass  # the client gave up long ago

    def drop(self):
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def truncate(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"only ten!\n")
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def loop(self):
        self.reply(302, headers=[("Location", "/loop")])

    def redirect(self):
        self.reply(302, b"moved\n", [("Location", "/echo?redirected=1"), ("X-Redirect-Hop", "yes")])

    def redirect_to(self):
        self.reply(302, headers=[("Location", self.param("location", "/echo"))])

    def big(self):
        body = b"x" * self.param("bytes", 1024)
        if self.param("gzip", 0):
            self.reply(200, gzip.compress(body), [("Content-Encoding", "gzip")])
        else:
            self.reply(200, body)

    def big_chunked(self):
        remaining = self.param("bytes", 1024)
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while remaining > 0:
                chunk = b"x" * min(remaining, 16384)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                remaining -= len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True  # the client stopped reading at its limit


ROUTES = {
    "/echo": Handler.echo,
    "/gzip": Handler.gzip_body,
    "/retry-after": Handler.retry_after,
    "/retry-date": Handler.retry_date,
    "/status": Handler.status,
    "/slow": Handler.slow,
    "/drop": Handler.drop,
    "/truncate": Handler.truncate,
    "/loop": Handler.loop,
    "/redirect": Handler.redirect,
    "/redirect-to": Handler.redirect_to,
    "/big": Handler.big,
    "/big-chunked": Handler.big_chunked,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    tls_context = None

    def get_request(self):
        connection, address = super().get_request()
        if self.tls_context is None:
            return connection, address
        # The handshake runs in the request thread (on first read), so a client that rejects the
        # certificate cannot stall the accept loop.
        return self.tls_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        pass  # refused handshakes and dropped clients are what these tests provoke


def main():
    # A parent that blocks SIGTERM in its threads (the Swift test runner does) passes that mask on;
    # unblock it so the tests can stop the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    args = sys.argv[1:]
    server = Server(("127.0.0.1", 0), Handler)
    if "--cert" in args:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args[args.index("--cert") + 1], args[args.index("--key") + 1])
        server.tls_context = context
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
