"""Timing WSGI requests in-process: prepared environs, many iterations, the median of several rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from werkzeug.test import EnvironBuilder

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

#: timed rounds per case
ROUNDS = 9


class Timing(NamedTuple):
    """µs per request: the median round, and the best (least disturbed by other processes)."""

    median: float
    best: float

    def __str__(self) -> str:
        return f"{self.median:8.1f} {self.best:8.1f}"


def _summary(rounds: list[float]) -> Timing:
    return Timing(statistics.median(rounds), min(rounds))


def environ(path: str = "/", token: str | None = None) -> WSGIEnvironment:
    """A GET request's environ, with a bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return EnvironBuilder(path=path, headers=headers).get_environ()


def hello_app(environ: WSGIEnvironment, start_response: Any) -> list[bytes]:
    """The bare app every case wraps: a fixed small body."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
    return _write


def _write(data: bytes) -> None:
    """The ``write`` callable nobody uses."""


def request_time(app: WSGIApplication, environs: Sequence[WSGIEnvironment], iterations: int) -> Timing:
    """Mean µs per request in each of :data:`ROUNDS` rounds, calling ``app`` as a server would.

    Each request gets a fresh copy of one of ``environs`` (cycled), and its
    body is consumed and closed, as PEP 3333 servers do.
    """
    count = len(environs)
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for i in range(iterations):
            body = app(dict(environs[i % count]), _start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        rounds.append((time.perf_counter() - start) / iterations * 1e6)
    return _summary(rounds)


def call_time(function: Callable[[int], object], iterations: int) -> Timing:
    """Mean µs per ``function(i)`` call in each of :data:`ROUNDS` rounds."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for i in range(iterations):
            function(i)
        rounds.append((time.perf_counter() - start) / iterations * 1e6)
    return _summary(rounds)
