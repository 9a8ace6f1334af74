"""A TCP server on 127.0.0.1 that accepts connections, reads the request and never answers.

    with StallingServer() as server:
        url = server.url("/coco_captioning.zip")
        ...
        server.connections  # how many connections it accepted

A host that answered the connection is not offline; a client should say it stalled.
"""

import socket
import threading


class StallingServer:
    def __init__(self):
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._open = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.connections = 0

    def url(self, path):
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}{path}"

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:  # the accept timeout, or the socket closed by __exit__
                continue
            self.connections += 1
            self._open.append(conn)  # kept open, never answered

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._open:
            conn.close()
        self._sock.close()
