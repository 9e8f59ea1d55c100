"""``python -m benchmarks.load`` (``make bench-load``): requests/s under real servers, on loopback, with ``wrk``.

Servers, each started as a subprocess on a free port, on SQLite and on
PostgreSQL (a fresh database, dropped afterwards; benchmarks/databases.py):

- gunicorn, 2 sync workers, and gunicorn, 2 ``gthread`` workers x 4 threads,
  serving benchmarks/load_app.py: the bare WSGI callable, the same behind
  proauth2's ``BearerTokenMiddleware``, a bare Flask route, and Authlib's
  ``ResourceProtector`` over a Flask route (benchmarks/peers/authlib_app.py);
- uvicorn, 1 worker, serving benchmarks/asgi_cases.py's app: a bare
  Starlette route and the same behind proauth2's ASGI middleware.

Every route gets ``wrk -t1 -c32 -d3s --latency`` with the ``Authorization``
header of a valid token (each library's own), the routes of a server taking
turns. A run is one ``wrk`` per route; runs repeat until two of them agree
within :data:`AGREEMENT` on every protected route's share of its bare
route's requests/s (at most :data:`MAX_RUNS`, and only while the whole
benchmark stays within :data:`TIME_BUDGET_SECONDS`), else the output says
they did not. The figures are the two agreeing runs' means (every run's
median when none agree); p50 and p99 are wrk's latency percentiles.

Budgets (issue 16): under gunicorn with 2 workers, the protected route keeps
at least 85% of the bare route's requests/s on SQLite, 70% on PostgreSQL.
``--results-dir`` receives ``load.json`` and the redrawn ``ratios.svg``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.databases import client_token, postgres_url
from benchmarks.load_app import AUTHLIB_URI, DATABASE_URL
from benchmarks.reporting import RESULTS_DIR, header, write_chart, write_json

REPO_ROOT = Path(__file__).resolve().parents[1]
#: wrk's threads, connections and seconds per route and run
WRK_THREADS, WRK_CONNECTIONS, WRK_SECONDS = 1, 32, 3
#: two runs agree when every protected route's share of its bare route differs by at most this (relative)
AGREEMENT = 0.10
#: runs per server at most (two at least)
MAX_RUNS = 4
#: the whole benchmark's time: runs past the second are skipped when they would overrun it
TIME_BUDGET_SECONDS = 175.0
#: budgets: the protected route's share of the bare route's requests/s under gunicorn with 2 workers
SHARE_BUDGETS = {"SQLite": 0.85, "PostgreSQL": 0.70}
#: the routes of benchmarks/load_app.py and of benchmarks/asgi_cases.py's server: label, path, the bare route
WSGI_ROUTES = {
    "bare": ("bare WSGI callable", "/bare", None),
    "protected": ("proauth2 BearerTokenMiddleware", "/protected", "bare"),
    "flask_bare": ("Flask route, bare", "/flask/bare", None),
    "authlib": ("Flask route, Authlib ResourceProtector", "/flask/api", "flask_bare"),
}
ASGI_ROUTES = {
    "bare": ("Starlette route, bare", "/bare", None),
    "protected": ("proauth2 ASGI middleware", "/protected", "bare"),
}
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Server:
    """One server configuration: how to start it, its routes, the token each route is sent."""

    name: str
    database: str
    command: list[str]
    env: dict[str, str]
    routes: dict[str, tuple[str, str, str | None]]
    tokens: dict[str, str]
    runs: list[dict[str, dict[str, float]]] = field(default_factory=list)
    agreed: list[int] | None = None

    @property
    def key(self) -> str:
        return f"{self.name}, {self.database}"

    def shares(self, run: dict[str, dict[str, float]]) -> dict[str, float]:
        """Each protected route's requests/s as a share of its bare route's, in one run."""
        return {
            key: run[key]["rps"] / run[bare]["rps"]
            for key, (_, _, bare) in self.routes.items()
            if bare is not None and run[bare]["rps"] > 0
        }

    def figures(self) -> dict[str, dict[str, float]]:
        """Per route: the agreeing runs' mean of each figure (every run's median when none agree)."""
        chosen = [self.runs[i] for i in self.agreed] if self.agreed else self.runs
        combine = statistics.mean if self.agreed else statistics.median
        return {
            key: {figure: combine(run[key][figure] for run in chosen) for figure in chosen[0][key]}
            for key in self.routes
        }

    def final_shares(self) -> dict[str, float]:
        figures = self.figures()
        return {
            key: figures[key]["rps"] / figures[bare]["rps"]
            for key, (_, _, bare) in self.routes.items()
            if bare is not None and figures[bare]["rps"] > 0
        }


def _agree(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(abs(a[key] - b[key]) <= AGREEMENT * max(a[key], b[key]) for key in a)


def find_agreement(server: Server) -> list[int] | None:
    """The indices of the latest run and an earlier one it agrees with, if any."""
    latest = len(server.runs) - 1
    shares = server.shares(server.runs[latest])
    for earlier in range(latest - 1, -1, -1):
        if _agree(server.shares(server.runs[earlier]), shares):
            return [earlier, latest]
    return None


def free_port() -> int:
    """A loopback TCP port nothing listens on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(server: Server) -> Iterator[int]:
    """Start ``server`` on a free port; yield the port once every route answers 200."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in server.command]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, **server.env})
    try:
        deadline = time.monotonic() + 60
        pending = list(server.routes.items())
        while pending:
            if process.poll() is not None:
                raise OSError(f"{server.name} exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise OSError(f"{server.name} did not answer on port {port}")
            key, (_, path, _) = pending[0]
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {server.tokens[key]}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    if answer.status == 200:
                        for _ in range(20):  # warm up the worker that answered
                            urllib.request.urlopen(request, timeout=2).close()
                        pending.pop(0)
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(url: str, token: str, seconds: int = WRK_SECONDS, connections: int = WRK_CONNECTIONS) -> dict[str, float]:
    """One ``wrk`` run: requests/s, p50 and p99 (ms), answers not 2xx and socket errors."""
    done = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> dict[str, float]:
    """The figures of ``wrk --latency``'s report: requests/s, p50 and p99 (ms), non-2xx answers, socket errors."""
    rate = _RATE.search(output)
    if rate is None:
        raise OSError(f"wrk printed no Requests/sec: {output[-500:]}")
    percentiles = {int(p): float(v) * _UNIT_MS[unit] for p, v, unit in _PERCENTILE.findall(output)}
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET_ERRORS.search(output)
    return {
        "rps": float(rate.group(1)),
        "p50_ms": percentiles.get(50, float("nan")),
        "p99_ms": percentiles.get(99, float("nan")),
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
        "socket_errors": float(sum(int(n) for n in sockets.groups())) if sockets else 0.0,
    }


