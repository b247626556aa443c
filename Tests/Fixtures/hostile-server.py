#!/usr/bin/env python3
"""A Briefing server that turns hostile on demand, for the hostile-input tests.

It answers `GET /v1/changes?limit=1` (the probe of `briefing init`) and a pull without a token like a
well-behaved Briefing server: one small, valid page whose next token is "t1". A pull with any token gets
the bytes of the file DIR/page as they are (status from DIR/status, default 200), or, when there is no
such file, an empty valid page. Pushes are answered with no results, so marks stay queued.

    hostile-server.py DIR      first stdout line: "listening on http://127.0.0.1:PORT"
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DIRECTORY = sys.argv[1]
SERVER_TIME = "2026-11-29T08:00:00.000Z"


def page(items, token, has_more=False):
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Hostile",
        "items": items,
        "_briefing": {"next_token": token, "has_more": has_more, "server_time": SERVER_TIME,
                      "deleted": [], "states": []},
    }).encode()


BASELINE = [
    {"id": "calm-1", "title": "A calm article", "content_text": "Nothing to see.",
     "date_published": "2026-11-29T07:00:00Z", "_briefing": {"revision": 1}},
    {"id": "calm-2", "title": "Another calm article", "content_html": "<p>Still calm.</p>",
     "date_published": "2026-11-29T07:05:00Z", "_briefing": {"revision": 1}},
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Briefing-Server-Time", SERVER_TIME)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        url = urlparse(self.path)
        if url.path.rstrip("/") != "/v1/changes":
            return self.answer(404, b'{"error": "not found"}')
        query = parse_qs(url.query)
        if not query.get("token", [""])[0]:
            return self.answer(200, page(BASELINE, "t1"))
        path = os.path.join(DIRECTORY, "page")
        if not os.path.exists(path):
            return self.answer(200, page([], "t1"))
        with open(path, "rb") as file:
            body = file.read()
        status = 200
        if os.path.exists(os.path.join(DIRECTORY, "status")):
            with open(os.path.join(DIRECTORY, "status")) as file:
                status = int(file.read().strip() or "200")
        self.answer(status, body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.answer(200, json.dumps({"server_time": SERVER_TIME, "results": []}).encode())


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
