"""Two machines, simulated: :mod:`tests.multiprocess.server` run twice, as separate OS processes, on one database.

:func:`running_cluster` starts the processes with the same ``PROAUTH2_*`` environment (:func:`deployment`)
and yields a :class:`Cluster` of two :class:`Node` s, ``a`` and ``b``. Each node has its own clock
(:meth:`Node.set_skew`: that machine's clock is off by some seconds) and both move together
(:meth:`Cluster.shift`: time passes, without anyone sleeping). Requests go over real HTTP (``requests``),
each counted per node (:attr:`Node.requests`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.multiprocess.server import RESOURCE

ROOT = Path(__file__).resolve().parents[2]
#: every process's issuer: the one public URL of the deployment (a load balancer in front of the machines)
ISSUER = "http://127.0.0.1:8700"
TOKEN_URL = ISSUER + "/oauth/token"
SCOPES = {"profile": "Read your profile", "email": "Read your email"}
#: seconds a node may take to start listening, however loaded the machine
START_TIMEOUT = 60.0
#: seconds any one request may take
REQUEST_TIMEOUT = 30.0


def deployment(database_url: str) -> dict[str, str]:
    """The ``PROAUTH2_*`` environment an operator gives every machine: one issuer, one database, the same secrets."""
    return {
        "PROAUTH2_DATABASE_URL": database_url,
        "PROAUTH2_ISSUER": ISSUER,
        "PROAUTH2_SCOPES": json.dumps(SCOPES),
        "PROAUTH2_DEFAULT_SCOPE": "profile",
        "PROAUTH2_OPENID": "true",
        "PROAUTH2_KEY_SECRET": secrets.token_urlsafe(32),
        "PROAUTH2_DPOP_NONCE_SECRET": secrets.token_urlsafe(32),
        "PROAUTH2_DEVICE_VERIFICATION_URI": "/device",
        "PROAUTH2_DEVICE_POLL_INTERVAL": "30",  # "too soon" is then 30 s wide: no slow machine is ever on time
        "PROAUTH2_RESOURCES": json.dumps({RESOURCE: {"token_format": "jwt"}}),
    }


class Node:
    """One server process: its base URL, its clock, and an HTTP session to it."""

    def __init__(self, name: str, url: str, clock_file: Path, process: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.url = url
        self.clock_file = clock_file
        self.process = process
        self.skew = 0.0
        self.shifted = 0.0
        #: requests sent to this node
        self.requests = 0
        self._counting = threading.Lock()
        self._local = threading.local()  # a session per thread: requests' sessions are not thread-safe
        self._sessions: list[requests.Session] = []

    def __repr__(self) -> str:
        return f"<Node {self.name} {self.url} skew={self.skew:+}>"

    @property
    def offset(self) -> float:
        """Seconds this node's clock is ahead of the real one."""
        return self.skew + self.shifted

    def now(self) -> float:
        """The time on this node's clock."""
        return time.time() + self.offset

    def set_skew(self, seconds: float) -> None:
        """This machine's clock is ``seconds`` ahead of the real one (behind when negative)."""
        self.skew = seconds
        self._write_clock()

    def set_shift(self, seconds: float) -> None:
        """Time on this machine has moved ``seconds`` ahead (on top of its skew)."""
        self.shifted = seconds
        self._write_clock()

    def _write_clock(self) -> None:
        written = self.clock_file.with_suffix(".tmp")
        written.write_text(repr(self.offset))
        written.replace(self.clock_file)  # the server reads it whole, never half-written

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        """``method`` ``path`` on this node, redirects not followed."""
        with self._counting:
            self.requests += 1
        options.setdefault("timeout", REQUEST_TIMEOUT)
        options.setdefault("allow_redirects", False)
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            self._sessions.append(session)
        return session.request(method, self.url + path, **options)

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> requests.Response:
        return self.request("POST", path, **options)

    def close(self) -> None:
        for session in self._sessions:
            session.close()


class Cluster:
    """The two nodes of one deployment, and the database they share."""

    def __init__(self, backend: str, database_url: str, environ: Mapping[str, str], a: Node, b: Node) -> None:
        self.backend = backend
        self.database_url = database_url
        self.environ = dict(environ)
        self.a = a
        self.b = b

    @property
    def nodes(self) -> tuple[Node, Node]:
        return (self.a, self.b)

    def shift(self, seconds: float) -> None:
        """Time passes by ``seconds`` on both machines (each keeps its skew)."""
        self.set_shift(self.a.shifted + seconds)

    def set_shift(self, seconds: float) -> None:
        """Both machines' clocks ``seconds`` ahead of the real time (each keeps its skew on top)."""
        for node in self.nodes:
            node.set_shift(seconds)

    def reset_clocks(self) -> None:
        """Both clocks right again."""
        for node in self.nodes:
            node.set_shift(0.0)
            node.set_skew(0.0)

    @property
    def requests(self) -> int:
        """Requests sent to both nodes so far."""
        return sum(node.requests for node in self.nodes)


def process_environment(deployed: Mapping[str, str]) -> dict[str, str]:
    """The environment of a process of the deployment: this one's, its ``PROAUTH2_*`` replaced by ``deployed``."""
    return {**{key: value for key, value in os.environ.items() if not key.startswith("PROAUTH2_")}, **deployed}


def _spawn(name: str, environ: Mapping[str, str], directory: Path) -> subprocess.Popen[bytes]:
    (directory / f"{name}.clock").write_text("0")
    with (directory / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.multiprocess.server", "--name", name),
                *("--port-file", str(directory / f"{name}.port"), "--clock-file", str(directory / f"{name}.clock")),
            ],
            cwd=ROOT,
            env=process_environment(environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _listening(name: str, process: subprocess.Popen[bytes], directory: Path) -> Node:
    """The node once its process listens (it writes its port then)."""
    port_file = directory / f"{name}.port"
    deadline = time.monotonic() + START_TIMEOUT
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"node {name} did not start:\n{(directory / f'{name}.log').read_text()[-4000:]}")
        time.sleep(0.05)
    return Node(name, f"http://127.0.0.1:{port_file.read_text()}", directory / f"{name}.clock", process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_cluster(backend: str, database_url: str, directory: Path) -> Iterator[Cluster]:
    """Two nodes on ``database_url`` (already migrated), with the same :func:`deployment` environment."""
    environ = deployment(database_url)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    nodes: list[Node] = []
    try:
        for name in ("A", "B"):  # both start at once
            processes[name] = _spawn(name, environ, directory)
        nodes = [_listening(name, process, directory) for name, process in processes.items()]
        yield Cluster(backend, database_url, environ, *nodes)
    finally:
        for node in nodes:
            node.close()
        for process in processes.values():
            _stop(process)
