"""gunicorn on a free loopback port, as the tests that need forked workers run it.

The app is preloaded in the master, so every worker is forked from a process
that already built the provider (the store must drop the parent's
connections). The server runs in its own process group, ended together:
SIGINT first, SIGKILL for anything still there after :data:`STOP_SECONDS`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.http_server import free_port

ROOT = Path(__file__).resolve().parents[1]
#: seconds gunicorn gets to answer its first request with every worker forked
STARTUP_SECONDS = 60
#: seconds the server gets to stop before it is killed
STOP_SECONDS = 15


@dataclass(frozen=True)
class Gunicorn:
    """A running gunicorn: its base URL, its master process, the file its log goes to."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pids(self) -> frozenset[int]:
        """The master's children now: a restarted worker has a new pid."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return frozenset(int(pid) for pid in children.split())


@contextmanager
def running_gunicorn(
    app: str | Callable[[str], str],
    *,
    workers: int = 2,
    threads: int = 1,
    ready_path: str = "/",
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[Gunicorn]:
    """gunicorn serving ``app`` (a gunicorn app spec, or a function of the base URL giving one) until the block ends.

    ``threads`` above 1 makes the workers ``gthread`` ones. The server is up
    once ``ready_path`` answers anything over HTTP and every worker is forked.
    Its log (warnings and errors) goes to ``log``, by default a temporary file.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    spec = app if isinstance(app, str) else app(base_url)
    with tempfile.TemporaryDirectory() as scratch:
        log = log or Path(scratch) / "gunicorn.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--preload",
                    "--timeout",
                    "120",
                    "--graceful-timeout",
                    "3",  # a worker stuck on its way out (a known gunicorn hang) is killed
                    "--log-level",
                    "warning",
                    spec,
                ],
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                start_new_session=True,  # its own process group: the master and its workers, ended together
            )
        server = Gunicorn(base_url, process, log)
        try:
            _wait_until_serving(server, ready_path, workers)
            yield server
        finally:
            _stop(process)


def _wait_until_serving(server: Gunicorn, ready_path: str, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            requests.get(server.base_url + ready_path, timeout=2).close()
            if len(server.worker_pids()) == workers:
                return
        except requests.RequestException:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start: {server.log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)  # quick shutdown
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)
