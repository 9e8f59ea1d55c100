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
    """µs per request: the median round, the best (least disturbed by other processes), every round."""

    median: float
    best: float
    rounds: tuple[float, ...]

    def __str__(self) -> str:
        return f"{self.median:8.1f} {self.best:8.1f}"


def _summary(rounds: list[float]) -> Timing:
    return Timing(statistics.median(rounds), min(rounds), tuple(rounds))


def overhead(bare: Timing, case: Timing) -> float:
    """µs ``case`` adds to ``bare``: the median over rounds run back to back."""
    return statistics.median(y - x for x, y in zip(bare.rounds, case.rounds, strict=True))


def paired_difference(a: Timing, b: Timing) -> float:
    """The median, over rounds run back to back, of ``b``'s time relative to ``a``'s, minus one.

    Rounds of the compared cases take turns (:func:`call_times`), so each pair
    saw the same load from other processes; the median pair ignores bursts.
    """
    return statistics.median(y / x - 1 for x, y in zip(a.rounds, b.rounds, strict=True))


def environ(path: str = "/", token: str | None = None) -> WSGIEnvironment:
    """A GET request's environ, with a bearer token when given."""
    headers = [("Authorization", f"Bearer {token}")] if token else []
    return EnvironBuilder(path=path, headers=headers).get_environ()


def hello_app(environ: WSGIEnvironment, start_response: Any) -> list[bytes]:
    """The bare app every case wraps: a fixed small body."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
    return _write


def _write(data: bytes) -> None:
    """The ``write`` callable nobody uses."""


def serve(app: WSGIApplication, environ: WSGIEnvironment) -> None:
    """Call ``app`` as a PEP 3333 server would: a fresh environ, the body consumed, then closed."""
    body = app(dict(environ), _start_response)
    for _chunk in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()


def request_time(app: WSGIApplication, environs: Sequence[WSGIEnvironment], iterations: int) -> Timing:
    """µs per request to ``app``, cycling through ``environs``."""
    count = len(environs)
    return call_times([lambda i: serve(app, environs[i % count])], iterations)[0]


def call_times(functions: Sequence[Callable[[int], object]], iterations: int) -> list[Timing]:
    """µs per ``function(i)`` call for each function, over :data:`ROUNDS` rounds.

    The functions take turns round by round, so a burst of load from other
    processes falls on all of them alike.
    """
    rounds: list[list[float]] = [[] for _ in functions]
    for _ in range(ROUNDS):
        for function, measured in zip(functions, rounds, strict=True):
            start = time.perf_counter()
            for i in range(iterations):
                function(i)
            measured.append((time.perf_counter() - start) / iterations * 1e6)
    return [_summary(measured) for measured in rounds]