def measure(server: Server, deadline: float, reserved: float, seconds: int) -> None:
    """Runs of ``server`` until two agree (or :data:`MAX_RUNS`, or no time is left beyond ``reserved``)."""
    run_seconds = len(server.routes) * (seconds + 0.4)
    with running(server) as port:
        while len(server.runs) < MAX_RUNS:
            if len(server.runs) >= 2:
                server.agreed = find_agreement(server)
                if server.agreed or time.monotonic() + run_seconds + reserved > deadline:
                    break
            run = {}
            for key, (_, path, _) in server.routes.items():
                run[key] = wrk(f"http://127.0.0.1:{port}{path}", server.tokens[key], seconds)
            server.runs.append(run)
        server.agreed = find_agreement(server) if len(server.runs) >= 2 else None


def _authlib_token(uri: str) -> str:
    from benchmarks.peers.authlib_app import AuthlibPeer

    peer = AuthlibPeer(uri)
    token = peer.endpoints.token
    peer.close()
    return token


def servers(proauth2_url: str, authlib_uri: str, database: str) -> list[Server]:
    """The three server configurations on one database (its tokens made here, before any server starts)."""
    from proauth2_wsgi import Proauth2

    provider = Proauth2(proauth2_url)
    token = client_token(provider)
    provider.store.dispose()
    authlib_token = _authlib_token(authlib_uri)
    wsgi_tokens = {"bare": token, "protected": token, "flask_bare": authlib_token, "authlib": authlib_token}
    env = {DATABASE_URL: proauth2_url, AUTHLIB_URI: authlib_uri}
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers", "2"]
    gunicorn_tail = ["--log-level", "warning", "benchmarks.load_app:app"]
    return [
        Server(
            "gunicorn, 2 sync workers",
            database,
            [*gunicorn, "--worker-class", "sync", *gunicorn_tail],
            env,
            WSGI_ROUTES,
            wsgi_tokens,
        ),
        Server(
            "gunicorn, 2 workers x 4 threads",
            database,
            [*gunicorn, "--worker-class", "gthread", "--threads", "4", *gunicorn_tail],
            env,
            WSGI_ROUTES,
            wsgi_tokens,
        ),
        Server(
            "uvicorn, 1 worker (ASGI)",
            database,
            [sys.executable, "-m", "benchmarks.asgi_cases", proauth2_url, "{port}"],
            {},
            ASGI_ROUTES,
            {"bare": token, "protected": token},
        ),
    ]


