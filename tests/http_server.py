"""Serve a WSGI app over real HTTP on a free loopback port, with a threaded server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


@contextmanager
def serve(app: WSGIApplication, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` on werkzeug's threaded server; yield its base URL (``http://127.0.0.1:PORT``)."""
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
