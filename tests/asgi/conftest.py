"""Fixtures for the ASGI tests: real apps under a real uvicorn on a loopback port, real tokens from the provider."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
import uvicorn

from proauth2_wsgi import Proauth2
from proauth2_wsgi.models import AccessToken
from tests.middleware.conftest import Tokens

_T = TypeVar("_T")

#: seconds uvicorn may take to start or stop
_STARTUP = 10.0
#: uvicorn's WebSocket protocol: the websockets package's, when installed (test_websockets.py skips otherwise)
_WS = "websockets-sansio" if importlib.util.find_spec("websockets") else "none"


@contextmanager
def listening() -> Iterator[tuple[socket.socket, str]]:
    """A loopback socket bound to a free port (no race for the port), and its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextmanager
def uvicorn_on(app: Any, sock: socket.socket) -> Iterator[uvicorn.Server]:
    """Run ``app`` under uvicorn (one worker, lifespan on, WebSockets by ``websockets``) in a thread on ``sock``."""
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws=_WS, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(_STARTUP)


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port; its base URL."""
    with listening() as (sock, url), uvicorn_on(app, sock):
        yield url


@pytest.fixture
def tokens(provider: Proauth2) -> Tokens:
    return Tokens(provider)


def run_async(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(coroutine)`` in a thread of its own.

    The main thread may have an event loop running already: Playwright's sync
    API keeps one there while a browser test of the same worker is open.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="test-loop") as runner:
        return runner.submit(asyncio.run, coroutine).result()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SlowValidator:
    """The provider behind a validator that takes ``delay`` seconds (a slow database), counting what runs at once."""

    def __init__(self, validator: Any, delay: float) -> None:
        self.validator = validator
        self.delay = delay
        self.calls = 0
        self.active = 0
        self.peak = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    @property
    def issuer(self) -> Any:
        return self.validator.issuer

    def validate_token(self, token: str, request: Any) -> AccessToken:
        with self._lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(self.delay)
            return self.validator.validate_token(token, request)  # type: ignore[no-any-return]
        finally:
            with self._lock:
                self.active -= 1


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` until it holds (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.005)