@contextmanager
def databases(directory: str, postgres: bool) -> Iterator[list[tuple[str, str, str]]]:
    """(name, proauth2 URL, Authlib URI) per database: a SQLite file each; a fresh PostgreSQL database."""
    found = [("SQLite", f"sqlite:///{directory}/proauth2.db", f"sqlite:///{directory}/authlib.db")]
    with ExitStack() as stack:
        if postgres:
            try:
                url = stack.enter_context(postgres_url())
            except OSError as exc:
                print(f"skipping PostgreSQL: {exc}")
            else:
                # SQLAlchemy 2.1 reads postgresql:// as psycopg 3; the project installs psycopg2
                found.append(("PostgreSQL", url, url.replace("postgresql://", "postgresql+psycopg2://", 1)))
        yield found


def print_server(server: Server, seconds: int) -> None:
    figures, shares = server.figures(), server.final_shares()
    if server.agreed:
        verdict = f"runs {server.agreed[0] + 1} and {server.agreed[1] + 1} of {len(server.runs)} agree within 10%"
    else:
        verdict = f"{len(server.runs)} runs: no two agreed within 10% (medians shown)"
    print(f"\n{server.key}: wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{seconds}s --latency; {verdict}")
    print(f"  {'route':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  share of bare   per run")
    for key, (label, _, bare) in server.routes.items():
        got = figures[key]
        share = f"{shares[key]:13.1%}" if bare is not None else " " * 13
        per_run = " ".join(f"{run[key]['rps']:.0f}" for run in server.runs)
        errors = sum(run[key]["non_2xx"] + run[key]["socket_errors"] for run in server.runs)
        warning = f"  {errors:.0f} errors/non-2xx!" if errors else ""
        print(f"  {label:40} {got['rps']:8.0f} {got['p50_ms']:8.2f} {got['p99_ms']:8.2f}  {share}   {per_run}{warning}")


def budget_lines(measured: list[Server]) -> list[tuple[str, bool]]:
    lines = []
    for server in measured:
        if not server.name.startswith("gunicorn"):
            continue
        share, needed = server.final_shares()["protected"], SHARE_BUDGETS[server.database]
        note = "" if server.agreed else " (runs did not agree)"
        lines.append(
            (
                f"{server.key}: protected {share:6.1%} of bare req/s >= {needed:.0%}{note}",
                share >= needed,
            )
        )
    return lines


def results(measured: list[Server], settings: dict[str, Any]) -> dict[str, Any]:
    chart = []
    for server in measured:
        if "authlib" in server.routes:
            figures = server.figures()
            chart.append(
                {
                    "group": "under load (wrk): requests/s of a protected route",
                    "label": f"{server.key}",
                    "peer": "Authlib",
                    "ratio": figures["protected"]["rps"] / figures["authlib"]["rps"],
                }
            )
    return {
        **header("load", **settings),
        "servers": [
            {
                "server": server.name,
                "database": server.database,
                "routes": {key: {"label": label, "path": path} for key, (label, path, _) in server.routes.items()},
                "runs": server.runs,
                "agreed_runs": server.agreed,
                "figures": server.figures(),
                "shares_of_bare": server.final_shares(),
            }
            for server in measured
        ],
        "budgets": [{"text": text, "ok": ok} for text, ok in budget_lines(measured)],
        "chart": chart,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=WRK_SECONDS, help=f"wrk's -d per route and run ({WRK_SECONDS})")
    parser.add_argument("--postgres", action=argparse.BooleanOptionalAction, default=True, help="PostgreSQL too")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where load.json goes")
    parser.add_argument("--no-write", action="store_true", help="write no results file")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("skipping the load benchmark: wrk is not installed (apt-get install wrk)")
        return 0
    started = time.monotonic()
    deadline = started + TIME_BUDGET_SECONDS
    measured: list[Server] = []
    with tempfile.TemporaryDirectory() as directory, databases(directory, args.postgres) as found:
        planned = [server for name, url, uri in found for server in servers(url, uri, name)]
        for index, server in enumerate(planned):
            # time kept for the two runs each later server needs at least
            reserved = sum(2 * len(later.routes) * (args.seconds + 0.4) + 2 for later in planned[index + 1 :])
            measure(server, deadline, reserved, args.seconds)
            measured.append(server)
            print_server(server, args.seconds)
    taken = time.monotonic() - started
    print(f"\nload benchmark took {taken:.0f} s")
    if not args.no_write:
        settings = {
            "wrk": f"-t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.seconds}s --latency",
            "agreement": AGREEMENT,
            "max_runs": MAX_RUNS,
            "seconds_taken": round(taken, 1),
        }
        path = write_json(args.results_dir, "load.json", results(measured, settings))
        chart = write_chart(args.results_dir)
        print(f"wrote {path}" + (f" and {chart}" if chart else ""))
    print("\nBudgets (load)")
    for text, ok in budget_lines(measured):
        print(f"  {text} : {'ok' if ok else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
