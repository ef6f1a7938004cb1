"""Serve a WSGI app on loopback in a background thread: the emulator command, the demo and tests use it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

LOOPBACK = "127.0.0.1"


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app: Any, *, host: str = LOOPBACK, port: int = 0) -> RunningServer:
    """Start a threaded server; port 0 picks a free one. Binds to loopback only by default."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"devkit-wsgi-{server.server_port}", daemon=True)
    thread.start()
    return RunningServer(server, thread)
