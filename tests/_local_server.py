"""A tiny HTTP server on 127.0.0.1 for download tests, misbehaving on request.

    with LocalServer() as server:
        server.add("/data.zip", payload, drop_after=1000)   # first request dies after 1000 bytes
        url = server.url("/data.zip")
        ...
        server.requests  # [(path, {header: value}), ...] of every request received

Each route serves a byte string with one configurable behaviour (see :meth:`LocalServer.add`).
The server runs in a daemon thread and answers requests one at a time on separate threads.
"""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    ranges: bool = True          # honour "Range: bytes=N-" with 206
    drop_after: int = None       # send only this many body bytes, then close the connection ...
    drop_times: int = 1          # ... on this many requests (the later ones succeed)
    missing_bytes: int = 0       # announce this many more bytes than exist, on every request
    redirect_to: str = None      # answer 301 with Location: this path
    etag: str = None             # send this ETag; a Range request whose If-Range differs gets 200


class LocalServer:
    """HTTP server on an ephemeral 127.0.0.1 port; use as a context manager."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    def add(self, path, body=b"", **behaviour):
        """Serve ``body`` at ``path``; keyword arguments are the fields of :class:`Route`."""
        self.routes[path] = Route(body=body, **behaviour)
        return self.url(path)

    def url(self, path):
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def requests_for(self, path):
        return [headers for p, headers in self.requests if p == path]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _make_handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_GET(self):
            with server._lock:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path)
                drop = None
                if route is not None and route.drop_after is not None and route.drop_times > 0:
                    route.drop_times -= 1
                    drop = route.drop_after
            if route is None:
                return self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
            if route.redirect_to is not None:
                self.send_response(301)
                self.send_header("Location", route.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.status != 200:
                return self._send(route.status, route.body, route.content_type)

            size = len(route.body) + route.missing_bytes  # the size the server claims
            start = 0
            header = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if if_range is not None and if_range != route.etag:
                header = None  # the client's copy is of another version: send the whole file
            if route.ranges and header and header.startswith("bytes=") and header.endswith("-"):
                start = int(header[len("bytes="):-1])
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", route.etag)
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            payload = route.body[start:]
            if drop is not None:
                payload = payload[:drop]
            self.wfile.write(payload)
            self.wfile.flush()
            if drop is not None or route.missing_bytes:
                self.close_connection = True  # the client sees a short body

        def _send(self, status, body, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
